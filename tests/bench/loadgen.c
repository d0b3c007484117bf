/* loadgen: the load generator of `make bench`.  No dependencies beyond libc.
 *
 *   loadgen session -p PORT -P smtp|pop3 -c C -n N [-U PREFIX]
 *       N sessions over C connections at once: greeting, (pop3: USER
 *       PREFIX<worker> (default PREFIX: s), PASS pw), QUIT, then wait for
 *       the server to close.
 *   loadgen deliver -p PORT -c C -n N -k PER_CONN -r MAILBOXES [-s SIZE]
 *                   [-U PREFIX]
 *       N messages of about SIZE bytes (default 2048) over SMTP, PER_CONN
 *       per connection, message i to user PREFIX<i % MAILBOXES> (default
 *       PREFIX: m).
 *   loadgen retr -p PORT -U USER [-k REPS]
 *       log in (time from PASS to the STAT reply), then RETR every message
 *       with the commands pipelined (RFC 2449), and QUIT; REPS times
 *       (default 1), reporting the mean STAT time and the overall MB/s.
 *   loadgen stream -p PORT [-k REPS]
 *       read whatever the server sends until it closes, scanning it line by
 *       line as retr does: the floor that retr is held against; REPS
 *       connections one after another.
 *   loadgen update -p PORT -U USER
 *       log in, DELE 1, and time QUIT (the maildrop rewrite) to its reply.
 *   loadgen fill FILE COUNT [SIZE]
 *       append COUNT messages of about SIZE bytes in the store format.
 *   loadgen fsync FILE COUNT SIZE [LOCK]
 *       append COUNT blocks of SIZE bytes to FILE, fsync after each: the
 *       floor of delivery.  With LOCK, also create that lock file before
 *       each append and remove it after, as the store's locking does.
 *   loadgen locks FILE COUNT
 *       create the lock file FILE (O_EXCL, with a "pid host" line) and
 *       remove it, COUNT times: what one lock costs on this file system.
 *
 * Every run prints one line of figures and then one JSON line.  Passwords
 * of bench users are "pw".  Any protocol surprise is an error (exit 1). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (256 * 1024)
#define LINE_BYTES 72           /* body lines sent: 70 octets + CR LF */
#define RETR_BATCH 256          /* RETR commands sent at a time */
#define IO_TIMEOUT_S 60

struct options {
	int port, concurrency, per_conn, mailboxes;
	long count, size;
	const char *proto, *user;
};

struct conn {
	int fd;
	size_t start, end;
	size_t raw;             /* octets of the last line, with its ending */
	char buf[BUF_SIZE];
};

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("loadgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- connections ---- */

static void conn_open(struct conn *c, int port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_port = htons((unsigned short)port) };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	int on = 1;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 ||
	    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
	    connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0)
		die("connect to port %d: %s", port, strerror(errno));
	c->start = c->end = 0;
}

static void write_or_die(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

static void send_all(struct conn *c, const void *data, size_t len)
{
	write_or_die(c->fd, data, len);
}

static void send_text(struct conn *c, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	send_all(c, text, (size_t)n);
}

/* Next line (LF-terminated, the LF and any CR left out) in *line; false
 * at end of input.  A line longer than the buffer is an error. */
static bool next_line(struct conn *c, char **line, size_t *len)
{
	for (;;) {
		char *base = c->buf + c->start;
		char *lf = memchr(base, '\n', c->end - c->start);
		if (lf) {
			*line = base;
			*len = (size_t)(lf - base);
			if (*len > 0 && base[*len - 1] == '\r')
				(*len)--;
			c->raw = (size_t)(lf + 1 - base);
			c->start += c->raw;
			return true;
		}
		if (c->start > 0) {
			memmove(c->buf, base, c->end - c->start);
			c->end -= c->start;
			c->start = 0;
		}
		if (c->end == sizeof c->buf)
			die("line longer than %d octets", BUF_SIZE);
		ssize_t got = read(c->fd, c->buf + c->end, sizeof c->buf - c->end);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			die("read: %s", strerror(errno));
		if (got == 0)
			return false;
		c->end += (size_t)got;
	}
}

/* One reply (SMTP: all its "250-" lines) that must be positive. */
static void expect_ok(struct conn *c, const char *after)
{
	char *line;
	size_t len;
	do {
		if (!next_line(c, &line, &len))
			die("connection closed after %s", after);
		if (len == 0 || (line[0] != '+' && line[0] != '2' && line[0] != '3'))
			die("after %s: %.*s", after, (int)len, line);
	} while (len > 3 && line[3] == '-');
}

/* QUIT, its reply, then the server's close. */
static void quit(struct conn *c)
{
	char *line;
	size_t len;
	send_text(c, "QUIT\r\n");
	expect_ok(c, "QUIT");
	if (next_line(c, &line, &len))
		die("data after the QUIT reply: %.*s", (int)len, line);
	close(c->fd);
}

static void login(struct conn *c, const char *user)
{
	send_text(c, "USER %s\r\n", user);
	expect_ok(c, "USER");
	send_text(c, "PASS pw\r\n");
	expect_ok(c, "PASS");
}

/* Run work(worker, opt) in C processes at once; seconds taken. */
static double in_parallel(const struct options *o,
			  void (*work)(int, const struct options *))
{
	double t0 = now();
	for (int w = 0; w < o->concurrency; w++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			work(w, o);
			exit(0);
		}
	}
	int status, failed = 0;
	while (wait(&status) > 0)
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	if (failed)
		die("%d of %d workers failed", failed, o->concurrency);
	return now() - t0;
}

/* This worker's share of n: [*from, *to). */
static void share(long n, int workers, int w, long *from, long *to)
{
	*from = n * w / workers;
	*to = n * (w + 1) / workers;
}

/* ---- session ---- */

static void session_worker(int w, const struct options *o)
{
	static struct conn c;
	long from, to;
	char user[64];
	bool pop3 = strcmp(o->proto, "pop3") == 0;
	snprintf(user, sizeof user, "%s%d", o->user, w);
	share(o->count, o->concurrency, w, &from, &to);
	for (long i = from; i < to; i++) {
		conn_open(&c, o->port);
		expect_ok(&c, "the greeting");
		if (pop3)
			login(&c, user);
		quit(&c);
	}
}

static void run_session(const struct options *o)
{
	double s = in_parallel(o, session_worker);
	printf("session %s C=%d: %ld sessions in %.3f s, %.1f sessions/s\n",
	       o->proto, o->concurrency, o->count, s, o->count / s);
	printf("{\"mode\":\"session\",\"proto\":\"%s\",\"c\":%d,\"n\":%ld,"
	       "\"seconds\":%.6f,\"rate\":%.2f}\n", o->proto, o->concurrency,
	       o->count, s, o->count / s);
}

/* ---- deliver ---- */

/* A body of about size octets: header lines, a blank line, 70-octet lines. */
static void send_message(struct conn *c, long number, const char *rcpt,
			 long size)
{
	static char block[LINE_BYTES * 900];
	static bool ready;
	if (!ready) {
		for (size_t i = 0; i < sizeof block; i += LINE_BYTES) {
			memset(block + i, 'a' + (int)(i / LINE_BYTES % 26),
			       LINE_BYTES - 2);
			memcpy(block + i + LINE_BYTES - 2, "\r\n", 2);
		}
		ready = true;
	}
	char head[512];
	int n = snprintf(head, sizeof head,
			 "From: <bench@bench.example>\r\nTo: <%s@bench.example>\r\n"
			 "Subject: bench message %ld\r\n\r\n", rcpt, number);
	long body = size > n ? size - n : 0;
	long lines = (body + LINE_BYTES - 1) / LINE_BYTES;
	send_all(c, head, (size_t)n);
	while (lines > 0) {
		long now_lines = lines < 900 ? lines : 900;
		send_all(c, block, (size_t)now_lines * LINE_BYTES);
		lines -= now_lines;
	}
	send_text(c, ".\r\n");
}

static void deliver_worker(int w, const struct options *o)
{
	static struct conn c;
	long from, to;
	share(o->count, o->concurrency, w, &from, &to);
	for (long i = from; i < to;) {
		conn_open(&c, o->port);
		expect_ok(&c, "the greeting");
		send_text(&c, "EHLO loadgen\r\n");
		expect_ok(&c, "EHLO");
		for (int k = 0; k < o->per_conn && i < to; k++, i++) {
			char rcpt[32];
			snprintf(rcpt, sizeof rcpt, "%.20s%ld", o->user,
				 i % o->mailboxes);
			/* RFC 2920: MAIL, RCPT and DATA go out together. */
			send_text(&c, "MAIL FROM:<bench@bench.example>\r\n"
				  "RCPT TO:<%s@bench.example>\r\nDATA\r\n", rcpt);
			expect_ok(&c, "MAIL");
			expect_ok(&c, "RCPT");
			expect_ok(&c, "DATA");
			send_message(&c, i, rcpt, o->size);
			expect_ok(&c, "the message");
		}
		quit(&c);
	}
}

static void run_deliver(const struct options *o)
{
	double s = in_parallel(o, deliver_worker);
	printf("deliver C=%d k=%d mailboxes=%d: %ld messages of %ld octets "
	       "in %.3f s, %.1f messages/s\n", o->concurrency, o->per_conn,
	       o->mailboxes, o->count, o->size, s, o->count / s);
	printf("{\"mode\":\"deliver\",\"c\":%d,\"k\":%d,\"mailboxes\":%d,"
	       "\"n\":%ld,\"size\":%ld,\"seconds\":%.6f,\"rate\":%.2f}\n",
	       o->concurrency, o->per_conn, o->mailboxes, o->count, o->size, s,
	       o->count / s);
}

/* ---- retr and stream ---- */

/* One session: log in, STAT, RETR every message, QUIT.  Adds the time
 * to the STAT reply, the RETR time and the octets received to *totals. */
struct retr_totals {
	double stat_s, retr_s;
	unsigned long long octets;
	long messages;
};

static void retr_once(const struct options *o, struct retr_totals *t)
{
	static struct conn c;
	char *line;
	size_t len;
	conn_open(&c, o->port);
	expect_ok(&c, "the greeting");
	send_text(&c, "USER %s\r\n", o->user);
	expect_ok(&c, "USER");
	double t0 = now();
	send_text(&c, "PASS pw\r\nSTAT\r\n");
	expect_ok(&c, "PASS");
	if (!next_line(&c, &line, &len) || len < 4 || line[0] != '+')
		die("STAT failed");
	double stat_s = now() - t0;
	long count = strtol(line + 4, NULL, 10);

	double t1 = now();
	long sent = 0, done = 0;
	unsigned long long octets = 0;
	bool want_status = true;
	char cmds[RETR_BATCH * 24];
	while (done < count) {
		/* Keep one to two batches of commands ahead of the replies. */
		if (sent - done < RETR_BATCH && sent < count) {
			size_t n = 0;
			for (int b = 0; b < RETR_BATCH && sent < count; b++)
				n += (size_t)sprintf(cmds + n, "RETR %ld\r\n", ++sent);
			send_all(&c, cmds, n);
			continue;
		}
		if (!next_line(&c, &line, &len))
			die("closed during RETR %ld", done + 1);
		octets += c.raw;
		if (want_status) {
			if (len < 3 || memcmp(line, "+OK", 3))
				die("RETR %ld: %.*s", done + 1, (int)len, line);
			want_status = false;
		} else if (len == 1 && line[0] == '.') {
			done++;
			want_status = true;
		}
	}
	t->retr_s += now() - t1;
	t->stat_s += stat_s;
	t->octets += octets;
	t->messages += count;
	quit(&c);
}

/* -k REPS sessions one after another (a small maildrop is retrieved in
 * a fraction of a millisecond: one pass alone would measure noise). */
static void run_retr(const struct options *o)
{
	struct retr_totals t = { 0, 0, 0, 0 };
	for (int rep = 0; rep < o->per_conn; rep++)
		retr_once(o, &t);
	double mb = (double)t.octets / 1e6, stat_ms = t.stat_s * 1e3 / o->per_conn;
	printf("retr %s x%d: STAT after %.3f ms; %ld messages, %.1f MB in %.3f s, "
	       "%.1f MB/s\n", o->user, o->per_conn, stat_ms, t.messages, mb,
	       t.retr_s, t.retr_s > 0 ? mb / t.retr_s : 0);
	printf("{\"mode\":\"retr\",\"messages\":%ld,\"stat_ms\":%.3f,"
	       "\"octets\":%llu,\"seconds\":%.6f,\"mbps\":%.2f}\n", t.messages,
	       stat_ms, t.octets, t.retr_s, t.retr_s > 0 ? mb / t.retr_s : 0);
}

/* One connection: read until the server closes; adds to the totals. */
static void stream_once(const struct options *o, double *seconds,
			unsigned long long *octets, long *messages)
{
	static struct conn c;
	char *line;
	size_t len;
	conn_open(&c, o->port);
	/* Time from the first byte, as retr times from its first RETR: the
	 * streaming program's start-up is not part of streaming. */
	struct pollfd ready = { .fd = c.fd, .events = POLLIN };
	poll(&ready, 1, IO_TIMEOUT_S * 1000);
	double t0 = now();
	while (next_line(&c, &line, &len)) {
		*octets += c.raw;
		if (len == 1 && line[0] == '.')
			(*messages)++;
	}
	*seconds += now() - t0;
	close(c.fd);
}

static void run_stream(const struct options *o)
{
	unsigned long long octets = 0;
	long messages = 0;
	double s = 0;
	for (int rep = 0; rep < o->per_conn; rep++)
		stream_once(o, &s, &octets, &messages);
	double mb = (double)octets / 1e6;
	printf("stream x%d: %ld messages, %.1f MB in %.3f s, %.1f MB/s\n",
	       o->per_conn, messages, mb, s, s > 0 ? mb / s : 0);
	printf("{\"mode\":\"stream\",\"messages\":%ld,\"octets\":%llu,"
	       "\"seconds\":%.6f,\"mbps\":%.2f}\n", messages, octets, s,
	       s > 0 ? mb / s : 0);
}

/* ---- update ---- */

static void run_update(const struct options *o)
{
	static struct conn c;
	char *line;
	size_t len;
	conn_open(&c, o->port);
	expect_ok(&c, "the greeting");
	login(&c, o->user);
	send_text(&c, "DELE 1\r\n");
	expect_ok(&c, "DELE");
	double t0 = now();
	send_text(&c, "QUIT\r\n");
	expect_ok(&c, "QUIT");
	double s = now() - t0;
	if (next_line(&c, &line, &len))
		die("data after the QUIT reply");
	close(c.fd);
	printf("update %s: DELE 1 + QUIT in %.3f ms\n", o->user, s * 1e3);
	printf("{\"mode\":\"update\",\"ms\":%.3f}\n", s * 1e3);
}

/* ---- files ---- */

/* COUNT messages in the store format (LF endings, dot-stuffed, each ended
 * by a "." line), as SMTP delivery would have left them. */
static void run_fill(const char *path, long count, long size)
{
	static char buf[1 << 20];
	size_t used = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	for (long i = 0; i < count; i++) {
		if (used + (size_t)size + 1024 > sizeof buf) {
			write_or_die(fd, buf, used);
			used = 0;
		}
		size_t start = used;
		used += (size_t)sprintf(buf + used,
			"Return-Path: <bench@bench.example>\n"
			"Received: from loadgen (127.0.0.1) by bench.example with "
			"ESMTP id fill-%ld; Thu, 1 Jan 2026 00:00:00 +0000\n"
			"From: <bench@bench.example>\nTo: <bench@bench.example>\n"
			"Subject: filled message %ld\n\n"
			"..a dot-stuffed line\n", i, i);
		while (used - start + LINE_BYTES - 1 < (size_t)size) {
			memset(buf + used, 'a' + (int)(i % 26), LINE_BYTES - 2);
			buf[used + LINE_BYTES - 2] = '\n';
			used += LINE_BYTES - 1;
		}
		memcpy(buf + used, ".\n", 2);
		used += 2;
	}
	write_or_die(fd, buf, used);
	if (close(fd) != 0)
		die("%s: %s", path, strerror(errno));
}

/* A lock file as the handlers make one: O_EXCL, a "pid host" line. */
static void make_lock(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	write_or_die(fd, "1 loadgen\n", 10);
	close(fd);
}

static void remove_lock(const char *path)
{
	if (unlink(path) != 0)
		die("%s: %s", path, strerror(errno));
}

static void run_fsync(const char *path, long count, long size,
		      const char *lock)
{
	char *block = malloc((size_t)size);
	if (!block)
		die("out of memory");
	memset(block, 'f', (size_t)size);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	double t0 = now();
	for (long i = 0; i < count; i++) {
		if (lock)
			make_lock(lock);
		write_or_die(fd, block, (size_t)size);
		if (fsync(fd) != 0)
			die("fsync: %s", strerror(errno));
		if (lock)
			remove_lock(lock);
	}
	double s = now() - t0;
	close(fd);
	free(block);
	printf("fsync floor%s: %ld appends of %ld octets in %.3f s, %.1f/s\n",
	       lock ? " with a lock file" : "", count, size, s, count / s);
	printf("{\"mode\":\"fsync\",\"n\":%ld,\"size\":%ld,\"seconds\":%.6f,"
	       "\"rate\":%.2f}\n", count, size, s, count / s);
}

static void run_locks(const char *path, long count)
{
	double t0 = now();
	for (long i = 0; i < count; i++) {
		make_lock(path);
		remove_lock(path);
	}
	double s = now() - t0;
	printf("lock files: %ld made and removed in %.3f s, %.1f us each\n",
	       count, s, s / count * 1e6);
	/* start and end on the monotonic clock: loops run at once are
	 * timed together from the first start to the last end. */
	printf("{\"mode\":\"locks\",\"n\":%ld,\"seconds\":%.6f,\"us\":%.3f,"
	       "\"rate\":%.2f,\"start\":%.6f,\"end\":%.6f}\n", count, s,
	       s / count * 1e6, count / s, t0, t0 + s);
}

/* ---- command line ---- */

static _Noreturn void usage(void)
{
	fputs("usage: loadgen session|deliver|retr|stream|update -p PORT "
	      "[-P smtp|pop3] [-c C] [-n N] [-k PER_CONN] [-r MAILBOXES] "
	      "[-s SIZE] [-U USER]\n"
	      "       loadgen fill FILE COUNT [SIZE]\n"
	      "       loadgen fsync FILE COUNT SIZE [LOCK]\n"
	      "       loadgen locks FILE COUNT\n", stderr);
	exit(2);
}

static long number(const char *text, long min)
{
	char *end;
	long n = strtol(text, &end, 10);
	if (*text == '\0' || *end || n < min)
		usage();
	return n;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	const char *mode = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "fill") == 0 && (argc == 4 || argc == 5)) {
		run_fill(argv[2], number(argv[3], 0),
			 argc == 5 ? number(argv[4], 100) : 2048);
		return 0;
	}
	if (strcmp(mode, "locks") == 0 && argc == 4) {
		run_locks(argv[2], number(argv[3], 1));
		return 0;
	}
	if (strcmp(mode, "fsync") == 0 && (argc == 5 || argc == 6)) {
		run_fsync(argv[2], number(argv[3], 1), number(argv[4], 1),
			  argc == 6 ? argv[5] : NULL);
		return 0;
	}
	struct options o = { .concurrency = 1, .per_conn = 1, .mailboxes = 1,
			     .count = 1, .size = 2048, .proto = "smtp" };
	bool user_given = false;
	int opt;
	optind = 2;
	while ((opt = getopt(argc, argv, "p:P:c:n:k:r:s:U:")) != -1) {
		switch (opt) {
		case 'p': o.port = (int)number(optarg, 1); break;
		case 'P': o.proto = optarg; break;
		case 'c': o.concurrency = (int)number(optarg, 1); break;
		case 'n': o.count = number(optarg, 1); break;
		case 'k': o.per_conn = (int)number(optarg, 1); break;
		case 'r': o.mailboxes = (int)number(optarg, 1); break;
		case 's': o.size = number(optarg, 1); break;
		case 'U': o.user = optarg; user_given = true; break;
		default: usage();
		}
	}
	if (!o.port || optind != argc)
		usage();
	if (!user_given)
		o.user = strcmp(mode, "deliver") == 0 ? "m" : "s";
	if (strcmp(mode, "session") == 0)
		run_session(&o);
	else if (strcmp(mode, "deliver") == 0)
		run_deliver(&o);
	else if (strcmp(mode, "retr") == 0)
		run_retr(&o);
	else if (strcmp(mode, "stream") == 0)
		run_stream(&o);
	else if (strcmp(mode, "update") == 0)
		run_update(&o);
	else
		usage();
	return 0;
}
