/* signals: the one signal setup both handlers share. */
#ifndef SIGNALS_H
#define SIGNALS_H

/* SIGTERM, SIGHUP, SIGINT and SIGALRM end the session at once, the only
 * way out of a session other than its end: before_exit (async-signal-safe;
 * may be NULL) undoes what the handler has half done, every lock is
 * released, and the process exits with 128 + the signal's number.
 * SIGPIPE and SIGXFSZ are ignored: a vanished client or a file-size limit
 * (ulimit -f) then shows up as a failed write, answered with an error, not
 * as a kill that would leave the sender without a reply. */
void signals_install(void (*before_exit)(void));

#endif
