/* floor: the cost floor of an inetd-style handler, for `make bench`.
 *
 * It writes a greeting, answers every line with a bare positive reply and
 * exits after QUIT, doing nothing else: no configuration, no logging, no
 * buffering beyond one read.  Started by tcpspawn exactly like the real
 * handlers, its sessions/s is what fork + exec + a socket round trip cost
 * on this machine; the handlers are measured against it.  The replies
 * start with "+OK", which the load generator accepts for both dialogs. */
#include <strings.h>
#include <unistd.h>

static void say(const char *text, size_t len)
{
	if (write(1, text, len) != (ssize_t)len)
		_exit(1);
}

int main(void)
{
	static const char greeting[] = "+OK floor ready\r\n";
	static const char ok[] = "+OK\r\n";
	static const char bye[] = "+OK bye\r\n";
	char buf[4096];
	size_t have = 0;

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
			if (i - start >= 4 && strncasecmp(buf + start, "QUIT", 4) == 0) {
				say(bye, sizeof bye - 1);
				return 0;
			}
			say(ok, sizeof ok - 1);
			start = i + 1;
		}
		/* Keep a partial line; a line longer than the buffer is dropped. */
		have -= start;
		for (size_t i = 0; i < have; i++)
			buf[i] = buf[start + i];
		if (have == sizeof buf)
			have = 0;
	}
}
