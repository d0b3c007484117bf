/* What the fuzz harnesses share (see README in this directory). */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry points; replay.c calls them without libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed check: print what broke and abort, so libFuzzer keeps the
 * input as a crash and the replay driver fails. */
_Noreturn void fuzz_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* A memory file (memfd) holding data, positioned at its start. */
int fuzz_memory_file(const void *data, size_t size);
/* mailbox_index_build over the open file fd of the given size, read in
 * pieces of an odd size (so messages and lines straddle them). */
struct mailbox_index;
bool fuzz_index_build(struct mailbox_index *idx, int fd, long long size);
/* All of the open file fd, NUL-terminated, in a malloc'd buffer. */
char *fuzz_read_all(int fd, size_t *size);

/* The throwaway mail root the session harnesses share: userinfo.txt with
 * alice/pwalice, bob/pwbob, carol (crypt hash of "secret"), an empty
 * USERS/<name>/ for each, aliases.txt with a role, a list, a UTF-8 name
 * and the catch-all, on /dev/shm when there is one (deliveries
 * fsync).  The MAIL_* settings point the handlers at it.  Created once,
 * removed at exit. */
extern const char *const fuzz_users[];
void fuzz_root_init(void);
/* Absolute path of USERS/<user>/<file> in the mail root (static buffer). */
const char *fuzz_user_file(const char *user, const char *file);

/* Around one in-process session: begin puts the input on fd 0 and an
 * empty memory file on fd 1; end restores the harness's working directory
 * (the handler chdirs to the mail root), fails if a lock file or a file
 * descriptor was left behind, and returns what the handler wrote (free
 * it). */
void fuzz_session_begin(const uint8_t *input, size_t size);
char *fuzz_session_end(size_t *output_size);

/* Does every line of the output end with CR LF? */
bool fuzz_all_crlf(const char *text, size_t len);

#endif
