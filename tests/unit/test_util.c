/*
 * Date arithmetic, ISO-8601 formatting and parsing, the byte buffer, the edit distance.
 */
#include "harness.h"
#include "util.h"

#include <stdlib.h>

static void civil_days_round_trip(void)
{
    CHECK_INT_EQ(fk_days_from_civil(1970, 1, 1), 0);
    CHECK_INT_EQ(fk_days_from_civil(2000, 3, 1), 11017);
    CHECK_INT_EQ(fk_days_from_civil(1969, 12, 31), -1);
    for (int64_t d = -800000; d < 800000; d += 97) {
        int y;
        unsigned m, dd;
        fk_civil_from_days(d, &y, &m, &dd);
        CHECK_INT_EQ(fk_days_from_civil(y, m, dd), d);
    }
}

static void iso8601_format(void)
{
    char out[25];
    fk_iso8601_ms(0, out);
    CHECK_STR_EQ(out, "1970-01-01T00:00:00.000Z");
    fk_iso8601_ms(1767225600123LL, out);
    CHECK_STR_EQ(out, "2026-01-01T00:00:00.123Z");
    fk_iso8601_ms(951782400000LL + 86399999LL, out);
    CHECK_STR_EQ(out, "2000-02-29T23:59:59.999Z");
}

static void iso8601_parse(void)
{
    int64_t ms;
    CHECK_INT_EQ(fk_parse_iso8601("2026-01-01T00:00:00Z", &ms), 0);
    CHECK_INT_EQ(ms, 1767225600000LL);
    CHECK_INT_EQ(fk_parse_iso8601("2026-01-01T00:00:00.5Z", &ms), 0);
    CHECK_INT_EQ(ms, 1767225600500LL);
    CHECK_INT_EQ(fk_parse_iso8601("1979-12-31", &ms), 0);
    CHECK_INT_EQ(ms, 315446400000LL);
    static const char *const bad[] = {"",
                                      "31/12/1979",
                                      "N/A",
                                      "1979-13-01",
                                      "2023-02-29",
                                      "2023-02-30",
                                      "1979-12-31x",
                                      "2026-01-01T25:00:00Z",
                                      "2026-01-01T00:00Z",
                                      "19791231"};
    for (size_t i = 0; i < FK_ARRAY_SIZE(bad); i++) {
        if (fk_parse_iso8601(bad[i], &ms) != -1) {
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
            CHECK(0);
        }
    }
}

static void buffer_grows(void)
{
    struct fk_buf b;
    fk_buf_init(&b);
    for (int i = 0; i < 1000; i++) {
        fk_buf_printf(&b, "%d,", i);
    }
    CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
    CHECK_INT_EQ(b.len, strlen(b.data));
    fk_buf_reset(&b);
    CHECK_INT_EQ(b.len, 0);
    fk_buf_puts(&b, "x");
    CHECK_STR_EQ(b.data, "x");
    fk_buf_free(&b);
}

static void edit_distance(void)
{
    CHECK_INT_EQ(fk_levenshtein("rate", "rtae"), 2);
    CHECK_INT_EQ(fk_levenshtein("rate", "rate"), 0);
    CHECK_INT_EQ(fk_levenshtein("", "abc"), 3);
    CHECK_INT_EQ(fk_levenshtein("generator", "genrator"), 1);
}

int main(void)
{
    FK_TEST_RUN(civil_days_round_trip);
    FK_TEST_RUN(iso8601_format);
    FK_TEST_RUN(iso8601_parse);
    FK_TEST_RUN(buffer_grows);
    FK_TEST_RUN(edit_distance);
    return fk_test_finish();
}
