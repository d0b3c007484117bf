/* smtp_session: hand one checked message to an SMTP server with standard
 * commands only (EHLO, falling back to HELO; MAIL FROM; RCPT TO per
 * recipient; DATA with dot-stuffing; QUIT), and tell the user how it went. */
#ifndef SMTP_SESSION_H
#define SMTP_SESSION_H

#include <stdbool.h>

#include "compose.h"

/* True when the server accepted the message for every recipient. */
bool smtp_send(const char *host, const char *port, const struct message *m);

#endif
