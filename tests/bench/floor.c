/* floor: the cost floor of an inetd-style handler, for `make bench`.
 *
 * It writes a greeting, answers every line with a bare positive reply and
 * exits after QUIT, doing nothing else: no configuration, no logging, no
 * checks.  After DATA it answers only the "." that ends the message, so it
 * can stand in for smtp-handler in a delivery run too.  Replies to lines
 * that arrived together leave in one write, as the handlers' writer sends
 * them.  Started by tcpspawn exactly like the real handlers, its
 * sessions/s is what fork + exec + the socket round trips cost on this
 * machine; the handlers are measured against it.  The replies start with
 * "+OK", which the load generator accepts for both dialogs.
 *
 *   floor            nothing stored
 *   floor DIR        each message also stored as the design requires and
 *                    no more: under DIR/<recipient>/, a lock file made with
 *                    O_EXCL (retried every millisecond while another holds
 *                    it), the message appended to floor.txt, fsync, the
 *                    lock removed, and only then the reply. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static void say(const char *text, size_t len)
{
	if (write(1, text, len) != (ssize_t)len)
		_exit(1);
}

/* A line's length without its line ending. */
static size_t text_len(const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	return len;
}

/* Storing: the recipient of the message at hand and its bytes.  A bench
 * tool: anything it cannot do as asked (an odd name, a message over
 * 1 MiB, a line over 4 KiB, a lock held 10 s) ends it, and the load
 * generator with it, rather than be measured. */
static char recipient[65];
static char message[1 << 20];
static size_t message_len;

/* "RCPT TO:<name@...>": the name, if it is a plain one. */
static void note_recipient(const char *line, size_t len)
{
	const size_t skip = sizeof "RCPT TO:<" - 1;
	size_t n = 0;
	if (len <= skip || strncasecmp(line, "RCPT TO:<", skip) != 0)
		_exit(1);
	for (line += skip, len -= skip; n < len && line[n] != '@' &&
	     line[n] != '>'; n++)
		if (n == sizeof recipient - 1 || line[n] == '/' ||
		    line[n] == '\0' || (n == 0 && line[n] == '.'))
			_exit(1);
	memcpy(recipient, line, n);
	recipient[n] = '\0';
}

static void keep_line(const char *line, size_t len)
{
	if (message_len + len + 3 > sizeof message)    /* + "\n" + ".\n" */
		_exit(1);
	memcpy(message + message_len, line, len);
	message_len += len;
	message[message_len++] = '\n';
}

static void store_message(const char *dir)
{
	char path[4096], lock[4096 + 8];
	if (!recipient[0])
		_exit(1);
	snprintf(path, sizeof path, "%s/%s/floor.txt", dir, recipient);
	snprintf(lock, sizeof lock, "%s.lock", path);
	int held, waited_ms = 0;
	while ((held = open(lock, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0) {
		struct timespec pause = { 0, 1000000 };
		if (errno != EEXIST || ++waited_ms > 10000)
			_exit(1);
		nanosleep(&pause, NULL);
	}
	if (write(held, "1 floor\n", 8) != 8)
		_exit(1);
	close(held);
	memcpy(message + message_len, ".\n", 2);
	message_len += 2;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0 || write(fd, message, message_len) != (ssize_t)message_len ||
	    fsync(fd) != 0)
		_exit(1);
	close(fd);
	unlink(lock);
	message_len = 0;
}

/* Replies to lines that arrived together leave in one write, as the
 * handlers' writer sends them. */
static char out[4096];
static size_t out_len;

static void queue(const char *text, size_t len)
{
	if (out_len + len > sizeof out) {
		say(out, out_len);
		out_len = 0;
	}
	memcpy(out + out_len, text, len);
	out_len += len;
}

int main(int argc, char **argv)
{
	const char *store_dir = argc > 1 ? argv[1] : NULL;
	static const char greeting[] = "+OK floor ready\r\n";
	static const char ok[] = "+OK\r\n";
	static const char bye[] = "+OK bye\r\n";
	char buf[4096];
	size_t have = 0;
	bool in_data = false;

	say(greeting, sizeof greeting - 1);
	for (;;) {
		ssize_t got = read(0, buf + have, sizeof buf - have);
		if (got <= 0)
			return 0;
		have += (size_t)got;
		size_t start = 0;
		for (size_t i = 0; i < have; i++) {
			if (buf[i] != '\n')
				continue;
			const char *line = buf + start;
			size_t len = text_len(line, i + 1 - start);
			start = i + 1;
			if (in_data) {
				/* A message's lines get no reply; its end does. */
				if (len != 1 || line[0] != '.') {
					if (store_dir)
						keep_line(line, len);
					continue;
				}
				in_data = false;
				if (store_dir)
					store_message(store_dir);
			} else if (len == 4 && strncasecmp(line, "QUIT", 4) == 0) {
				queue(bye, sizeof bye - 1);
				say(out, out_len);
				return 0;
			} else if (len == 4 && strncasecmp(line, "DATA", 4) == 0) {
				in_data = true;
			} else if (store_dir && len > 4 &&
				   strncasecmp(line, "RCPT", 4) == 0) {
				note_recipient(line, len);
			}
			queue(ok, sizeof ok - 1);
		}
		if (out_len) {
			say(out, out_len);
			out_len = 0;
		}
		/* Keep a partial line; a line longer than the buffer ends a
		 * storing floor (its message would be wrong). */
		have -= start;
		memmove(buf, buf + start, have);
		if (have == sizeof buf) {
			if (store_dir)
				_exit(1);
			have = 0;
		}
	}
}
