/* pop3_session: Mail Management - log in with USER/PASS (asking again
 * after a refusal), list the mailbox (sender, when received, subject from
 * TOP n 0), then a sub-menu of STAT, LIST, RETR n, DELE n, RSET, QUIT. */
#ifndef POP3_SESSION_H
#define POP3_SESSION_H

#include "credentials.h"

/* Returns when the user quits the sub-menu or the session fails. */
void pop3_manage(const char *host, const char *port, struct credentials *cred);

#endif
