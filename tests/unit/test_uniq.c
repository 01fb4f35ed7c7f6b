/*
 * The uniqueness state: what counts as a duplicate within a window in both directions of
 * time, per-partition isolation, the undo log (rollback restores what was there, each_change
 * reports the batch's keys with their latest sighting), restore from the changelog, dropping a
 * revoked partition, and the table's growth and sweeping of expired keys.
 */
#include "harness.h"
#include "dq/uniq.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

static int observe(struct fk_uniq *u, int32_t partition, const char *key, int64_t ts,
                   int64_t within)
{
    return fk_uniq_observe(u, partition, key, strlen(key), ts, within);
}

static void duplicates_within_the_window(void)
{
    struct fk_uniq *u = fk_uniq_new();
    CHECK_INT_EQ(fk_uniq_size(u), 0);
    CHECK_INT_EQ(observe(u, 0, "r\na", 1000, 100), 0);
    CHECK_INT_EQ(fk_uniq_size(u), 1);
    CHECK_INT_EQ(observe(u, 0, "r\na", 1050, 100), 1);
    /* Each sighting moves the window: 100 after 1050 is still inside. */
    CHECK_INT_EQ(observe(u, 0, "r\na", 1150, 100), 1);
    CHECK_INT_EQ(observe(u, 0, "r\na", 1251, 100), 0);
    CHECK_INT_EQ(observe(u, 0, "r\na", 1251, 100), 1); /* the same instant */
    CHECK_INT_EQ(fk_uniq_size(u), 1);

    /* Other keys are other keys, also when one is a prefix of the other. */
    CHECK_INT_EQ(observe(u, 0, "r\nab", 1251, 100), 0);
    CHECK_INT_EQ(observe(u, 0, "s\na", 1251, 100), 0);
    CHECK_INT_EQ(fk_uniq_observe(u, 0, "r\na\0", 4, 1251, 100), 0);
    CHECK_INT_EQ(fk_uniq_observe(u, 0, "", 0, 1251, 100), 0);
    CHECK_INT_EQ(fk_uniq_observe(u, 0, "", 0, 1252, 100), 1);
    CHECK_INT_EQ(fk_uniq_size(u), 5);
    fk_uniq_destroy(u);
}

static void duplicates_backwards_in_time(void)
{
    struct fk_uniq *u = fk_uniq_new();
    CHECK_INT_EQ(observe(u, 0, "k", 5000, 100), 0);
    /* A record that arrives late, 50 before the last sighting, is a duplicate. */
    CHECK_INT_EQ(observe(u, 0, "k", 4950, 100), 1);
    CHECK_INT_EQ(observe(u, 0, "k", 4900, 100), 1);
    /* 200 before it is not... */
    CHECK_INT_EQ(observe(u, 0, "k", 4800, 100), 0);
    /* ...and does not move the last sighting back: 5090 is within 100 of 5000. */
    CHECK_INT_EQ(observe(u, 0, "k", 5090, 100), 1);
    CHECK_INT_EQ(observe(u, 0, "k", 5191, 100), 0);
    CHECK_INT_EQ(fk_uniq_size(u), 1);
    fk_uniq_destroy(u);
}

static void partitions_are_isolated(void)
{
    struct fk_uniq *u = fk_uniq_new();
    CHECK_INT_EQ(observe(u, 0, "k", 1000, 100), 0);
    CHECK_INT_EQ(observe(u, 1, "k", 1001, 100), 0);
    CHECK_INT_EQ(observe(u, 2147483647, "k", 1003, 100), 0);
    CHECK_INT_EQ(observe(u, 1, "k", 1004, 100), 1);
    CHECK_INT_EQ(observe(u, 0, "k", 1005, 100), 1);
    CHECK_INT_EQ(fk_uniq_size(u), 3);

    /* Dropping a revoked partition forgets it and nothing else. */
    fk_uniq_commit(u);
    fk_uniq_drop_partition(u, 1);
    CHECK_INT_EQ(fk_uniq_size(u), 2);
    CHECK_INT_EQ(observe(u, 1, "k", 1006, 100), 0);
    CHECK_INT_EQ(observe(u, 0, "k", 1007, 100), 1);
    CHECK_INT_EQ(observe(u, 2147483647, "k", 1008, 100), 1);
    fk_uniq_drop_partition(u, 99); /* holds nothing: a no-op */
    CHECK_INT_EQ(fk_uniq_size(u), 3);
    fk_uniq_destroy(u);
}

struct change {
    int32_t partition;
    char key[64];
    int64_t ts;
};

struct changes {
    struct change v[64];
    size_t n;
};

static void collect(void *opaque, int32_t partition, const char *key, size_t len, int64_t ts)
{
    struct changes *c = opaque;
    if (c->n < FK_ARRAY_SIZE(c->v) && len < sizeof c->v[0].key) {
        c->v[c->n].partition = partition;
        memcpy(c->v[c->n].key, key, len);
        c->v[c->n].key[len] = '\0';
        c->v[c->n].ts = ts;
        c->n++;
    }
}

/* How many reports of (PARTITION, KEY) C holds; every one must carry TS. */
static size_t reports(const struct changes *c, int32_t partition, const char *key, int64_t ts)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->v[i].partition == partition && strcmp(c->v[i].key, key) == 0) {
            n++;
            CHECK_INT_EQ(c->v[i].ts, ts);
        }
    }
    return n;
}

static void each_change_reports_latest(void)
{
    struct fk_uniq *u = fk_uniq_new();
    struct changes c = {0};
    fk_uniq_each_change(u, collect, &c);
    CHECK_INT_EQ(c.n, 0);

    observe(u, 0, "a", 1000, 100);
    observe(u, 0, "b", 1010, 100);
    observe(u, 0, "a", 1020, 100);
    observe(u, 1, "a", 1030, 100);
    observe(u, 0, "c", 1040, 100);
    observe(u, 0, "a", 990, 100); /* late: a's latest sighting stays 1020 */
    fk_uniq_each_change(u, collect, &c);
    /* uniq.h: a key seen twice in the batch may be reported twice, with the same value; the
     * changelog is compacted. Every distinct key is reported, with its latest sighting. */
    CHECK(reports(&c, 0, "a", 1020) >= 1);
    CHECK_INT_EQ(reports(&c, 0, "b", 1010), 1);
    CHECK_INT_EQ(reports(&c, 1, "a", 1030), 1);
    CHECK_INT_EQ(reports(&c, 0, "c", 1040), 1);
    CHECK(c.n >= 4 && c.n <= 6);

    /* Committed: nothing left to report. */
    fk_uniq_commit(u);
    c.n = 0;
    fk_uniq_each_change(u, collect, &c);
    CHECK_INT_EQ(c.n, 0);

    /* The next batch reports only its own keys. */
    observe(u, 0, "b", 1050, 100);
    fk_uniq_each_change(u, collect, &c);
    CHECK_INT_EQ(c.n, 1);
    CHECK_INT_EQ(reports(&c, 0, "b", 1050), 1);
    fk_uniq_destroy(u);
}

static void rollback_restores(void)
{
    struct fk_uniq *u = fk_uniq_new();
    CHECK_INT_EQ(observe(u, 0, "old", 1000, 100), 0);
    fk_uniq_commit(u);
    size_t committed = fk_uniq_size(u);

    /* A batch that sees a new key and moves an old one forward, twice... */
    CHECK_INT_EQ(observe(u, 0, "new", 2000, 100), 0);
    CHECK_INT_EQ(observe(u, 0, "new", 2010, 100), 1);
    CHECK_INT_EQ(observe(u, 0, "old", 2000, 100), 0);
    CHECK_INT_EQ(observe(u, 0, "old", 2050, 100), 1);
    /* ...aborts. */
    fk_uniq_rollback(u);
    struct changes c = {0};
    fk_uniq_each_change(u, collect, &c);
    CHECK_INT_EQ(c.n, 0);

    /* The new key was never seen. */
    CHECK_INT_EQ(observe(u, 0, "new", 2020, 100), 0);
    /* The old key's last sighting is 1000 again: 1050 is within its window, which it would
     * not be had 2050 stayed (1050 < 2050 - 100). */
    CHECK_INT_EQ(observe(u, 0, "old", 1050, 100), 1);
    fk_uniq_rollback(u);
    CHECK_INT_EQ(observe(u, 0, "old", 1101, 100), 0); /* and its window ends at 1100 */
    fk_uniq_rollback(u);
    /* Rolled-back keys are garbage for the next sweep; what was committed is intact. */
    CHECK(fk_uniq_size(u) >= committed);

    /* A rollback with nothing to undo is a no-op. */
    fk_uniq_commit(u);
    fk_uniq_rollback(u);
    CHECK_INT_EQ(observe(u, 0, "old", 1020, 100), 1);
    fk_uniq_destroy(u);
}

static void restore_loads_the_changelog(void)
{
    struct fk_uniq *u = fk_uniq_new();
    fk_uniq_restore(u, 3, "k", 1, 1000, 100);
    fk_uniq_restore(u, 3, "j", 1, 1000, 100);
    fk_uniq_restore(u, 4, "k", 1, 5000, 100);
    CHECK_INT_EQ(fk_uniq_size(u), 3);
    /* An older changelog entry does not move a key back. */
    fk_uniq_restore(u, 3, "k", 1, 500, 100);
    CHECK_INT_EQ(fk_uniq_size(u), 3);

    /* Restore is not a change of the batch: nothing to report, nothing to undo. */
    struct changes c = {0};
    fk_uniq_each_change(u, collect, &c);
    CHECK_INT_EQ(c.n, 0);
    fk_uniq_rollback(u);
    CHECK_INT_EQ(fk_uniq_size(u), 3);

    CHECK_INT_EQ(observe(u, 3, "k", 1050, 100), 1);
    CHECK_INT_EQ(observe(u, 3, "j", 1101, 100), 0);
    CHECK_INT_EQ(observe(u, 4, "k", 4950, 100), 1);
    CHECK_INT_EQ(observe(u, 5, "k", 1050, 100), 0);

    /* Revoked, then assigned again: replayed from scratch. */
    fk_uniq_commit(u);
    fk_uniq_drop_partition(u, 3);
    /* k of partition 5 (expiring at 1150, before the newest sighting, 5000) goes too. */
    CHECK_INT_EQ(fk_uniq_size(u), 1);
    CHECK_INT_EQ(observe(u, 3, "k", 1060, 100), 0);
    fk_uniq_rollback(u);
    fk_uniq_restore(u, 3, "k", 1, 1050, 100);
    CHECK_INT_EQ(observe(u, 3, "k", 1060, 100), 1);
    fk_uniq_destroy(u);
}

#define MANY 100000
#define DAY_MS 86400000LL

static void key_of(char *buf, size_t size, const char *prefix, int i)
{
    snprintf(buf, size, "%s\n%d@example.com", prefix, i);
}

static void grows_past_thousands_of_keys(void)
{
    struct fk_uniq *u = fk_uniq_new();
    char k[64];
    /* MANY keys all within one day: nothing expires, so the table must grow. */
    for (int i = 0; i < MANY; i++) {
        key_of(k, sizeof k, "email_unique", i);
        CHECK(observe(u, i % 8, k, 1000 + i, DAY_MS) == 0);
    }
    CHECK_INT_EQ(fk_uniq_size(u), MANY);
    /* Every one is found again after the rehashing. */
    int dups = 0;
    for (int i = 0; i < MANY; i++) {
        key_of(k, sizeof k, "email_unique", i);
        dups += observe(u, i % 8, k, 200000, DAY_MS);
    }
    CHECK_INT_EQ(dups, MANY);
    CHECK_INT_EQ(fk_uniq_size(u), MANY);
    /* In another partition, none is. */
    key_of(k, sizeof k, "email_unique", 17);
    CHECK_INT_EQ(observe(u, 9, k, 200000, DAY_MS), 0);

    /* A rollback across all that growth undoes every key of the batch. */
    fk_uniq_commit(u);
    for (int i = 0; i < MANY; i++) {
        key_of(k, sizeof k, "other", i);
        observe(u, 0, k, 300000, DAY_MS);
    }
    fk_uniq_rollback(u);
    dups = 0;
    for (int i = 0; i < MANY; i += 97) {
        key_of(k, sizeof k, "other", i);
        dups += observe(u, 0, k, 300001, DAY_MS);
        key_of(k, sizeof k, "email_unique", i);
        dups += 1 - observe(u, i % 8, k, 300001, DAY_MS);
    }
    CHECK_INT_EQ(dups, 0);
    fk_uniq_destroy(u);
}

static void sweeps_expired_keys(void)
{
    struct fk_uniq *u = fk_uniq_new();
    char k[64];
    const int old = 20000;
    for (int i = 0; i < old; i++) {
        key_of(k, sizeof k, "r", i);
        observe(u, 0, k, 1000, 1000); /* expire at 2000 */
    }
    fk_uniq_commit(u);
    CHECK_INT_EQ(fk_uniq_size(u), old);

    /* New keys much later: once the table refills, the expired ones are swept instead of
     * the table growing. */
    size_t peak = 0;
    int shrank_at = -1;
    for (int i = 0; i < 4 * old && shrank_at < 0; i++) {
        key_of(k, sizeof k, "s", i);
        observe(u, 0, k, 10 * DAY_MS, 1000);
        size_t n = fk_uniq_size(u);
        if (n < peak) {
            shrank_at = i;
        }
        peak = n > peak ? n : peak;
    }
    CHECK(shrank_at >= 0);
    /* After the sweep, only the new keys are held. */
    CHECK(shrank_at < 0 || fk_uniq_size(u) == (size_t)shrank_at + 1);
    /* And an old key is no duplicate any more. */
    key_of(k, sizeof k, "r", 5);
    CHECK_INT_EQ(observe(u, 0, k, 10 * DAY_MS, 1000), 0);
    key_of(k, sizeof k, "s", 5);
    CHECK_INT_EQ(observe(u, 0, k, 10 * DAY_MS + 1, 1000), 1);

    /* Keys rolled back are swept too: after the next sweep only the newest keys are held. */
    fk_uniq_commit(u);
    for (int i = 0; i < 1000; i++) {
        key_of(k, sizeof k, "t", i);
        observe(u, 0, k, 10 * DAY_MS + 2, 1000);
    }
    fk_uniq_rollback(u);
    size_t prev = fk_uniq_size(u);
    int n = 0;
    while (n < 4 * old) {
        key_of(k, sizeof k, "v", n++);
        observe(u, 0, k, 20 * DAY_MS, 1000);
        if (fk_uniq_size(u) < prev) {
            break;
        }
        prev = fk_uniq_size(u);
    }
    CHECK_INT_EQ(fk_uniq_size(u), n);
    fk_uniq_destroy(u);
}

/* The engine's path (prefetch for the hash, prefetch the entry, observe with the hash) decides
 * exactly as a plain observe, also when the table grows between the prefetch and the observe
 * and when the key lives in another partition. */
static void prefetched_observe_is_observe(void)
{
    struct fk_uniq *plain = fk_uniq_new(), *fast = fk_uniq_new();
    char k[64], filler[64];
    int dups = 0;
    for (int i = 0; i < 200000; i++) {
        key_of(k, sizeof k, "r", (i * 7919) % 150000); /* the last quarter repeats */
        int32_t part = i % 3;
        int64_t ts = 1000 + i;
        uint64_t h = fk_uniq_prefetch(fast, part, k, strlen(k));
        /* Others' keys in between: the table grows while this key's hash is held. */
        key_of(filler, sizeof filler, "f", i);
        CHECK_INT_EQ(fk_uniq_observe(fast, part, filler, strlen(filler), ts, 200000),
                     fk_uniq_observe(plain, part, filler, strlen(filler), ts, 200000));
        fk_uniq_prefetch_entry(fast, h);
        int want = fk_uniq_observe(plain, part, k, strlen(k), ts, 200000);
        CHECK_INT_EQ(fk_uniq_observe_hashed(fast, h, part, k, strlen(k), ts, 200000), want);
        dups += want;
        if (i % 1000 == 999) {
            fk_uniq_commit(plain);
            fk_uniq_commit(fast);
        }
    }
    CHECK(dups > 0);
    CHECK_INT_EQ(fk_uniq_size(fast), fk_uniq_size(plain));
    fk_uniq_destroy(plain);
    fk_uniq_destroy(fast);
}

static void destroy_null_is_a_noop(void)
{
    fk_uniq_destroy(NULL);
    struct fk_uniq *u = fk_uniq_new();
    observe(u, 0, "k", 1, 1); /* destroyed with an undo log pending */
    fk_uniq_destroy(u);
}

static void claims_do_not_move_the_window(void)
{
    struct fk_uniq *u = fk_uniq_new();
    CHECK_INT_EQ(fk_uniq_claim(u, 0, "~r\na", 4, 1000, 100), 0);
    CHECK_INT_EQ(fk_uniq_claim(u, 0, "~r\na", 4, 1050, 100), 1);
    CHECK_INT_EQ(fk_uniq_claim(u, 0, "~r\na", 4, 1099, 100), 1);
    CHECK_INT_EQ(fk_uniq_claim(u, 0, "~r\na", 4, 1100, 100), 1); /* the window's last instant */
    /* A refused claim left the window where the first one put it: 1101 is out of it. */
    CHECK_INT_EQ(fk_uniq_claim(u, 0, "~r\na", 4, 1101, 100), 0);
    CHECK_INT_EQ(fk_uniq_claim(u, 1, "~r\na", 4, 1101, 100), 0); /* another partition */
    /* Claims roll back like sightings, and are reported as changes for the changelog. */
    fk_uniq_commit(u);
    CHECK_INT_EQ(fk_uniq_claim(u, 0, "~r\nb", 4, 2000, 100), 0);
    fk_uniq_rollback(u);
    CHECK_INT_EQ(fk_uniq_claim(u, 0, "~r\nb", 4, 2001, 100), 0);
    fk_uniq_destroy(u);
}

int main(void)
{
    FK_TEST_RUN(claims_do_not_move_the_window);
    FK_TEST_RUN(duplicates_within_the_window);
    FK_TEST_RUN(duplicates_backwards_in_time);
    FK_TEST_RUN(partitions_are_isolated);
    FK_TEST_RUN(each_change_reports_latest);
    FK_TEST_RUN(rollback_restores);
    FK_TEST_RUN(restore_loads_the_changelog);
    FK_TEST_RUN(grows_past_thousands_of_keys);
    FK_TEST_RUN(sweeps_expired_keys);
    FK_TEST_RUN(prefetched_observe_is_observe);
    FK_TEST_RUN(destroy_null_is_a_noop);
    return fk_test_finish();
}
