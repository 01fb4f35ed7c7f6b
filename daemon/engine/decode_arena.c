/*
 * The decoder's per-record memory for yajl. yajl allocates a handful of blocks per handle and
 * yajl 2.1 cannot reset a handle, so each record gets a fresh handle whose memory comes from
 * this arena: blocks are carved from chunks, free is a no-op and the whole arena is rewound
 * before the next record. A warm decoder therefore does not call malloc. One arena per
 * decoder, and a decoder per thread: no locks.
 */
#include "engine/decode_internal.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

struct arena_hdr {
    size_t size;
    size_t pad;
};

static size_t align_up(size_t n)
{
    return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

static struct chunk *chunk_new(size_t cap)
{
    struct chunk *c = fk_malloc(sizeof *c + cap);
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    return c;
}

void *fk_rec_alloc(void *ctx, size_t sz)
{
    struct fk_decoder *d = ctx;
    size_t need = sizeof(struct arena_hdr) + align_up(sz);
    struct chunk *c = d->cur;
    while (c->cap - c->used < need) {
        if (!c->next) {
            c->next = chunk_new(need > ARENA_CHUNK ? need : ARENA_CHUNK);
        }
        c = c->next;
    }
    d->cur = c;
    struct arena_hdr *hdr = (struct arena_hdr *)((unsigned char *)c->data + c->used);
    hdr->size = sz;
    c->used += need;
    d->last_alloc = hdr + 1;
    return hdr + 1;
}

static void *arena_realloc(void *ctx, void *p, size_t sz)
{
    struct fk_decoder *d = ctx;
    if (!p) {
        return fk_rec_alloc(ctx, sz);
    }
    struct arena_hdr *hdr = (struct arena_hdr *)p - 1;
    size_t old = hdr->size;
    if (p == d->last_alloc) {
        /* The newest block can grow in place while its chunk has room. */
        struct chunk *c = d->cur;
        size_t start = (size_t)((unsigned char *)hdr - (unsigned char *)c->data);
        size_t need = sizeof(struct arena_hdr) + align_up(sz);
        if (c->cap - start >= need) {
            c->used = start + need;
            hdr->size = sz;
            return p;
        }
    }
    void *q = fk_rec_alloc(ctx, sz);
    memcpy(q, p, old < sz ? old : sz);
    return q;
}

static void arena_free(void *ctx, void *p)
{
    (void)ctx;
    (void)p;
}

/* A record outgrew the first chunk: merge the chunks into one that fits it, so the next
 * records of that size need no new chunk and leave no gaps. */
void fk_rec_arena_merge(struct fk_decoder *d)
{
    size_t total = 0;
    struct chunk *c = d->chunks;
    while (c) {
        struct chunk *next = c->next;
        total += c->cap;
        free(c);
        c = next;
    }
    d->chunks = chunk_new(total);
}

void fk_rec_arena_init(struct fk_decoder *d)
{
    d->chunks = chunk_new(ARENA_CHUNK);
    d->cur = d->chunks;
    d->afs.malloc = fk_rec_alloc;
    d->afs.realloc = arena_realloc;
    d->afs.free = arena_free;
    d->afs.ctx = d;
}

void fk_rec_arena_free(struct fk_decoder *d)
{
    while (d->chunks) {
        struct chunk *next = d->chunks->next;
        free(d->chunks);
        d->chunks = next;
    }
}
