/*
 * An open-addressing hash table of (partition, "rule\nkey") -> (last seen, expiry). Expired
 * entries are swept when the table fills, before it grows, so it holds about the keys seen
 * within the window. The undo log records each change's previous state; rollback replays it
 * backwards. Single-threaded by design (one per dq thread).
 */
#include "uniq.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    uint64_t hash; /* 0: empty slot (hash_of never gives 0) */
    int64_t ts;
    int64_t expires;
    size_t off; /* the key, in fk_uniq.pool */
    uint32_t len;
    int32_t partition;
};

struct undo {
    int32_t partition;
    size_t key_off; /* into fk_uniq.undo_keys: one buffer, no allocation per sighting */
    size_t len;
    int existed;
    int64_t ts, expires;
};

struct fk_uniq {
    struct entry *slots;
    size_t cap, used;
    int64_t newest;       /* the latest timestamp seen: entries expiring before it are garbage */
    int64_t first_expiry; /* no entry expires before this: a sweep before then frees nothing */
    struct fk_buf pool;   /* every key the table holds, back to back; compacted by rebuild() */
    struct undo *undo;
    size_t n_undo, cap_undo;
    struct fk_buf undo_keys;
};

static uint64_t hash_of(int32_t partition, const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL ^ (uint32_t)partition;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

struct fk_uniq *fk_uniq_new(void)
{
    struct fk_uniq *u = fk_calloc(1, sizeof *u);
    u->cap = 1 << 16; /* a day of registrations is tens of thousands of keys */
    u->slots = fk_calloc(u->cap, sizeof *u->slots);
    u->first_expiry = INT64_MAX;
    return u;
}

static void free_undo(struct fk_uniq *u)
{
    u->n_undo = 0;
    fk_buf_reset(&u->undo_keys);
}

static const char *undo_key(const struct fk_uniq *u, const struct undo *un)
{
    return u->undo_keys.data + un->key_off;
}

void fk_uniq_destroy(struct fk_uniq *u)
{
    if (!u) {
        return;
    }
    free(u->slots);
    fk_buf_free(&u->pool);
    free(u->undo);
    fk_buf_free(&u->undo_keys);
    free(u);
}

static struct entry *find(struct fk_uniq *u, uint64_t h, int32_t partition, const char *key,
                          size_t len)
{
    size_t mask = u->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct entry *e = &u->slots[i];
        if (!e->hash || (e->hash == h && e->partition == partition && e->len == len &&
                         memcmp(u->pool.data + e->off, key, len) == 0)) {
            return e;
        }
    }
}

/* Rebuilds the table at CAP slots without the expired entries and those of DROP_PARTITION,
 * and compacts the key pool to the keys that stay. */
static void rebuild(struct fk_uniq *u, size_t cap, int32_t drop_partition)
{
    struct entry *old = u->slots;
    size_t old_cap = u->cap;
    struct fk_buf old_pool = u->pool;
    fk_buf_init(&u->pool);
    u->slots = fk_calloc(cap, sizeof *u->slots);
    u->cap = cap;
    u->used = 0;
    u->first_expiry = INT64_MAX;
    for (size_t i = 0; i < old_cap; i++) {
        struct entry *e = &old[i];
        if (!e->hash || e->expires < u->newest || e->partition == drop_partition) {
            continue;
        }
        const char *key = old_pool.data + e->off;
        struct entry *n = find(u, e->hash, e->partition, key, e->len);
        *n = *e;
        n->off = u->pool.len;
        fk_buf_append(&u->pool, key, e->len);
        u->used++;
        if (e->expires < u->first_expiry) {
            u->first_expiry = e->expires;
        }
    }
    free(old);
    fk_buf_free(&old_pool);
}

static struct entry *slot_for(struct fk_uniq *u, uint64_t h, int32_t partition, const char *key,
                              size_t len)
{
    if ((u->used + 1) * 2 > u->cap) {
        if (u->first_expiry < u->newest) {
            rebuild(u, u->cap, -1); /* sweep the expired first */
        }
        /* Grow unless the sweep freed a good share: sweeping a table that stays nearly full
         * on every few inserts would cost O(cap) each time. */
        if (u->used * 8 > u->cap * 3) {
            rebuild(u, u->cap * 2, -1);
        }
    }
    return find(u, h, partition, key, len);
}

static void set(struct fk_uniq *u, struct entry *e, uint64_t h, int32_t partition, const char *key,
                size_t len, int64_t ts, int64_t expires)
{
    if (!e->hash) {
        e->off = u->pool.len;
        fk_buf_append(&u->pool, key, len);
        e->len = (uint32_t)len;
        e->hash = h;
        e->partition = partition;
        u->used++;
    }
    e->ts = ts;
    e->expires = expires;
    if (expires < u->first_expiry) {
        u->first_expiry = expires;
    }
}

/* Records TS for KEY (undoably) when the key is new or REFRESH says so. Returns 1 when the key
 * was already seen within WITHIN_MS of TS. */
static int sighting(struct fk_uniq *u, int32_t partition, const char *key, size_t len, int64_t ts,
                    int64_t within_ms, int refresh)
{
    uint64_t h = hash_of(partition, key, len);
    struct entry *e = slot_for(u, h, partition, key, len);
    int dup = e->hash && e->expires >= ts && ts >= e->ts - within_ms;
    if (dup && !refresh) {
        return 1;
    }
    if (u->n_undo == u->cap_undo) {
        u->cap_undo = u->cap_undo ? u->cap_undo * 2 : 64;
        u->undo = fk_realloc(u->undo, u->cap_undo * sizeof *u->undo);
    }
    struct undo *un = &u->undo[u->n_undo++];
    un->partition = partition;
    un->key_off = u->undo_keys.len;
    fk_buf_append(&u->undo_keys, key, len);
    un->len = len;
    un->existed = e->hash != 0;
    un->ts = e->ts;
    un->expires = e->expires;
    /* Keep the latest sighting: records may arrive slightly out of timestamp order. */
    int64_t last = e->hash && e->ts > ts ? e->ts : ts;
    set(u, e, h, partition, key, len, last, last + within_ms);
    if (ts > u->newest) {
        u->newest = ts;
    }
    return dup;
}

int fk_uniq_observe(struct fk_uniq *u, int32_t partition, const char *key, size_t len, int64_t ts,
                    int64_t within_ms)
{
    return sighting(u, partition, key, len, ts, within_ms, 1);
}

int fk_uniq_claim(struct fk_uniq *u, int32_t partition, const char *key, size_t len, int64_t ts,
                  int64_t within_ms)
{
    return sighting(u, partition, key, len, ts, within_ms, 0);
}

void fk_uniq_each_change(struct fk_uniq *u,
                         void (*fn)(void *opaque, int32_t partition, const char *key, size_t len,
                                    int64_t ts),
                         void *opaque)
{
    for (size_t i = 0; i < u->n_undo; i++) {
        const struct undo *un = &u->undo[i];
        const char *key = undo_key(u, un);
        uint64_t h = hash_of(un->partition, key, un->len);
        struct entry *e = find(u, h, un->partition, key, un->len);
        /* A key seen twice in the batch is written twice with the same latest sighting;
         * the changelog is compacted, so that costs nothing worth an O(n^2) search. */
        if (e->hash) {
            fn(opaque, un->partition, key, un->len, e->ts);
        }
    }
}

void fk_uniq_commit(struct fk_uniq *u)
{
    free_undo(u);
}

void fk_uniq_rollback(struct fk_uniq *u)
{
    while (u->n_undo > 0) {
        struct undo *un = &u->undo[--u->n_undo];
        const char *key = undo_key(u, un);
        uint64_t h = hash_of(un->partition, key, un->len);
        struct entry *e = find(u, h, un->partition, key, un->len);
        if (un->existed) {
            e->ts = un->ts;
            e->expires = un->expires;
            if (un->expires < u->first_expiry) {
                u->first_expiry = un->expires;
            }
        } else if (e->hash) {
            /* Mark expired; the next sweep removes it (open addressing cannot just clear). */
            e->expires = INT64_MIN;
            e->ts = INT64_MIN;
            u->first_expiry = INT64_MIN;
        }
    }
    fk_buf_reset(&u->undo_keys);
}

void fk_uniq_restore(struct fk_uniq *u, int32_t partition, const char *key, size_t len, int64_t ts,
                     int64_t within_ms)
{
    uint64_t h = hash_of(partition, key, len);
    struct entry *e = slot_for(u, h, partition, key, len);
    if (!e->hash || e->ts < ts) {
        set(u, e, h, partition, key, len, ts, ts + within_ms);
    }
    if (ts > u->newest) {
        u->newest = ts;
    }
}

void fk_uniq_drop_partition(struct fk_uniq *u, int32_t partition)
{
    rebuild(u, u->cap, partition);
}

size_t fk_uniq_size(const struct fk_uniq *u)
{
    return u->used;
}
