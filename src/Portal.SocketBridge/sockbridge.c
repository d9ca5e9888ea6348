/*
 * sockbridge: serves a web app that only listens on TCP (TensorBoard, Gradio, vLLM's server) on the Unix socket of
 * its session folder, inside the session's container, which has no network but loopback.
 *
 *   sockbridge SOCKET PORT [-- COMMAND [ARG...]]
 *   sockbridge --connect SOCKET
 *
 * Listens on SOCKET (created 0660, so that the portal's proxy group can connect) and relays each connection to
 * 127.0.0.1:PORT. With a COMMAND it also starts the app as its child and lives exactly as long as the app: it forwards
 * SIGTERM, SIGINT and SIGHUP to it, reaps every child (it may be the container's PID 1) and exits with the app's
 * status. Without one it relays until it is stopped (a bridge beside the app, e.g. in a pod).
 *
 * With --connect it is the other end, on a Slurm node: it connects to SOCKET and relays its own stdin to it and what
 * comes back to its stdout, until the app closes the connection. The portal runs it as the session's owner in a step
 * of the session's Slurm job (srun --overlap), so one HTTP connection of the portal's proxy travels through Slurm's
 * own authenticated channel to the app's socket on the node, and nothing listens on the node's network.
 *
 * Written in C and linked statically on purpose: the portal bind-mounts this one file, read-only, into images it
 * knows nothing about (Alpine, old glibc, no libc at all), so it must need nothing from them. Each connection is
 * relayed by a child process of its own: a session has a handful of connections, and a child that ends frees all
 * it held.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t app_pid = 0;
static volatile sig_atomic_t stop_signal = 0;

static void on_stop(int sig)
{
    stop_signal = sig;
    if (app_pid > 0)
        kill(app_pid, sig);
}

static void on_child(int sig)
{
    (void)sig; /* only to interrupt accept(); children are reaped in the main loop */
}

static void fail(const char *what)
{
    fprintf(stderr, "sockbridge: %s: %s\n", what, strerror(errno));
    exit(125);
}

/* Copies what is readable from one socket to the other; returns 0 at end of input or on an error. */
static int pump(int from, int to)
{
    char buf[65536];
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0)
        return 0;
    for (ssize_t done = 0; done < n;) {
        ssize_t w = write(to, buf + done, (size_t)(n - done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return 0;
        done += w;
    }
    return 1;
}

/* Relays one accepted connection to the app until both directions have ended. Runs in a child process. */
static void relay(int client, int port)
{
    int app = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (app < 0 || connect(app, (struct sockaddr *)&addr, sizeof addr) < 0)
        _exit(1); /* the app is not listening (yet): the client sees its connection close */

    struct pollfd fds[2] = { { .fd = client, .events = POLLIN }, { .fd = app, .events = POLLIN } };
    int open_in = 2;
    while (open_in > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                int other = i == 0 ? app : client;
                if (!pump(fds[i].fd, other)) {
                    /* Half-close: pass the end of this direction on, keep relaying the other one. */
                    shutdown(other, SHUT_WR);
                    fds[i].fd = -1;
                    open_in--;
                }
            }
        }
    }
    _exit(0);
}

/* --connect: stdin to the socket, the socket to stdout. The end of stdin half-closes the connection; the app closing
 * it ends the relay, whatever stdin still does (the portal may keep an idle connection open). */
static int connect_stdio(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sun.sun_path) {
        fprintf(stderr, "sockbridge: the socket path is longer than %zu bytes\n", sizeof sun.sun_path - 1);
        return 2;
    }
    strcpy(sun.sun_path, path);
    signal(SIGPIPE, SIG_IGN);
    int app = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (app < 0)
        fail("socket");
    if (connect(app, (struct sockaddr *)&sun, sizeof sun) < 0) {
        fprintf(stderr, "sockbridge: cannot connect to %s: %s\n", path, strerror(errno));
        return 111;
    }

    struct pollfd fds[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = app, .events = POLLIN } };
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            fail("poll");
        }
        if (fds[0].fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(STDIN_FILENO, app)) {
            shutdown(app, SHUT_WR);
            fds[0].fd = -1;
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (!pump(app, STDOUT_FILENO))
                return 0;
        }
    }
}

/* Reaps every ended child; returns the app's wait status once it has ended, else -1. */
static int reap(void)
{
    int status, app_status = -1;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        if (pid == app_pid)
            app_status = status;
    return app_status;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--connect") == 0)
        return connect_stdio(argv[2]);
    if (argc < 3 || (argc > 3 && (strcmp(argv[3], "--") != 0 || argc < 5))) {
        fprintf(stderr, "usage: sockbridge SOCKET PORT [-- COMMAND [ARG...]]\n       sockbridge --connect SOCKET\n");
        return 2;
    }
    const char *path = argv[1];
    char *end;
    long port = strtol(argv[2], &end, 10);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (*end != '\0' || port < 1 || port > 65535) {
        fprintf(stderr, "sockbridge: '%s' is not a TCP port\n", argv[2]);
        return 2;
    }
    if (strlen(path) >= sizeof sun.sun_path) {
        fprintf(stderr, "sockbridge: the socket path is longer than %zu bytes\n", sizeof sun.sun_path - 1);
        return 2;
    }
    strcpy(sun.sun_path, path);

    struct sigaction stop = { .sa_handler = on_stop }, child = { .sa_handler = on_child };
    sigemptyset(&stop.sa_mask);
    sigemptyset(&child.sa_mask);
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGINT, &stop, NULL);
    sigaction(SIGHUP, &stop, NULL);
    sigaction(SIGCHLD, &child, NULL); /* no SA_RESTART: accept() returns EINTR and the loop reaps */
    signal(SIGPIPE, SIG_IGN);

    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0)
        fail("socket");
    /* A socket left by an earlier run of the same session; anything else at that name is not ours to remove. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    mode_t old = umask(0117); /* the socket is created 0660: the owner and the portal's proxy group */
    if (bind(listener, (struct sockaddr *)&sun, sizeof sun) < 0)
        fail("bind");
    umask(old);
    if (listen(listener, 64) < 0)
        fail("listen");

    if (argc > 3) {
        pid_t pid = fork();
        if (pid < 0)
            fail("fork");
        if (pid == 0) {
            signal(SIGPIPE, SIG_DFL);
            execvp(argv[4], argv + 4);
            fprintf(stderr, "sockbridge: cannot run %s: %s\n", argv[4], strerror(errno));
            _exit(127);
        }
        app_pid = pid;
        if (stop_signal)
            kill(pid, stop_signal);
    }

    for (;;) {
        int status = reap();
        if (status >= 0) {
            unlink(path);
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (stop_signal && app_pid == 0)
            return 0;
        int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
                continue;
            fail("accept");
        }
        pid_t pid = fork();
        if (pid == 0) {
            /* A relay ends with its connection or when stopped; only the bridge itself forwards signals. */
            signal(SIGTERM, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            signal(SIGHUP, SIG_DFL);
            close(listener);
            relay(client, (int)port);
        }
        close(client);
    }
}
