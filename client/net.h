/* net: one TCP connection to a mail server, with the common line reader
 * and writer on it.  Every failure is reported to the user here, naming
 * the server ("SMTP"/"POP3"), so callers only need to give up. */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stddef.h>

#include "lineio.h"

/* How long a server may take to answer before the client gives up. */
#define NET_REPLY_TIMEOUT_MS (120 * 1000)
#define NET_CONNECT_TIMEOUT_MS (15 * 1000)

struct conn {
	int fd;
	const char *protocol;   /* "SMTP" or "POP3", for messages */
	struct writer out;
	struct line_reader in;
};

/* Connect to host:port (a name or an address, IPv4 or IPv6). */
bool conn_open(struct conn *c, const char *protocol, const char *host,
	       const char *port);
void conn_close(struct conn *c);

/* Queue one command line; CR LF is added.  Sent at the next read. */
void conn_send(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The next reply line (or fragment of at most max_len bytes); false, after
 * telling the user, when the server hung up, timed out or the read failed. */
bool conn_read(struct conn *c, size_t max_len, struct line *line);

/* Tell the user the server said something this client cannot follow. */
void conn_unexpected(const struct conn *c, const struct line *line);

/* The local address as an RFC 5321 address literal, for EHLO/HELO. */
#define NET_LITERAL_MAX 64
void conn_local_literal(const struct conn *c, char *buf, size_t size);

#endif
