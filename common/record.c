/* record: see record.h. */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lineio.h"
#include "log.h"
#include "mail_limits.h"

struct record_file {
	int fd;                 /* -1: not recording */
	size_t written;
	const char *name;       /* "in" or "out", for the log */
};

/* One session per process: the state is the process's. */
static int dir_fd = -1;
static struct record_file files[2] = {
	{ -1, 0, "in" }, { -1, 0, "out" },
};
/* Input is filtered line by line so that no password reaches the disk:
 * the argument of PASS, the initial response of AUTH and the SASL
 * responses that follow an AUTH line are written as eight stars.  The
 * filter holds back the start of each line until it tells, and counts the
 * response lines an AUTH line leads the client to send (PLAIN without an
 * initial response: one; LOGIN: two, or one after an initial response),
 * until a "*" cancels.  A refused AUTH, or a message line that looks like
 * one, has the lines after it starred too: a recording may hide more than
 * the password, never less. */
#define HEAD_MAX 32             /* "AUTH " and any mechanism name */
static char line_head[HEAD_MAX];
static size_t head_len;
static enum { LINE_HEAD, LINE_KEPT, LINE_DROPPED } line_mode;
static unsigned sasl_lines;     /* SASL response lines still to come */
static bool dropped_cr;         /* the octet dropped last was a CR */
/* Any failure ends the whole recording, with one log line. */
static void record_fail(const char *what)
{
	log_msg(LOG_WARNING, "recording stopped: %s: %s", what,
		strerror(errno));
	for (int i = 0; i < 2; i++) {
		if (files[i].fd >= 0)
			close(files[i].fd);
		files[i].fd = -1;
	}
}

void record_open_dir(const char *dir)
{
	if (!dir)
		return;
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		log_msg(LOG_WARNING, "not recording: cannot open %s: %s", dir,
			strerror(errno));
}

void record_start(const char *protocol)
{
	if (dir_fd < 0)
		return;
	struct timespec now;
	struct tm tm;
	char stamp[32], name[96];
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof name, "%s.%06ldZ-%s-%ld.%s", stamp,
			 now.tv_nsec / 1000, protocol, (long)getpid(),
			 files[i].name);
		files[i].fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL |
				     O_NOFOLLOW | O_CLOEXEC, 0600);
		if (files[i].fd < 0) {
			record_fail(name);
			break;
		}
	}
	close(dir_fd);
	dir_fd = -1;
}

/* Write within the file's bound; past it, the file ends there. */
static void append(struct record_file *f, const char *data, size_t len)
{
	if (f->fd < 0 || len == 0)
		return;
	size_t room = RECORD_FILE_MAX - f->written;
	if (len > room)
		len = room;
	if (!write_all(f->fd, data, len)) {
		record_fail(f->name);
		return;
	}
	f->written += len;
	if (f->written == RECORD_FILE_MAX) {
		log_msg(LOG_NOTICE, "recording of the session's %s stopped at "
			"%d octets", f->name, RECORD_FILE_MAX);
		close(f->fd);
		f->fd = -1;
	}
}

/* What the POP3 filter lets through, gathered and written in pieces. */
struct filtered {
	char buf[LINEIO_BUFSIZE];
	size_t len;
};

static void emit(struct filtered *f, const char *data, size_t len)
{
	if (f->len + len > sizeof f->buf) {
		append(&files[0], f->buf, f->len);
		f->len = 0;
	}
	memcpy(f->buf + f->len, data, len);
	f->len += len;
}

static bool head_is(const char *prefix)
{
	size_t n = strlen(prefix);
	return head_len >= n && strncasecmp(line_head, prefix, n) == 0;
}

/* Could the head still become prefix? */
static bool head_may_be(const char *prefix)
{
	size_t n = strlen(prefix);
	return strncasecmp(line_head, prefix, head_len < n ? head_len : n) == 0;
}

static void drop_rest(struct filtered *f, const char *kept, size_t len)
{
	emit(f, kept, len);
	emit(f, "********", 8);
	line_mode = LINE_DROPPED;
	dropped_cr = false;
}

/* Decide what becomes of the line from its head; ended: the line's LF
 * has come (it is not in the head). */
static void decide(struct filtered *f, bool ended)
{
	if (sasl_lines > 0) {
		drop_rest(f, "", 0);
		return;
	}
	if (head_is("PASS ")) {
		drop_rest(f, line_head, 5);
		return;
	}
	if (head_is("AUTH ")) {
		char *space = memchr(line_head + 5, ' ', head_len - 5);
		size_t name_end = space ? (size_t)(space - line_head) :
				  head_len - (head_len > 5 &&
					      line_head[head_len - 1] == '\r');
		if (space || ended) {
			char name[HEAD_MAX];
			memcpy(name, line_head + 5, name_end - 5);
			name[name_end - 5] = '\0';
			bool login = strcasecmp(name, "LOGIN") == 0;
			bool plain = strcasecmp(name, "PLAIN") == 0;
			sasl_lines = space ? login : login ? 2 : plain;
			if (space) {
				drop_rest(f, line_head, name_end + 1);
				return;
			}
		} else if (head_len < HEAD_MAX) {
			return;         /* the mechanism's name goes on */
		}
	} else if (!ended && (head_may_be("PASS ") || head_may_be("AUTH ")) &&
		   head_len < HEAD_MAX) {
		return;         /* not yet known */
	}
	emit(f, line_head, head_len);
	line_mode = LINE_KEPT;
}

static void end_line(struct filtered *f)
{
	if (line_mode == LINE_HEAD)
		decide(f, true);
	else if (line_mode == LINE_DROPPED && sasl_lines > 0)
		sasl_lines--;
	if (line_mode == LINE_DROPPED && dropped_cr)
		emit(f, "\r", 1);
	/* A cancelled exchange ends at the "*". */
	if (head_len >= 1 && line_head[0] == '*' &&
	    (head_len == 1 || (head_len == 2 && line_head[1] == '\r')))
		sasl_lines = 0;
	emit(f, "\n", 1);
	head_len = 0;
	line_mode = LINE_HEAD;
}

static void append_masked(const char *data, size_t len)
{
	struct filtered f = { .len = 0 };
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (c == '\n') {
			end_line(&f);
			continue;
		}
		/* The head is kept for the "*" check even once decided. */
		if (head_len < HEAD_MAX && line_mode != LINE_KEPT)
			line_head[head_len++] = c;
		switch (line_mode) {
		case LINE_HEAD:
			decide(&f, false);
			break;
		case LINE_KEPT:
			emit(&f, &c, 1);
			break;
		case LINE_DROPPED:
			dropped_cr = c == '\r';
			break;
		}
	}
	append(&files[0], f.buf, f.len);
}

/* The filter holds back the start of a line; the end of input (len 0)
 * lets it out.  Octets after a QUIT that are never followed by an end of
 * input the handler reads stay held back. */
void record_in(const void *data, size_t len)
{
	if (files[0].fd < 0)
		return;
	if (len == 0 && line_mode == LINE_HEAD) {
		append(&files[0], line_head, head_len);
		head_len = 0;
	} else {
		append_masked(data, len);
	}
}

void record_out(const void *data, size_t len)
{
	append(&files[1], data, len);
}
