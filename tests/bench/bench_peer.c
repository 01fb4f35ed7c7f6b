/*
 * bench_peer: the measuring side of make bench-peer (tests/bench/peer.sh), for the dq group and
 * its Kafka Streams peer alike, so both are measured by the same code.
 *
 *   bench_peer watch BROKERS GROUP TOPIC T0_MS PID BROKER_PID TIMEOUT_S
 *   bench_peer latency BROKERS IN OUT RATE SECONDS TIMEOUT_S
 *
 * watch: polls GROUP's committed offsets on TOPIC every 50 ms until they reach TOPIC's end
 * offsets (under exactly-once the offsets are committed in the same transaction as the output,
 * so this is the moment the last output record is visible to a read_committed reader). T0_MS is
 * the wall clock (ms since the epoch) at which PID, the processor, was started. At half of the
 * input and at the end it reads utime+stime of PID and of BROKER_PID from /proc, and VmHWM of
 * PID at the end. Prints one line of key=value: the whole run counts from T0_MS and from zero
 * CPU for PID (a fresh process) and the broker's CPU from the start of this tool; "warm" is the
 * second half of the input alone.
 *
 * latency: produces RATE records/s for SECONDS into IN (Kafka timestamp = send time; the name
 * field carries the send time too, see lat_record) while it reads OUT from the beginning,
 * read_committed, and takes for each output record the wall clock at its arrival minus its
 * input's send time, read from its NAME; prints p50/p99/max of all and of the second half (by
 * arrival), and how many outputs do not carry their input's timestamp. Fails when not every
 * record came out within TIMEOUT_S.
 *
 * Both poll at most 50 ms apart and stop by themselves at TIMEOUT_S.
 */
#include <librdkafka/rdkafka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* utime+stime of PID in seconds, every thread included; -1 when it is gone. */
static double cpu_s(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the command name may hold spaces and parentheses: fields are counted after the last ')' */
    char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) {
        return -1;
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* VmHWM of PID in kB; -1 when it is gone. */
static long hwm_kb(long pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) {
            break;
        }
    }
    fclose(f);
    return kb;
}

static rd_kafka_t *client(const char *brokers, const char *group, int read_committed)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "isolation.level",
                          read_committed ? "read_committed" : "read_uncommitted", errstr,
                          sizeof errstr)) {
        fprintf(stderr, "bench_peer: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "bench_peer: %s\n", errstr);
    }
    return rk;
}

/* Every partition of TOPIC, with its end offset in .offset when ends is set. */
static rd_kafka_topic_partition_list_t *partitions(rd_kafka_t *rk, const char *topic, int ends)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (err || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt == 0) {
        fprintf(stderr, "bench_peer: no metadata for %s: %s\n", topic,
                rd_kafka_err2str(err             ? err
                                 : md->topic_cnt ? md->topics[0].err
                                                 : RD_KAFKA_RESP_ERR_UNKNOWN));
        if (md) {
            rd_kafka_metadata_destroy(md);
        }
        return NULL;
    }
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int i = 0; i < md->topics[0].partition_cnt; i++) {
        int64_t lo, hi = 0;
        int32_t id = md->topics[0].partitions[i].id;
        if (ends && (err = rd_kafka_query_watermark_offsets(rk, topic, id, &lo, &hi, 10000))) {
            fprintf(stderr, "bench_peer: end offset of %s [%d]: %s\n", topic, id,
                    rd_kafka_err2str(err));
            rd_kafka_topic_partition_list_destroy(parts);
            rd_kafka_metadata_destroy(md);
            return NULL;
        }
        rd_kafka_topic_partition_list_add(parts, topic, id)->offset =
            ends ? hi : RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_metadata_destroy(md);
    return parts;
}

static int watch(char **argv)
{
    const char *brokers = argv[0], *group = argv[1], *topic = argv[2];
    int64_t t0 = atoll(argv[3]);
    long pid = atol(argv[4]), bpid = atol(argv[5]);
    int64_t deadline = now_ms() + 1000 * atoll(argv[6]);
    double b0 = cpu_s(bpid);
    if (b0 < 0 || cpu_s(pid) < 0) {
        fprintf(stderr, "bench_peer: process %ld or broker %ld not running\n", pid, bpid);
        return 1;
    }
    rd_kafka_t *rk = client(brokers, group, 0);
    if (!rk) {
        return 1;
    }
    rd_kafka_topic_partition_list_t *ends = partitions(rk, topic, 1);
    if (!ends) {
        rd_kafka_destroy(rk);
        return 1;
    }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_copy(ends);
    int64_t target = 0, done = 0, t_half = 0, t_end = 0;
    for (int i = 0; i < ends->cnt; i++) {
        target += ends->elems[i].offset;
    }
    double p_half = 0, b_half = 0, p_end = 0, b_end = 0;
    int rc = 1;
    while (now_ms() < deadline) {
        int64_t t = now_ms();
        rd_kafka_resp_err_t err = rd_kafka_committed(rk, parts, 5000);
        if (!err) {
            done = 0;
            for (int i = 0; i < parts->cnt; i++) {
                /* no commit yet reads as RD_KAFKA_OFFSET_INVALID */
                if (parts->elems[i].offset > 0) {
                    done += parts->elems[i].offset;
                }
            }
        }
        if (!t_half && 2 * done >= target) {
            t_half = t;
            p_half = cpu_s(pid);
            b_half = cpu_s(bpid);
        }
        if (done >= target) {
            t_end = t;
            p_end = cpu_s(pid);
            b_end = cpu_s(bpid);
            long kb = hwm_kb(pid);
            if (p_end < 0 || b_end < 0 || kb < 0) {
                fprintf(stderr, "bench_peer: process %ld or broker %ld ended\n", pid, bpid);
                break;
            }
            double n = (double)target, m = (double)target / 1e6,
                   h = (double)(target - target / 2) / 1e6;
            printf("records=%lld seconds=%.2f rate=%.0f warm_rate=%.0f cpu_per_m=%.2f "
                   "warm_cpu_per_m=%.2f "
                   "broker_per_m=%.2f warm_broker_per_m=%.2f hwm_mb=%.0f\n",
                   (long long)target, (double)(t_end - t0) / 1000, n * 1000 / (double)(t_end - t0),
                   h * 1e6 * 1000 / (double)(t_end > t_half ? t_end - t_half : 1), p_end / m,
                   (p_end - p_half) / h, (b_end - b0) / m, (b_end - b_half) / h, (double)kb / 1024);
            rc = 0;
            break;
        }
        if (cpu_s(pid) < 0) {
            fprintf(stderr, "bench_peer: process %ld ended with %lld of %lld records committed\n",
                    pid, (long long)done, (long long)target);
            break;
        }
        int64_t pause = 50 - (now_ms() - t);
        if (pause > 0) {
            usleep((useconds_t)pause * 1000);
        }
    }
    if (rc && done < target) {
        fprintf(stderr, "bench_peer: %s committed %lld of %lld records of %s in time\n", group,
                (long long)done, (long long)target, topic);
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_topic_partition_list_destroy(ends);
    rd_kafka_destroy(rk);
    return rc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank percentile Q of the N sorted values V. */
static int64_t pct(const int64_t *v, size_t n, double q)
{
    size_t r = (size_t)(q * (double)n + 0.999999);
    return v[r ? r - 1 : 0];
}

/* Delivery failures of the latency producer: any one spoils the run. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    (void)rk;
    if (rkm->err) {
        fprintf(stderr, "bench_peer: delivery failed: %s\n", rd_kafka_err2str(rkm->err));
        (*(int *)opaque)++;
    }
}

static rd_kafka_t *producer(const char *brokers, int *failed)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* the generator's producer settings (daemon/gen/generator.c) */
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr)) {
        fprintf(stderr, "bench_peer: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, failed);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "bench_peer: %s\n", errstr);
    }
    return rk;
}

/*
 * One record of the latency run: a registration like the generator's whose name carries its
 * send time and sequence number, so the output's NAME tells when its input was sent whatever
 * timestamp the processor gives the output. dob and job go through all three CASE branches.
 */
static int lat_record(char *buf, size_t size, int64_t sent, long seq)
{
    static const char *const jobs[] = {"Academic librarian", "Arboriculturist",
                                       "Chemical engineer"};
    return snprintf(
        buf, size,
        "{\"name\": \"lat-%lld-%ld\", \"address\": \"%ld Oak Street\\nSpringfield, IL 62704\", "
        "\"phone\": \"217-555-%04ld\", \"job\": \"%s\", \"email\": \"c%ld@example.com\", "
        "\"dob\": \"%s\", \"created_at\": \"2026-11-24T23:59:00.000Z\"}",
        (long long)sent, seq, seq % 1000, seq % 10000, jobs[seq % 3], seq,
        seq % 5 == 0 ? "1975-03-02" : "1990-05-17");
}

static int latency(char **argv)
{
    const char *brokers = argv[0], *in = argv[1], *out = argv[2];
    double rate = atof(argv[3]);
    size_t count = (size_t)(rate * atof(argv[4])), n = 0, sent_n = 0;
    long ts_other = 0;
    int failed = 0;
    char group[64], val[512], key[64];
    /* a group of its own, never committed: it only names the reader */
    snprintf(group, sizeof group, "bench-peer-latency-%ld", (long)getpid());
    rd_kafka_t *rk = client(brokers, group, 1);
    rd_kafka_t *prk = producer(brokers, &failed);
    rd_kafka_topic_partition_list_t *parts = rk ? partitions(rk, out, 0) : NULL;
    int64_t *lat = calloc(count ? count : 1, sizeof *lat);
    int rc = 1;
    if (!rk || !prk || !parts || !lat || rate <= 0) {
        goto done;
    }
    rd_kafka_assign(rk, parts);
    int64_t t0 = now_ms() + 500, deadline = t0 + 1000 * atoll(argv[5]);
    while (n < count && now_ms() < deadline && !failed) {
        /* every record that is due, then read the output until the next one is */
        int64_t t = now_ms();
        while (sent_n < count && t0 + (int64_t)((double)sent_n * 1000 / rate) <= t) {
            int len = lat_record(val, sizeof val, t, (long)sent_n);
            snprintf(key, sizeof key, "c%zu@example.com", sent_n);
            rd_kafka_resp_err_t err = rd_kafka_producev(
                prk, RD_KAFKA_V_TOPIC(in), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_VALUE(val, (size_t)len), RD_KAFKA_V_KEY(key, strlen(key)),
                RD_KAFKA_V_TIMESTAMP(t), RD_KAFKA_V_END);
            if (err) {
                fprintf(stderr, "bench_peer: produce: %s\n", rd_kafka_err2str(err));
                goto done;
            }
            sent_n++;
        }
        rd_kafka_poll(prk, 0);
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 1);
        if (!rkm) {
            continue;
        }
        const char *p = rkm->payload && rkm->len > 12
                            ? memmem(rkm->payload, rkm->len, "\"NAME\":\"lat-", 12)
                            : NULL;
        if (!rkm->err && p && n < count) {
            int64_t at = now_ms(), sent = strtoll(p + 12, NULL, 10);
            lat[n++] = at - sent;
            ts_other += rd_kafka_message_timestamp(rkm, NULL) != sent;
        } else if (!rkm->err) {
            fprintf(stderr, "bench_peer: an output record of %s without a latency name\n", out);
        } else if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            fprintf(stderr, "bench_peer: %s\n", rd_kafka_message_errstr(rkm));
        }
        rd_kafka_message_destroy(rkm);
    }
    rc = n == count && !failed ? 0 : 1;
    if (rc) {
        fprintf(stderr, "bench_peer: %zu of %zu records sent, %zu came out in %s in time\n", sent_n,
                count, n, out);
    }
    if (n >= 2) {
        size_t h = n / 2;
        qsort(lat + h, n - h, sizeof *lat, cmp_i64); /* the second half first, while apart */
        int64_t w50 = pct(lat + h, n - h, 0.50), w99 = pct(lat + h, n - h, 0.99), wmax = lat[n - 1];
        qsort(lat, n, sizeof *lat, cmp_i64);
        /* timestamp_not_input: outputs whose Kafka timestamp is not their input's (ksqlDB
         * writes the input's) */
        printf("records=%zu p50_ms=%lld p99_ms=%lld max_ms=%lld warm_p50_ms=%lld warm_p99_ms=%lld "
               "warm_max_ms=%lld timestamp_not_input=%ld\n",
               n, (long long)pct(lat, n, 0.50), (long long)pct(lat, n, 0.99), (long long)lat[n - 1],
               (long long)w50, (long long)w99, (long long)wmax, ts_other);
    }
done:
    if (parts) {
        rd_kafka_topic_partition_list_destroy(parts);
    }
    if (prk) {
        rd_kafka_flush(prk, 10000);
        rd_kafka_destroy(prk);
    }
    if (rk) {
        rd_kafka_destroy(rk);
    }
    free(lat);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 9 && strcmp(argv[1], "watch") == 0) {
        return watch(argv + 2);
    }
    if (argc == 8 && strcmp(argv[1], "latency") == 0) {
        return latency(argv + 2);
    }
    fprintf(stderr, "usage: bench_peer watch BROKERS GROUP TOPIC T0_MS PID BROKER_PID TIMEOUT_S\n"
                    "       bench_peer latency BROKERS IN OUT RATE SECONDS TIMEOUT_S\n");
    return 64;
}
