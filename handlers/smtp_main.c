/* smtp-handler: speaks one SMTP session on stdin/stdout and exits.
 * Concurrency comes from whatever starts it (inetd, xinetd, systemd socket
 * activation, socat, tcpspawn).  The session itself is smtp_handler() in
 * smtp.c, kept apart from main so tests/fuzz/ can run it in-process. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"
#include "smtp.h"

static void on_signal(int sig)
{
	/* A delivery cut short leaves a torn tail that the next delivery
	 * cuts off; the lock must not outlive us. */
	lock_release_all();
	_exit(128 + sig);
}

static void handle_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Over a file-size limit (ulimit -f) write() must fail with EFBIG,
	 * so the sender gets a 4xx, rather than the signal killing us. */
	signal(SIGXFSZ, SIG_IGN);
}

int main(int argc, char **argv)
{
	static struct session s;
	handle_signals();
	return smtp_handler(&s, argc, argv);
}
