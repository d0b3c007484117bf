/* console: the user's side of mail-client - prompts on stdout, answers
 * from stdin through the common line reader, the password read without
 * echo when stdin is a terminal, and text from servers printed with
 * control characters made harmless. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "lineio.h"

/* The longest line the user may type (a mail body line: RFC 5321 4.5.3.1.6
 * allows 998 characters plus CR LF). */
#define CONSOLE_LINE_MAX 998

void console_init(void);

/* Buffered stdout; flushed whenever the program waits for input. */
struct writer *console_out(void);
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Control characters other than tab: never echoed raw, never in a header. */
bool console_has_control(const char *text, size_t len);
/* Print bytes that came from a server or a mailbox: control characters
 * (other than tab) become '?', so a message cannot drive the terminal. */
void console_put_safe(const char *text, size_t len);

enum input_status {
	INPUT_OK,
	INPUT_TOO_LONG,         /* longer than the buffer: the rest was skipped */
	INPUT_BAD,              /* holds a NUL or another control character */
};

/* Show prompt, read one line into buf (NUL-terminated).  End of input
 * never returns: it ends the program through console_leave(). */
enum input_status console_ask(const char *prompt, char *buf, size_t size);
/* The same without echo when stdin is a terminal. */
enum input_status console_ask_secret(const char *prompt, char *buf, size_t size);

/* The next raw line (or fragment of at most max_len bytes) for callers that
 * read many lines, such as a message body; LINE_EOF is returned, not acted on. */
enum line_status console_next_line(size_t max_len, struct line *out);
/* Skip the rest of a line console_next_line() handed out in part. */
enum line_status console_skip_rest(void);

/* End of input: say so and exit with status 0. */
_Noreturn void console_leave(void);

#endif
