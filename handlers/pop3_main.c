/* pop3-handler: main and the signals.  The session is pop3_handler() in
 * pop3.c, kept apart from main so tests/fuzz/ can run it in-process. */

#include "pop3.h"
#include "signals.h"

/* A signal ends the session like a dropped connection: locks released,
 * nothing deleted. */
static void on_signal(int sig)
{
	(void)sig;
	pop3_abort(1);
}

int main(int argc, char **argv)
{
	static struct pop3_session session;
	signals_install(on_signal);
	int status = pop3_handler(&session, argc, argv);
	connection_hang_up();
	return status;
}
