/* signals: the one signal setup both handlers share. */
#ifndef SIGNALS_H
#define SIGNALS_H

/* SIGTERM, SIGHUP, SIGINT and SIGALRM end the session through end_session
 * (which must be async-signal-safe and not return).  SIGPIPE and SIGXFSZ
 * are ignored: a vanished client or a file-size limit (ulimit -f) then
 * shows up as a failed write, answered with an error, not as a kill that
 * would leave the sender without a reply. */
void signals_install(void (*end_session)(int sig));

#endif
