/* pop3-handler: main and the signals.  The session is pop3_handler() in
 * pop3.c, kept apart from main so tests/fuzz/ can run it in-process. */
#include <signal.h>
#include <string.h>

#include "pop3.h"

/* A signal ends the session like a dropped connection: locks released,
 * nothing deleted. */
static void on_signal(int sig)
{
	(void)sig;
	pop3_abort(1);
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* Over a file-size limit (ulimit -f) the rewrite must fail with
	 * EFBIG and QUIT answer -ERR, rather than the signal killing us. */
	sigaction(SIGXFSZ, &sa, NULL);
}

int main(int argc, char **argv)
{
	static struct pop3_session session;
	install_signals();
	return pop3_handler(&session, argc, argv);
}
