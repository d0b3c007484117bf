/* pop3-handler: speaks one POP3 session on stdin/stdout and exits. */
#include <unistd.h>

#include "lock.h"
#include "maildrop.h"
#include "pop3.h"
#include "signals.h"

/* The only way out of a session other than its end: like a dropped
 * connection, locks released and nothing deleted.  No log line: logging
 * is not safe in a signal handler. */
static void on_signal(int sig)
{
	maildrop_update_abandon();
	lock_release_all();
	_exit(128 + sig);
}

int main(int argc, char **argv)
{
	static struct pop3_session s;
	signals_install(on_signal);
	return pop3_handler(&s, argc, argv);
}
