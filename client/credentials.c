/* credentials: see credentials.h. */
#include "credentials.h"

#include <string.h>

#include "console.h"

static bool usable(enum input_status st, const char *what)
{
	switch (st) {
	case INPUT_OK:
		return true;
	case INPUT_TOO_LONG:
		console_printf("That %s is too long.\n", what);
		return false;
	case INPUT_BAD:
		console_printf("That %s holds control characters.\n", what);
		return false;
	}
	return false;
}

bool credentials_ask(struct credentials *cred, bool may_cancel)
{
	char user[sizeof cred->user];
	const char *prompt = may_cancel ? "Username (empty line: back to the menu): "
					: "Username: ";
	for (;;) {
		if (!usable(console_ask(prompt, user, sizeof user), "user name"))
			continue;
		if (user[0] != '\0')
			break;
		if (may_cancel)
			return false;
	}
	while (!usable(console_ask_secret("Password: ", cred->password,
					  sizeof cred->password), "password"))
		;
	memcpy(cred->user, user, sizeof user);
	return true;
}

void credentials_forget(struct credentials *cred)
{
	explicit_bzero(cred->password, sizeof cred->password);
}
