/*
 * sd_notify protocol tests: each case binds a real datagram socket where systemd would, points
 * $NOTIFY_SOCKET at it, and reads back exactly what the daemon sent. Unix datagrams are queued
 * by the time sendto() returns, so the receive side never has to wait.
 */
#include "harness.h"
#include "sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct receiver {
    int fd;
    char dir[64];  /* temp directory of a path socket, "" for an abstract one */
    char env[128]; /* the value given to NOTIFY_SOCKET */
};

/* Binds a receiver at a fresh path under /tmp. Returns 0 or -1. */
static int receiver_open_path(struct receiver *r)
{
    struct sockaddr_un addr;

    memset(r, 0, sizeof(*r));
    r->fd = -1;
    snprintf(r->dir, sizeof(r->dir), "/tmp/fk-sdnotify-XXXXXX");
    if (!mkdtemp(r->dir)) {
        r->dir[0] = '\0';
        return -1;
    }
    snprintf(r->env, sizeof(r->env), "%s/notify", r->dir);

    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, r->env, strlen(r->env) + 1);
    r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (r->fd < 0 || bind(r->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        return -1;
    }
    return setenv("NOTIFY_SOCKET", r->env, 1);
}

/* Binds a receiver at an abstract name unique to this process, bound with the exact address
 * length systemd uses, so a sender that pads the name with NULs would not reach it. */
static int receiver_open_abstract(struct receiver *r)
{
    struct sockaddr_un addr;
    socklen_t addr_len;
    size_t len;

    memset(r, 0, sizeof(*r));
    r->fd = -1;
    snprintf(r->env, sizeof(r->env), "@fk-sdnotify-test-%ld", (long)getpid());
    len = strlen(r->env);

    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path + 1, r->env + 1, len - 1);
    addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (r->fd < 0 || bind(r->fd, (struct sockaddr *)&addr, addr_len) != 0) {
        return -1;
    }
    return setenv("NOTIFY_SOCKET", r->env, 1);
}

/* Reads one queued datagram into buf as a string. Returns its length or -1 when none is queued. */
static ssize_t receiver_recv(struct receiver *r, char *buf, size_t size)
{
    ssize_t n = recv(r->fd, buf, size - 1, MSG_DONTWAIT);

    if (n < 0) {
        buf[0] = '\0';
        return -1;
    }
    buf[n] = '\0';
    return n;
}

static void receiver_close(struct receiver *r)
{
    if (r->fd >= 0) {
        close(r->fd);
    }
    if (r->dir[0]) {
        unlink(r->env);
        rmdir(r->dir);
    }
    unsetenv("NOTIFY_SOCKET");
}

static unsigned long long now_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL;
}

static void test_path_socket_ready(void)
{
    struct receiver r;
    char buf[256];

    CHECK_INT_EQ(receiver_open_path(&r), 0);
    CHECK_INT_EQ(fk_sdnotify("READY=1"), 0);
    CHECK_INT_EQ(receiver_recv(&r, buf, sizeof(buf)), 7);
    CHECK_STR_EQ(buf, "READY=1");
    /* One notification is one datagram: nothing else may be queued. */
    CHECK_INT_EQ(receiver_recv(&r, buf, sizeof(buf)), -1);
    receiver_close(&r);
}

static void test_path_socket_multiline(void)
{
    struct receiver r;
    char buf[256];

    CHECK_INT_EQ(receiver_open_path(&r), 0);
    CHECK_INT_EQ(fk_sdnotify("READY=1\nSTATUS=running"), 0);
    receiver_recv(&r, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "READY=1\nSTATUS=running");
    receiver_close(&r);
}

static void test_abstract_socket_ready(void)
{
    struct receiver r;
    char buf[256];

    CHECK_INT_EQ(receiver_open_abstract(&r), 0);
    CHECK_INT_EQ(fk_sdnotify("READY=1"), 0);
    receiver_recv(&r, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "READY=1");
    CHECK_INT_EQ(fk_sdnotify("STOPPING=1"), 0);
    receiver_recv(&r, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "STOPPING=1");
    receiver_close(&r);
}

static void test_printf_status(void)
{
    struct receiver r;
    char buf[256];

    CHECK_INT_EQ(receiver_open_path(&r), 0);
    CHECK_INT_EQ(fk_sdnotifyf("STATUS=%d rules loaded from %s", 12, "rules.yaml"), 0);
    receiver_recv(&r, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "STATUS=12 rules loaded from rules.yaml");
    receiver_close(&r);
}

/* Longer than fk_sdnotifyf's stack buffer, so the heap path is taken. */
static void test_printf_long_status(void)
{
    struct receiver r;
    char want[3001];
    char buf[4096];

    memcpy(want, "STATUS=", 7);
    memset(want + 7, 'x', sizeof(want) - 8);
    want[sizeof(want) - 1] = '\0';

    CHECK_INT_EQ(receiver_open_path(&r), 0);
    CHECK_INT_EQ(fk_sdnotifyf("STATUS=%s", want + 7), 0);
    CHECK_INT_EQ(receiver_recv(&r, buf, sizeof(buf)), 3000);
    CHECK_STR_EQ(buf, want);
    receiver_close(&r);
}

static void test_reloading(void)
{
    struct receiver r;
    char buf[256];
    const char *prefix = "RELOADING=1\nMONOTONIC_USEC=";
    const char *digits;
    char *end;
    unsigned long long before, after, usec;

    CHECK_INT_EQ(receiver_open_path(&r), 0);
    before = now_usec();
    CHECK_INT_EQ(fk_sdnotify_reloading(), 0);
    after = now_usec();
    receiver_recv(&r, buf, sizeof(buf));

    CHECK(strncmp(buf, prefix, strlen(prefix)) == 0);
    digits = buf + strlen(prefix);
    CHECK(digits[0] >= '1' && digits[0] <= '9');
    CHECK_INT_EQ(strspn(digits, "0123456789"), strlen(digits));
    errno = 0;
    usec = strtoull(digits, &end, 10);
    CHECK_INT_EQ(errno, 0);
    CHECK(*end == '\0');
    CHECK(usec >= before);
    CHECK(usec <= after);
    receiver_close(&r);
}

static void test_unset_is_not_an_error(void)
{
    unsetenv("NOTIFY_SOCKET");
    CHECK_INT_EQ(fk_sdnotify("READY=1"), 1);
    CHECK_INT_EQ(fk_sdnotifyf("STATUS=%s", "idle"), 1);
    CHECK_INT_EQ(fk_sdnotify_reloading(), 1);
}

static void test_nonexistent_path(void)
{
    char path[128];

    snprintf(path, sizeof(path), "/nonexistent-fk-sdnotify-%ld/notify", (long)getpid());
    setenv("NOTIFY_SOCKET", path, 1);
    errno = 0;
    CHECK_INT_EQ(fk_sdnotify("READY=1"), -1);
    CHECK_INT_EQ(errno, ENOENT);
    unsetenv("NOTIFY_SOCKET");
}

/* Nothing bound at an abstract name: the kernel refuses the datagram. */
static void test_unbound_abstract(void)
{
    char name[128];

    snprintf(name, sizeof(name), "@fk-sdnotify-nobody-%ld", (long)getpid());
    setenv("NOTIFY_SOCKET", name, 1);
    errno = 0;
    CHECK_INT_EQ(fk_sdnotify("READY=1"), -1);
    CHECK_INT_EQ(errno, ECONNREFUSED);
    unsetenv("NOTIFY_SOCKET");
}

static void test_overlong_path(void)
{
    struct sockaddr_un addr;
    char path[sizeof(addr.sun_path) + 16];

    /* Exactly sizeof(sun_path) characters leaves no room for the NUL. */
    memset(path, 'a', sizeof(path));
    path[0] = '/';
    path[sizeof(addr.sun_path)] = '\0';
    setenv("NOTIFY_SOCKET", path, 1);
    errno = 0;
    CHECK_INT_EQ(fk_sdnotify("READY=1"), -1);
    CHECK_INT_EQ(errno, ENAMETOOLONG);

    /* An abstract name may use every byte after the leading NUL: at that length the address is
     * accepted and the kernel finds nobody there. One byte more is too long. */
    path[0] = '@';
    setenv("NOTIFY_SOCKET", path, 1);
    errno = 0;
    CHECK_INT_EQ(fk_sdnotify("READY=1"), -1);
    CHECK_INT_EQ(errno, ECONNREFUSED);
    path[sizeof(addr.sun_path)] = 'a';
    path[sizeof(addr.sun_path) + 1] = '\0';
    setenv("NOTIFY_SOCKET", path, 1);
    errno = 0;
    CHECK_INT_EQ(fk_sdnotify("READY=1"), -1);
    CHECK_INT_EQ(errno, ENAMETOOLONG);
    unsetenv("NOTIFY_SOCKET");
}

static void test_invalid_address(void)
{
    const char *bad[] = {"", "@", "relative/notify", "vsock:2:1234"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("NOTIFY_SOCKET", bad[i], 1);
        errno = 0;
        CHECK_INT_EQ(fk_sdnotify("READY=1"), -1);
        CHECK_INT_EQ(errno, EINVAL);
    }
    unsetenv("NOTIFY_SOCKET");
    errno = 0;
    CHECK_INT_EQ(fk_sdnotify(NULL), -1);
    CHECK_INT_EQ(errno, EINVAL);
}

int main(void)
{
    FK_TEST_RUN(test_path_socket_ready);
    FK_TEST_RUN(test_path_socket_multiline);
    FK_TEST_RUN(test_abstract_socket_ready);
    FK_TEST_RUN(test_printf_status);
    FK_TEST_RUN(test_printf_long_status);
    FK_TEST_RUN(test_reloading);
    FK_TEST_RUN(test_unset_is_not_an_error);
    FK_TEST_RUN(test_nonexistent_path);
    FK_TEST_RUN(test_unbound_abstract);
    FK_TEST_RUN(test_overlong_path);
    FK_TEST_RUN(test_invalid_address);
    return fk_test_finish();
}
