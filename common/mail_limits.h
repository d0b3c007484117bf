/* mail_limits: every limit a client or an administrator can meet, with the
 * reason for it, and every setting's default.  The usage text, README and
 * man pages quote these defaults; tests/config.bats checks they agree. */
#ifndef MAIL_LIMITS_H
#define MAIL_LIMITS_H

/* ---- Protocol limits ---- */

/* A limit as a string literal, for the reply texts that name it. */
#define LIMIT_TEXT(limit) LIMIT_DIGITS(limit)
#define LIMIT_DIGITS(limit) #limit

/* RFC 5321 4.5.3.1.4: a command line is at most 512 octets with its CRLF. */
#define SMTP_LINE_MAX 512
/* RFC 5321 4.5.3.1.3: a reverse-path or forward-path is at most 256 octets. */
#define SMTP_PATH_MAX 256
/* RFC 5321 4.5.3.1.6: a DATA text line is read in pieces of at most this,
 * so a longer line costs no more memory than a legal one. */
#define SMTP_DATA_PIECE 1000
/* RFC 2449: a POP3 command line is at most 255 octets with its CRLF. */
#define POP3_LINE_MAX 255
/* Failed logins (POP3 PASS, AUTH in either protocol) before the session
 * ends: guessing costs a new connection every few tries. */
#define LOGIN_MAX_FAILURES 3
/* A SASL response line (RFC 4954, RFC 5034), octets with its CRLF: room
 * for the base64 of the longest PLAIN response a user of this server can
 * give (authzid, a 64-octet name, a 255-octet password: 516 octets). */
#define SASL_RESPONSE_MAX 1024
/* Seconds between refreshes of a held pop3.lock, so that another host
 * sharing the mail root never takes it for stale. */
#define POP3_LOCK_TOUCH_SECONDS 60
/* RFC 5321 4.5.3.1.1: a local part, and so a user name, is at most 64
 * octets. */
#define USER_NAME_MAX 64
/* Longest password field in userinfo.txt: room for any crypt(3) hash. */
#define USER_PASSWORD_MAX 255
/* MAIL_RECORD: octets kept of each of a session's two recording files,
 * 1 MiB, so a recorded session cannot fill the disk (a large DATA is cut,
 * and the recording no longer replays). */
#define RECORD_FILE_MAX 1048576

/* ---- Defaults of the settings (common/config.c) ---- */

/* MAIL_MAX_SIZE: bytes, 10 MiB, announced in EHLO SIZE (RFC 1870). */
#define DEFAULT_MAX_MESSAGE_SIZE 10485760
/* MAIL_MAX_RCPT: RFC 5321 4.5.3.1.8 requires accepting at least 100. */
#define DEFAULT_MAX_RECIPIENTS 100
/* MAIL_TIMEOUT for SMTP, seconds: RFC 5321 4.5.3.2.7, the server timeout. */
#define DEFAULT_SMTP_TIMEOUT_SECONDS 300
/* MAIL_TIMEOUT for POP3, seconds: RFC 1939 section 3, at least 10 minutes. */
#define DEFAULT_POP3_TIMEOUT_SECONDS 600
/* MAIL_LOCK_WAIT: milliseconds to wait for a busy mailbox before a
 * temporary error the sender retries. */
#define DEFAULT_LOCK_WAIT_MS 10000
/* MAIL_LOCK_STALE: seconds after which another host's lock is broken;
 * well above both timeouts, so a live session's lock is never taken. */
#define DEFAULT_LOCK_STALE_SECONDS 1800
/* MAIL_AUTH_DELAY: milliseconds of pause after a failed login, to slow
 * password guessing. */
#define DEFAULT_AUTH_DELAY_MS 1000
/* MAIL_MAX_ERRORS: bad commands before a session is closed, so a client
 * that sends garbage cannot hold a process forever. */
#define DEFAULT_MAX_ERRORS 20

#endif
