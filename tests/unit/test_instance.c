/*
 * Instance names: a configured name is used as is; otherwise each live process of this host
 * holds its own slot, and a process killed with SIGKILL gives its slot back at once. Child
 * processes stand in for other daemons; the slot numbers are read back through a pipe.
 */
#include "harness.h"
#include "instance.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int slot_of(const char *name)
{
    const char *dash = strrchr(name, '-');
    return dash ? atoi(dash + 1) : -1;
}

/* Forks a process that takes a slot, writes it to the pipe and waits to be killed. */
static pid_t holder(int *slot)
{
    int fds[2];
    if (pipe(fds) != 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        char err[256];
        int s = fk_instance_init(NULL, err, sizeof err) == 0 ? slot_of(fk_instance_name()) : -1;
        if (write(fds[1], &s, sizeof s) != (ssize_t)sizeof s) {
            _exit(1);
        }
        pause();
        _exit(0);
    }
    close(fds[1]);
    if (pid < 0 || read(fds[0], slot, sizeof *slot) != (ssize_t)sizeof *slot) {
        *slot = -1;
    }
    close(fds[0]);
    return pid;
}

static void kill_wait(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

static void test_configured_name(void)
{
    char err[256];
    CHECK_INT_EQ(fk_instance_init("eu-west-a", err, sizeof err), 0);
    CHECK_STR_EQ(fk_instance_name(), "eu-west-a");
    fk_instance_release();
}

static void test_name_is_host_and_slot(void)
{
    char err[256], host[200] = "";
    gethostname(host, sizeof host - 1);
    CHECK_INT_EQ(fk_instance_init("", err, sizeof err), 0);
    const char *n = fk_instance_name();
    CHECK(strncmp(n, host, strlen(host)) == 0);
    CHECK(n[strlen(host)] == '-');
    CHECK(slot_of(n) >= 0);
    fk_instance_release();
}

static void test_live_processes_never_share(void)
{
    char err[256];
    CHECK_INT_EQ(fk_instance_init(NULL, err, sizeof err), 0);
    int mine = slot_of(fk_instance_name());
    int a, b;
    pid_t pa = holder(&a);
    pid_t pb = holder(&b);
    CHECK(mine >= 0 && a >= 0 && b >= 0);
    CHECK(a != mine && b != mine && a != b);
    kill_wait(pa);
    kill_wait(pb);
    fk_instance_release();
}

static void test_killed_process_gives_slot_back(void)
{
    char err[256];
    CHECK_INT_EQ(fk_instance_init(NULL, err, sizeof err), 0); /* held throughout */
    int a, again;
    pid_t pa = holder(&a);
    kill_wait(pa); /* as kill -9 of a daemon: no clean-up ran */
    pid_t pb = holder(&again);
    CHECK(a >= 0);
    CHECK_INT_EQ(again, a); /* the restarted daemon takes the slot back */
    kill_wait(pb);
    fk_instance_release();
}

int main(void)
{
    FK_TEST_RUN(test_configured_name);
    FK_TEST_RUN(test_name_is_host_and_slot);
    FK_TEST_RUN(test_live_processes_never_share);
    FK_TEST_RUN(test_killed_process_gives_slot_back);
    return fk_test_finish();
}
