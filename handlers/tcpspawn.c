/* tcpspawn: the bundled launcher.  Listen on a TCP port, and for each
 * connection start PROGRAM with the socket on fd 0 and 1 and the
 * UCSPI variables set (PROTO, TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP,
 * TCPLOCALPORT).  fd 2 stays the launcher's, so handler logs reach its
 * stderr.
 *
 * The main loop keeps SIGCHLD, SIGTERM and SIGINT blocked except inside
 * ppoll(), so a signal can only arrive while we wait and no reap or stop
 * request is ever missed between checks. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mail_limits.h"
#include "number.h"
#include "peer.h"
#include "privilege.h"

#define DEFAULT_MAXCONN 40
#define BACKLOG 64
#define RETRY_PAUSE_MS 200 /* after a failed accept or spawn */

static const char usage_text[] =
	"usage: tcpspawn [-b ADDR] [-c MAXCONN] [-u USER] [-p FILE] [-r] "
	"PORT PROGRAM [ARG...]\n"
	"  -b ADDR     IPv4 or IPv6 address to listen on (default 0.0.0.0)\n"
	"  -c MAXCONN  most sessions at once (default "
	LIMIT_TEXT(DEFAULT_MAXCONN) ")\n"
	"  -u USER     switch to USER after binding the port\n"
	"  -p FILE     write the bound port number to FILE (useful with PORT 0)\n"
	"  -r          log each session's peak resident memory when it ends\n";

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t child_exited;
static bool report_rss;

static void on_stop(int sig) { stop_signal = sig; }
static void on_child(int sig) { (void)sig; child_exited = 1; }

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "tcpspawn[%ld]: ", (long)getpid());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tcpspawn: ", stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n%s", usage_text);
	va_end(ap);
	exit(2);
}

static long parse_number(const char *text, long min, long max,
			 const char *what)
{
	unsigned long long n;
	if (!parse_uint(text, (unsigned long long)max, &n) ||
	    n < (unsigned long long)min)
		usage_error("%s: %s", what, text);
	return (long)n;
}

/* Fill addr from a numeric IPv4 or IPv6 address (brackets optional). */
static socklen_t parse_address(const char *text, long port,
			       struct sockaddr_storage *addr)
{
	char plain[INET6_ADDRSTRLEN];
	size_t len = strlen(text);
	if (len > 2 && text[0] == '[' && text[len - 1] == ']' &&
	    len - 2 < sizeof plain) {
		memcpy(plain, text + 1, len - 2);
		plain[len - 2] = '\0';
		text = plain;
	}
	memset(addr, 0, sizeof *addr);
	struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
	if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((unsigned short)port);
		return sizeof *v4;
	}
	if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((unsigned short)port);
		return sizeof *v6;
	}
	usage_error("not a numeric IPv4 or IPv6 address: %s", text);
}

/* Text form of an address and its port, for the UCSPI variables and our
 * log; an IPv4 client of a socket bound to :: shows as plain IPv4. */
static void address_text(const struct sockaddr_storage *addr, char *ip,
			 size_t size, char *port, size_t port_size)
{
	peer_address_text(addr, ip, size);
	if (!ip[0])
		snprintf(ip, size, "?");
	in_port_t p = addr->ss_family == AF_INET6 ?
		((const struct sockaddr_in6 *)addr)->sin6_port :
		((const struct sockaddr_in *)addr)->sin_port;
	snprintf(port, port_size, "%u", ntohs(p));
}

static void pause_briefly(void)
{
	struct timespec t = { 0, RETRY_PAUSE_MS * 1000000L };
	nanosleep(&t, NULL);
}

static int listen_on(const struct sockaddr_storage *addr, socklen_t len)
{
	int fd = socket(addr->ss_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int on = 1;
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
	    bind(fd, (const struct sockaddr *)addr, len) < 0 ||
	    listen(fd, BACKLOG) < 0) {
		say("cannot listen: %s", strerror(errno));
		exit(1);
	}
	return fd;
}

static void write_port_file(const char *path, const char *port)
{
	/* Write then rename, so a reader never sees a half-written file. */
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", port) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) < 0) {
		say("cannot write port file %s: %s", path, strerror(errno));
		exit(1);
	}
}

/* fds 0-2 must be open, or an accepted socket could land on one of them. */
static void ensure_standard_fds(void)
{
	int fd;
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* The UCSPI variables tcpspawn sets or, as it looks up no names, removes:
 * never passed on from its own environment. */
static const char *const ucspi_names[] = {
	"PROTO=", "TCPREMOTEIP=", "TCPREMOTEPORT=", "TCPLOCALIP=",
	"TCPLOCALPORT=", "TCPREMOTEHOST=", "TCPREMOTEINFO=", "TCPLOCALHOST=",
};
#define UCSPI_SET 5             /* the first five are set per session */
#define UCSPI_VALUE_MAX (sizeof "TCPREMOTEPORT=" + INET6_ADDRSTRLEN)

static char **session_env;      /* our environment, then UCSPI_SET slots */
static char ucspi_values[UCSPI_SET][UCSPI_VALUE_MAX];

/* The environment every session starts from: ours without any UCSPI
 * variable, then room for the five set per connection. */
static void make_session_env(void)
{
	extern char **environ;
	size_t n = 0, kept = 0;
	while (environ[n])
		n++;
	session_env = calloc(n + UCSPI_SET + 1, sizeof *session_env);
	if (!session_env) {
		say("out of memory");
		exit(111);
	}
	for (size_t i = 0; i < n; i++) {
		bool ucspi = false;
		for (size_t j = 0; j < sizeof ucspi_names / sizeof *ucspi_names;
		     j++)
			ucspi |= strncmp(environ[i], ucspi_names[j],
					 strlen(ucspi_names[j])) == 0;
		if (!ucspi)
			session_env[kept++] = environ[i];
	}
	for (size_t j = 0; j < UCSPI_SET; j++)
		session_env[kept++] = ucspi_values[j];
}

/* Start PROGRAM for one connection: the socket on fds 0 and 1, the UCSPI
 * variables set, the signal mask tcpspawn was started with and default
 * dispositions.  posix_spawn, not fork: the child shares our memory until
 * its exec instead of copying our page tables, so a session costs less. */
static int spawn_session(int conn, const char *ip, const char *port,
			 char **program, const sigset_t *old_mask, pid_t *pid)
{
	struct sockaddr_storage local;
	socklen_t local_len = sizeof local;
	char lip[INET6_ADDRSTRLEN], lport[8];
	getsockname(conn, (struct sockaddr *)&local, &local_len);
	address_text(&local, lip, sizeof lip, lport, sizeof lport);
	const char *values[UCSPI_SET] = { "TCP", ip, port, lip, lport };
	for (size_t j = 0; j < UCSPI_SET; j++)
		snprintf(ucspi_values[j], UCSPI_VALUE_MAX, "%s%s",
			 ucspi_names[j], values[j]);

	posix_spawnattr_t attr;
	posix_spawn_file_actions_t actions;
	sigset_t defaults;
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGCHLD);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGINT);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, old_mask);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	/* dup2 clears close-on-exec on the copies; conn itself closes at exec. */
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, conn, 0);
	posix_spawn_file_actions_adddup2(&actions, conn, 1);
	int err = posix_spawnp(pid, program[0], &actions, &attr, program,
			       session_env);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	return err;
}

/* Collect exited children; log the ones that did not end normally (and,
 * with -r, every one's peak RSS, for `make bench`). */
static int reap_children(void)
{
	int reaped = 0, status;
	struct rusage usage;
	pid_t pid;
	while ((pid = wait4(-1, &status, WNOHANG, &usage)) > 0) {
		reaped++;
		if (report_rss)
			say("pid %ld peak RSS %ld KiB", (long)pid,
			    usage.ru_maxrss);
		if (WIFSIGNALED(status))
			say("pid %ld killed by signal %d", (long)pid,
			    WTERMSIG(status));
		else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			say("pid %ld exited with status %d", (long)pid,
			    WEXITSTATUS(status));
	}
	return reaped;
}

static void accept_one(int listen_fd, char **program, const sigset_t *old_mask,
		       int *active)
{
	struct sockaddr_storage remote;
	socklen_t len = sizeof remote;
	int conn = accept4(listen_fd, (struct sockaddr *)&remote, &len,
			   SOCK_CLOEXEC);
	if (conn < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		/* EMFILE, ENFILE, ENOBUFS, ECONNABORTED...: keep serving. */
		say("accept: %s", strerror(errno));
		pause_briefly();
		return;
	}
	char ip[INET6_ADDRSTRLEN], port[8];
	address_text(&remote, ip, sizeof ip, port, sizeof port);
	pid_t pid;
	int err = spawn_session(conn, ip, port, program, old_mask, &pid);
	close(conn);
	if (err != 0) {
		say("cannot run %s for %s port %s: %s", program[0], ip, port,
		    strerror(err));
		/* Out of processes or memory: give the machine a moment. */
		if (err == EAGAIN || err == ENOMEM)
			pause_briefly();
		return;
	}
	(*active)++;
	say("pid %ld serves %s port %s", (long)pid, ip, port);
}

int main(int argc, char **argv)
{
	const char *bind_to = "0.0.0.0", *user = NULL, *port_file = NULL;
	long maxconn = DEFAULT_MAXCONN;
	int opt;

	/* The shared code (privilege_drop) logs to our stderr, as say() does. */
	log_init("tcpspawn", "stderr");
	opterr = 0;
	/* '+': options end at PORT, so PROGRAM's own flags are left alone. */
	while ((opt = getopt(argc, argv, "+b:c:u:p:rh")) != -1) {
		switch (opt) {
		case 'b': bind_to = optarg; break;
		case 'c': maxconn = parse_number(optarg, 1, 100000,
						 "bad MAXCONN"); break;
		case 'u': user = optarg; break;
		case 'p': port_file = optarg; break;
		case 'r': report_rss = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default:
			if (strchr("bcup", optopt))
				usage_error("option -%c needs a value", optopt);
			usage_error("unknown option -%c", optopt);
		}
	}
	if (argc - optind < 2)
		usage_error("need PORT and PROGRAM");
	long port = parse_number(argv[optind], 0, 65535, "bad PORT");
	char **program = argv + optind + 1;

	struct sockaddr_storage addr;
	socklen_t addr_len = parse_address(bind_to, port, &addr);

	ensure_standard_fds();
	int listen_fd = listen_on(&addr, addr_len);
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof bound;
	char bound_ip[INET6_ADDRSTRLEN], bound_port[8];
	getsockname(listen_fd, (struct sockaddr *)&bound, &bound_len);
	address_text(&bound, bound_ip, sizeof bound_ip, bound_port,
		     sizeof bound_port);
	if (port_file)
		write_port_file(port_file, bound_port);
	if (user && !privilege_drop(user))
		exit(1);

	make_session_env();
	sigset_t blocked, old_mask;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGCHLD);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigprocmask(SIG_BLOCK, &blocked, &old_mask);
	struct sigaction sa = { .sa_handler = on_stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);

	say("listening on %s port %s, at most %ld sessions, running %s",
	    bound_ip, bound_port, maxconn, program[0]);
	int active = 0;
	sigset_t wait_mask = old_mask;
	sigdelset(&wait_mask, SIGCHLD);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);
	while (!stop_signal) {
		if (child_exited) {
			child_exited = 0;
			active -= reap_children();
		}
		/* At the cap, leave new connections queued in the backlog. */
		struct pollfd pfd = { listen_fd, POLLIN, 0 };
		int n = ppoll(&pfd, active < maxconn ? 1 : 0, NULL, &wait_mask);
		if (n > 0 && (pfd.revents & POLLIN))
			accept_one(listen_fd, program, &old_mask, &active);
	}
	/* Sessions in progress keep running; they are not ours to cut off. */
	say("stopping on signal %d, %d sessions left running", (int)stop_signal,
	    active);
	close(listen_fd);
	return 0;
}
