/* compose: read a message as the user types it and check its format:
 *
 *     From: <user>@<domain>
 *     To: <user>@<domain>[, <user>@<domain>...]
 *     Subject: <at most 150 characters>
 *     <body: one or more lines>
 *     .
 *
 * The whole message is read before the check, so a bad line never leaks
 * into the menu.  The body is spooled to an unlinked temporary file, so
 * memory use does not grow with its size. */
#ifndef COMPOSE_H
#define COMPOSE_H

#include <stdbool.h>
#include <stddef.h>

#define ADDRESS_MAX 254         /* RFC 5321 4.5.3.1.3 path limit, no <> */
#define RECIPIENTS_MAX 100
#define SUBJECT_MAX_CHARS 150

struct message {
	char from[ADDRESS_MAX + 1];
	char to[RECIPIENTS_MAX][ADDRESS_MAX + 1];
	size_t to_count;
	char subject[4 * SUBJECT_MAX_CHARS + 1];   /* UTF-8: up to 4 bytes each */
	int body_fd;            /* body lines, LF-terminated, not stuffed */
};

/* Read and check one message from the console.  On success the message is
 * filled in and true returned; otherwise the reason has been printed after
 * "This is an incorrect format".  Call message_free() either way. */
bool compose_read(struct message *m);
void message_free(struct message *m);


#endif
