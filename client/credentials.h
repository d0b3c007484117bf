/* credentials: the user name and password asked once at start and kept
 * for the session (POP3 login). */
#ifndef CREDENTIALS_H
#define CREDENTIALS_H

#include <stdbool.h>

struct credentials {
	char user[256];
	char password[256];
};

/* Ask until a non-empty user name is given, then the password (without
 * echo on a terminal).  With may_cancel, an empty user name returns false
 * and leaves cred as it was. */
bool credentials_ask(struct credentials *cred, bool may_cancel);

/* Overwrite the password before the memory is given up. */
void credentials_forget(struct credentials *cred);

#endif
