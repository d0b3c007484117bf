/* summary: one line of the mail list - sender, when received, subject -
 * taken from a message's header lines (as POP3 TOP n 0 returns them).
 *
 * "When received" is the date of the first (topmost) Received: header,
 * which the final server adds on delivery (RFC 5321 4.4); a message
 * without one falls back to its Date: header, the time it was written. */
#ifndef SUMMARY_H
#define SUMMARY_H

#include <stdbool.h>
#include <stddef.h>

#define SUMMARY_FIELD_MAX 998

struct summary {
	char sender[256];
	char return_path[256];
	char subject[256];
	char received[128];     /* date part of the first Received: */
	char date[128];         /* the Date: header */
	bool headers_done;      /* the empty line after the headers was seen */
	size_t field_len;
	char field[SUMMARY_FIELD_MAX + 1];  /* the header being unfolded */
};

/* Trim blanks (space, tab) around [*text, *text + *len): header values. */
void summary_trim(const char **text, size_t *len);
void summary_init(struct summary *s);
/* Feed one header line (without its line ending; may be truncated). */
void summary_feed(struct summary *s, const char *text, size_t len);
/* Call after the last line. */
void summary_finish(struct summary *s);

/* The parts to show: never NULL, possibly a placeholder. */
const char *summary_sender(const struct summary *s);
const char *summary_subject(const struct summary *s);
/* When received, in local time as "YYYY-MM-DD HH:MM"; the raw header text
 * when it is not an RFC 5322 date. */
void summary_when(const struct summary *s, char *buf, size_t size);


#endif
