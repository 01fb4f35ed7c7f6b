/*
 * sd_notify(3) without libsystemd. systemd gives a Type=notify service the address of a datagram
 * socket in $NOTIFY_SOCKET, either a filesystem path ("/run/systemd/notify") or an abstract name
 * written with a leading '@'; the service sends newline-separated KEY=VALUE assignments to it, one
 * datagram per notification. The protocol is small and stable enough that linking libsystemd for
 * it is not worth the dependency (collectd and chrony do the same).
 *
 * Threads: every function may be called from any thread. Each call opens, uses and closes its own
 * socket and keeps no state; the only shared thing read is the environment, which nothing in the
 * daemon changes after start-up (getenv() is only unsafe against a concurrent setenv()).
 */
#include "sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Fills *addr from the value of $NOTIFY_SOCKET and returns the address length to pass to
 * sendto(), or 0 with errno set when the value is not an address we can use. */
static socklen_t notify_addr(const char *path, struct sockaddr_un *addr)
{
    size_t len = strlen(path);

    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;

    /* systemd also accepts "vsock:CID:PORT" for services in VMs; a Kafka daemon has no use for
     * it, so only the two unix-socket forms are supported. A bare "@" names nothing. */
    if ((path[0] != '/' && path[0] != '@') || strcmp(path, "@") == 0) {
        errno = EINVAL;
        return 0;
    }
    if (path[0] == '@') {
        /* An abstract name has no terminating NUL: its length is part of the address, so the
         * address length must cover exactly the leading NUL plus the name and nothing more. */
        if (len > sizeof(addr->sun_path)) {
            errno = ENAMETOOLONG;
            return 0;
        }
        memcpy(addr->sun_path + 1, path + 1, len - 1);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    }
    /* Linux would take a path filling sun_path without a NUL, but other tools would not read it
     * back the same way; keep room for the terminator. */
    if (len >= sizeof(addr->sun_path)) {
        errno = ENAMETOOLONG;
        return 0;
    }
    memcpy(addr->sun_path, path, len + 1);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

int fk_sdnotify(const char *state)
{
    const char *path;
    struct sockaddr_un addr;
    socklen_t addr_len;
    size_t len;
    ssize_t n;
    int fd;
    int err = 0;
    int ret = -1;

    if (!state) {
        errno = EINVAL;
        return -1;
    }
    path = getenv("NOTIFY_SOCKET");
    if (!path) {
        return 1;
    }
    addr_len = notify_addr(path, &addr);
    if (addr_len == 0) {
        return -1;
    }

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }

    /* A datagram goes whole or not at all. It can block for a moment when systemd is busy and its
     * queue is full; that is what libsystemd does too, and the caller is never a hot path.
     * MSG_NOSIGNAL: a datagram socket should not raise SIGPIPE; say so rather than rely on it. */
    len = strlen(state);
    do {
        n = sendto(fd, state, len, MSG_NOSIGNAL, (const struct sockaddr *)&addr, addr_len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        err = errno;
        goto out_close;
    }
    if ((size_t)n != len) {
        err = EMSGSIZE;
        goto out_close;
    }
    ret = 0;

out_close:
    close(fd);
    if (ret != 0) {
        errno = err;
    }
    return ret;
}

int fk_sdnotifyf(const char *fmt, ...)
{
    char buf[512];
    char *big;
    va_list ap;
    int n;
    int ret;
    int err;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) {
        errno = EINVAL;
        return -1;
    }
    if ((size_t)n < sizeof(buf)) {
        return fk_sdnotify(buf);
    }

    /* Long STATUS= lines are rare; a plain malloc keeps this module free of the daemon's
     * allocation wrappers, which abort where this should only fail. */
    big = malloc((size_t)n + 1);
    if (!big) {
        errno = ENOMEM;
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    ret = fk_sdnotify(big);
    err = errno;
    free(big);
    errno = err;
    return ret;
}

int fk_sdnotify_reloading(void)
{
    struct timespec ts;
    unsigned long long usec;

    /* Under Type=notify-reload systemd only takes RELOADING=1 as the answer to its SIGHUP when
     * MONOTONIC_USEC is not older than the signal, so this must be CLOCK_MONOTONIC read now. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return -1;
    }
    usec = (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL;
    return fk_sdnotifyf("RELOADING=1\nMONOTONIC_USEC=%llu", usec);
}
