/* record: a session's transcript for golden tests (MAIL_RECORD, -R DIR).
 *
 * Each session writes DIR/<UTC stamp>-<protocol>-<pid>.in, every octet of
 * what the client sent that the handler consumed, and .out, every octet
 * written to the client: the formats of tests/golden/NAME.in and NAME.out
 * (the .out unmasked; the golden runner masks dates and ids).  Passwords
 * are recorded as eight stars: PASS's argument, AUTH's initial response
 * and the SASL responses.  Recording never disturbs the session: a
 * failure logs one line and ends the recording; each file stops at
 * RECORD_FILE_MAX octets (logged once). */
#ifndef RECORD_H
#define RECORD_H

#include <stdbool.h>
#include <stddef.h>

/* Open DIR (which must exist) before the handler changes directory or
 * drops privileges, so a relative DIR is taken from where it started.
 * dir NULL: no recording. */
void record_open_dir(const char *dir);
/* Create the session's two files (0600, as the user the session runs
 * as); protocol is "smtp" or "pop3".  False when nothing is recorded, so
 * the reader and writer need not hand anything over. */
bool record_start(const char *protocol);
/* Append what the client sent, or what went to the client. */
void record_in(const void *data, size_t len);
void record_out(const void *data, size_t len);

#endif
