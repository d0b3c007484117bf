/* signals: see signals.h. */
#include "signals.h"

#include <signal.h>
#include <string.h>

void signals_install(void (*end_session)(int sig))
{
	static const int ending[] = { SIGTERM, SIGHUP, SIGINT, SIGALRM };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = end_session;
	for (size_t i = 0; i < sizeof ending / sizeof *ending; i++)
		sigaction(ending[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);
}
