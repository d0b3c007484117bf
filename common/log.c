/* log: see log.h. */
#include "log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *log_program = "mail";
static bool log_to_stderr;
static char stderr_prefix[128];         /* "program[pid]: " */
static char peer[INET6_ADDRSTRLEN + 8] = "";

static bool same_file(int a, int b)
{
	struct stat sa, sb;
	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void log_init(const char *program, const char *target)
{
	struct stat st;
	log_program = program;
	if (strcmp(target, "stderr") == 0)
		log_to_stderr = true;
	else if (strcmp(target, "syslog") == 0)
		log_to_stderr = false;
	else
		log_to_stderr = fstat(2, &st) == 0 && !same_file(2, 0) &&
				!same_file(2, 1);
	if (!log_to_stderr)
		openlog(program, LOG_PID | LOG_NDELAY, LOG_MAIL);
	snprintf(stderr_prefix, sizeof stderr_prefix, "%s[%ld]: ", program,
		 (long)getpid());
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

void log_address_text(const struct sockaddr_storage *addr, char *ip,
		      size_t size)
{
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
	ip[0] = '\0';
	if (addr->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr,
			  ip, (socklen_t)size);
	else if (addr->ss_family == AF_INET6 &&
		 IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
		inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], ip, (socklen_t)size);
	else if (addr->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &v6->sin6_addr, ip, (socklen_t)size);
}

void log_set_peer(const char *address)
{
	snprintf(peer, sizeof peer, "%s", address);
}

const char *log_peer(void)
{
	if (peer[0])
		return peer;
	/* Where fd 0 is a pipe or socketpair, the launcher says who the peer
	 * is: UCSPI (tcpspawn, tcpserver), socat, stunnel. */
	static const char *const peer_vars[] = {
		"TCPREMOTEIP", "SOCAT_PEERADDR", "REMOTE_HOST",
	};
	for (size_t i = 0; i < sizeof peer_vars / sizeof peer_vars[0]; i++) {
		const char *env = getenv(peer_vars[i]);
		if (env && *env) {
			log_set_peer(env);
			return peer;
		}
	}
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getpeername(0, (struct sockaddr *)&ss, &len) == 0) {
		char text[INET6_ADDRSTRLEN];
		log_address_text(&ss, text, sizeof text);
		if (text[0]) {
			log_set_peer(text);
			return peer;
		}
	}
	log_set_peer("stdin");
	return peer;
}
