/* password: checking a typed password against the users file's field. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "users.h"

static const char *helper_path;

void password_set_helper(const char *path)
{
	helper_path = path;
}

/* Compare without an early exit, so the time taken says nothing about how
 * many leading characters were right. */
bool password_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;
	for (size_t i = 0; i < lb; i++)
		diff |= (unsigned char)(a[i < la ? i : 0] ^ b[i]);
	return diff == 0;
}

/* crypt-check beside the running program: found through /proc/self/exe,
 * which is absolute, so it holds after the chdir to the mail root. */
static bool default_helper(char path[PATH_MAX])
{
	static const char name[] = "crypt-check";
	ssize_t n = readlink("/proc/self/exe", path, PATH_MAX - 1);
	if (n <= 0)
		return false;
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	if (!slash || (size_t)(slash + 1 - path) + sizeof name > PATH_MAX) {
		errno = ENAMETOOLONG;
		return false;
	}
	memcpy(slash + 1, name, sizeof name);
	return true;
}

/* Hashes are checked in a separate program linked against the system's
 * libcrypt: the handlers need no hashing library, so they build with any C
 * library.  Both strings travel on a pipe, never in argv or the
 * environment, which other local users can read. */
static bool hash_matches(const char *stored, const char *typed)
{
	char found[PATH_MAX];
	const char *path = helper_path;
	if (!path) {
		if (!default_helper(found)) {
			log_msg(LOG_ERR, "cannot find crypt-check: %s",
				strerror(errno));
			return false;
		}
		path = found;
	}
	size_t ls = strlen(stored) + 1, lt = strlen(typed) + 1;
	if (ls + lt > CRYPT_CHECK_INPUT_MAX)
		return false;
	char input[CRYPT_CHECK_INPUT_MAX];
	memcpy(input, stored, ls);
	memcpy(input + ls, typed, lt);
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		log_msg(LOG_ERR, "cannot run %s: %s", path, strerror(errno));
		return false;
	}
	/* The input is far below a pipe's capacity: written whole before the
	 * helper starts, it never waits on the helper. */
	ssize_t w = write(fds[1], input, ls + lt);
	explicit_bzero(input, sizeof input);
	close(fds[1]);
	if (w != (ssize_t)(ls + lt)) {
		close(fds[0]);
		log_msg(LOG_ERR, "cannot run %s: %s", path, strerror(errno));
		return false;
	}
	/* The helper gets the pipe as fd 0 and neither the client's
	 * connection (fd 1) nor the log (fd 2): it speaks by exit status. */
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
	posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, 1, 2);
	char *const argv[] = { (char *)"crypt-check", NULL };
	char *const envp[] = { NULL };
	pid_t pid;
	int err = posix_spawn(&pid, path, &actions, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&actions);
	close(fds[0]);
	if (err != 0) {
		log_msg(LOG_ERR, "cannot run %s: %s", path, strerror(err));
		return false;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			log_msg(LOG_ERR, "waiting for %s: %s", path,
				strerror(errno));
			return false;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == CRYPT_CHECK_MATCH)
		return true;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != CRYPT_CHECK_NO_MATCH)
		log_msg(LOG_ERR, "%s failed (status %d)", path, status);
	return false;
}

bool password_matches(const char *stored, const char *typed)
{
	if (stored[0] == '$')
		return hash_matches(stored, typed);
	return password_equal(stored, typed);
}

enum login_result login_check(const char *user, const char *typed)
{
	char stored[USER_PASSWORD_MAX + 1];
	/* "" (a name that cannot be a user's) matches no line. */
	enum users_result found = users_lookup_for_login("userinfo.txt", user,
							 stored);
	if (found == USERS_FILE_ERROR)
		return LOGIN_FILE_ERROR;
	if (found == USERS_NOT_FOUND && !stored[0])
		strcpy(stored, "\x01");        /* a plaintext compare */
	bool good = password_matches(stored, typed) && found == USERS_FOUND;
	explicit_bzero(stored, sizeof stored);
	return good ? LOGIN_OK : found == USERS_FOUND ? LOGIN_WRONG_PASSWORD :
	       LOGIN_NO_SUCH_USER;
}

enum login_result login_attempt(const char *user, const char *typed,
				const char *how, const char *peer,
				int delay_ms)
{
	enum login_result r = login_check(user, typed);
	if (r == LOGIN_OK || r == LOGIN_FILE_ERROR)
		return r;
	log_msg(LOG_NOTICE, "failed login for %s from %s (%s)",
		r == LOGIN_WRONG_PASSWORD ? user : "an unknown user", peer, how);
	struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return r;
}

bool login_failures_left(int *failures)
{
	return ++*failures < LOGIN_MAX_FAILURES;
}
