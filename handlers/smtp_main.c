/* smtp-handler: speaks one SMTP session on stdin/stdout and exits.
 * Concurrency comes from whatever starts it (inetd, xinetd, systemd socket
 * activation, socat, tcpspawn). */
#include "signals.h"
#include "smtp.h"

int main(int argc, char **argv)
{
	static struct smtp_session s;
	/* A delivery a signal cuts short leaves a torn tail, never
	 * acknowledged, that the next delivery cuts off. */
	signals_install(NULL);
	return smtp_handler(&s, argc, argv);
}
