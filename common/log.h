/* log: one line per event, to stderr when that is safe, else to syslog.
 *
 * Under inetd and xinetd fd 2 is the client socket, and a log line written
 * there would corrupt the protocol; so stderr is used only when fd 2 is not
 * the same file as fd 0 or fd 1. */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <syslog.h>

/* target: "auto" (stderr unless fd 2 is the client), "stderr", "syslog". */
void log_init(const char *program, const char *target);
void log_msg(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Do log lines go to stderr (rather than syslog)?  Then other text for
 * the administrator, such as a usage message, may go there too. */
bool log_uses_stderr(void);

#endif
