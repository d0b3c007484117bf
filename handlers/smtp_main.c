/* smtp-handler: speaks one SMTP session on stdin/stdout and exits.
 * Concurrency comes from whatever starts it (inetd, xinetd, systemd socket
 * activation, socat, tcpspawn). */
#include <unistd.h>

#include "lock.h"
#include "signals.h"
#include "smtp.h"

/* The only way out of a session other than its end: a delivery cut short
 * leaves a torn tail that the next delivery cuts off; the lock must not
 * outlive us. */
static void on_signal(int sig)
{
	lock_release_all();
	_exit(128 + sig);
}

int main(int argc, char **argv)
{
	static struct smtp_session s;
	signals_install(on_signal);
	return smtp_handler(&s, argc, argv);
}
