/* pop3-handler: speaks one POP3 session on stdin/stdout and exits. */
#include "maildrop.h"
#include "pop3.h"
#include "signals.h"

int main(int argc, char **argv)
{
	static struct pop3_session s;
	/* A signal ends the session like a dropped connection: nothing
	 * deleted, and no log line (logging is not safe in a handler). */
	signals_install(maildrop_update_abandon);
	return pop3_handler(&s, argc, argv);
}
