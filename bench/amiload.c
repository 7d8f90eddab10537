/*
 * amiload: a load generator for Asterisk Manager Interface servers.
 *
 * epoll, non-blocking sockets, one epoll loop per worker thread. Messages are
 * counted by scanning for the blank line ("\r\n\r\n") that ends every AMI
 * message; nothing is parsed except where a scenario needs a value (the login
 * answer, the send timestamp of the latency scenario).
 *
 * Modes (the first argument):
 *   ping    -c N connections (Events: off), each keeps -k Pings outstanding
 *   fanout  -r R receivers (Events: user), -s S senders send UserEvents with a
 *           window of -W unanswered actions each
 *   logins  -c N connections opened at once, all log in concurrently
 *   idle    -c N logged-in idle sessions, at most -P logins in flight; prints a
 *           READY line, then holds them until stdin gives a line or closes
 *   slow    -r R receivers, -S stalled receivers that never read, one sender at
 *           -R events/s, each event carrying "T: <monotonic ns>"; latency
 *           percentiles of the normal receivers
 *   calls   -r R listeners (Events: on) count every event, Hangup and
 *           OriginateResponse; -s S originators (Events: call plus a Filter that
 *           lets only OriginateResponse through) keep -k async Originates in
 *           flight in all; call setups (OriginateResponse Success) per second,
 *           then whether every listener saw every call's events
 *   held    -s S originators keep -k async Originates in flight until -n calls
 *           answered; prints a READY line, then holds until stdin gives a line
 *
 * The result is one JSON object on the last line of stdout. Every loop is
 * bounded in time. Only the host given with -H is contacted (127.0.0.1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { M_PING, M_FANOUT, M_LOGINS, M_IDLE, M_SLOW, M_CALLS, M_HELD };
enum { R_PING, R_SENDER, R_RECEIVER, R_STALLED, R_LOGIN, R_RATE_SENDER, R_ORIG };
enum { S_CONNECTING, S_LOGIN, S_FILTER, S_READY, S_STALLED, S_DEAD };

#define MAX_WORKERS 16
#define BIG_INBUF (256 * 1024)
#define SMALL_INBUF 2048
#define MAX_OUT (8 * 1024 * 1024)
#define STDIN_TAG ((void *)1)
#define TIMELINE 400
#define BUCKET_NS 50000000ull

struct worker;

struct conn {
    int fd;
    int role;
    int state;
    int events; /* current epoll interest */
    struct worker *w;
    char *in;
    int inlen, incap;
    char *out;
    int outlen, outoff, outcap;
    uint64_t outstanding;
    uint32_t next_id;
    const char *login; /* the Login action this connection sends */
    int login_len;
    /* calls/held: an originator's own counts (its worker only) and a listener's
     * counts (read by the main thread) */
    uint64_t sent, answered, orig_ok, orig_fail, errors;
    uint64_t ev_total, ev_hangup, ev_origresp;
    int depth; /* originator: Originates it keeps in flight */
};

struct worker {
    pthread_t thread;
    int ep;
    int index;
    int started; /* senders/pingers started */
    struct conn **conns;
    int nconns, capconns;
    /* counters read by the main thread */
    uint64_t responses; /* answers to our actions (after login) */
    uint64_t events;    /* events counted on receivers */
    uint64_t lost;      /* connections lost after login */
    uint64_t calls_ok;  /* calls/held: OriginateResponse Success seen by originators */
    uint64_t calls_done; /* ... Success or Failure, plus Originates refused at once */
    uint64_t orig_sent;  /* Originates sent */
    uint64_t lost_receivers;
    /* latency samples (slow mode), ns */
    uint64_t *lat;
    size_t nlat, caplat, seen;
    /* max latency per 50 ms since the run began (slow mode), ns */
    uint64_t timeline[TIMELINE];
    /* rate sender (slow mode) */
    struct conn *rate_sender;
    uint64_t rate_sent;
    uint64_t rate_start_ns;
};

/* -- configuration ---------------------------------------------------------- */
static int g_mode;
static const char *g_host = "127.0.0.1";
static int g_port;
static int g_conns = 1;
static int g_depth = 128;
static double g_duration = 3.0;
static double g_warmup = 0.5;
static int g_receivers = 10;
static int g_senders = 1;
static int g_window = 256;
static int g_threads = 1;
static double g_rate = 10000.0;
static int g_stalled = 0;
static int g_stalled_rcvbuf = 4096;
static int g_pace = 256;
static int g_pad_bytes = 0;
static int g_server_pid = 0; /* -X: report this process's CPU time over the measured window */
static double g_hold = 120.0;
static double g_timeout = 20.0;
static const char *g_user = "bench";
static const char *g_secret = "benchpass";
static const char *g_idle_events = "off";
static const char *g_orig_channel = "Local/100@bench";
static const char *g_orig_app = "Wait";
static const char *g_orig_data = "0";
static const char *g_orig_exten = NULL; /* -E EXTEN@CONTEXT: dialplan target instead of -A/-D */
static int g_orig_filter = 1;           /* originators filter their events down to OriginateResponse */
static long g_target_calls = 20000;     /* held: calls to bring up */

/* -- shared state ----------------------------------------------------------- */
static int g_run;     /* phase: senders may start */
static int g_stop;    /* workers exit */
static int g_measure; /* latency samples are kept */
static int g_authed;  /* sessions logged in */
static int g_failed;  /* sessions that failed to connect or log in */
static uint64_t g_last_auth_ns;
static uint64_t g_start_ns;        /* the run phase began */
static uint64_t g_stalled_gone_ns; /* when the stalled receiver was disconnected */
static int g_stalled_gone;
static int g_orig_stop;          /* calls: originators send no more */
static long g_orig_budget = -1;  /* held: Originates still to send (shared), -1 = no limit */
static struct worker g_workers[MAX_WORKERS];
static struct sockaddr_in g_addr;
static char g_login_bufs[4][512];
static int g_login_used;
static const char *g_login_msg = "";
static int g_login_len;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *msg) {
    fprintf(stderr, "amiload: %s: %s\n", msg, strerror(errno));
    exit(2);
}

static void raise_nofile(int want) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t target = (rlim_t)want;
    if (rl.rlim_max != RLIM_INFINITY && target > rl.rlim_max)
        target = rl.rlim_max;
    if (rl.rlim_cur < target) {
        rl.rlim_cur = target;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* -- connections ------------------------------------------------------------ */
static void set_interest(struct conn *c, int events) {
    if (c->events == events)
        return;
    struct epoll_event ev = {.events = (uint32_t)events, .data.ptr = c};
    epoll_ctl(c->w->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->events = events;
}

static void conn_close(struct conn *c) {
    if (c->fd >= 0) {
        struct linger lg = {1, 0}; /* reset: no TIME_WAIT piles up between runs */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        epoll_ctl(c->w->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
    c->state = S_DEAD;
}

static void conn_lost(struct conn *c) {
    int was = c->state;
    conn_close(c);
    if (was == S_CONNECTING || was == S_LOGIN || was == S_FILTER) {
        __atomic_fetch_add(&g_failed, 1, __ATOMIC_RELAXED);
    } else if (was == S_STALLED) {
        if (!__atomic_load_n(&g_stalled_gone, __ATOMIC_RELAXED)) {
            __atomic_store_n(&g_stalled_gone_ns, now_ns(), __ATOMIC_RELAXED);
            __atomic_store_n(&g_stalled_gone, 1, __ATOMIC_RELEASE);
        }
    } else if (was == S_READY) {
        __atomic_fetch_add(&c->w->lost, 1, __ATOMIC_RELAXED);
        if (c->role == R_RECEIVER)
            __atomic_fetch_add(&c->w->lost_receivers, 1, __ATOMIC_RELAXED);
    }
}

/* Write what we can now; keep the rest and ask for EPOLLOUT. */
static void conn_send(struct conn *c, const char *data, int len) {
    if (c->state == S_DEAD)
        return;
    if (c->outlen == 0) {
        ssize_t n = write(c->fd, data, (size_t)len);
        if (n == len)
            return;
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                conn_lost(c);
                return;
            }
            n = 0;
        }
        data += n;
        len -= (int)n;
    }
    if (c->outlen + len > MAX_OUT) {
        conn_lost(c);
        return;
    }
    if (c->outlen + len > c->outcap) {
        int cap = c->outcap ? c->outcap : 4096;
        while (cap < c->outlen + len)
            cap *= 2;
        char *p = malloc((size_t)cap);
        if (!p)
            die("malloc");
        memcpy(p, c->out + c->outoff, (size_t)(c->outlen));
        free(c->out);
        c->out = p;
        c->outcap = cap;
        c->outoff = 0;
    } else if (c->outoff + c->outlen + len > c->outcap) {
        memmove(c->out, c->out + c->outoff, (size_t)c->outlen);
        c->outoff = 0;
    }
    memcpy(c->out + c->outoff + c->outlen, data, (size_t)len);
    c->outlen += len;
    if (c->state != S_STALLED)
        set_interest(c, EPOLLIN | EPOLLOUT);
}

static void conn_flush(struct conn *c) {
    while (c->outlen > 0) {
        ssize_t n = write(c->fd, c->out + c->outoff, (size_t)c->outlen);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            conn_lost(c);
            return;
        }
        c->outoff += (int)n;
        c->outlen -= (int)n;
    }
    c->outoff = 0;
    if (c->state == S_STALLED)
        set_interest(c, EPOLLRDHUP);
    else
        set_interest(c, EPOLLIN);
}

static struct conn *conn_open(struct worker *w, int role) {
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        die("calloc");
    c->role = role;
    c->w = w;
    c->login = g_login_msg;
    c->login_len = g_login_len;
    c->incap = (role == R_LOGIN) ? SMALL_INBUF : BIG_INBUF;
    if (role == R_STALLED)
        c->incap = SMALL_INBUF;
    c->in = malloc((size_t)c->incap);
    if (!c->in)
        die("malloc");
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        c->state = S_DEAD;
        __atomic_fetch_add(&g_failed, 1, __ATOMIC_RELAXED);
        return c;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (role == R_STALLED && g_stalled_rcvbuf > 0)
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &g_stalled_rcvbuf, sizeof g_stalled_rcvbuf);
    c->state = S_CONNECTING;
    c->events = EPOLLOUT;
    /* connect before the worker's epoll can see the socket (an unconnected one reports HUP) */
    if (connect(c->fd, (struct sockaddr *)&g_addr, sizeof g_addr) != 0 && errno != EINPROGRESS) {
        close(c->fd);
        c->fd = -1;
        c->state = S_DEAD;
        __atomic_fetch_add(&g_failed, 1, __ATOMIC_RELAXED);
    } else {
        struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
        if (epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
            die("epoll_ctl");
    }
    if (w->nconns == w->capconns) {
        w->capconns = w->capconns ? w->capconns * 2 : 64;
        w->conns = realloc(w->conns, sizeof(*w->conns) * (size_t)w->capconns);
        if (!w->conns)
            die("realloc");
    }
    w->conns[w->nconns++] = c;
    return c;
}

/* -- what each role sends ----------------------------------------------------- */
static char *put_u64(char *p, uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static const char PING_HEAD[] = "Action: Ping\r\nActionID: ";
static const char UE_MSG[] = "Action: UserEvent\r\nUserEvent: B\r\n\r\n";
static const char UE_T_HEAD[] = "Action: UserEvent\r\nUserEvent: L\r\nT: ";

static void send_pings(struct conn *c, int n) {
    char buf[64 * 48];
    while (n > 0) {
        int batch = n > 64 ? 64 : n;
        char *p = buf;
        for (int i = 0; i < batch; i++) {
            memcpy(p, PING_HEAD, sizeof PING_HEAD - 1);
            p += sizeof PING_HEAD - 1;
            p = put_u64(p, ++c->next_id);
            memcpy(p, "\r\n\r\n", 4);
            p += 4;
        }
        conn_send(c, buf, (int)(p - buf));
        n -= batch;
    }
}

static void send_userevents(struct conn *c, int n) {
    char buf[64 * (sizeof UE_MSG)];
    while (n > 0) {
        int batch = n > 64 ? 64 : n;
        char *p = buf;
        for (int i = 0; i < batch; i++) {
            memcpy(p, UE_MSG, sizeof UE_MSG - 1);
            p += sizeof UE_MSG - 1;
        }
        conn_send(c, buf, (int)(p - buf));
        n -= batch;
    }
}

static char *g_pad;  /* "Pad: xxx\r\n" lines appended to timed events (slow mode, -L) */
static int g_pad_len;
static char *g_timed_buf;

static void make_pad(int bytes) {
    if (bytes <= 0)
        return;
    int lines = (bytes + 899) / 900;
    g_pad = malloc((size_t)bytes + (size_t)lines * 16 + 16);
    if (!g_pad)
        die("malloc");
    char *p = g_pad;
    while (bytes > 0) {
        int n = bytes > 900 ? 900 : bytes;
        memcpy(p, "Pad: ", 5);
        p += 5;
        memset(p, 'x', (size_t)n);
        p += n;
        memcpy(p, "\r\n", 2);
        p += 2;
        bytes -= n;
    }
    g_pad_len = (int)(p - g_pad);
}

static void send_timed_userevents(struct conn *c, int n) {
    int per = 96 + g_pad_len;
    if (!g_timed_buf && !(g_timed_buf = malloc((size_t)(64 * per))))
        die("malloc");
    while (n > 0) {
        int batch = n > 64 ? 64 : n;
        char *p = g_timed_buf;
        for (int i = 0; i < batch; i++) {
            memcpy(p, UE_T_HEAD, sizeof UE_T_HEAD - 1);
            p += sizeof UE_T_HEAD - 1;
            p = put_u64(p, now_ns());
            memcpy(p, "\r\n", 2);
            p += 2;
            if (g_pad_len) {
                memcpy(p, g_pad, (size_t)g_pad_len);
                p += g_pad_len;
            }
            memcpy(p, "\r\n", 2);
            p += 2;
        }
        conn_send(c, g_timed_buf, (int)(p - g_timed_buf));
        n -= batch;
    }
}

/* calls/held: the Originate action (all but the ActionID value) */
static char g_orig_head[1024];
static int g_orig_head_len;
static const char FILTER_MSG[] =
    "Action: Filter\r\nOperation: Add\r\nMatchCriteria: action(include),name(OriginateResponse)\r\n\r\n";

static void make_originate(void) {
    char target[512];
    if (g_orig_exten) {
        const char *at = strchr(g_orig_exten, '@');
        int elen = at ? (int)(at - g_orig_exten) : (int)strlen(g_orig_exten);
        snprintf(target, sizeof target, "Exten: %.*s\r\nContext: %s\r\nPriority: 1\r\n", elen,
                 g_orig_exten, at ? at + 1 : "default");
    } else {
        snprintf(target, sizeof target, "Application: %s\r\nData: %s\r\n", g_orig_app, g_orig_data);
    }
    g_orig_head_len = snprintf(g_orig_head, sizeof g_orig_head,
                               "Action: Originate\r\nChannel: %s\r\n%sAsync: yes\r\nActionID: ",
                               g_orig_channel, target);
}

static void send_originates(struct conn *c, int n) {
    char buf[16 * 1100];
    while (n > 0) {
        int batch = n > 16 ? 16 : n;
        char *p = buf;
        for (int i = 0; i < batch; i++) {
            memcpy(p, g_orig_head, (size_t)g_orig_head_len);
            p += g_orig_head_len;
            p = put_u64(p, ++c->next_id);
            memcpy(p, "\r\n\r\n", 4);
            p += 4;
        }
        conn_send(c, buf, (int)(p - buf));
        n -= batch;
    }
}

/* An originator keeps c->depth Originates in flight (sent, no OriginateResponse yet, not
 * refused), until told to stop (calls) or the shared budget is spent (held). */
static void orig_top_up(struct conn *c) {
    if (c->state != S_READY || __atomic_load_n(&g_orig_stop, __ATOMIC_ACQUIRE))
        return;
    uint64_t done = c->orig_ok + c->orig_fail + c->errors;
    int want = c->depth - (int)(c->sent - done);
    if (want <= 0)
        return;
    if (g_mode == M_HELD) {
        long left = __atomic_load_n(&g_orig_budget, __ATOMIC_ACQUIRE);
        int take = 0;
        while (left > 0) {
            take = left < want ? (int)left : want;
            if (__atomic_compare_exchange_n(&g_orig_budget, &left, left - take, 0,
                                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                break;
            take = 0;
        }
        want = take;
        if (want <= 0)
            return;
    }
    c->sent += (uint64_t)want;
    __atomic_fetch_add(&c->w->orig_sent, (uint64_t)want, __ATOMIC_RELAXED);
    send_originates(c, want);
}

/* calls/held: an originator's answers and its (filtered) events */
static void orig_message(struct conn *c, const char *m, const char *end) {
    size_t len = (size_t)(end - m);
    if (len >= 10 && !memcmp(m, "Response: ", 10)) {
        if (len >= 17 && !memcmp(m + 10, "Success", 7)) {
            c->answered++;
        } else { /* refused: no OriginateResponse will follow */
            c->errors++;
            __atomic_fetch_add(&c->w->calls_done, 1, __ATOMIC_RELAXED);
            if (g_mode == M_HELD)
                __atomic_fetch_add(&g_orig_budget, 1, __ATOMIC_ACQ_REL);
        }
    } else if (len >= 26 && !memcmp(m, "Event: OriginateResponse\r\n", 26)) {
        if (memmem(m, len, "\r\nResponse: Success\r\n", 21)) {
            c->orig_ok++;
            __atomic_fetch_add(&c->w->calls_ok, 1, __ATOMIC_RELAXED);
        } else {
            c->orig_fail++;
            if (g_mode == M_HELD) /* try again: the budget counts answered calls */
                __atomic_fetch_add(&g_orig_budget, 1, __ATOMIC_ACQ_REL);
        }
        __atomic_fetch_add(&c->w->calls_done, 1, __ATOMIC_RELAXED);
    }
}

/* Called once the run phase starts, for each logged-in connection. */
static void role_start(struct conn *c) {
    if (c->state != S_READY)
        return;
    if (c->role == R_PING) {
        c->outstanding = (uint64_t)g_depth;
        send_pings(c, g_depth);
    } else if (c->role == R_SENDER) {
        c->outstanding = (uint64_t)g_window;
        send_userevents(c, g_window);
    } else if (c->role == R_ORIG) {
        orig_top_up(c);
    }
}

static void on_authed(struct conn *c) {
    __atomic_store_n(&g_last_auth_ns, now_ns(), __ATOMIC_RELAXED);
    __atomic_fetch_add(&g_authed, 1, __ATOMIC_RELEASE);
    if (c->role == R_STALLED) {
        c->state = S_STALLED; /* from now on it never reads */
        set_interest(c, EPOLLRDHUP);
        return;
    }
    c->state = S_READY;
    if (c->w->started)
        role_start(c);
}

/* -- reading ---------------------------------------------------------------- */
static void record_latency(struct worker *w, uint64_t lat) {
    w->seen++;
    if (w->nlat < w->caplat) {
        w->lat[w->nlat++] = lat;
    } else if (w->caplat) { /* reservoir sample beyond the cap */
        uint64_t r = ((uint64_t)rand() << 31 | (uint64_t)rand()) % w->seen;
        if (r < w->caplat)
            w->lat[r] = lat;
    }
}

static uint64_t parse_u64(const char *p, const char *end) {
    uint64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9')
        v = v * 10 + (uint64_t)(*p++ - '0');
    return v;
}

/* One whole message [m, end) (its blank line included). */
static void on_message(struct conn *c, const char *m, const char *end, uint64_t now,
                       int measuring, uint64_t *count) {
    if (c->state == S_LOGIN) {
        if (memmem(m, (size_t)(end - m), "Authentication accepted", 23)) {
            if (c->role == R_ORIG && g_orig_filter) {
                c->state = S_FILTER; /* logged in once the Filter is accepted */
                conn_send(c, FILTER_MSG, (int)sizeof FILTER_MSG - 1);
            } else {
                on_authed(c);
            }
        } else if (memmem(m, (size_t)(end - m), "Response:", 9)) {
            conn_lost(c); /* refused */
        }
        return; /* e.g. the banner glued to nothing yet */
    }
    if (c->state == S_FILTER) {
        if (!memcmp(m, "Response: Success", 17 < end - m ? 17 : (size_t)(end - m)))
            on_authed(c);
        else if (!memcmp(m, "Response:", 9 < end - m ? 9 : (size_t)(end - m)))
            conn_lost(c); /* the Filter was refused */
        return;
    }
    (*count)++;
    if (c->role == R_ORIG) {
        orig_message(c, m, end);
        return;
    }
    if (g_mode == M_CALLS && c->role == R_RECEIVER) {
        size_t len = (size_t)(end - m);
        __atomic_store_n(&c->ev_total, c->ev_total + 1, __ATOMIC_RELAXED);
        if (len >= 15 && !memcmp(m, "Event: Hangup\r\n", 15))
            __atomic_store_n(&c->ev_hangup, c->ev_hangup + 1, __ATOMIC_RELAXED);
        else if (len >= 26 && !memcmp(m, "Event: OriginateResponse\r\n", 26))
            __atomic_store_n(&c->ev_origresp, c->ev_origresp + 1, __ATOMIC_RELAXED);
        return;
    }
    if (c->role == R_RECEIVER && g_mode == M_SLOW) {
        const char *t = memmem(m, (size_t)(end - m), "\r\nT: ", 5);
        if (t) {
            uint64_t sent = parse_u64(t + 5, end);
            if (sent && now >= sent) {
                uint64_t lat = now - sent;
                if (measuring)
                    record_latency(c->w, lat);
                uint64_t start = __atomic_load_n(&g_start_ns, __ATOMIC_RELAXED);
                if (start && sent >= start) {
                    uint64_t b = (sent - start) / BUCKET_NS;
                    if (b < TIMELINE && c->w->timeline[b] < lat)
                        c->w->timeline[b] = lat;
                }
            }
        }
    }
}

static void conn_readable(struct conn *c) {
    struct worker *w = c->w;
    int space = c->incap - c->inlen;
    ssize_t n = read(c->fd, c->in + c->inlen, (size_t)space);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        conn_lost(c);
        return;
    }
    uint64_t now = (g_mode == M_SLOW) ? now_ns() : 0;
    int measuring = (g_mode == M_SLOW) ? __atomic_load_n(&g_measure, __ATOMIC_RELAXED) : 0;
    int old = c->inlen;
    c->inlen += (int)n;
    char *buf = c->in;
    char *end = buf + c->inlen;
    char *scan = buf + (old > 3 ? old - 3 : 0);
    char *start = buf;
    uint64_t count = 0;
    for (;;) {
        char *sep = memmem(scan, (size_t)(end - scan), "\r\n\r\n", 4);
        if (!sep)
            break;
        char *mend = sep + 4;
        on_message(c, start, mend, now, measuring, &count);
        if (c->state == S_DEAD)
            return;
        start = scan = mend;
    }
    int rest = (int)(end - start);
    if (rest == c->incap) { /* a message longer than the buffer: keep its tail */
        start = end - 3;
        rest = 3;
    }
    if (rest && start != buf)
        memmove(buf, start, (size_t)rest);
    c->inlen = rest;
    if (!count)
        return;
    switch (c->role) {
    case R_PING:
        __atomic_fetch_add(&w->responses, count, __ATOMIC_RELAXED);
        send_pings(c, (int)count);
        break;
    case R_SENDER:
        __atomic_fetch_add(&w->responses, count, __ATOMIC_RELAXED);
        c->outstanding -= count < c->outstanding ? count : c->outstanding;
        if (c->outstanding < (uint64_t)g_window) {
            int more = g_window - (int)c->outstanding;
            c->outstanding += (uint64_t)more;
            send_userevents(c, more);
        }
        break;
    case R_RATE_SENDER:
        __atomic_fetch_add(&w->responses, count, __ATOMIC_RELAXED);
        c->outstanding -= count < c->outstanding ? count : c->outstanding;
        break;
    case R_ORIG:
        __atomic_fetch_add(&w->responses, count, __ATOMIC_RELAXED);
        orig_top_up(c);
        break;
    default:
        __atomic_fetch_add(&w->events, count, __ATOMIC_RELAXED);
        break;
    }
}

static void conn_event(struct conn *c, uint32_t ev) {
    if (c->state == S_DEAD)
        return;
    if (c->state == S_CONNECTING) {
        if (ev & (EPOLLERR | EPOLLHUP)) {
            conn_lost(c);
            return;
        }
        if (ev & EPOLLOUT) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err) {
                conn_lost(c);
                return;
            }
            c->state = S_LOGIN;
            set_interest(c, EPOLLIN);
            conn_send(c, c->login, c->login_len);
        }
        return;
    }
    if (c->state == S_STALLED) {
        if (ev & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
            conn_lost(c);
        else if (ev & EPOLLOUT)
            conn_flush(c);
        return;
    }
    if (ev & EPOLLOUT) {
        conn_flush(c);
        if (c->state == S_DEAD)
            return;
    }
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
        conn_readable(c);
}

/* Slow mode: keep the sender at g_rate events per second. */
static void rate_tick(struct worker *w) {
    struct conn *c = __atomic_load_n(&w->rate_sender, __ATOMIC_ACQUIRE);
    if (!c || c->state != S_READY || !w->started)
        return;
    uint64_t now = now_ns();
    if (!w->rate_start_ns)
        w->rate_start_ns = now;
    uint64_t due = (uint64_t)((double)(now - w->rate_start_ns) * g_rate / 1e9);
    if (due > w->rate_sent && c->outstanding < 100000) {
        int n = (int)(due - w->rate_sent);
        if (n > 10000)
            n = 10000;
        w->rate_sent += (uint64_t)n;
        c->outstanding += (uint64_t)n;
        send_timed_userevents(c, n);
    }
}

static void worker_loop(struct worker *w, int timeout_ms) {
    struct epoll_event evs[512];
    while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
        if (!w->started && __atomic_load_n(&g_run, __ATOMIC_ACQUIRE)) {
            w->started = 1;
            for (int i = 0; i < w->nconns; i++)
                role_start(w->conns[i]);
        }
        int n = epoll_wait(w->ep, evs, 512, timeout_ms);
        for (int i = 0; i < n; i++)
            conn_event(evs[i].data.ptr, evs[i].events);
        if (__atomic_load_n(&w->rate_sender, __ATOMIC_ACQUIRE))
            rate_tick(w);
    }
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    worker_loop(w, g_mode == M_SLOW ? 1 : 10);
    return NULL;
}

/* -- helpers for the main thread ------------------------------------------- */
static uint64_t sum_field(size_t offset) {
    uint64_t s = 0;
    for (int i = 0; i < g_threads; i++)
        s += __atomic_load_n((uint64_t *)((char *)&g_workers[i] + offset), __ATOMIC_RELAXED);
    return s;
}
#define SUM(field) sum_field(offsetof(struct worker, field))

static void sleep_s(double s) {
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static double secs(uint64_t a, uint64_t b) { return (double)(b - a) / 1e9; }

/* utime + stime of the server (-X PID) in seconds, or -1 */
static double server_cpu(void) {
    if (g_server_pid <= 0)
        return -1;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", g_server_pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    unsigned long long ut = 0, st = 0;
    /* after ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The Login action connections opened from now on send (each keeps its own pointer). */
static void make_login(const char *events) {
    char *buf = g_login_bufs[g_login_used++ % 4];
    g_login_len = snprintf(buf, sizeof g_login_bufs[0],
                           "Action: Login\r\nUsername: %s\r\nSecret: %s\r\nEvents: %s\r\n\r\n",
                           g_user, g_secret, events);
    g_login_msg = buf;
}

static void start_workers(void) {
    for (int i = 0; i < g_threads; i++)
        if (pthread_create(&g_workers[i].thread, NULL, worker_main, &g_workers[i]) != 0)
            die("pthread_create");
}

static void join_workers(void) {
    __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < g_threads; i++)
        pthread_join(g_workers[i].thread, NULL);
}

static void close_all(void) {
    for (int i = 0; i < g_threads; i++)
        for (int j = 0; j < g_workers[i].nconns; j++)
            conn_close(g_workers[i].conns[j]);
}

static void stop_workers(void) {
    join_workers();
    close_all();
}

/* Slow mode, after the run: read what the stalled receiver was sent, until the server's
 * close shows (EOF or reset) or `limit` seconds pass. The server closing with data still
 * queued sends its FIN after that data, so a receiver that never reads cannot see it. */
struct drained {
    int closed;
    uint64_t bytes;
    uint64_t last_sent; /* T of the last event it got */
};

static struct drained drain_stalled(struct conn *c, double limit) {
    struct drained d = {0, 0, 0};
    if (c->fd < 0) {
        d.closed = 1;
        return d;
    }
    static char buf[256 * 1024];
    uint64_t deadline = now_ns() + (uint64_t)(limit * 1e9);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(c->w->ep, EPOLL_CTL_MOD, c->fd, &ev);
    while (now_ns() < deadline) {
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            d.closed = 1;
            break;
        }
        if (n < 0) {
            struct epoll_event out;
            epoll_wait(c->w->ep, &out, 1, 20);
            continue;
        }
        d.bytes += (uint64_t)n;
        const char *end = buf + n, *p = buf;
        const char *t;
        while ((t = memmem(p, (size_t)(end - p), "\r\nT: ", 5)) != NULL) {
            const char *q = t + 5;
            while (q < end && *q >= '0' && *q <= '9')
                q++;
            if (q < end && *q == '\r')
                d.last_sent = parse_u64(t + 5, q);
            p = t + 5;
        }
    }
    return d;
}

/* Wait until `want` sessions logged in (or failed), at most g_timeout seconds. */
static int wait_logins(int want) {
    uint64_t deadline = now_ns() + (uint64_t)(g_timeout * 1e9);
    while (now_ns() < deadline) {
        int a = __atomic_load_n(&g_authed, __ATOMIC_ACQUIRE);
        int f = __atomic_load_n(&g_failed, __ATOMIC_RELAXED);
        if (a + f >= want)
            return a;
        sleep_s(0.001);
    }
    return __atomic_load_n(&g_authed, __ATOMIC_ACQUIRE);
}

/* Sample a counter every 5 ms for `seconds` and return the least-squares slope (per
 * second): a server that answers in bursts (a window of actions, each fanned out to many
 * receivers) makes a plain (end - start) / time jump by one burst either way. */
static double sampled_rate(size_t offset, double seconds) {
    enum { MAXS = 120000 };
    static double xs[MAXS], ys[MAXS];
    int n = 0;
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)(seconds * 1e9);
    uint64_t c0 = sum_field(offset);
    for (;;) {
        uint64_t t = now_ns();
        if (n < MAXS) {
            xs[n] = (double)(t - t0) / 1e9;
            ys[n] = (double)(sum_field(offset) - c0);
            n++;
        }
        if (t >= end)
            break;
        sleep_s(0.005);
    }
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        mx += xs[i];
        my += ys[i];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0;
    for (int i = 0; i < n; i++) {
        sxy += (xs[i] - mx) * (ys[i] - my);
        sxx += (xs[i] - mx) * (xs[i] - mx);
    }
    return sxx > 0 ? sxy / sxx : 0;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* -- modes ---------------------------------------------------------------- */
static int run_ping(void) {
    make_login("off");
    for (int i = 0; i < g_conns; i++)
        conn_open(&g_workers[i % g_threads], R_PING);
    start_workers();
    int authed = wait_logins(g_conns);
    if (authed < g_conns) {
        stop_workers();
        printf("{\"mode\":\"ping\",\"error\":\"only %d of %d logged in\"}\n", authed, g_conns);
        return 1;
    }
    __atomic_store_n(&g_run, 1, __ATOMIC_RELEASE);
    sleep_s(g_warmup);
    double c0 = server_cpu();
    uint64_t t0 = now_ns(), r0 = SUM(responses);
    double rate = sampled_rate(offsetof(struct worker, responses), g_duration);
    uint64_t t1 = now_ns(), r1 = SUM(responses);
    double c1 = server_cpu();
    uint64_t lost = SUM(lost);
    stop_workers();
    double el = secs(t0, t1);
    printf("{\"mode\":\"ping\",\"conns\":%d,\"depth\":%d,\"threads\":%d,\"seconds\":%.3f,"
           "\"responses\":%llu,\"rate\":%.1f,\"lost\":%llu,\"server_cpu_s\":%.2f}\n",
           g_conns, g_depth, g_threads, el, (unsigned long long)(r1 - r0),
           rate, (unsigned long long)lost, c0 >= 0 && c1 >= 0 ? c1 - c0 : -1.0);
    return 0;
}

static int run_fanout(void) {
    /* receivers first, senders start only once everybody is logged in */
    make_login("user");
    int k = 0;
    for (int i = 0; i < g_receivers; i++)
        conn_open(&g_workers[k++ % g_threads], R_RECEIVER);
    start_workers();
    int authed = wait_logins(g_receivers);
    if (authed < g_receivers) {
        stop_workers();
        printf("{\"mode\":\"fanout\",\"error\":\"only %d of %d receivers logged in\"}\n", authed,
               g_receivers);
        return 1;
    }
    make_login("off");
    for (int i = 0; i < g_senders; i++)
        conn_open(&g_workers[k++ % g_threads], R_SENDER);
    authed = wait_logins(g_receivers + g_senders);
    if (authed < g_receivers + g_senders) {
        stop_workers();
        printf("{\"mode\":\"fanout\",\"error\":\"senders did not log in\"}\n");
        return 1;
    }
    __atomic_store_n(&g_run, 1, __ATOMIC_RELEASE);
    sleep_s(g_warmup);
    double c0 = server_cpu();
    uint64_t t0 = now_ns(), e0 = SUM(events), s0 = SUM(responses);
    double rate = sampled_rate(offsetof(struct worker, events), g_duration);
    uint64_t t1 = now_ns(), e1 = SUM(events), s1 = SUM(responses);
    double c1 = server_cpu();
    uint64_t lost_r = SUM(lost_receivers), lost = SUM(lost);
    stop_workers();
    double el = secs(t0, t1);
    printf("{\"mode\":\"fanout\",\"receivers\":%d,\"senders\":%d,\"window\":%d,\"threads\":%d,"
           "\"seconds\":%.3f,\"events\":%llu,\"rate\":%.1f,\"sent_rate\":%.1f,"
           "\"lost_receivers\":%llu,\"lost\":%llu,\"server_cpu_s\":%.2f}\n",
           g_receivers, g_senders, g_window, g_threads, el, (unsigned long long)(e1 - e0),
           rate, (double)(s1 - s0) / el, (unsigned long long)lost_r,
           (unsigned long long)lost, c0 >= 0 && c1 >= 0 ? c1 - c0 : -1.0);
    return 0;
}

static int run_logins(void) {
    make_login("off");
    struct worker *w = &g_workers[0];
    g_threads = 1;
    double c0 = server_cpu();
    uint64_t t0 = now_ns();
    for (int i = 0; i < g_conns; i++)
        conn_open(w, R_LOGIN);
    uint64_t connected = now_ns();
    uint64_t deadline = t0 + (uint64_t)(g_timeout * 1e9);
    struct epoll_event evs[512];
    while (now_ns() < deadline) {
        if (g_authed + g_failed >= g_conns)
            break;
        int n = epoll_wait(w->ep, evs, 512, 10);
        for (int i = 0; i < n; i++)
            conn_event(evs[i].data.ptr, evs[i].events);
    }
    double c1 = server_cpu();
    int ok = g_authed;
    int failed = g_conns - ok;
    double el = ok ? secs(t0, g_last_auth_ns) : 0.0;
    for (int i = 0; i < w->nconns; i++)
        conn_close(w->conns[i]);
    printf("{\"mode\":\"logins\",\"conns\":%d,\"ok\":%d,\"failed\":%d,\"seconds\":%.4f,"
           "\"connect_seconds\":%.4f,\"complete\":%s,\"server_cpu_s\":%.2f}\n",
           g_conns, ok, failed, el, secs(t0, connected), ok == g_conns ? "true" : "false",
           c0 >= 0 && c1 >= 0 ? c1 - c0 : -1.0);
    return ok == g_conns ? 0 : 1;
}

static int run_idle(void) {
    make_login(g_idle_events);
    struct worker *w = &g_workers[0];
    g_threads = 1;
    raise_nofile(g_conns + 64);
    uint64_t t0 = now_ns();
    uint64_t deadline = t0 + (uint64_t)(g_timeout * 1e9);
    struct epoll_event evs[512];
    int opened = 0;
    while (now_ns() < deadline) {
        int done = g_authed + g_failed;
        if (done >= g_conns)
            break;
        while (opened < g_conns && opened - done < g_pace) {
            conn_open(w, R_LOGIN);
            opened++;
        }
        int n = epoll_wait(w->ep, evs, 512, 10);
        for (int i = 0; i < n; i++)
            conn_event(evs[i].data.ptr, evs[i].events);
    }
    double el = secs(t0, now_ns());
    printf("READY {\"sessions\":%d,\"failed\":%d,\"seconds\":%.3f}\n", g_authed,
           g_conns - g_authed, el);
    fflush(stdout);
    /* hold until stdin gives a line or closes, watching for sessions the server drops */
    struct epoll_event sev = {.events = EPOLLIN, .data.ptr = STDIN_TAG};
    int have_stdin = epoll_ctl(w->ep, EPOLL_CTL_ADD, 0, &sev) == 0;
    uint64_t hold_until = now_ns() + (uint64_t)(g_hold * 1e9);
    int go = 0;
    while (!go && now_ns() < hold_until) {
        int n = epoll_wait(w->ep, evs, 512, 50);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == STDIN_TAG) {
                go = 1;
                continue;
            }
            conn_event(evs[i].data.ptr, evs[i].events);
        }
        (void)have_stdin;
    }
    uint64_t lost = w->lost;
    for (int i = 0; i < w->nconns; i++)
        conn_close(w->conns[i]);
    printf("{\"mode\":\"idle\",\"sessions\":%d,\"failed\":%d,\"seconds\":%.3f,\"lost\":%llu}\n",
           g_authed, g_conns - g_authed, el, (unsigned long long)lost);
    return 0;
}

static int run_slow(void) {
    /* receivers on worker 0.., the sender on the last worker with a 1 ms tick */
    make_login("user");
    int k = 0;
    for (int i = 0; i < g_receivers; i++)
        conn_open(&g_workers[k++ % g_threads], R_RECEIVER);
    for (int i = 0; i < g_stalled; i++)
        conn_open(&g_workers[0], R_STALLED);
    struct worker *sw = &g_workers[g_threads - 1];
    for (int i = 0; i < g_threads; i++) {
        g_workers[i].caplat = 2000000;
        g_workers[i].lat = malloc(sizeof(uint64_t) * g_workers[i].caplat);
        if (!g_workers[i].lat)
            die("malloc");
    }
    make_login("off");
    /* the sender logs in after the receivers; its own worker owns it */
    start_workers();
    int want = g_receivers + g_stalled;
    if (wait_logins(want) < want) {
        stop_workers();
        printf("{\"mode\":\"slow\",\"error\":\"receivers did not log in\"}\n");
        return 1;
    }
    struct conn *s = conn_open(sw, R_RATE_SENDER);
    __atomic_store_n(&sw->rate_sender, s, __ATOMIC_RELEASE);
    if (wait_logins(want + 1) < want + 1) {
        stop_workers();
        printf("{\"mode\":\"slow\",\"error\":\"sender did not log in\"}\n");
        return 1;
    }
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    uint64_t start = now_ns();
    __atomic_store_n(&g_start_ns, start, __ATOMIC_RELEASE);
    __atomic_store_n(&g_run, 1, __ATOMIC_RELEASE);
    sleep_s(g_warmup);
    __atomic_store_n(&g_measure, 1, __ATOMIC_RELEASE);
    uint64_t t0 = now_ns(), e0 = SUM(events);
    sleep_s(g_duration);
    __atomic_store_n(&g_measure, 0, __ATOMIC_RELEASE);
    uint64_t t1 = now_ns(), e1 = SUM(events);
    uint64_t lost_r = SUM(lost_receivers);
    join_workers();
    uint64_t stop_ns = now_ns();
    struct drained d = {0, 0, 0};
    for (int j = 0; j < g_workers[0].nconns; j++)
        if (g_workers[0].conns[j]->role == R_STALLED)
            d = drain_stalled(g_workers[0].conns[j], 3.0);
    close_all();
    size_t total = 0;
    uint64_t seen = 0;
    for (int i = 0; i < g_threads; i++) {
        total += g_workers[i].nlat;
        seen += g_workers[i].seen;
    }
    uint64_t *all = malloc(sizeof(uint64_t) * (total ? total : 1));
    size_t at = 0;
    for (int i = 0; i < g_threads; i++) {
        memcpy(all + at, g_workers[i].lat, sizeof(uint64_t) * g_workers[i].nlat);
        at += g_workers[i].nlat;
    }
    qsort(all, total, sizeof(uint64_t), cmp_u64);
    double p50 = total ? (double)all[total / 2] / 1e3 : 0;
    double p99 = total ? (double)all[(size_t)((double)total * 0.99)] / 1e3 : 0;
    double p999 = total ? (double)all[(size_t)((double)total * 0.999)] / 1e3 : 0;
    double mx = total ? (double)all[total - 1] / 1e3 : 0;
    int gone = __atomic_load_n(&g_stalled_gone, __ATOMIC_ACQUIRE);
    double gone_ms = gone ? secs(start, g_stalled_gone_ns) * 1e3 : -1;
    double el = secs(t0, t1);
    /* the worst latency per 50 ms of send time, in ms */
    char tl[TIMELINE * 12 + 4];
    int tlen = 0;
    uint64_t nb = (stop_ns - start) / BUCKET_NS;
    if (nb > TIMELINE)
        nb = TIMELINE;
    tl[tlen++] = '[';
    for (uint64_t b = 0; b < nb; b++) {
        uint64_t m = 0;
        for (int i = 0; i < g_threads; i++)
            if (g_workers[i].timeline[b] > m)
                m = g_workers[i].timeline[b];
        tlen += snprintf(tl + tlen, sizeof tl - (size_t)tlen, "%s%.2f", b ? "," : "", (double)m / 1e6);
    }
    tl[tlen++] = ']';
    tl[tlen] = 0;
    printf("{\"mode\":\"slow\",\"receivers\":%d,\"stalled\":%d,\"rate\":%.0f,\"seconds\":%.3f,"
           "\"delivered_rate\":%.1f,\"samples\":%llu,\"p50_us\":%.1f,\"p99_us\":%.1f,"
           "\"p999_us\":%.1f,\"max_us\":%.1f,\"pad\":%d,\"stalled_disconnected\":%s,"
           "\"stalled_disconnect_ms\":%.1f,\"stalled_closed\":%s,\"stalled_bytes\":%llu,"
           "\"stalled_last_event_ms\":%.1f,\"start_epoch\":%.6f,\"lost_receivers\":%llu,"
           "\"timeline_ms\":%s}\n",
           g_receivers, g_stalled, g_rate, el, (double)(e1 - e0) / el, (unsigned long long)seen,
           p50, p99, p999, mx, g_pad_bytes, gone ? "true" : "false", gone_ms,
           d.closed ? "true" : "false", (unsigned long long)d.bytes,
           d.last_sent > start ? secs(start, d.last_sent) * 1e3 : -1.0,
           (double)wall.tv_sec + (double)wall.tv_nsec / 1e9, (unsigned long long)lost_r, tl);
    free(all);
    return 0;
}

/* -- calls / held ----------------------------------------------------------- */
static uint64_t orig_inflight(void) {
    uint64_t sent = SUM(orig_sent), done = SUM(calls_done);
    return sent > done ? sent - done : 0;
}

/* Open -s originators (Events: call + Filter), -k Originates in flight over all of them. */
static int open_originators(int *k, int already) {
    make_login("call");
    make_originate();
    for (int i = 0; i < g_senders; i++) {
        struct conn *c = conn_open(&g_workers[(*k)++ % g_threads], R_ORIG);
        c->depth = g_depth / g_senders + (i < g_depth % g_senders ? 1 : 0);
    }
    int want = already + g_senders;
    return wait_logins(want) >= want;
}

struct conn_sum {
    uint64_t sent, answered, ok, fail, errors;
};

static struct conn_sum orig_totals(void) {
    struct conn_sum t = {0, 0, 0, 0, 0};
    for (int i = 0; i < g_threads; i++)
        for (int j = 0; j < g_workers[i].nconns; j++) {
            struct conn *c = g_workers[i].conns[j];
            if (c->role != R_ORIG)
                continue;
            t.sent += c->sent;
            t.answered += c->answered;
            t.ok += c->orig_ok;
            t.fail += c->orig_fail;
            t.errors += c->errors;
        }
    return t;
}

/* Listeners' counts: the smallest and largest over the listeners still connected. */
struct listen_stat {
    int alive;
    uint64_t min_hangup, max_hangup, min_origresp, max_origresp, min_total, max_total;
};

static struct listen_stat listeners(void) {
    struct listen_stat s = {0, UINT64_MAX, 0, UINT64_MAX, 0, UINT64_MAX, 0};
    for (int i = 0; i < g_threads; i++)
        for (int j = 0; j < g_workers[i].nconns; j++) {
            struct conn *c = g_workers[i].conns[j];
            if (c->role != R_RECEIVER || __atomic_load_n(&c->state, __ATOMIC_RELAXED) != S_READY)
                continue;
            s.alive++;
            uint64_t h = __atomic_load_n(&c->ev_hangup, __ATOMIC_RELAXED);
            uint64_t o = __atomic_load_n(&c->ev_origresp, __ATOMIC_RELAXED);
            uint64_t e = __atomic_load_n(&c->ev_total, __ATOMIC_RELAXED);
            if (h < s.min_hangup) s.min_hangup = h;
            if (h > s.max_hangup) s.max_hangup = h;
            if (o < s.min_origresp) s.min_origresp = o;
            if (o > s.max_origresp) s.max_origresp = o;
            if (e < s.min_total) s.min_total = e;
            if (e > s.max_total) s.max_total = e;
        }
    if (!s.alive)
        s.min_hangup = s.min_origresp = s.min_total = 0;
    return s;
}

static int run_calls(void) {
    /* listeners first; the originators start once everybody is logged in */
    make_login("on");
    int k = 0;
    for (int i = 0; i < g_receivers; i++)
        conn_open(&g_workers[k++ % g_threads], R_RECEIVER);
    start_workers();
    if (wait_logins(g_receivers) < g_receivers) {
        stop_workers();
        printf("{\"mode\":\"calls\",\"error\":\"listeners did not log in\"}\n");
        return 1;
    }
    if (!open_originators(&k, g_receivers)) {
        stop_workers();
        printf("{\"mode\":\"calls\",\"error\":\"originators did not log in (or Filter refused)\"}\n");
        return 1;
    }
    __atomic_store_n(&g_run, 1, __ATOMIC_RELEASE);
    sleep_s(g_warmup);
    double c0 = server_cpu();
    uint64_t t0 = now_ns(), ok0 = SUM(calls_ok), e0 = SUM(events);
    double rate = sampled_rate(offsetof(struct worker, calls_ok), g_duration);
    uint64_t t1 = now_ns(), ok1 = SUM(calls_ok), e1 = SUM(events);
    double c1 = server_cpu();
    /* how far the listeners trail the originators at the end of the window, in calls */
    struct listen_stat at_end = listeners();
    uint64_t done_end = SUM(calls_done) - orig_totals().errors;
    /* stop, let the calls in flight finish, then wait for the listeners to see them all */
    __atomic_store_n(&g_orig_stop, 1, __ATOMIC_RELEASE);
    uint64_t stop = now_ns(), deadline = stop + (uint64_t)(g_timeout * 1e9);
    while (orig_inflight() > 0 && now_ns() < deadline)
        sleep_s(0.002);
    uint64_t settled = now_ns();
    struct conn_sum o = orig_totals();
    uint64_t responses = o.ok + o.fail;
    struct listen_stat ls = listeners();
    while (g_receivers && now_ns() < deadline) {
        ls = listeners();
        if (ls.alive < g_receivers ||
            (ls.min_origresp >= responses && ls.min_hangup >= 2 * responses))
            break;
        sleep_s(0.002);
    }
    uint64_t caught_up = now_ns();
    sleep_s(0.2); /* anything beyond the expected counts would show now */
    ls = listeners();
    uint64_t lost_r = SUM(lost_receivers), lost = SUM(lost);
    stop_workers();
    double el = secs(t0, t1);
    int all_seen = g_receivers == 0 ||
                   (ls.alive == g_receivers && ls.min_hangup == 2 * responses &&
                    ls.max_hangup == 2 * responses && ls.min_origresp == responses &&
                    ls.max_origresp == responses);
    printf("{\"mode\":\"calls\",\"listeners\":%d,\"originators\":%d,\"in_flight\":%d,"
           "\"threads\":%d,\"seconds\":%.3f,\"rate\":%.1f,\"calls_ok_window\":%llu,"
           "\"events_rate\":%.1f,\"sent\":%llu,\"queued\":%llu,\"ok\":%llu,\"failed\":%llu,"
           "\"refused\":%llu,\"inflight_left\":%llu,\"drain_ms\":%.1f,\"catchup_ms\":%.1f,"
           "\"lag_calls_at_end\":%lld,\"listeners_alive\":%d,\"hangups_min\":%llu,"
           "\"hangups_max\":%llu,\"origresp_min\":%llu,\"origresp_max\":%llu,"
           "\"events_per_listener\":%llu,\"all_seen\":%s,\"lost_receivers\":%llu,\"lost\":%llu,"
           "\"server_cpu_s\":%.2f}\n",
           g_receivers, g_senders, g_depth, g_threads, el, rate,
           (unsigned long long)(ok1 - ok0), (double)(e1 - e0) / el,
           (unsigned long long)o.sent, (unsigned long long)o.answered, (unsigned long long)o.ok,
           (unsigned long long)o.fail, (unsigned long long)o.errors,
           (unsigned long long)orig_inflight(), secs(stop, settled) * 1e3,
           secs(settled, caught_up) * 1e3,
           g_receivers ? (long long)done_end - (long long)at_end.min_origresp : 0LL, ls.alive,
           (unsigned long long)ls.min_hangup, (unsigned long long)ls.max_hangup,
           (unsigned long long)ls.min_origresp, (unsigned long long)ls.max_origresp,
           (unsigned long long)ls.min_total, all_seen ? "true" : "false",
           (unsigned long long)lost_r, (unsigned long long)lost,
           c0 >= 0 && c1 >= 0 ? c1 - c0 : -1.0);
    return 0;
}

static int run_held(void) {
    int k = 0;
    g_orig_budget = g_target_calls;
    start_workers();
    if (!open_originators(&k, 0)) {
        stop_workers();
        printf("{\"mode\":\"held\",\"error\":\"originators did not log in (or Filter refused)\"}\n");
        return 1;
    }
    uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(g_timeout * 1e9);
    __atomic_store_n(&g_run, 1, __ATOMIC_RELEASE);
    while (now_ns() < deadline) {
        if ((long)SUM(calls_ok) >= g_target_calls || SUM(lost))
            break;
        sleep_s(0.005);
    }
    __atomic_store_n(&g_orig_stop, 1, __ATOMIC_RELEASE);
    double el = secs(t0, now_ns());
    struct conn_sum o = orig_totals();
    printf("READY {\"calls\":%llu,\"failed\":%llu,\"refused\":%llu,\"sent\":%llu,"
           "\"seconds\":%.3f}\n",
           (unsigned long long)o.ok, (unsigned long long)o.fail, (unsigned long long)o.errors,
           (unsigned long long)o.sent, el);
    fflush(stdout);
    /* hold until stdin gives a line or closes (the workers keep reading meanwhile) */
    int sep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event sev = {.events = EPOLLIN, .data.ptr = STDIN_TAG};
    int have_stdin = sep >= 0 && epoll_ctl(sep, EPOLL_CTL_ADD, 0, &sev) == 0;
    uint64_t hold_until = now_ns() + (uint64_t)(g_hold * 1e9);
    while (have_stdin && now_ns() < hold_until) {
        struct epoll_event ev;
        if (epoll_wait(sep, &ev, 1, 50) > 0)
            break;
    }
    if (sep >= 0)
        close(sep);
    uint64_t lost = SUM(lost);
    stop_workers();
    o = orig_totals();
    printf("{\"mode\":\"held\",\"calls\":%llu,\"failed\":%llu,\"refused\":%llu,\"sent\":%llu,"
           "\"seconds\":%.3f,\"lost\":%llu}\n",
           (unsigned long long)o.ok, (unsigned long long)o.fail, (unsigned long long)o.errors,
           (unsigned long long)o.sent, el, (unsigned long long)lost);
    return 0;
}

static void usage(void) {
    fprintf(stderr,
            "usage: amiload MODE -p PORT [options]\n"
            "  MODE: ping | fanout | logins | idle | slow | calls | held\n"
            "  -H host (127.0.0.1)  -p port  -u user  -x secret\n"
            "  -c connections  -k pings in flight per connection  -t threads\n"
            "  -d seconds measured  -w seconds of warm-up  -T timeout for logins\n"
            "  -r receivers  -s senders  -W sender window\n"
            "  -R events/s (slow)  -S stalled receivers (slow)  -B stalled SO_RCVBUF\n"
            "  -L bytes of padding per timed event (slow)\n"
            "  -X server PID: report its CPU seconds over the measured window\n"
            "  -P logins in flight (idle)  -h seconds to hold (idle, held)  -e events (idle)\n"
            "  calls/held: -r listeners (calls)  -s originators  -k Originates in flight in all\n"
            "  -C channel (Local/100@bench)  -A application (Wait)  -D data (0)\n"
            "  -E EXTEN@CONTEXT (instead of -A/-D)  -F 0: no Filter, originators read all call events\n"
            "  -n calls to bring up (held, 20000)\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc < 2)
        usage();
    const char *mode = argv[1];
    if (!strcmp(mode, "ping"))
        g_mode = M_PING;
    else if (!strcmp(mode, "fanout"))
        g_mode = M_FANOUT;
    else if (!strcmp(mode, "logins"))
        g_mode = M_LOGINS;
    else if (!strcmp(mode, "idle"))
        g_mode = M_IDLE;
    else if (!strcmp(mode, "slow"))
        g_mode = M_SLOW;
    else if (!strcmp(mode, "calls"))
        g_mode = M_CALLS;
    else if (!strcmp(mode, "held"))
        g_mode = M_HELD;
    else
        usage();
    optind = 2;
    int opt;
    while ((opt = getopt(argc, argv, "H:p:u:x:c:k:t:d:w:T:r:s:W:R:S:B:P:h:e:L:X:C:A:D:E:F:n:")) != -1) {
        switch (opt) {
        case 'H': g_host = optarg; break;
        case 'p': g_port = atoi(optarg); break;
        case 'u': g_user = optarg; break;
        case 'x': g_secret = optarg; break;
        case 'c': g_conns = atoi(optarg); break;
        case 'k': g_depth = atoi(optarg); break;
        case 't': g_threads = atoi(optarg); break;
        case 'd': g_duration = atof(optarg); break;
        case 'w': g_warmup = atof(optarg); break;
        case 'T': g_timeout = atof(optarg); break;
        case 'r': g_receivers = atoi(optarg); break;
        case 's': g_senders = atoi(optarg); break;
        case 'W': g_window = atoi(optarg); break;
        case 'R': g_rate = atof(optarg); break;
        case 'S': g_stalled = atoi(optarg); break;
        case 'B': g_stalled_rcvbuf = atoi(optarg); break;
        case 'P': g_pace = atoi(optarg); break;
        case 'h': g_hold = atof(optarg); break;
        case 'e': g_idle_events = optarg; break;
        case 'L': g_pad_bytes = atoi(optarg); break;
        case 'X': g_server_pid = atoi(optarg); break;
        case 'C': g_orig_channel = optarg; break;
        case 'A': g_orig_app = optarg; break;
        case 'D': g_orig_data = optarg; break;
        case 'E': g_orig_exten = optarg; break;
        case 'F': g_orig_filter = atoi(optarg); break;
        case 'n': g_target_calls = atol(optarg); break;
        default: usage();
        }
    }
    if (g_port <= 0 || g_port > 65535)
        usage();
    if (g_threads < 1)
        g_threads = 1;
    if (g_threads > MAX_WORKERS)
        g_threads = MAX_WORKERS;
    if (g_depth < 1)
        g_depth = 1;
    if ((g_mode == M_CALLS || g_mode == M_HELD) && g_senders < 1)
        g_senders = 1;
    if ((g_mode == M_CALLS || g_mode == M_HELD) && g_depth < g_senders)
        g_depth = g_senders;
    if (g_mode == M_HELD)
        g_receivers = 0;
    if (g_window < 1)
        g_window = 1;
    if (g_pace < 1)
        g_pace = 1;
    if (g_duration > 600)
        g_duration = 600;
    if (g_hold > 600)
        g_hold = 600;
    if (g_timeout > 600)
        g_timeout = 600;
    memset(&g_addr, 0, sizeof g_addr);
    g_addr.sin_family = AF_INET;
    g_addr.sin_port = htons((uint16_t)g_port);
    if (inet_pton(AF_INET, g_host, &g_addr.sin_addr) != 1)
        usage();
    if (g_pad_bytes > 64 * 1024)
        g_pad_bytes = 64 * 1024;
    make_pad(g_pad_bytes);
    raise_nofile(g_conns + g_receivers + g_senders + g_stalled + 64);
    for (int i = 0; i < MAX_WORKERS; i++) {
        g_workers[i].index = i;
        g_workers[i].ep = epoll_create1(EPOLL_CLOEXEC);
        if (g_workers[i].ep < 0)
            die("epoll_create1");
    }
    switch (g_mode) {
    case M_PING: return run_ping();
    case M_FANOUT: return run_fanout();
    case M_LOGINS: return run_logins();
    case M_IDLE: return run_idle();
    case M_CALLS: return run_calls();
    case M_HELD: return run_held();
    default: return run_slow();
    }
}
