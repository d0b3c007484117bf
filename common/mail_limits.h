/* limits: every limit a client or user can meet, with its reason, and the
 * default of every setting. */
#ifndef MAIL_LIMITS_H
#define MAIL_LIMITS_H

/* RFC 5321 4.5.3.1.4: a command line is 512 octets with its CR LF. */
#define SMTP_LINE_MAX 510
/* RFC 5321 4.5.3.1.3: a path is 256 octets. */
#define SMTP_PATH_MAX 256
/* A DATA text line is read in pieces of at most this (4.5.3.1.6). */
#define SMTP_DATA_PIECE 1000
/* RFC 2449: a POP3 command line is 255 octets with its CR LF. */
#define POP3_LINE_MAX 255
#define POP3_MAX_AUTH_FAILURES 3
#define POP3_LOCK_TOUCH_SECONDS 60
/* RFC 5321 4.5.3.1.1: a local part is 64 octets. */
#define USER_NAME_MAX 64
#define USER_PASSWORD_MAX 255

#define DEFAULT_MAX_MESSAGE_SIZE 10485760
#define DEFAULT_MAX_RECIPIENTS 100
#define DEFAULT_SMTP_TIMEOUT_SECONDS 300
#define DEFAULT_POP3_TIMEOUT_SECONDS 600
#define DEFAULT_LOCK_WAIT_MS 10000
#define DEFAULT_LOCK_STALE_SECONDS 1800
#define DEFAULT_AUTH_DELAY_MS 1000
#define DEFAULT_MAX_ERRORS 20

#endif
