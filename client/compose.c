/* compose: see compose.h. */
#include "compose.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "console.h"
#include "lineio.h"
#include "summary.h"
#include "tempfile.h"

/* RFC 5321 4.5.3.1.6: 998 characters plus CR LF. */
#define BODY_LINE_MAX 998
#define LOCAL_PART_MAX 64
#define DOMAIN_MAX 253
#define LABEL_MAX 63

/* The first thing wrong with the message; later lines are still read. */
struct check {
	unsigned line_no;
	size_t body_lines;
	bool failed;
	char reason[400];
};

static void fail(struct check *ck, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct check *ck, const char *fmt, ...)
{
	if (ck->failed)
		return;
	ck->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ck->reason, sizeof ck->reason, fmt, ap);
	va_end(ap);
}

/* RFC 5322 atext: what a dot-atom local part may hold besides dots. */
static bool is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

static bool is_let_dig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool local_part_valid(const char *s, size_t len)
{
	if (len == 0 || len > LOCAL_PART_MAX || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.' ? s[i + 1] == '.' : !is_atext(c))
			return false;
	}
	return true;
}

/* A host name: labels of letters, digits and inner hyphens, dot separated. */
static bool domain_valid(const char *s, size_t len)
{
	if (len == 0 || len > DOMAIN_MAX)
		return false;
	size_t label = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > LABEL_MAX || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_let_dig((unsigned char)s[i]) ||
			   (s[i] == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* Is text a mailbox address <local-part>@<domain> (dot-atom local part,
 * host name domain)? */
static bool address_valid(const char *text, size_t len)
{
	const char *at = memchr(text, '@', len);
	if (!at || len > ADDRESS_MAX)
		return false;
	size_t local = (size_t)(at - text);
	return local_part_valid(text, local) &&
	       domain_valid(at + 1, len - local - 1);
}

/* Does the line start with the field name (any case) and its colon?  Then
 * point value at what follows, trimmed. */
static bool field(const struct line *line, const char *name,
		  const char **value, size_t *value_len)
{
	size_t n = strlen(name);
	if (line->len < n || strncasecmp(line->text, name, n) != 0)
		return false;
	*value = line->text + n;
	*value_len = line->len - n;
	summary_trim(value, value_len);
	return true;
}

/* Copy an address, given bare or in angle brackets, into out. */
static bool take_address(const char *s, size_t len, char out[ADDRESS_MAX + 1])
{
	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s++;
		len -= 2;
	}
	if (!address_valid(s, len))
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

#define FROM_FORM "'From: <username>@<domain name>'"
#define TO_FORM "'To: <username>@<domain name>' (several separated by commas)"
#define SUBJECT_FORM "'Subject: <subject, at most 150 characters>'"

static void check_from(struct check *ck, const struct line *line,
		       struct message *m)
{
	const char *v;
	size_t len;
	if (!field(line, "From:", &v, &len))
		fail(ck, "line 1 must be %s", FROM_FORM);
	else if (!take_address(v, len, m->from))
		fail(ck, "line 1: '%.*s' is not an address of the form "
		     "<username>@<domain name>", (int)len, v);
}

static void check_to(struct check *ck, const struct line *line,
		     struct message *m)
{
	const char *v;
	size_t len;
	if (!field(line, "To:", &v, &len)) {
		fail(ck, "line 2 must be %s", TO_FORM);
		return;
	}
	m->to_count = 0;
	const char *end = v + len;
	for (const char *item = v; item <= end;) {
		const char *comma = memchr(item, ',', (size_t)(end - item));
		const char *stop = comma ? comma : end;
		const char *s = item;
		size_t n = (size_t)(stop - item);
		summary_trim(&s, &n);
		if (m->to_count == RECIPIENTS_MAX) {
			fail(ck, "line 2: more than %d recipients", RECIPIENTS_MAX);
			return;
		}
		if (!take_address(s, n, m->to[m->to_count])) {
			if (n == 0)
				fail(ck, "line 2: recipient %zu is empty",
				     m->to_count + 1);
			else
				fail(ck, "line 2: '%.*s' is not an address of "
				     "the form <username>@<domain name>",
				     (int)n, s);
			return;
		}
		m->to_count++;
		item = stop + 1;
	}
}

/* Characters, not bytes: UTF-8 continuation bytes do not count. */
static size_t utf8_chars(const char *s, size_t len)
{
	size_t chars = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			chars++;
	return chars;
}

static void check_subject(struct check *ck, const struct line *line,
			  struct message *m)
{
	const char *v;
	size_t len;
	if (!field(line, "Subject:", &v, &len)) {
		fail(ck, "line 3 must be %s", SUBJECT_FORM);
		return;
	}
	size_t chars = utf8_chars(v, len);
	if (chars > SUBJECT_MAX_CHARS || len >= sizeof m->subject) {
		fail(ck, "line 3: the subject has %zu characters, at most %d "
		     "are allowed", chars, SUBJECT_MAX_CHARS);
		return;
	}
	memcpy(m->subject, v, len);
	m->subject[len] = '\0';
}

static void take_body_line(struct check *ck, const struct line *line,
			   struct writer *body)
{
	/* A NUL or a bare CR could end up cutting the SMTP stream. */
	if (memchr(line->text, '\0', line->len) ||
	    memchr(line->text, '\r', line->len)) {
		fail(ck, "line %u holds a NUL or carriage-return character",
		     ck->line_no);
		return;
	}
	writer_put(body, line->text, line->len);
	writer_put(body, "\n", 1);
	ck->body_lines++;
}

static void take_line(struct check *ck, const struct line *line,
		      struct message *m, struct writer *body)
{
	if (ck->line_no <= 3 && console_has_control(line->text, line->len)) {
		fail(ck, "line %u holds a control character", ck->line_no);
		return;
	}
	switch (ck->line_no) {
	case 1: check_from(ck, line, m); break;
	case 2: check_to(ck, line, m); break;
	case 3: check_subject(ck, line, m); break;
	default: take_body_line(ck, line, body); break;
	}
}

static void report(const struct check *ck)
{
	console_printf("This is an incorrect format: %s.\n", ck->reason);
}

/* What the headers and body need, given that the final "." came. */
static void check_complete(struct check *ck)
{
	static const char *const expected[] = { FROM_FORM, TO_FORM, SUBJECT_FORM };
	if (ck->line_no <= 3)
		fail(ck, "the message ended at line %u, where %s was expected",
		     ck->line_no, expected[ck->line_no - 1]);
	else if (ck->body_lines == 0)
		fail(ck, "the message has no body: type at least one line "
		     "before the final '.'");
}

bool compose_read(struct message *m)
{
	m->to_count = 0;
	m->from[0] = m->subject[0] = '\0';
	const char *tmpdir = getenv("TMPDIR");
	m->body_fd = tempfile_unlinked(tmpdir && *tmpdir ? tmpdir : "/tmp");

	console_printf("Type the message, ending with a line holding only '.':\n"
		       "  From: <username>@<domain name>\n"
		       "  To: <username>@<domain name>\n"
		       "  Subject: <subject, at most 150 characters>\n"
		       "  <message body, one or more lines>\n"
		       "  .\n");
	struct check ck = { 0 };
	struct writer body;
	writer_init(&body, m->body_fd);
	if (m->body_fd < 0)
		fail(&ck, "cannot create a temporary file for the body");

	for (;;) {
		struct line line;
		enum line_status st = console_next_line(BODY_LINE_MAX, &line);
		if (st != LINE_OK) {
			fail(&ck, "the message has no final line holding only '.'");
			report(&ck);
			message_free(m);
			console_leave();
		}
		ck.line_no++;
		if (!line.complete) {
			fail(&ck, "line %u is longer than %d characters",
			     ck.line_no, BODY_LINE_MAX);
			console_skip_rest();
			continue;
		}
		if (line.len == 1 && line.text[0] == '.')
			break;
		take_line(&ck, &line, m, &body);
	}
	check_complete(&ck);
	if (!writer_flush(&body))
		fail(&ck, "cannot write the body to a temporary file");
	if (ck.failed)
		report(&ck);
	return !ck.failed;
}

void message_free(struct message *m)
{
	if (m->body_fd >= 0)
		close(m->body_fd);
	m->body_fd = -1;
}
