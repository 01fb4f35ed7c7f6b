/*
 * The instance name (instance.h). The slot is a socket bound to the abstract address
 * "\0faker-kafkad/instance/<slot>": the kernel frees it when the process ends, however it ends,
 * so a daemon restarted after kill -9 finds its old slot free and takes it back (slots are tried
 * from 0), and two live daemons can never hold the same one. Abstract addresses belong to the
 * network namespace, which is the host's for a daemon that talks to Kafka over the network.
 * Single-threaded: main calls init before starting threads and release after joining them.
 */
#include "instance.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SLOTS 1024

static char name[256];
static int slot_fd = -1;

static void hostname(char *out, size_t size)
{
    if (gethostname(out, size - 1) != 0 || !out[0]) {
        snprintf(out, size, "localhost");
    }
    out[size - 1] = '\0';
}

/* Binds the abstract socket of SLOT: its descriptor, or -1 when another process holds it
 * (errno EADDRINUSE) or sockets fail. */
static int take_slot(int slot)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    int n = snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "faker-kafkad/instance/%d", slot);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    if (bind(fd, (struct sockaddr *)&sa, len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int fk_instance_init(const char *configured, char *errstr, size_t errstr_size)
{
    fk_instance_release();
    if (configured && configured[0]) {
        snprintf(name, sizeof name, "%s", configured);
        return 0;
    }
    char host[200];
    hostname(host, sizeof host);
    for (int slot = 0; slot < SLOTS; slot++) {
        int fd = take_slot(slot);
        if (fd >= 0) {
            slot_fd = fd;
            snprintf(name, sizeof name, "%s-%d", host, slot);
            return 0;
        }
        if (errno != EADDRINUSE) {
            snprintf(errstr, errstr_size,
                     "instance name: cannot hold a slot (%s); set instance.name to a name unique "
                     "among the daemons of this host",
                     strerror(errno));
            return -1;
        }
    }
    snprintf(errstr, errstr_size,
             "instance name: all %d slots of this host are held; set instance.name", SLOTS);
    return -1;
}

const char *fk_instance_name(void)
{
    if (!name[0]) {
        hostname(name, sizeof name);
    }
    return name;
}

void fk_instance_release(void)
{
    if (slot_fd >= 0) {
        close(slot_fd);
        slot_fd = -1;
    }
    name[0] = '\0';
}
