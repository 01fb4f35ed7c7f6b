/*
 * A small in-house test harness. Each test program calls FK_TEST_RUN() for its cases
 * and returns fk_test_finish(), which prints the closing line "N passed, N failed"
 * and gives the exit status. A case passes when none of its CHECKs failed.
 */
#ifndef FK_TEST_HARNESS_H
#define FK_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

static int fk_test_passed;
static int fk_test_failed;
static int fk_test_case_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);             \
            fk_test_case_failed = 1;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                                         \
    do {                                                                                           \
        const char *fk_a_ = (a), *fk_b_ = (b);                                                     \
        if (!fk_a_ || !fk_b_ || strcmp(fk_a_, fk_b_) != 0) {                                       \
            fprintf(                                                                               \
                stderr, "  %s:%d: %s == %s failed:\n    got      \"%s\"\n    expected \"%s\"\n",   \
                __FILE__, __LINE__, #a, #b, fk_a_ ? fk_a_ : "(null)", fk_b_ ? fk_b_ : "(null)");   \
            fk_test_case_failed = 1;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_INT_EQ(a, b)                                                                         \
    do {                                                                                           \
        long long fk_a_ = (long long)(a), fk_b_ = (long long)(b);                                  \
        if (fk_a_ != fk_b_) {                                                                      \
            fprintf(stderr, "  %s:%d: %s == %s failed: got %lld, expected %lld\n", __FILE__,       \
                    __LINE__, #a, #b, fk_a_, fk_b_);                                               \
            fk_test_case_failed = 1;                                                               \
        }                                                                                          \
    } while (0)

#define FK_TEST_RUN(fn)                                                                            \
    do {                                                                                           \
        fk_test_case_failed = 0;                                                                   \
        fn();                                                                                      \
        if (fk_test_case_failed) {                                                                 \
            fk_test_failed++;                                                                      \
            fprintf(stderr, "FAIL %s\n", #fn);                                                     \
        } else {                                                                                   \
            fk_test_passed++;                                                                      \
            fprintf(stderr, "ok   %s\n", #fn);                                                     \
        }                                                                                          \
    } while (0)

static inline int fk_test_finish(void)
{
    printf("%d passed, %d failed\n", fk_test_passed, fk_test_failed);
    return fk_test_failed ? 1 : 0;
}

#endif
