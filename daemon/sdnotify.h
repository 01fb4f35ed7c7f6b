/*
 * sd_notify(3) for Type=notify services, without libsystemd: readiness, reload and stop
 * notifications and STATUS= lines sent as one datagram to $NOTIFY_SOCKET.
 */
#ifndef FK_SDNOTIFY_H
#define FK_SDNOTIFY_H

/* Sends STATE (e.g. "READY=1\nSTATUS=running") to $NOTIFY_SOCKET. Returns 0 when sent,
 * 1 when NOTIFY_SOCKET is unset (not under systemd: nothing to do), -1 on error with errno set.
 * Supports filesystem path sockets and abstract sockets ('@' prefix). @locks none; thread-safe. */
int fk_sdnotify(const char *state);

/* printf-style convenience. Same returns. */
int fk_sdnotifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC in usec>" as systemd's Type=notify-reload expects.
 * Send "READY=1" once the reload is over, whether it succeeded or not. Same returns. */
int fk_sdnotify_reloading(void);

#endif
