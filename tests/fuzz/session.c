/* session: the mail root, stdin/stdout plumbing and leak checks that the
 * SMTP and POP3 session harnesses share. */
#include "fuzz.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lineio.h"
#include "mailbox_index.h"
#include "store.h"

const char *const fuzz_users[] = { "alice", "bob", "carol", NULL };

static const char users_file[] =
	"# fuzz users\n"
	"alice      pwalice\n"
	"bob        pwbob\n"
	"carol      $6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0"
	"aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1\n";

/* A role, a list, a UTF-8 name and the catch-all, so fuzzing reaches
 * every way a recipient resolves. */
static const char aliases_file[] =
	"postmaster: bob\n"
	"team: alice, bob, postmaster\n"
	"j\xc3\xb6rg: carol\n"
	"*: alice\n";

static char root[PATH_MAX];
static int home_fd = -1;        /* the harness's own working directory */
static int first_free_fd;       /* lowest free descriptor above 2 when a
				 * session began */
static int output_fd = -1;      /* what the handler wrote on fd 1 */

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("FUZZ CHECK FAILED: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

int fuzz_memory_file(const void *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0 || !write_all(fd, data, size) || lseek(fd, 0, SEEK_SET) != 0)
		fuzz_fail("cannot make a memory file");
	return fd;
}

bool fuzz_index_build(struct mailbox_index *idx, int fd, long long size)
{
	static char scan[4093];
	return mailbox_index_build(idx, fd, (off_t)size, scan, sizeof scan);
}

char *fuzz_read_all(int fd, size_t *size)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		fuzz_fail("fstat");
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		fuzz_fail("cannot read back a file");
	buf[st.st_size] = '\0';
	*size = (size_t)st.st_size;
	return buf;
}

const char *fuzz_user_file(const char *user, const char *file)
{
	static char path[PATH_MAX + 100];
	snprintf(path, sizeof path, "%s/USERS/%s/%s", root, user, file);
	return path;
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void remove_root(void)
{
	if (root[0])
		nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_root_file(const char *name, const char *text, size_t len)
{
	char path[PATH_MAX + 100];
	snprintf(path, sizeof path, "%s/%s", root, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || !write_all(fd, text, len))
		fuzz_fail("cannot write %s", path);
	close(fd);
}

static void make_root(void)
{
	const char *base = getenv("FUZZ_TMPDIR");
	if (!base)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(root, sizeof root, "%s/mailfuzz.XXXXXX", base);
	if (!mkdtemp(root))
		fuzz_fail("cannot create a mail root under %s", base);
	atexit(remove_root);
	char path[PATH_MAX + 100];
	snprintf(path, sizeof path, "%s/USERS", root);
	if (mkdir(path, 0700) < 0)
		fuzz_fail("mkdir %s", path);
	for (const char *const *u = fuzz_users; *u; u++) {
		snprintf(path, sizeof path, "%s/USERS/%s", root, *u);
		if (mkdir(path, 0700) < 0)
			fuzz_fail("mkdir %s", path);
	}
	write_root_file("userinfo.txt", users_file, sizeof users_file - 1);
	write_root_file("aliases.txt", aliases_file, sizeof aliases_file - 1);
}

void fuzz_root_init(void)
{
	if (root[0])
		return;
	make_root();
	home_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (home_fd < 0)
		fuzz_fail("cannot open the working directory");
	/* Small limits, so fuzzing reaches the 552 and 452 paths; no delays. */
	setenv("MAIL_ROOT", root, 1);
	setenv("MAIL_DOMAIN", "fuzz.example", 1);
	setenv("MAIL_MAX_SIZE", "4096", 1);
	setenv("MAIL_MAX_RCPT", "4", 1);
	setenv("MAIL_TIMEOUT", "5", 1);
	setenv("MAIL_AUTH_DELAY", "0", 1);
	setenv("MAIL_LOCK_WAIT", "0", 1);
	setenv("MAIL_MAX_ERRORS", "20", 1);
	setenv("MAIL_LOG", "stderr", 0);
	unsetenv("MAIL_USER");
	unsetenv("TCPREMOTEIP");
}

/* The lowest descriptor above stderr that is free. */
static int lowest_free_fd(void)
{
	int fd = fcntl(2, F_DUPFD, 3);
	if (fd < 0)
		fuzz_fail("cannot probe for a free descriptor");
	close(fd);
	return fd;
}

/* fd moved above stderr: after a session that hung up, 0 and 1 are free
 * and a new file would land there. */
static int above_stdio(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return moved;
}

void fuzz_session_begin(const uint8_t *input, size_t size)
{
	int in = above_stdio(fuzz_memory_file(input, size));
	int out = above_stdio(memfd_create("fuzz-out", MFD_CLOEXEC));
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
		fuzz_fail("cannot set up fd 0 and 1");
	close(in);
	/* The handler hangs up (closes fd 0 and 1) at its end: the output
	 * stays readable through our own descriptor. */
	output_fd = out;
	first_free_fd = lowest_free_fd();
}

char *fuzz_session_end(size_t *output_size)
{
	/* A session releases every lock it took, on every way it ends. */
	static const char *const locks[] = { STORE_MAILDROP_LOCK, STORE_WRITE_LOCK };
	for (const char *const *u = fuzz_users; *u; u++)
		for (size_t i = 0; i < sizeof locks / sizeof locks[0]; i++)
			if (access(fuzz_user_file(*u, locks[i]), F_OK) == 0)
				fuzz_fail("%s left behind for %s", locks[i], *u);
	if (fchdir(home_fd) < 0)
		fuzz_fail("cannot return to the working directory");
	int probe = lowest_free_fd();
	if (probe != first_free_fd)
		fuzz_fail("the session leaked a file descriptor (%d free "
			  "before, %d after)", first_free_fd, probe);
	char *output = fuzz_read_all(output_fd, output_size);
	close(output_fd);
	output_fd = -1;
	return output;
}

bool fuzz_all_crlf(const char *text, size_t len)
{
	if (len > 0 && text[len - 1] != '\n')
		return false;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			return false;
	return true;
}
