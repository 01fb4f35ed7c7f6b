/*
 * A hash table of (partition, "rule\nkey") -> (last seen, expiry), in two arrays:
 *   - the slots, 8 bytes each (32 bits of the hash and where the entry is), open addressing
 *     with linear probing, at most half full. They are all a lookup touches unless the hash
 *     matches, and they stay small enough for the CPU's caches at a million keys, where one
 *     cache miss per record would otherwise cost as much as the rest of the record's rules;
 *   - the entries, back to back in the order they were added, each its full hash, times and
 *     key in one piece, so that a duplicate costs one more cache miss, not two.
 * Growing rehashes only the slots. Expired entries are swept when the slots fill, before they
 * grow: the sweep compacts the entries, so the table holds about the keys seen within the
 * window. The undo log records each change's previous state; rollback replays it backwards.
 * Single-threaded by design (one per dq thread).
 */
#include "dq/uniq.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    uint64_t hash;
    int64_t ts;
    int64_t expires;
    uint32_t len;
    int32_t partition;
    char key[]; /* LEN bytes, then padding to 8 */
};

struct undo {
    uint64_t hash;
    int32_t partition;
    size_t key_off; /* into fk_uniq.undo_keys: one buffer, no allocation per sighting */
    size_t len;
    int existed;
    int64_t ts, expires;
};

struct fk_uniq {
    uint64_t *slots; /* 0: empty; else (hash >> 32) << 32 | (entry offset / 8 + 1) */
    size_t cap;      /* slots, a power of two */
    struct fk_buf ents; /* the entries, each 8-aligned */
    size_t used;        /* entries held, swept or not */
    int64_t newest;       /* the latest timestamp seen: entries expiring before it are garbage */
    int64_t first_expiry; /* no entry expires before this: a sweep before then frees nothing */
    struct undo *undo;
    size_t n_undo, cap_undo;
    struct fk_buf undo_keys;
};

static size_t entry_size(size_t len)
{
    return (sizeof(struct entry) + len + 7) & ~(size_t)7;
}

static struct entry *entry_at_off(const struct fk_uniq *u, size_t off)
{
    return (struct entry *)(void *)(u->ents.data + off);
}

/* 64-bit hash of (partition, key), eight bytes at a time. Never 0 in its upper half's role as
 * a tag: the slot's index half is what marks a slot used, so any value is fine. */
static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_of(int32_t partition, const char *key, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)(uint32_t)partition << 32) ^ len;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, key, 8);
        h = (h ^ w) * 0x87c37b91114253d5ULL;
        h ^= h >> 29;
        key += 8;
        len -= 8;
    }
    if (len > 0) {
        uint64_t w = 0;
        memcpy(&w, key, len);
        h = (h ^ w) * 0x87c37b91114253d5ULL;
    }
    return mix(h);
}

static uint64_t slot_value(uint64_t h, size_t off)
{
    return (h & 0xffffffff00000000ULL) | (uint64_t)(off / 8 + 1);
}

static size_t slot_off(uint64_t s)
{
    return ((size_t)(uint32_t)s - 1) * 8;
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
    fk_buf_free(&u->ents);
    free(u->undo);
    fk_buf_free(&u->undo_keys);
    free(u);
}

/* The slot that holds KEY, or the empty slot where it would go. */
static uint64_t *find(struct fk_uniq *u, uint64_t h, int32_t partition, const char *key,
                      size_t len)
{
    size_t mask = u->cap - 1;
    uint64_t tag = h & 0xffffffff00000000ULL;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint64_t s = u->slots[i];
        if (!s) {
            return &u->slots[i];
        }
        if ((s & 0xffffffff00000000ULL) == tag) {
            const struct entry *e = entry_at_off(u, slot_off(s));
            if (e->hash == h && e->partition == partition && e->len == len &&
                memcmp(e->key, key, len) == 0) {
                return &u->slots[i];
            }
        }
    }
}

static struct entry *entry_at(struct fk_uniq *u, const uint64_t *slot)
{
    return *slot ? entry_at_off(u, slot_off(*slot)) : NULL;
}

/* Slots for CAP entries' worth of table, rehashed from the entries. */
static void rehash(struct fk_uniq *u, size_t cap)
{
    free(u->slots);
    u->slots = fk_calloc(cap, sizeof *u->slots);
    u->cap = cap;
    size_t mask = cap - 1;
    for (size_t off = 0; off < u->ents.len;) {
        const struct entry *e = entry_at_off(u, off);
        size_t i = (size_t)e->hash & mask;
        while (u->slots[i]) {
            i = (i + 1) & mask;
        }
        u->slots[i] = slot_value(e->hash, off);
        off += entry_size(e->len);
    }
}

/* Drops the expired entries and those of DROP_PARTITION, compacts the entries, and rehashes
 * the slots at CAP. */
static void sweep(struct fk_uniq *u, size_t cap, int32_t drop_partition)
{
    size_t to = 0;
    u->used = 0;
    u->first_expiry = INT64_MAX;
    for (size_t off = 0; off < u->ents.len;) {
        struct entry *e = entry_at_off(u, off);
        size_t size = entry_size(e->len);
        if (e->expires >= u->newest && e->partition != drop_partition) {
            if (e->expires < u->first_expiry) {
                u->first_expiry = e->expires;
            }
            if (to != off) {
                memmove(u->ents.data + to, e, size);
            }
            to += size;
            u->used++;
        }
        off += size;
    }
    u->ents.len = to;
    rehash(u, cap);
}

static uint64_t *slot_for(struct fk_uniq *u, uint64_t h, int32_t partition, const char *key,
                          size_t len)
{
    if ((u->used + 1) * 2 > u->cap) {
        if (u->first_expiry < u->newest) {
            sweep(u, u->cap, -1); /* sweep the expired first */
        }
        /* Grow unless the sweep freed a good share: sweeping a table that stays nearly full
         * on every few inserts would cost O(cap) each time. */
        if (u->used * 8 > u->cap * 3) {
            rehash(u, u->cap * 2);
        }
    }
    return find(u, h, partition, key, len);
}

/* Sets the entry in SLOT (adding one when the slot is empty) to TS and EXPIRES. */
static void set(struct fk_uniq *u, uint64_t *slot, uint64_t h, int32_t partition, const char *key,
                size_t len, int64_t ts, int64_t expires)
{
    struct entry *e = entry_at(u, slot);
    if (!e) {
        size_t off = u->ents.len, size = entry_size(len);
        fk_buf_reserve(&u->ents, size);
        u->ents.len += size;
        e = entry_at_off(u, off);
        memset(e, 0, size);
        e->hash = h;
        e->len = (uint32_t)len;
        e->partition = partition;
        memcpy(e->key, key, len);
        *slot = slot_value(h, off);
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
static int sighting(struct fk_uniq *u, uint64_t h, int32_t partition, const char *key, size_t len,
                    int64_t ts, int64_t within_ms, int refresh)
{
    uint64_t *slot = slot_for(u, h, partition, key, len);
    struct entry *e = entry_at(u, slot);
    int dup = e && e->expires >= ts && ts >= e->ts - within_ms;
    if (dup && !refresh) {
        return 1;
    }
    if (u->n_undo == u->cap_undo) {
        u->cap_undo = u->cap_undo ? u->cap_undo * 2 : 64;
        u->undo = fk_realloc(u->undo, u->cap_undo * sizeof *u->undo);
    }
    struct undo *un = &u->undo[u->n_undo++];
    un->hash = h;
    un->partition = partition;
    un->key_off = u->undo_keys.len;
    fk_buf_append(&u->undo_keys, key, len);
    un->len = len;
    un->existed = e != NULL;
    un->ts = e ? e->ts : 0;
    un->expires = e ? e->expires : 0;
    /* Keep the latest sighting: records may arrive slightly out of timestamp order. */
    int64_t last = e && e->ts > ts ? e->ts : ts;
    set(u, slot, h, partition, key, len, last, last + within_ms);
    if (ts > u->newest) {
        u->newest = ts;
    }
    return dup;
}

uint64_t fk_uniq_prefetch(const struct fk_uniq *u, int32_t partition, const char *key,
                          size_t len)
{
    uint64_t h = hash_of(partition, key, len);
    __builtin_prefetch(&u->slots[(size_t)h & (u->cap - 1)]);
    return h;
}

void fk_uniq_prefetch_entry(const struct fk_uniq *u, uint64_t h)
{
    size_t mask = u->cap - 1;
    uint64_t tag = h & 0xffffffff00000000ULL;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint64_t s = u->slots[i];
        if (!s) {
            return;
        }
        if ((s & 0xffffffff00000000ULL) == tag) {
            __builtin_prefetch(u->ents.data + slot_off(s));
            return;
        }
    }
}

int fk_uniq_observe(struct fk_uniq *u, int32_t partition, const char *key, size_t len, int64_t ts,
                    int64_t within_ms)
{
    return sighting(u, hash_of(partition, key, len), partition, key, len, ts, within_ms, 1);
}

int fk_uniq_observe_hashed(struct fk_uniq *u, uint64_t h, int32_t partition, const char *key,
                           size_t len, int64_t ts, int64_t within_ms)
{
    return sighting(u, h, partition, key, len, ts, within_ms, 1);
}

int fk_uniq_claim(struct fk_uniq *u, int32_t partition, const char *key, size_t len, int64_t ts,
                  int64_t within_ms)
{
    return sighting(u, hash_of(partition, key, len), partition, key, len, ts, within_ms, 0);
}

void fk_uniq_each_change(struct fk_uniq *u,
                         void (*fn)(void *opaque, int32_t partition, const char *key, size_t len,
                                    int64_t ts),
                         void *opaque)
{
    for (size_t i = 0; i < u->n_undo; i++) {
        const struct undo *un = &u->undo[i];
        const char *key = undo_key(u, un);
        const struct entry *e = entry_at(u, find(u, un->hash, un->partition, key, un->len));
        /* A key seen twice in the batch is written twice with the same latest sighting;
         * the changelog is compacted, so that costs nothing worth an O(n^2) search. */
        if (e) {
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
        struct entry *e =
            entry_at(u, find(u, un->hash, un->partition, undo_key(u, un), un->len));
        if (!e) {
            continue;
        }
        if (un->existed) {
            e->ts = un->ts;
            e->expires = un->expires;
            if (un->expires < u->first_expiry) {
                u->first_expiry = un->expires;
            }
        } else {
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
    uint64_t *slot = slot_for(u, h, partition, key, len);
    const struct entry *e = entry_at(u, slot);
    if (!e || e->ts < ts) {
        set(u, slot, h, partition, key, len, ts, ts + within_ms);
    }
    if (ts > u->newest) {
        u->newest = ts;
    }
}

void fk_uniq_drop_partition(struct fk_uniq *u, int32_t partition)
{
    sweep(u, u->cap, partition);
}

size_t fk_uniq_size(const struct fk_uniq *u)
{
    return u->used;
}
