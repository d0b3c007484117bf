/* signals: see signals.h. */
#include "signals.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"

static void (*undo_before_exit)(void);

static void end_session(int sig)
{
	if (undo_before_exit)
		undo_before_exit();
	lock_release_all();
	_exit(128 + sig);
}

void signals_install(void (*before_exit)(void))
{
	static const int ending[] = { SIGTERM, SIGHUP, SIGINT, SIGALRM };
	struct sigaction sa;
	undo_before_exit = before_exit;
	memset(&sa, 0, sizeof sa);
	/* One ending signal at a time: a second waits, and never interrupts
	 * the first one's clean-up. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof ending / sizeof *ending; i++)
		sigaddset(&sa.sa_mask, ending[i]);
	sa.sa_handler = end_session;
	for (size_t i = 0; i < sizeof ending / sizeof *ending; i++)
		sigaction(ending[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);
}
