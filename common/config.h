/* config: the handlers' settings, each an environment variable (the way
 * inetd-style programs are configured) with a command-line flag twin.
 * A flag wins over the variable; a malformed value of either is a startup
 * error, never a silent default.  The defaults are in mail_limits.h. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mail_limits.h"

/* Exit statuses of both handlers (their man pages' EXIT STATUS); a session
 * that ran exits 0. */
#define EXIT_UNAVAILABLE 1      /* the session cannot be served */
#define EXIT_BAD_SETTING 2      /* a setting or argument is malformed */

/* Where the plaintext SASL mechanisms (PLAIN, LOGIN) are offered. */
enum plaintext_auth {
	PLAINTEXT_AUTH_TLS_OR_LOOPBACK,  /* behind TLS, or a local client */
	PLAINTEXT_AUTH_TLS,              /* behind TLS only */
	PLAINTEXT_AUTH_ALWAYS,
};

struct settings {
	const char *mail_root;     /* MAIL_ROOT        -r */
	const char *domain;        /* MAIL_DOMAIN      -d */
	off_t max_message_size;    /* MAIL_MAX_SIZE    -s  bytes */
	size_t max_recipients;     /* MAIL_MAX_RCPT    -n */
	int timeout_ms;            /* MAIL_TIMEOUT     -t  given in seconds */
	const char *log_target;    /* MAIL_LOG         -l  auto|stderr|syslog */
	int lock_wait_ms;          /* MAIL_LOCK_WAIT   -w  milliseconds */
	int lock_stale_seconds;    /* MAIL_LOCK_STALE  -a  seconds */
	int auth_delay_ms;         /* MAIL_AUTH_DELAY  -D  milliseconds */
	unsigned max_errors;       /* MAIL_MAX_ERRORS  -e */
	const char *run_as;        /* MAIL_USER        -u */
	const char *proxy_from;    /* MAIL_PROXY_FROM  -P  trusted proxies */
	const char *hostname;      /* MAIL_HOSTNAME    -H  name in lock files */
	const char *crypt_check;   /* MAIL_CRYPT_CHECK -C  hash checker, or NULL */
	const char *record_dir;    /* MAIL_RECORD      -R  transcripts, or NULL */
	unsigned behind_tls;       /* MAIL_TLS         -T  1: yes */
	unsigned plaintext_auth;   /* MAIL_PLAINTEXT_AUTH -A  enum plaintext_auth */
	unsigned submission;       /* MAIL_SUBMISSION  -S  1: AUTH before MAIL */
};

/* Fill s from the defaults, the environment, then argv; MAIL_TIMEOUT's
 * default is the program's own.  On a bad setting it reports the problem
 * (and, where stderr is not the client, the usage) by the logger's rule
 * and returns false: the caller exits with EXIT_BAD_SETTING. */
bool config_load(struct settings *s, int argc, char **argv,
		 const char *program, int default_timeout_seconds);

/* chdir to the mail root, drop privileges if asked, set up logging. */
bool config_apply(const struct settings *s, const char *program);

#endif
