/* floor: the cost floor of an inetd-style handler, for `make bench`.
 *
 * It writes a greeting, answers every line with a bare positive reply and
 * exits after QUIT, doing nothing else: no configuration, no logging, no
 * storage.  After DATA it answers only the "." that ends the message, so it
 * can stand in for smtp-handler in a delivery run too: the same
 * connections and round trips with nothing stored.  Replies to lines that
 * arrived together leave in one write, as the handlers' writer sends them.
 * Started by tcpspawn exactly like the real handlers, its sessions/s is
 * what fork + exec + the socket round trips cost on this machine; the
 * handlers are measured against it.  The replies start with "+OK", which
 * the load generator accepts for both dialogs. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>
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

int main(void)
{
	static const char greeting[] = "+OK floor ready\r\n";
	static const char ok[] = "+OK\r\n";
	static const char bye[] = "+OK bye\r\n";
	char buf[4096], out[4096];
	size_t have = 0, out_len = 0;
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
				if (len != 1 || line[0] != '.')
					continue;
				in_data = false;
			} else if (len == 4 && strncasecmp(line, "QUIT", 4) == 0) {
				memcpy(out + out_len, bye, sizeof bye - 1);
				say(out, out_len + sizeof bye - 1);
				return 0;
			} else if (len == 4 && strncasecmp(line, "DATA", 4) == 0) {
				in_data = true;
			}
			/* Replies to pipelined lines leave together, as the
			 * handlers' writer sends them. */
			if (out_len + sizeof ok > sizeof out) {
				say(out, out_len);
				out_len = 0;
			}
			memcpy(out + out_len, ok, sizeof ok - 1);
			out_len += sizeof ok - 1;
		}
		if (out_len) {
			say(out, out_len);
			out_len = 0;
		}
		/* Keep a partial line; a line longer than the buffer is dropped. */
		have -= start;
		memmove(buf, buf + start, have);
		if (have == sizeof buf)
			have = 0;
	}
}
