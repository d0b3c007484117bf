/* smtp-handler: speaks one SMTP session on stdin/stdout and exits.
 * Concurrency comes from whatever starts it (inetd, xinetd, systemd socket
 * activation, socat, tcpspawn).  The session itself is smtp_handler() in
 * smtp.c, kept apart from main so tests/fuzz/ can run it in-process. */
#include <unistd.h>

#include "lock.h"
#include "signals.h"
#include "smtp.h"

static void on_signal(int sig)
{
	/* A delivery cut short leaves a torn tail that the next delivery
	 * cuts off; the lock must not outlive us. */
	lock_release_all();
	_exit(128 + sig);
}

int main(int argc, char **argv)
{
	static struct session s;
	signals_install(on_signal);
	int status = smtp_handler(&s, argc, argv);
	connection_hang_up();
	return status;
}
