/* fuzz_smtp: a whole SMTP session fed one input as the client's side of
 * the conversation, run in-process by smtp_handler() over the fuzz mail
 * root (a clean one per input).
 *
 * Checks beyond the sanitizers: every reply line is "ddd" or "ddd-"
 * with a 2xx-5xx code and ends in CR LF, the first is the 220 greeting;
 * every mailbox left behind is whole (no torn tail) and each message in
 * it starts with the Return-Path: line the handler prepends. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "mailbox_index.h"
#include "smtp.h"
#include "store.h"

static void check_replies(const char *out, size_t len)
{
	if (len < 4 || memcmp(out, "220 ", 4) != 0)
		fuzz_fail("no 220 greeting first");
	if (!fuzz_all_crlf(out, len))
		fuzz_fail("a reply line does not end with CR LF");
	for (const char *line = out; line < out + len;
	     line = (const char *)memchr(line, '\n', (size_t)(out + len - line)) + 1) {
		if (out + len - line < 6 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9' || (line[3] != ' ' && line[3] != '-'))
			fuzz_fail("malformed reply line: %.40s", line);
	}
}

static void check_mailbox(const char *user)
{
	int fd = open(fuzz_user_file(user, STORE_MAILBOX), O_RDONLY);
	if (fd < 0)
		return;                 /* nothing delivered */
	struct stat st;
	struct mailbox_index idx;
	if (fstat(fd, &st) < 0 || !fuzz_index_build(&idx, fd, st.st_size))
		fuzz_fail("cannot index the mailbox of %s", user);
	if (idx.end != st.st_size)
		fuzz_fail("mailbox of %s: %lld bytes after the last message",
			  user, (long long)(st.st_size - idx.end));
	static const char want[] = "Return-Path: <";
	char head[sizeof want - 1];
	for (size_t i = 0; i < idx.count; i++) {
		off_t at = mailbox_index_offset(&idx, i);
		if (mailbox_index_stored_len(&idx, i) < sizeof head ||
		    pread(fd, head, sizeof head, at) != (ssize_t)sizeof head ||
		    memcmp(head, want, sizeof head) != 0)
			fuzz_fail("mailbox of %s: message %zu does not start "
				  "with Return-Path:", user, i + 1);
	}
	mailbox_index_free(&idx);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtp_session s;
	static char *argv[] = { "smtp-handler", NULL };
	fuzz_root_init();
	for (const char *const *u = fuzz_users; *u; u++)
		unlink(fuzz_user_file(*u, STORE_MAILBOX));

	fuzz_session_begin(data, size);
	memset(&s, 0, sizeof s);
	int status = smtp_handler(&s, 1, argv);
	size_t len;
	char *out = fuzz_session_end(&len);
	if (status != 0)
		fuzz_fail("smtp_handler returned %d", status);
	check_replies(out, len);
	free(out);
	for (const char *const *u = fuzz_users; *u; u++)
		check_mailbox(*u);
	return 0;
}
