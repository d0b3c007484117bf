/* fuzz_pop3: a whole POP3 session over a mailbox, both from one input:
 *
 *     <mailbox file bytes>
 *     ====
 *     <what the client sends>
 *
 * (split at the first line that is exactly "===="; without one, the whole
 * input is the client's side and the mailboxes are empty).  The mailbox
 * bytes become the mailboxes of both alice and bob, then pop3_handler()
 * runs in-process.
 *
 * Checks beyond the sanitizers: the output starts with the greeting and
 * every line of it ends in CR LF; no lock or temporary file is left; a
 * session that did not end with a successful QUIT left both mailboxes
 * byte for byte as they were; after a successful QUIT each mailbox holds
 * a subsequence of its messages (UPDATE only ever removes); each RETR's
 * "+OK N octets" is what the client then receives: N octets once the
 * dot-stuffing is undone, CR LF line ends included. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "maildrop.h"
#include "mailbox_index.h"
#include "pop3.h"
#include "store.h"

static const char separator[] = "====\n";

/* Where the client's side begins; *mailbox_len: the mailbox's length. */
static size_t split_input(const uint8_t *data, size_t size, size_t *mailbox_len)
{
	const size_t sep = sizeof separator - 1;
	for (size_t i = 0; i + sep <= size; i++) {
		if ((i == 0 || data[i - 1] == '\n') &&
		    memcmp(data + i, separator, sep) == 0) {
			*mailbox_len = i;
			return i + sep;
		}
		const uint8_t *lf = memchr(data + i, '\n', size - i);
		if (!lf)
			break;
		i = (size_t)(lf - data);        /* the loop's i++ passes the LF */
	}
	*mailbox_len = 0;
	return 0;
}

static void write_mailbox(const char *user, const uint8_t *box, size_t len)
{
	const char *path = fuzz_user_file(user, STORE_MAILBOX);
	unlink(path);
	if (len == 0)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, box, len) != (ssize_t)len)
		fuzz_fail("cannot write %s", path);
	close(fd);
}

static char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		*len = 0;
		return NULL;
	}
	char *text = fuzz_read_all(fd, len);
	close(fd);
	return text;
}

/* Is every complete message of after also, in order, one of before's? */
static bool only_removed(const char *before, size_t before_len,
			 const char *after, size_t after_len)
{
	if (after_len == before_len && memcmp(after, before, after_len) == 0)
		return true;
	struct mailbox_index a, b;
	int fa = fuzz_memory_file(after, after_len);
	int fb = fuzz_memory_file(before, before_len);
	if (!fuzz_index_build(&a, fa, (off_t)after_len) ||
	    !fuzz_index_build(&b, fb, (off_t)before_len))
		fuzz_fail("cannot index a mailbox");
	bool ok = a.end == (off_t)after_len;    /* no torn tail after UPDATE */
	size_t j = 0;
	for (size_t i = 0; ok && i < a.count; i++, j++) {
		size_t la = mailbox_index_stored_len(&a, i);
		const char *ma = after + mailbox_index_offset(&a, i);
		while (j < b.count &&
		       (mailbox_index_stored_len(&b, j) != la ||
			memcmp(before + mailbox_index_offset(&b, j), ma, la)))
			j++;
		ok = j < b.count;
	}
	mailbox_index_free(&a);
	mailbox_index_free(&b);
	close(fa);
	close(fb);
	return ok;
}

static void check_user(const char *user, const uint8_t *box, size_t box_len,
		       bool updated)
{
	/* (Lock files left behind fail in fuzz_session_end.) */
	if (access(fuzz_user_file(user, STORE_MAILBOX MAILDROP_NEW_SUFFIX),
		   F_OK) == 0)
		fuzz_fail("the new mailbox was left behind for %s", user);
	size_t len;
	char *now = read_file(fuzz_user_file(user, STORE_MAILBOX), &len);
	if (!updated && (len != box_len || (len && memcmp(now, box, len))))
		fuzz_fail("mailbox of %s changed without a successful QUIT", user);
	if (updated && !only_removed((const char *)box, box_len, now ? now : "", len))
		fuzz_fail("mailbox of %s: UPDATE did more than remove messages",
			  user);
	free(now);
}

/* Does this reply line start a multi-line response (RFC 1939, 2449)?
 * *octets: the size a RETR announces, else -1. */
static bool multi_line(const char *line, size_t len, long long *octets)
{
	static const char *const fixed[] = {
		"+OK unique-id listing follows\r\n",
		"+OK capability list follows\r\n",
		"+OK top of message follows\r\n",
	};
	char text[100], rest[100];
	unsigned long long n;
	*octets = -1;
	if (len >= sizeof text)
		return false;
	memcpy(text, line, len);
	text[len] = '\0';
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (strcmp(text, fixed[i]) == 0)
			return true;
	if (sscanf(text, "+OK %llu %99[^\r]", &n, rest) != 2)
		return false;
	if (strcmp(rest, "octets") == 0) {
		*octets = (long long)n;
		return true;
	}
	return strncmp(rest, "messages (", 10) == 0;    /* LIST */
}

static void check_retr_sizes(const char *out, size_t len)
{
	const char *p = out, *end = out + len, *lf;
	while ((lf = memchr(p, '\n', (size_t)(end - p)))) {
		long long octets;
		bool multi = multi_line(p, (size_t)(lf + 1 - p), &octets);
		p = lf + 1;
		if (!multi)
			continue;
		unsigned long long got = 0;
		for (;;) {
			if (!(lf = memchr(p, '\n', (size_t)(end - p))))
				return;         /* the session was cut short */
			size_t n = (size_t)(lf + 1 - p);
			bool last = n == 3 && p[0] == '.';
			got += n - (p[0] == '.');
			p = lf + 1;
			if (last)
				break;
		}
		got -= 2;               /* the "." line */
		if (octets >= 0 && got != (unsigned long long)octets)
			fuzz_fail("RETR announced %lld octets, sent %llu", octets,
				  got);
	}
}

/* One session, however it ends. */
static void run_session(void)
{
	static struct pop3_session s;
	static char *argv[] = { "pop3-handler", NULL };
	memset(&s, 0, sizeof s);
	int status = pop3_handler(&s, 1, argv);
	if (status != 0 && status != 1)
		fuzz_fail("pop3_handler returned %d", status);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t box_len;
	size_t talk = split_input(data, size, &box_len);
	fuzz_root_init();
	write_mailbox("alice", data, box_len);
	write_mailbox("bob", data, box_len);

	fuzz_session_begin(data + talk, size - talk);
	run_session();
	size_t len;
	char *out = fuzz_session_end(&len);

	static const char greeting[] = "+OK POP3 server ready\r\n";
	if (len < sizeof greeting - 1 || memcmp(out, greeting, sizeof greeting - 1))
		fuzz_fail("no greeting first");
	if (!fuzz_all_crlf(out, len))
		fuzz_fail("a line of the output does not end with CR LF");
	check_retr_sizes(out, len);
	/* QUIT, when it succeeds, sends the last line of the session. */
	static const char bye[] = "\r\n+OK Thanks for using POP3 server\r\n";
	bool updated = len >= sizeof bye - 1 &&
		       memcmp(out + len - (sizeof bye - 1), bye, sizeof bye - 1) == 0;
	free(out);
	check_user("alice", data, box_len, updated);
	check_user("bob", data, box_len, updated);
	return 0;
}
