/* fuzz_mailbox_index: the mailbox indexer over arbitrary file contents,
 * checked against a plain byte-by-byte reading of the store format
 * (store.h) and against store_complete_end(), which finds the end of the
 * last message walking backwards.
 *
 * Each byte 0xFE of the input stands for 40,000 bytes of 'x' (at most 8
 * of them count), so short inputs reach messages of 64 KiB and more, whose
 * records are wider than those of the small messages in their block.  The
 * corpus holds mailboxes of several blocks (64 messages each). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "mailbox_index.h"
#include "store.h"

#define STRETCH_BYTE 0xFE
#define STRETCH_LEN 40000
#define STRETCH_MAX 8

static char *expand(const uint8_t *data, size_t size, size_t *len)
{
	size_t stretches = 0, out = 0;
	for (size_t i = 0; i < size; i++)
		if (data[i] == STRETCH_BYTE && stretches < STRETCH_MAX)
			stretches++;
	char *text = malloc(size + stretches * STRETCH_LEN + 1);
	if (!text)
		fuzz_fail("out of memory");
	stretches = 0;
	for (size_t i = 0; i < size; i++) {
		if (data[i] == STRETCH_BYTE && stretches < STRETCH_MAX) {
			memset(text + out, 'x', STRETCH_LEN);
			out += STRETCH_LEN;
			stretches++;
		} else {
			text[out++] = (char)data[i];
		}
	}
	*len = out;
	return text;
}

/* One message as the format defines it. */
struct expected {
	size_t offset, stored_len;
	unsigned long long pop3_size;
};

/* Messages: text lines, then a line holding only "."; POP3 size: each
 * line's LF becomes CR LF and a leading dot of a line is dropped. */
static size_t reference(const char *text, size_t len, struct expected *msgs,
			size_t *end)
{
	size_t n = 0, start = 0, line = 0;
	unsigned long long size = 0;
	*end = 0;
	while (line < len) {
		const char *lf = memchr(text + line, '\n', len - line);
		if (!lf)
			break;                  /* torn tail */
		size_t line_len = (size_t)(lf - (text + line));
		if (line_len == 1 && text[line] == '.') {
			msgs[n++] = (struct expected){ start, line - start, size };
			start = line + 2;
			*end = start;
			size = 0;
		} else {
			size += line_len + 2 - (text[line] == '.');
		}
		line += line_len + 1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len, end;
	char *text = expand(data, size, &len);
	struct expected *want = malloc((len / 2 + 1) * sizeof *want);
	size_t count = reference(text, len, want, &end);

	int fd = fuzz_memory_file(text, len);
	struct mailbox_index idx;
	if (!fuzz_index_build(&idx, fd, (off_t)len))
		fuzz_fail("mailbox_index_build failed");
	if (idx.count != count)
		fuzz_fail("%zu messages indexed, %zu in the file", idx.count, count);
	if (idx.end != (off_t)end)
		fuzz_fail("index ends at %lld, last message at %zu",
			  (long long)idx.end, end);
	if (store_complete_end(fd, (off_t)len) != (off_t)end)
		fuzz_fail("store_complete_end says %lld, the last message "
			  "ends at %zu", (long long)store_complete_end(fd, (off_t)len),
			  end);
	unsigned long long total = 0;
	char id[MAILBOX_UIDL_LEN + 1], again[MAILBOX_UIDL_LEN + 1];
	for (size_t i = 0; i < count; i++) {
		if (mailbox_index_offset(&idx, i) != (off_t)want[i].offset ||
		    mailbox_index_stored_len(&idx, i) != want[i].stored_len ||
		    mailbox_index_pop3_size(&idx, i) != want[i].pop3_size)
			fuzz_fail("message %zu: offset %lld length %llu size %llu, "
				  "expected %zu %zu %llu", i + 1,
				  (long long)mailbox_index_offset(&idx, i),
				  (unsigned long long)mailbox_index_stored_len(&idx, i),
				  (unsigned long long)mailbox_index_pop3_size(&idx, i),
				  want[i].offset, want[i].stored_len, want[i].pop3_size);
		total += want[i].pop3_size;
		/* The id: 16 hex digits, the same every time. */
		if (i < 64 || i + 1 == count) {
			if (!mailbox_index_uidl(&idx, fd, i, id) ||
			    !mailbox_index_uidl(&idx, fd, i, again) ||
			    strcmp(id, again) != 0 ||
			    strspn(id, "0123456789abcdef") != MAILBOX_UIDL_LEN)
				fuzz_fail("message %zu: bad or unstable UIDL", i + 1);
		}
	}
	if (idx.total_size != total)
		fuzz_fail("total size %llu, expected %llu",
			  (unsigned long long)idx.total_size, total);
	mailbox_index_free(&idx);
	close(fd);
	free(want);
	free(text);
	return 0;
}
