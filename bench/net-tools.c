/*
 * Small network helpers for bench/production.ts, in C because Node's timers round to
 * milliseconds and the effects measured are tens of microseconds. Loopback only.
 *
 *   net-tools delay <listen_port> <target_port> <delay_us>
 *       A TCP delay line on 127.0.0.1: every chunk read from either side is written to the
 *       other side delay_us after it arrived (per direction, order kept): a round trip of
 *       2 * delay_us on top of loopback's.
 *
 *   net-tools load <port> <rate_per_s> <keys>
 *       One client sending GET key:<random below keys> to 127.0.0.1:<port> at a fixed rate, one
 *       request at a time, each timed from its send to its full reply (this machine's scheduling
 *       delays of the load process itself are not Redis's latency). On SIGTERM or SIGINT it
 *       prints one line per request, "<wall clock us> <latency us>", and exits.
 *
 *   net-tools ping <port> <count>
 *       The median round trip of `count` sequential PINGs to 127.0.0.1:<port>, microseconds.
 *
 * Build: cc -O2 -o net-tools bench/net-tools.c (bench/production.ts does it)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(int64_t deadline_ns) {
  struct timespec ts = {.tv_sec = deadline_ns / 1000000000LL, .tv_nsec = deadline_ns % 1000000000LL};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

static int connect_local(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    perror("connect");
    exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* ---- delay line ---- */

/*
 * One thread, one epoll loop: a chunk read from either side is queued with its due time and
 * written when due. The loop sleeps in epoll_pwait2 (nanosecond timeout, 1 ns timer slack)
 * until the next due time or new data. It does not spin: on a 2-core machine a spinning delay
 * line would take CPU from Redis and skew the latency it is there to measure. No thread
 * hand-offs either: each costs tens of microseconds of wake-up on a virtual machine.
 */
struct chunk {
  struct chunk *next;
  int64_t due_ns;
  size_t length, sent;
  char data[];
};

struct side {
  int fd;
  struct side *peer;
  /* Chunks read from this side, waiting to be written to the peer. */
  struct chunk *head, *tail;
  int eof;
  /* Closed in this batch of events: later events of the batch may still name it. */
  int closed;
};

#define MAX_SIDES 256
static struct side *sides[MAX_SIDES];
static int side_count = 0;
/* Sides closed in the current batch, freed once the batch is handled. */
static struct side *graveyard[MAX_SIDES];
static int graveyard_count = 0;

static void set_nonblocking(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void close_pair(int ep, struct side *s) {
  if (s->closed) return;
  struct side *p = s->peer;
  for (int i = 0; i < side_count; i++) {
    if (sides[i] == s || sides[i] == p) {
      sides[i] = sides[--side_count];
      i--;
    }
  }
  epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
  epoll_ctl(ep, EPOLL_CTL_DEL, p->fd, NULL);
  close(s->fd);
  close(p->fd);
  for (struct side *x = s; x != NULL; x = (x == s ? p : NULL)) {
    while (x->head) {
      struct chunk *c = x->head;
      x->head = c->next;
      free(c);
    }
    x->tail = NULL;
    x->closed = 1;
    graveyard[graveyard_count++] = x;
  }
}

static void bury(void) {
  while (graveyard_count > 0) free(graveyard[--graveyard_count]);
}

/* Writes every due chunk; returns the earliest due time still pending (or INT64_MAX). */
static int64_t flush_due(int ep) {
  int64_t now = now_ns(CLOCK_MONOTONIC), earliest = INT64_MAX;
  for (int i = 0; i < side_count; i++) {
    struct side *s = sides[i];
    while (s->head != NULL && s->head->due_ns <= now) {
      struct chunk *c = s->head;
      ssize_t n = write(s->peer->fd, c->data + c->sent, c->length - c->sent);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break; /* the peer is full: retry soon */
      if (n <= 0) {
        close_pair(ep, s);
        return flush_due(ep);
      }
      c->sent += (size_t)n;
      if (c->sent < c->length) break;
      s->head = c->next;
      if (s->head == NULL) s->tail = NULL;
      free(c);
    }
    if (s->head != NULL) earliest = s->head->due_ns < earliest ? s->head->due_ns : earliest;
    else if (s->eof) shutdown(s->peer->fd, SHUT_WR);
  }
  return earliest;
}

static int delay_line(int listen_port, int target_port, int64_t delay_us) {
  prctl(PR_SET_TIMERSLACK, 1UL);
  /* A peer that closes while data is still flowing is a closed pair, not a reason to die. */
  signal(SIGPIPE, SIG_IGN);
  int server = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)listen_port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(server, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(server, 64) != 0) {
    perror("listen");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, server, &ev);
  printf("listening %d\n", listen_port);
  fflush(stdout);
  const int64_t delay_ns = delay_us * 1000;
  char buffer[65536];
  for (;;) {
    int64_t earliest = flush_due(ep), now = now_ns(CLOCK_MONOTONIC);
    if (earliest != INT64_MAX && earliest <= now) continue;
    struct timespec timeout = {0, 0}, *wait = NULL;
    if (earliest != INT64_MAX) {
      int64_t ns = earliest - now;
      timeout.tv_sec = ns / 1000000000LL;
      timeout.tv_nsec = ns % 1000000000LL;
      wait = &timeout;
    }
    struct epoll_event events[64];
    int n = epoll_pwait2(ep, events, 64, wait, NULL);
    for (int i = 0; i < n; i++) {
      struct side *s = events[i].data.ptr;
      if (s != NULL && s->closed) continue;
      if (s == NULL) {
        int client = accept(server, NULL, NULL);
        if (client < 0 || side_count + 2 > MAX_SIDES) {
          if (client >= 0) close(client);
          continue;
        }
        int upstream = connect_local(target_port);
        set_nonblocking(client);
        set_nonblocking(upstream);
        struct side *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
        a->fd = client;
        b->fd = upstream;
        a->peer = b;
        b->peer = a;
        sides[side_count++] = a;
        sides[side_count++] = b;
        struct epoll_event ea = {.events = EPOLLIN, .data.ptr = a}, eb = {.events = EPOLLIN, .data.ptr = b};
        epoll_ctl(ep, EPOLL_CTL_ADD, client, &ea);
        epoll_ctl(ep, EPOLL_CTL_ADD, upstream, &eb);
        continue;
      }
      ssize_t got = read(s->fd, buffer, sizeof buffer);
      int64_t arrived = now_ns(CLOCK_MONOTONIC);
      if (got == 0) {
        s->eof = 1;
        epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
        if (s->head == NULL && s->peer->eof && s->peer->head == NULL) close_pair(ep, s);
        continue;
      }
      if (got < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) close_pair(ep, s);
        continue;
      }
      struct chunk *c = malloc(sizeof *c + (size_t)got);
      c->next = NULL;
      c->due_ns = arrived + delay_ns;
      c->length = (size_t)got;
      c->sent = 0;
      memcpy(c->data, buffer, (size_t)got);
      if (s->tail) s->tail->next = c; else s->head = c;
      s->tail = c;
    }
    bury();
  }
}

/* ---- load ---- */

static volatile sig_atomic_t stopping = 0;
static void on_stop(int sig) {
  (void)sig;
  stopping = 1;
}

/* Reads one RESP reply to GET (a bulk string or nil) completely. */
static int read_reply(int fd, char *buffer, size_t size) {
  size_t have = 0;
  for (;;) {
    ssize_t n = read(fd, buffer + have, size - have);
    if (n <= 0) return -1;
    have += (size_t)n;
    char *crlf = memchr(buffer, '\n', have);
    if (crlf == NULL) continue;
    if (buffer[0] != '$') return 0;
    long length = strtol(buffer + 1, NULL, 10);
    size_t header = (size_t)(crlf - buffer) + 1;
    if (length < 0 || have >= header + (size_t)length + 2) return 0;
  }
}

static int load(int port, double rate, long keys) {
  struct sigaction sa = {.sa_handler = on_stop};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  prctl(PR_SET_TIMERSLACK, 1UL);
  int fd = connect_local(port);
  size_t capacity = 1 << 20, count = 0;
  int64_t *walls = malloc(capacity * sizeof *walls), *latencies = malloc(capacity * sizeof *latencies);
  int64_t interval = (int64_t)(1e9 / rate);
  int64_t next = now_ns(CLOCK_MONOTONIC);
  char request[64], reply[4096];
  unsigned seed = 12345;
  printf("running\n");
  fflush(stdout);
  while (!stopping) {
    sleep_until(next);
    /* Timed from the send: a late wake-up of this process is the machine's, not Redis's. */
    int64_t sent = now_ns(CLOCK_MONOTONIC);
    char key[32];
    int key_length = snprintf(key, sizeof key, "key:%ld", (long)(rand_r(&seed) % keys));
    int length = snprintf(request, sizeof request, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", key_length, key);
    if (write(fd, request, (size_t)length) != length || read_reply(fd, reply, sizeof reply) != 0) break;
    int64_t done = now_ns(CLOCK_MONOTONIC);
    if (count == capacity) {
      capacity *= 2;
      walls = realloc(walls, capacity * sizeof *walls);
      latencies = realloc(latencies, capacity * sizeof *latencies);
    }
    walls[count] = now_ns(CLOCK_REALTIME) / 1000;
    latencies[count] = (done - sent) / 1000;
    count += 1;
    next += interval;
    if (next < done - 1000000000LL) next = done; /* a stall of over 1 s: do not burst to catch up */
  }
  for (size_t i = 0; i < count; i++) printf("%lld %lld\n", (long long)walls[i], (long long)latencies[i]);
  return 0;
}

/* Median round trip of `count` sequential PINGs, in microseconds. */
static int ping(int port, int count) {
  int fd = connect_local(port);
  int64_t *rtts = malloc((size_t)count * sizeof *rtts);
  char reply[64];
  for (int i = 0; i < count; i++) {
    int64_t start = now_ns(CLOCK_MONOTONIC);
    if (write(fd, "PING\r\n", 6) != 6 || read(fd, reply, sizeof reply) <= 0) return 1;
    rtts[i] = (now_ns(CLOCK_MONOTONIC) - start) / 1000;
  }
  for (int i = 1; i < count; i++)
    for (int j = i; j > 0 && rtts[j - 1] > rtts[j]; j--) {
      int64_t t = rtts[j];
      rtts[j] = rtts[j - 1];
      rtts[j - 1] = t;
    }
  printf("%lld\n", (long long)rtts[count / 2]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "ping") == 0) return ping(atoi(argv[2]), atoi(argv[3]));
  if (argc == 5 && strcmp(argv[1], "delay") == 0) return delay_line(atoi(argv[2]), atoi(argv[3]), atoll(argv[4]));
  if (argc == 5 && strcmp(argv[1], "load") == 0) return load(atoi(argv[2]), atof(argv[3]), atol(argv[4]));
  fprintf(stderr, "usage: net-tools delay <listen_port> <target_port> <delay_us> | load <port> <rate_per_s> <keys> | ping <port> <count>\n");
  return 2;
}
