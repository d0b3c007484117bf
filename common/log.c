/* log: see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool log_to_stderr;
static char stderr_prefix[128];         /* "program[pid]: " */

/* fd is the same file as st (device and inode). */
static bool same_file(int fd, const struct stat *st)
{
	struct stat other;
	return fstat(fd, &other) == 0 && other.st_dev == st->st_dev &&
	       other.st_ino == st->st_ino;
}

void log_init(const char *program, const char *target)
{
	/* The settings name their target once they are read: a second call
	 * for the target already set up has nothing left to do. */
	static char current[8];
	if (strcmp(current, target) == 0)
		return;
	snprintf(current, sizeof current, "%s", target);
	struct stat st;
	if (strcmp(target, "stderr") == 0)
		log_to_stderr = true;
	else if (strcmp(target, "syslog") == 0)
		log_to_stderr = false;
	else
		log_to_stderr = fstat(2, &st) == 0 && !same_file(0, &st) &&
				!same_file(1, &st);
	if (!log_to_stderr)
		openlog(program, LOG_PID | LOG_NDELAY, LOG_MAIL);
	else
		snprintf(stderr_prefix, sizeof stderr_prefix, "%s[%ld]: ",
			 program, (long)getpid());
}

void log_msg(int priority, const char *fmt, ...)
{
	/* The stderr form is built in one buffer and written at once: no
	 * unbuffered stdio, no getpid() per line (SMTP logs a line per
	 * delivery), and lines of concurrent sessions never interleave. */
	char line[sizeof stderr_prefix + 1024];
	size_t start = log_to_stderr ? strlen(stderr_prefix) : 0;
	char *text = line + start, *p;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, 1024, fmt, ap);
	va_end(ap);
	/* Keep one event on one line whatever the peer sent. */
	for (p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (!log_to_stderr) {
		syslog(priority, "%s", text);
		return;
	}
	memcpy(line, stderr_prefix, start);
	*p++ = '\n';
	if (write(2, line, (size_t)(p - line)) < 0)
		return;         /* nowhere left to report it */
}

bool log_uses_stderr(void)
{
	return log_to_stderr;
}
