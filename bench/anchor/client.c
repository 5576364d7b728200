/*
 * The C anchor of the generator bench (bench/generator.ts): the physical floor of a WebSocket load client, in place of
 * tcpkali (not packaged in Debian 12). One thread, epoll, non-blocking sockets, an upgrade request written once, masked
 * text frames built by hand; per connection one fixed record (fd, state, a 256-byte read buffer), nothing else.
 * Same arguments and JSON lines as bench/floor-client.ts:
 *
 *   client --host 127.0.0.1 --port P --conns N [--in-flight 256] [--delay-ms 1000] [--mode hold|rate|echo]
 *          [--rate 40] [--seconds 20] [--payload 64]
 *   → {"ev":"open","opened":N,"failed":F}   once every attempt ended
 *   → {"ev":"done","sent":S,"received":R,"p50":ms,"p99":ms}   rate / echo, after --seconds of load
 *
 * Compiled on demand: cc -O2 -o anchor-client client.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CONNECTING = 1, UPGRADING = 2, OPEN = 3, DEAD = 4 };
#define RBUF 256

struct conn {
  int fd;
  uint8_t state;
  uint16_t rlen;
  double next_send; /* ms, rate mode */
  char rbuf[RBUF];
};

static const char *host = "127.0.0.1";
static int port = 8080, nconns = 1000, in_flight = 256, delay_ms = 1000, payload = 64;
static double rate = 40, seconds = 20;
static char mode[8] = "hold";
static struct conn *conns;
static int started, ended, failed, opened, pending, epfd;
static long sent, received;
static double *rtts;
static long nrtt, caprtt;
static int running;
static char req[512];
static int reqlen;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void start_one(void) {
  struct conn *c = &conns[started++];
  pending++;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &a.sin_addr);
  c->state = CONNECTING;
  if (c->fd < 0 || (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)) {
    c->state = DEAD;
    return; /* counted by the caller's sweep */
  }
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void all_open(void);

/* An attempt ended (ok or not): start the next while under the in-flight bound. */
static void attempt_ended(struct conn *c, int ok) {
  pending--;
  ended++;
  if (ok) opened++;
  else {
    failed++;
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->state = DEAD;
  }
  while (started < nconns && pending < in_flight) {
    start_one();
    if (conns[started - 1].state == DEAD) attempt_ended(&conns[started - 1], 0);
  }
  if (ended == nconns) all_open();
}

static void send_frame(struct conn *c) {
  /* Masked text frame: FIN+text, MASK bit | length, 4-byte key, payload XOR key (RFC 6455 5.3). */
  uint8_t f[2 + 4 + 125];
  int n = payload > 125 ? 125 : payload;
  char text[126];
  int k = snprintf(text, sizeof text, "%.3f", now_ms());
  memset(text + k, '.', n - k);
  f[0] = 0x81;
  f[1] = 0x80 | n;
  uint32_t key = (uint32_t)rand();
  memcpy(f + 2, &key, 4);
  for (int i = 0; i < n; i++) f[6 + i] = text[i] ^ f[2 + (i & 3)];
  if (write(c->fd, f, 6 + n) == 6 + n) sent++;
}

static void on_frame(struct conn *c, const char *p, int len) {
  if (!running) return;
  char tmp[130];
  int n = len < 129 ? len : 129;
  memcpy(tmp, p, n);
  tmp[n] = 0;
  received++;
  if (nrtt == caprtt) {
    caprtt = caprtt ? caprtt * 2 : 65536;
    rtts = realloc(rtts, caprtt * sizeof *rtts);
  }
  rtts[nrtt++] = now_ms() - strtod(tmp, NULL);
  if (mode[0] == 'e') send_frame(c);
}

static void on_readable(struct conn *c) {
  for (;;) {
    ssize_t r = read(c->fd, c->rbuf + c->rlen, RBUF - c->rlen);
    if (r == 0 || (r < 0 && errno != EAGAIN)) {
      if (c->state == UPGRADING) attempt_ended(c, 0);
      else {
        close(c->fd);
        c->state = DEAD;
      }
      return;
    }
    if (r < 0) return;
    c->rlen += r;
    if (c->state == UPGRADING) {
      char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
      if (!end) {
        if (c->rlen == RBUF) attempt_ended(c, 0);
        if (c->rlen == RBUF) return;
        continue;
      }
      int ok = c->rlen >= 12 && memcmp(c->rbuf, "HTTP/1.1 101", 12) == 0;
      int used = (int)(end + 4 - c->rbuf);
      memmove(c->rbuf, end + 4, c->rlen - used);
      c->rlen -= used;
      c->state = ok ? OPEN : DEAD;
      attempt_ended(c, ok);
      if (!ok) return;
    }
    /* Server frames are unmasked; lengths < 126 or 16-bit. */
    int off = 0;
    while (c->rlen - off >= 2) {
      int len = c->rbuf[off + 1] & 0x7f, hdr = 2;
      if (len == 126) {
        if (c->rlen - off < 4) break;
        len = ((uint8_t)c->rbuf[off + 2] << 8) | (uint8_t)c->rbuf[off + 3];
        hdr = 4;
      }
      if (hdr + len > RBUF) { /* not this bench's traffic: drop the buffer */
        off = c->rlen;
        break;
      }
      if (c->rlen - off < hdr + len) break;
      if ((c->rbuf[off] & 0x0f) == 1) on_frame(c, c->rbuf + off + hdr, len);
      off += hdr + len;
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
  }
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double load_end;

static void all_open(void) {
  printf("{\"ev\":\"open\",\"opened\":%d,\"failed\":%d}\n", opened, failed);
  fflush(stdout);
  if (mode[0] == 'h') return;
  running = 1;
  double t = now_ms(), every = 1000.0 / rate;
  load_end = t + seconds * 1000;
  for (int i = 0; i < nconns; i++) {
    if (conns[i].state != OPEN) continue;
    if (mode[0] == 'e') send_frame(&conns[i]);
    else conns[i].next_send = t + every * (rand() / (double)RAND_MAX);
  }
}

static void finish(void) {
  qsort(rtts, nrtt, sizeof *rtts, cmp);
  if (nrtt == 0) printf("{\"ev\":\"done\",\"sent\":%ld,\"received\":%ld,\"p50\":null,\"p99\":null}\n", sent, received);
  else printf("{\"ev\":\"done\",\"sent\":%ld,\"received\":%ld,\"p50\":%.3f,\"p99\":%.3f}\n", sent, received, rtts[nrtt / 2], rtts[(long)(nrtt * 0.99)]);
  fflush(stdout);
  exit(0);
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--host")) host = v;
    else if (!strcmp(k, "--port")) port = atoi(v);
    else if (!strcmp(k, "--conns")) nconns = atoi(v);
    else if (!strcmp(k, "--in-flight")) in_flight = atoi(v);
    else if (!strcmp(k, "--delay-ms")) delay_ms = atoi(v);
    else if (!strcmp(k, "--mode")) snprintf(mode, sizeof mode, "%s", v);
    else if (!strcmp(k, "--rate")) rate = atof(v);
    else if (!strcmp(k, "--seconds")) seconds = atof(v);
    else if (!strcmp(k, "--payload")) payload = atoi(v);
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  reqlen = snprintf(req, sizeof req,
                    "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                    host, port);
  conns = calloc(nconns, sizeof *conns);
  epfd = epoll_create1(0);
  usleep(delay_ms * 1000);
  while (started < nconns && pending < in_flight) {
    start_one();
    if (conns[started - 1].state == DEAD) attempt_ended(&conns[started - 1], 0);
  }
  struct epoll_event evs[512];
  double every = 1000.0 / rate;
  for (;;) {
    int n = epoll_wait(epfd, evs, 512, running && mode[0] == 'r' ? 1 : 100);
    for (int i = 0; i < n; i++) {
      struct conn *c = evs[i].data.ptr;
      if (c->state == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (evs[i].events & (EPOLLERR | EPOLLHUP)) || write(c->fd, req, reqlen) != reqlen) {
          attempt_ended(c, 0);
          continue;
        }
        c->state = UPGRADING;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
      } else if (c->state == UPGRADING || c->state == OPEN) {
        on_readable(c);
      }
    }
    if (!running) continue;
    double t = now_ms();
    if (t >= load_end) finish();
    if (mode[0] != 'r') continue;
    for (int i = 0; i < nconns; i++) {
      struct conn *c = &conns[i];
      if (c->state == OPEN && t >= c->next_send) {
        send_frame(c);
        c->next_send += every;
      }
    }
  }
}
