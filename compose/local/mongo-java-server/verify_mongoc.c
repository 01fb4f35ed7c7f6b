/* libmongoc against a MongoDB-wire server: ping, unordered bulk inserts (incl. duplicate keys
 * across the server's maxWriteBatchSize split), conditional replace upserts, an _id $in read.
 *
 *   cc -O2 -o verify_mongoc verify_mongoc.c $(pkg-config --cflags --libs libmongoc-1.0)
 *   ./verify_mongoc [URI]          (default mongodb://127.0.0.1:47018/)
 *
 * Uses database fk_verify_c (dropped first and at the end). Prints the server replies as
 * libmongoc summarises them, KNOWN-INCOMPATIBILITY lines for what holds on MongoDB but not on
 * mongo-java-server 1.47.0 (not counted as failures), and a closing "N passed, N failed" line.
 */
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <time.h>

static int passed, failed, known;

static void check(const char *name, bool ok, const char *detail) {
    if (ok) passed++; else failed++;
    printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, detail ? ": " : "", detail ? detail : "");
    fflush(stdout);
}

/* a check that holds on MongoDB but is known not to on mongo-java-server: reported, not failed */
static void check_known(const char *name, bool ok, const char *detail) {
    if (ok) { check(name, ok, detail); return; }
    known++;
    printf("KNOWN-INCOMPATIBILITY %s: %s\n", name, detail);
    fflush(stdout);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int32_t get_i32(const bson_t *reply, const char *key) {
    bson_iter_t it;
    return bson_iter_init_find(&it, reply, key) ? bson_iter_as_int64(&it) : -1;
}

/* "[index:code,...]" of reply.writeErrors */
static void write_errors(const bson_t *reply, char *out, size_t len) {
    bson_iter_t it, arr, e;
    size_t o = 0;
    out[0] = '\0';
    o += snprintf(out + o, len - o, "[");
    if (bson_iter_init_find(&it, reply, "writeErrors") && bson_iter_recurse(&it, &arr)) {
        while (bson_iter_next(&arr) && bson_iter_recurse(&arr, &e)) {
            int idx = -1, code = -1;
            while (bson_iter_next(&e)) {
                if (!strcmp(bson_iter_key(&e), "index")) idx = bson_iter_as_int64(&e);
                if (!strcmp(bson_iter_key(&e), "code")) code = bson_iter_as_int64(&e);
            }
            o += snprintf(out + o, len - o, "%s%d:%d", o > 1 ? "," : "", idx, code);
            if (o >= len) break;
        }
    }
    if (o < len) snprintf(out + o, len - o, "]");
}

static void key(char *buf, size_t len, const char *prefix, int i) {
    snprintf(buf, len, "%s%07d", prefix, i);
}

/* unordered bulk insert of ids [from, to) plus optional extra duplicate _ids; returns reply */
static bool bulk_insert(mongoc_collection_t *coll, int from, int to, const int *dups, int ndups,
                        bson_t *reply, bson_error_t *err, double *secs) {
    bson_t opts = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&opts, "ordered", false);
    mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts(coll, &opts);
    char id[32];
    int d = 0;
    for (int i = from; i < to; i++) {
        while (d < ndups && dups[d] == i) { /* re-insert an existing _id right here */
            bson_t doc = BSON_INITIALIZER;
            key(id, sizeof id, "c", 0);
            BSON_APPEND_UTF8(&doc, "_id", id);
            mongoc_bulk_operation_insert_with_opts(bulk, &doc, NULL, NULL);
            bson_destroy(&doc);
            d++;
        }
        bson_t doc = BSON_INITIALIZER;
        key(id, sizeof id, "c", i);
        BSON_APPEND_UTF8(&doc, "_id", id);
        BSON_APPEND_INT32(&doc, "versions", 1);
        BSON_APPEND_INT32(&doc, "n", i);
        BSON_APPEND_UTF8(&doc, "s", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        mongoc_bulk_operation_insert_with_opts(bulk, &doc, NULL, NULL);
        bson_destroy(&doc);
    }
    double t0 = now();
    bool ok = mongoc_bulk_operation_execute(bulk, reply, err) != 0;
    *secs = now() - t0;
    mongoc_bulk_operation_destroy(bulk);
    bson_destroy(&opts);
    return ok;
}

int main(int argc, char **argv) {
    const char *uri_s = argc > 1 ? argv[1] : "mongodb://127.0.0.1:47018/";
    char detail[1024], errs[256], id[32];
    bson_error_t err;
    bson_t reply;
    double secs;

    mongoc_init();
    mongoc_client_t *client = mongoc_client_new(uri_s);
    if (!client) { fprintf(stderr, "bad URI %s\n", uri_s); return 2; }
    mongoc_client_set_appname(client, "fk-verify-mongoc");
    printf("libmongoc %s, %s\n", mongoc_get_version(), uri_s);

    /* ping */
    bson_t *ping = BCON_NEW("ping", BCON_INT32(1));
    bool ok = mongoc_client_command_simple(client, "admin", ping, NULL, &reply, &err);
    snprintf(detail, sizeof detail, "%s", ok ? "ok" : err.message);
    check("ping", ok, detail);
    bson_destroy(&reply);
    bson_destroy(ping);
    if (!ok) return 1;

    mongoc_database_t *db = mongoc_client_get_database(client, "fk_verify_c");
    mongoc_database_drop(db, NULL);
    mongoc_collection_t *coll = mongoc_client_get_collection(client, "fk_verify_c", "docs");

    /* 1. unordered bulk insert of 1000 docs */
    ok = bulk_insert(coll, 0, 1000, NULL, 0, &reply, &err, &secs);
    snprintf(detail, sizeof detail, "nInserted %d in %.3fs (%.300s)", get_i32(&reply, "nInserted"), secs,
             ok ? "no error" : err.message);
    check("unordered bulk insert 1000", ok && get_i32(&reply, "nInserted") == 1000, detail);
    bson_destroy(&reply);

    /* 2. 20000 more in one bulk (the server says maxWriteBatchSize 1000: libmongoc splits it) */
    ok = bulk_insert(coll, 1000, 21000, NULL, 0, &reply, &err, &secs);
    snprintf(detail, sizeof detail, "nInserted %d in %.3fs = %.0f docs/s", get_i32(&reply, "nInserted"), secs,
             20000 / secs);
    check("unordered bulk insert 20000", ok && get_i32(&reply, "nInserted") == 20000, detail);
    bson_destroy(&reply);

    /* 3. unordered bulk of 3000 new docs with 2 duplicate _ids placed at bulk positions 10 and 2501
     *    (i.e. in the 1st and 3rd server batch): expect writeErrors at 10 and 2501, nInserted 3000 */
    int dups[] = {21010, 23500};
    ok = bulk_insert(coll, 21000, 24000, dups, 2, &reply, &err, &secs);
    write_errors(&reply, errs, sizeof errs);
    bson_error_t bulk_err = err;
    int64_t count = mongoc_collection_count_documents(coll, &(bson_t)BSON_INITIALIZER, NULL, NULL, NULL, &err);
    snprintf(detail, sizeof detail, "bson_error domain %u code %u; writeErrors (index:code) %s; nInserted %d; "
             "collection now holds %lld (expected 24000)", bulk_err.domain, bulk_err.code, errs,
             get_i32(&reply, "nInserted"), (long long) count);
    check("unordered bulk with 2 duplicate _ids -> 11000 at indexes 10 and 2501",
          !ok && !strcmp(errs, "[10:11000,2501:11000]") && count == 24000, detail);
    check_known("nInserted counts only the inserted docs (3000)", get_i32(&reply, "nInserted") == 3000, detail);
    bson_destroy(&reply);

    /* 4. conditional replace upserts {_id:k, versions:1}: k=c0000001 matches (versions 1 -> 2),
     *    a new key is upserted, then k=c0000001 again with the now stale versions:1 -> E11000 */
    bson_t opts = BSON_INITIALIZER, ropts = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&opts, "ordered", false);
    BSON_APPEND_BOOL(&ropts, "upsert", true);
    mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts(coll, &opts);
    const char *keys[] = {"c0000001", "new-0000001", "c0000001", "c0000002"};
    for (int i = 0; i < 4; i++) {
        bson_t *sel = BCON_NEW("_id", BCON_UTF8(keys[i]), "versions", BCON_INT32(1));
        bson_t *doc = BCON_NEW("_id", BCON_UTF8(keys[i]), "versions", BCON_INT32(2));
        mongoc_bulk_operation_replace_one_with_opts(bulk, sel, doc, &ropts, NULL);
        bson_destroy(sel);
        bson_destroy(doc);
    }
    ok = mongoc_bulk_operation_execute(bulk, &reply, &err) != 0;
    write_errors(&reply, errs, sizeof errs);
    char *js = bson_as_relaxed_extended_json(&reply, NULL);
    snprintf(detail, sizeof detail, "nMatched %d nModified %d nUpserted %d writeErrors %s",
             get_i32(&reply, "nMatched"), get_i32(&reply, "nModified"), get_i32(&reply, "nUpserted"), errs);
    check("conditional replace upserts: match, upsert, stale -> 11000 at index 2",
          !ok && get_i32(&reply, "nMatched") == 2 && get_i32(&reply, "nUpserted") == 1 &&
              !strcmp(errs, "[2:11000]"), detail);
    printf("     reply: %.400s\n", js);
    bson_free(js);
    bson_destroy(&reply);
    mongoc_bulk_operation_destroy(bulk);
    bson_destroy(&opts);
    bson_destroy(&ropts);

    /* 5. the sink's pattern: one unordered bulk mixing replace_one without upsert, conditioned on
     *    {_id, versions}, and inserts of new keys. Ops: 0 replace c0000003 v1 (matches),
     *    1 insert new-0000002, 2 replace c0000001 v1 (stale: it is v2 now), 3 insert c0000004 (exists)
     *    -> nMatched 1 (< 2 replaces: a conflict), writeErrors [3:11000], nInserted 1 */
    opts = (bson_t) BSON_INITIALIZER;
    BSON_APPEND_BOOL(&opts, "ordered", false);
    bulk = mongoc_collection_create_bulk_operation_with_opts(coll, &opts);
    {
        bson_t *sel = BCON_NEW("_id", BCON_UTF8("c0000003"), "versions", BCON_INT32(1));
        bson_t *doc = BCON_NEW("_id", BCON_UTF8("c0000003"), "versions", BCON_INT32(2));
        mongoc_bulk_operation_replace_one_with_opts(bulk, sel, doc, NULL, NULL);
        bson_destroy(sel);
        bson_destroy(doc);
        doc = BCON_NEW("_id", BCON_UTF8("new-0000002"), "versions", BCON_INT32(1));
        mongoc_bulk_operation_insert(bulk, doc);
        bson_destroy(doc);
        sel = BCON_NEW("_id", BCON_UTF8("c0000001"), "versions", BCON_INT32(1));
        doc = BCON_NEW("_id", BCON_UTF8("c0000001"), "versions", BCON_INT32(3));
        mongoc_bulk_operation_replace_one_with_opts(bulk, sel, doc, NULL, NULL);
        bson_destroy(sel);
        bson_destroy(doc);
        doc = BCON_NEW("_id", BCON_UTF8("c0000004"), "versions", BCON_INT32(1));
        mongoc_bulk_operation_insert(bulk, doc);
        bson_destroy(doc);
    }
    ok = mongoc_bulk_operation_execute(bulk, &reply, &err) != 0;
    write_errors(&reply, errs, sizeof errs);
    snprintf(detail, sizeof detail, "nMatched %d nModified %d nInserted %d writeErrors %s",
             get_i32(&reply, "nMatched"), get_i32(&reply, "nModified"), get_i32(&reply, "nInserted"), errs);
    check("mixed bulk: conditional replaces (no upsert) + inserts, one stale, one duplicate",
          !ok && get_i32(&reply, "nMatched") == 1 && get_i32(&reply, "nModified") == 1 &&
              !strcmp(errs, "[3:11000]"), detail);
    check_known("mixed bulk nInserted counts only the inserted doc (1)", get_i32(&reply, "nInserted") == 1, detail);
    bson_destroy(&reply);
    mongoc_bulk_operation_destroy(bulk);
    bson_destroy(&opts);

    /* 6. 20000 replace_one(upsert) in one unordered bulk: c0014000..c0023999 exist, c0024000..c0033999 are new */
    opts = (bson_t) BSON_INITIALIZER;
    BSON_APPEND_BOOL(&opts, "ordered", false);
    ropts = (bson_t) BSON_INITIALIZER;
    BSON_APPEND_BOOL(&ropts, "upsert", true);
    bulk = mongoc_collection_create_bulk_operation_with_opts(coll, &opts);
    for (int i = 14000; i < 34000; i++) {
        key(id, sizeof id, "c", i);
        bson_t *sel = BCON_NEW("_id", BCON_UTF8(id));
        bson_t *doc = BCON_NEW("_id", BCON_UTF8(id), "versions", BCON_INT32(2), "n", BCON_INT32(i),
                               "s", BCON_UTF8("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
        mongoc_bulk_operation_replace_one_with_opts(bulk, sel, doc, &ropts, NULL);
        bson_destroy(sel);
        bson_destroy(doc);
    }
    double t1 = now();
    ok = mongoc_bulk_operation_execute(bulk, &reply, &err) != 0;
    secs = now() - t1;
    int up_ok = 0, up_n = 0;
    {
        bson_iter_t it, arr, e;
        if (bson_iter_init_find(&it, &reply, "upserted") && bson_iter_recurse(&it, &arr)) {
            while (bson_iter_next(&arr) && bson_iter_recurse(&arr, &e)) {
                int64_t idx = -1;
                const char *uid = NULL;
                while (bson_iter_next(&e)) {
                    if (!strcmp(bson_iter_key(&e), "index")) idx = bson_iter_as_int64(&e);
                    if (!strcmp(bson_iter_key(&e), "_id") && BSON_ITER_HOLDS_UTF8(&e)) uid = bson_iter_utf8(&e, NULL);
                }
                key(id, sizeof id, "c", 14000 + (int) idx);
                up_n++;
                up_ok += uid && idx >= 10000 && !strcmp(uid, id);
            }
        }
    }
    snprintf(detail, sizeof detail, "nMatched %d nModified %d nUpserted %d, %d/%d upserted[] entries at the "
             "right bulk index; %.3fs = %.0f docs/s", get_i32(&reply, "nMatched"), get_i32(&reply, "nModified"),
             get_i32(&reply, "nUpserted"), up_ok, up_n, secs, 20000 / secs);
    check("bulk 20000 replace_one upsert (10000 existing, 10000 new)",
          ok && get_i32(&reply, "nMatched") == 10000 && get_i32(&reply, "nUpserted") == 10000 &&
              up_n == 10000 && up_ok == 10000, detail);
    bson_destroy(&reply);
    mongoc_bulk_operation_destroy(bulk);
    bson_destroy(&opts);
    bson_destroy(&ropts);

    /* 7. find {_id: {$in: [1000 ids]}} */
    bson_t filter = BSON_INITIALIZER, in_doc, arr;
    BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &in_doc);
    BSON_APPEND_ARRAY_BEGIN(&in_doc, "$in", &arr);
    for (int i = 0; i < 1000; i++) {
        char idx[16];
        const char *ik;
        bson_uint32_to_string(i, &ik, idx, sizeof idx);
        key(id, sizeof id, "c", i * 24);
        bson_append_utf8(&arr, ik, -1, id, -1);
    }
    bson_append_array_end(&in_doc, &arr);
    bson_append_document_end(&filter, &in_doc);
    double t0 = now();
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &filter, NULL, NULL);
    const bson_t *d;
    int n = 0;
    while (mongoc_cursor_next(cur, &d)) n++;
    ok = !mongoc_cursor_error(cur, &err);
    snprintf(detail, sizeof detail, "%d docs in %.1f ms%s%.300s", n, (now() - t0) * 1000, ok ? "" : ", ",
             ok ? "" : err.message);
    check("find _id $in 1000", ok && n == 1000, detail);
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);

    mongoc_database_drop(db, NULL);
    mongoc_collection_destroy(coll);
    mongoc_database_destroy(db);
    mongoc_client_destroy(client);
    mongoc_cleanup();
    if (known) printf("%d known incompatibilities (KNOWN-INCOMPATIBILITY lines above)\n", known);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
