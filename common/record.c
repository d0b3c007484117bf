/* record: see record.h. */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

bool record_start(const char *protocol)
{
	if (dir_fd < 0)
		return false;
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
	return files[1].fd >= 0;
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

/* The reader hands over what the client sent once it is consumed, with
 * any password already starred (lineio.c). */
void record_in(const void *data, size_t len)
{
	append(&files[0], data, len);
}

void record_out(const void *data, size_t len)
{
	append(&files[1], data, len);
}
