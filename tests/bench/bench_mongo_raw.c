/*
 * bench_mongo_raw: the baseline of make bench-sinks. Reads every document of DB.FROM (what a
 * sink wrote) into memory, then inserts the same documents into DB.TO with raw libmongoc
 * unordered bulk inserts of BATCH documents, timing only the inserts.
 *
 *   bench_mongo_raw URI DB FROM TO [BATCH]
 *
 * Prints "raw <n> documents in <ms> ms = <rate> documents/s". <n> is the number of documents
 * read, and DB.TO must be empty before and hold exactly <n> documents after (counted, not taken
 * from the bulk reply's nInserted, which mongo-java-server overstates): otherwise it fails.
 */
#include <mongoc/mongoc.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bench_mongo_raw URI DB FROM TO [BATCH]\n");
        return 64;
    }
    size_t batch = argc > 5 ? (size_t)atol(argv[5]) : 1000;
    mongoc_init();
    bson_error_t error;
    mongoc_client_t *client = mongoc_client_new(argv[1]);
    if (!client) {
        fprintf(stderr, "bad URI %s\n", argv[1]);
        return 64;
    }
    mongoc_collection_t *from = mongoc_client_get_collection(client, argv[2], argv[3]);
    mongoc_collection_t *to = mongoc_client_get_collection(client, argv[2], argv[4]);
    bson_t filter = BSON_INITIALIZER;
    /* mongo-java-server answers a find without batchSize with every document in one reply,
     * which libmongoc refuses above 48 MB (about 50k sandbox documents). */
    bson_t *find_opts = BCON_NEW("batchSize", BCON_INT32(1000));
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(from, &filter, find_opts, NULL);
    size_t n = 0, cap = 1024;
    bson_t **docs = malloc(cap * sizeof *docs);
    const bson_t *doc;
    while (mongoc_cursor_next(cur, &doc)) {
        if (n == cap) {
            cap *= 2;
            docs = realloc(docs, cap * sizeof *docs);
        }
        docs[n++] = bson_copy(doc);
    }
    if (mongoc_cursor_error(cur, &error)) {
        fprintf(stderr, "reading %s.%s: %s\n", argv[2], argv[3], error.message);
        return 1;
    }
    mongoc_cursor_destroy(cur);
    bson_destroy(find_opts);

    int64_t before = mongoc_collection_count_documents(to, &filter, NULL, NULL, NULL, &error);
    if (before != 0) {
        fprintf(stderr, "%s.%s is not empty (%lld documents%s%s)\n", argv[2], argv[4],
                (long long)before, before < 0 ? ": " : "", before < 0 ? error.message : "");
        return 1;
    }

    int64_t t0 = now_us();
    bson_t opts = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&opts, "ordered", false);
    for (size_t i = 0; i < n; i += batch) {
        mongoc_bulk_operation_t *bulk =
            mongoc_collection_create_bulk_operation_with_opts(to, &opts);
        for (size_t k = i; k < n && k < i + batch; k++) {
            mongoc_bulk_operation_insert(bulk, docs[k]);
        }
        bson_t reply;
        if (!mongoc_bulk_operation_execute(bulk, &reply, &error)) {
            fprintf(stderr, "insert: %s\n", error.message);
            return 1;
        }
        bson_destroy(&reply);
        mongoc_bulk_operation_destroy(bulk);
    }
    int64_t us = now_us() - t0;
    int64_t after = mongoc_collection_count_documents(to, &filter, NULL, NULL, NULL, &error);
    if (after != (int64_t)n) {
        fprintf(stderr, "%s.%s holds %lld documents after inserting %zu%s%s\n", argv[2], argv[4],
                (long long)after, n, after < 0 ? ": " : "", after < 0 ? error.message : "");
        return 1;
    }
    printf("raw %zu documents in %lld ms = %.0f documents/s\n", n, (long long)((us + 500) / 1000),
           us > 0 ? (double)n * 1e6 / (double)us : 0.0);
    for (size_t i = 0; i < n; i++) {
        bson_destroy(docs[i]);
    }
    free(docs);
    bson_destroy(&opts);
    mongoc_collection_destroy(from);
    mongoc_collection_destroy(to);
    mongoc_client_destroy(client);
    mongoc_cleanup();
    return 0;
}
