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
/* POP3 input is filtered line by line so PASS arguments never reach the
 * disk: the first octets of the line so far, and whether the rest of the
 * line is a password being dropped. */
static bool mask_pass;
static char line_head[5];
static size_t head_len;
static bool in_password;

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
	mask_pass = strcmp(protocol, "pop3") == 0;
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

/* The POP3 filter: a line beginning "PASS " (any case) is kept up to the
 * space, its argument becomes eight stars, and its line ending is kept.
 * The first five octets of each line are held back until they tell. */
static void append_masked(const char *data, size_t len)
{
	struct filtered f = { .len = 0 };
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (in_password) {
			if (c != '\r' && c != '\n')
				continue;
			in_password = false;
		} else if (head_len < sizeof line_head && c != '\n') {
			line_head[head_len++] = c;
			if (head_len == sizeof line_head) {
				emit(&f, line_head, head_len);
				in_password = strncasecmp(line_head, "PASS ", 5) == 0;
				if (in_password)
					emit(&f, "********", 8);
			}
			continue;
		}
		if (c == '\n') {
			if (head_len < sizeof line_head)
				emit(&f, line_head, head_len);
			head_len = 0;
		}
		emit(&f, &c, 1);
	}
	append(&files[0], f.buf, f.len);
}

/* The filter holds back up to four octets of a line's start; the end of
 * input (len 0) lets them out.  Octets after a QUIT that are never
 * followed by an end of input the handler reads stay held back. */
void record_in(const void *data, size_t len)
{
	if (files[0].fd < 0)
		return;
	if (mask_pass && len == 0 && head_len < sizeof line_head) {
		append(&files[0], line_head, head_len);
		head_len = 0;
	} else if (mask_pass)
		append_masked(data, len);
	else
		append(&files[0], data, len);
}

void record_out(const void *data, size_t len)
{
	append(&files[1], data, len);
}
