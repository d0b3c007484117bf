/* net: see net.h. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "console.h"

/* connect(2) that gives up after NET_CONNECT_TIMEOUT_MS; 0 or an errno. */
static int connect_bounded(int fd, const struct sockaddr *addr, socklen_t len)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return errno;
	int error = 0;
	if (connect(fd, addr, len) < 0) {
		error = errno;
		if (error == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int n;
			while ((n = poll(&p, 1, NET_CONNECT_TIMEOUT_MS)) < 0 &&
			       errno == EINTR)
				;
			socklen_t size = sizeof error;
			if (n == 0)
				error = ETIMEDOUT;
			else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR,
						     &error, &size) < 0)
				error = errno;
		}
	}
	if (error == 0 && fcntl(fd, F_SETFL, flags) < 0)
		error = errno;
	return error;
}

bool conn_open(struct conn *c, const char *protocol, const char *host,
	       const char *port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *found;
	int gai = getaddrinfo(host, port, &hints, &found);
	if (gai != 0) {
		console_printf("Cannot find the %s server %s port %s: %s\n",
			       protocol, host, port, gai_strerror(gai));
		return false;
	}
	int fd = -1, error = 0;
	for (struct addrinfo *a = found; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
			    a->ai_protocol);
		if (fd < 0) {
			error = errno;
			continue;
		}
		error = connect_bounded(fd, a->ai_addr, a->ai_addrlen);
		if (error != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(found);
	if (fd < 0) {
		console_printf("Cannot connect to the %s server at %s port %s: %s\n",
			       protocol, host, port, strerror(error));
		return false;
	}
	c->fd = fd;
	c->protocol = protocol;
	writer_init(&c->out, fd);
	reader_init(&c->in, fd, NET_REPLY_TIMEOUT_MS, &c->out);
	return true;
}

void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void conn_send(struct conn *c, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof text - 2)
		n = 0;          /* callers bound their arguments; never send half */
	memcpy(text + n, "\r\n", 2);
	writer_put(&c->out, text, (size_t)n + 2);
}

bool conn_read(struct conn *c, size_t max_len, struct line *line)
{
	switch (reader_next(&c->in, max_len, line)) {
	case LINE_OK:
		return true;
	case LINE_EOF:
		console_printf("The %s server closed the connection.\n",
			       c->protocol);
		break;
	case LINE_TIMEOUT:
		console_printf("The %s server did not answer within %d seconds.\n",
			       c->protocol, NET_REPLY_TIMEOUT_MS / 1000);
		break;
	case LINE_ERROR:
		console_printf("The connection to the %s server was lost.\n",
			       c->protocol);
		break;
	}
	return false;
}

void conn_unexpected(const struct conn *c, const struct line *line)
{
	console_printf("Unexpected reply from the %s server: ", c->protocol);
	console_put_safe(line->text, line->len);
	console_printf("%s\n", line->complete ? "" : "...");
}

void conn_local_literal(const struct conn *c, char *buf, size_t size)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof addr;
	char text[INET6_ADDRSTRLEN] = "";
	snprintf(buf, size, "[127.0.0.1]");
	if (getsockname(c->fd, (struct sockaddr *)&addr, &len) != 0)
		return;
	if (addr.ss_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)&addr)->sin_addr,
		      text, sizeof text))
		snprintf(buf, size, "[%s]", text);
	else if (addr.ss_family == AF_INET6 &&
		 inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&addr)->sin6_addr,
			   text, sizeof text))
		snprintf(buf, size, "[IPv6:%s]", text);
}
