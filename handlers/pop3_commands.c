/* pop3_commands: the command table, CAPA built from it, and the handlers.
 * A handler returns the reply for the loop to send, or REPLY_SENT when it
 * sent a multi-line or numbered reply itself. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "maildrop_update.h"
#include "pop3.h"
#include "store.h"

#define STATE_ANY (STATE_AUTHORIZATION | STATE_TRANSACTION)

typedef enum pop3_reply (*command_fn)(struct pop3_session *s, char *args);

struct command {
	const char *verb;       /* NULL: the unknown-verb entry, last */
	int states;             /* where it is allowed */
	command_fn run;
	const char *capability; /* its CAPA line, if it has one */
};

/* ---- arguments ---- */

/* Next space-separated word of *p, NUL-terminated; "" at the end. */
static char *next_word(char **p)
{
	char *w = *p;
	while (*w == ' ')
		w++;
	char *e = w;
	while (*e && *e != ' ')
		e++;
	*p = *e ? e + 1 : e;
	*e = '\0';
	return w;
}

/* Digits only, no sign; a value too big for the type saturates (it then
 * names no message, rather than being a syntax error). */
static bool parse_count(const char *w, unsigned long long *out)
{
	if (!*w)
		return false;
	unsigned long long v = 0;
	for (; *w; w++) {
		if (*w < '0' || *w > '9')
			return false;
		unsigned d = (unsigned)(*w - '0');
		v = v > (ULLONG_MAX - d) / 10 ? ULLONG_MAX : v * 10 + d;
	}
	*out = v;
	return true;
}

static bool no_more_args(char *args)
{
	return *next_word(&args) == '\0';
}

/* The message-number argument word: a live message's 0-based index. */
static enum pop3_reply message_number(struct pop3_session *s, const char *w,
				      size_t *i)
{
	unsigned long long n;
	if (!parse_count(w, &n))
		return ERR_SYNTAX;
	if (n < 1 || n > s->index.count)
		return ERR_NO_SUCH_MESSAGE;
	*i = (size_t)(n - 1);
	return maildrop_is_deleted(s->deleted, *i) ? ERR_MESSAGE_DELETED :
	       REPLY_SENT;
}

/* A command taking exactly one message number. */
static enum pop3_reply one_message(struct pop3_session *s, char *args,
				   size_t *i)
{
	char *w = next_word(&args);
	if (!no_more_args(args))
		return ERR_SYNTAX;
	return message_number(s, w, i);
}

/* ---- AUTHORIZATION ---- */

static enum pop3_reply cmd_user(struct pop3_session *s, char *args)
{
	char *name = next_word(&args);
	if (!*name || !no_more_args(args))
		return ERR_SYNTAX;
	/* Unknown and impossible names get the same +OK as real ones; PASS
	 * then fails alike, so USER tells nobody which users exist. */
	size_t len = strlen(name);
	s->user_given = true;
	s->user[0] = '\0';
	if (username_valid(name, len))
		memcpy(s->user, name, len + 1);
	return OK_USER;
}

/* Open the maildrop and index it.  No file yet means no mail, and then no
 * lock is needed: a delivery creating it now brings mail that arrived after
 * the snapshot.  Otherwise the write lock is held while indexing, so no
 * delivery is half-seen.  (Opening before the lock is safe: the file is only
 * ever replaced by a POP3 update, which needs the maildrop lock we hold.) */
static bool open_and_index(struct pop3_session *s, const char *write_lock)
{
	const struct settings *cfg = s->settings;
	char path[LOCK_PATH_MAX];
	struct stat st;
	if (!store_path(path, s->user, STORE_MAILBOX))
		return false;
	s->mailbox_fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (s->mailbox_fd < 0)
		return errno == ENOENT;         /* no mail yet */
	if (lock_take(write_lock, cfg->lock_wait_ms,
		      cfg->lock_stale_seconds) != LOCK_TAKEN)
		return false;
	bool ok = fstat(s->mailbox_fd, &st) == 0 && S_ISREG(st.st_mode);
	if (!ok)
		log_msg(LOG_ERR, "mailbox of %s is not a regular file", s->user);
	ok = ok && mailbox_index_build(&s->index, s->mailbox_fd, st.st_size);
	lock_release(write_lock);
	return ok;
}

/* Lock the maildrop and take the snapshot the session works on. */
static enum pop3_reply open_maildrop(struct pop3_session *s)
{
	const struct settings *cfg = s->settings;
	char write_lock[LOCK_PATH_MAX];
	if (!store_path(s->maildrop_lock, s->user, STORE_MAILDROP_LOCK) ||
	    !store_path(write_lock, s->user, STORE_WRITE_LOCK))
		return ERR_MAILDROP;
	switch (lock_take(s->maildrop_lock, 0, cfg->lock_stale_seconds)) {
	case LOCK_TAKEN:
		break;
	case LOCK_BUSY:
		log_msg(LOG_NOTICE, "%s: maildrop already locked", s->user);
		return ERR_IN_USE;
	case LOCK_ERROR:
		return ERR_MAILDROP;
	}
	bool ok = open_and_index(s, write_lock);
	if (ok)
		s->deleted = calloc(s->index.count / 8 + 1, 1);
	if (!ok || !s->deleted) {
		log_msg(LOG_ERR, "%s: cannot open the maildrop", s->user);
		if (s->mailbox_fd >= 0)
			close(s->mailbox_fd);
		s->mailbox_fd = -1;
		mailbox_index_free(&s->index);
		lock_release(s->maildrop_lock);
		return ERR_MAILDROP;
	}
	return REPLY_SENT;
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static enum pop3_reply cmd_pass(struct pop3_session *s, char *args)
{
	if (!s->user_given)
		return ERR_USER_FIRST;
	s->user_given = false;          /* a failed PASS needs a new USER */
	char stored[USER_PASSWORD_MAX + 1];
	enum users_result found = s->user[0] ?
		users_lookup("userinfo.txt", s->user, stored) : USERS_NOT_FOUND;
	if (found == USERS_FILE_ERROR)
		return ERR_MAILDROP;
	/* The password is the rest of the line: it may hold spaces. */
	bool good = password_matches(found == USERS_FOUND ? stored : "\x01",
				     args) && found == USERS_FOUND;
	if (!good) {
		log_msg(LOG_NOTICE, "failed login for %s from %s",
			s->user[0] ? s->user : "(invalid name)", s->peer);
		pause_ms(s->settings->auth_delay_ms);
		if (++s->auth_failures >= POP3_MAX_AUTH_FAILURES) {
			s->quit = true;
			return ERR_TOO_MANY_FAILURES;
		}
		return ERR_AUTH_FAILED;
	}
	enum pop3_reply r = open_maildrop(s);
	if (r != REPLY_SENT)
		return r;
	s->state = STATE_TRANSACTION;
	s->lock_touched = time(NULL);   /* the lock was just made */
	log_msg(LOG_INFO, "%s logged in from %s: %zu messages, %llu octets",
		s->user, s->peer, s->index.count,
		(unsigned long long)s->index.total_size);
	reply_send(s, OK_LOGGED_IN, s->index.count,
		   (unsigned long long)s->index.total_size);
	return REPLY_SENT;
}

static enum pop3_reply cmd_quit(struct pop3_session *s, char *args)
{
	(void)args;
	s->quit = true;
	if (s->state != STATE_TRANSACTION)
		return OK_BYE;
	const struct store_locking locking = {
		s->settings->lock_wait_ms, s->settings->lock_stale_seconds };
	s->update_failed = !maildrop_update(s->user, s->mailbox_fd, &s->index,
					    s->deleted, &locking);
	return s->update_failed ? ERR_UPDATE_FAILED : OK_BYE;
}

/* ---- TRANSACTION ---- */

static enum pop3_reply cmd_stat(struct pop3_session *s, char *args)
{
	if (!no_more_args(args))
		return ERR_SYNTAX;
	reply_send(s, OK_STAT, s->index.count - s->deleted_count,
		   (unsigned long long)(s->index.total_size - s->deleted_size));
	return REPLY_SENT;
}

static enum pop3_reply cmd_list(struct pop3_session *s, char *args)
{
	char *w = next_word(&args);
	if (!no_more_args(args))
		return ERR_SYNTAX;
	if (*w) {
		size_t i;
		enum pop3_reply r = message_number(s, w, &i);
		if (r == REPLY_SENT)
			reply_send(s, OK_LIST_ONE, i + 1, (unsigned long long)
				   mailbox_index_pop3_size(&s->index, i));
		return r;
	}
	reply_send(s, OK_LIST_ALL, s->index.count - s->deleted_count,
		   (unsigned long long)(s->index.total_size - s->deleted_size));
	for (size_t i = 0; i < s->index.count && !s->out.failed; i++)
		if (!maildrop_is_deleted(s->deleted, i))
			reply_send(s, LINE_SCAN, i + 1, (unsigned long long)
				   mailbox_index_pop3_size(&s->index, i));
	reply_send(s, LINE_END);
	return REPLY_SENT;
}

static enum pop3_reply cmd_uidl(struct pop3_session *s, char *args)
{
	char id[MAILBOX_UIDL_LEN + 1];
	char *w = next_word(&args);
	if (!no_more_args(args))
		return ERR_SYNTAX;
	if (*w) {
		size_t i;
		enum pop3_reply r = message_number(s, w, &i);
		if (r != REPLY_SENT)
			return r;
		if (!mailbox_index_uidl(&s->index, s->mailbox_fd, i, id))
			return ERR_READ_FAILED;
		reply_send(s, OK_UIDL_ONE, i + 1, id);
		return REPLY_SENT;
	}
	reply_send(s, OK_UIDL_ALL);
	for (size_t i = 0; i < s->index.count && !s->out.failed; i++) {
		if (maildrop_is_deleted(s->deleted, i))
			continue;
		if (!mailbox_index_uidl(&s->index, s->mailbox_fd, i, id)) {
			log_msg(LOG_ERR, "%s: cannot read the maildrop", s->user);
			/* A listing cut short cannot go on. */
			pop3_end(s, "maildrop read error", 1);
		}
		reply_send(s, LINE_UIDL, i + 1, id);
	}
	reply_send(s, LINE_END);
	return REPLY_SENT;
}

static enum pop3_reply send_message(struct pop3_session *s, size_t i,
				    long long body_lines)
{
	uint64_t size = mailbox_index_pop3_size(&s->index, i);
	if (body_lines < 0)
		reply_send(s, OK_RETR, (unsigned long long)size);
	else
		reply_send(s, OK_TOP);
	if (!pop3_send_message(s, i, body_lines)) {
		log_msg(LOG_ERR, "%s: cannot read message %zu", s->user, i + 1);
		/* A message cut short cannot go on. */
		pop3_end(s, "maildrop read error", 1);
	}
	if (s->out.failed)
		return REPLY_SENT;      /* not sent: the client is gone */
	if (body_lines < 0) {
		s->retrieved++;
		s->retrieved_size += size;
	} else {
		s->tops++;
	}
	return REPLY_SENT;
}

static enum pop3_reply cmd_retr(struct pop3_session *s, char *args)
{
	size_t i;
	enum pop3_reply r = one_message(s, args, &i);
	return r != REPLY_SENT ? r : send_message(s, i, -1);
}

static enum pop3_reply cmd_top(struct pop3_session *s, char *args)
{
	size_t i;
	unsigned long long lines;
	char *number = next_word(&args);
	char *count = next_word(&args);
	if (!parse_count(count, &lines) || !no_more_args(args))
		return ERR_SYNTAX;
	enum pop3_reply r = message_number(s, number, &i);
	if (r != REPLY_SENT)
		return r;
	return send_message(s, i, lines > LLONG_MAX ? LLONG_MAX : (long long)lines);
}

static enum pop3_reply cmd_dele(struct pop3_session *s, char *args)
{
	size_t i;
	enum pop3_reply r = one_message(s, args, &i);
	if (r != REPLY_SENT)
		return r;
	s->deleted[i / 8] |= (unsigned char)(1u << (i % 8));
	s->deleted_count++;
	s->deleted_size += mailbox_index_pop3_size(&s->index, i);
	return OK_DELETED;
}

static enum pop3_reply cmd_noop(struct pop3_session *s, char *args)
{
	(void)s;
	return no_more_args(args) ? OK_NOOP : ERR_SYNTAX;
}

static enum pop3_reply cmd_rset(struct pop3_session *s, char *args)
{
	if (!no_more_args(args))
		return ERR_SYNTAX;
	memset(s->deleted, 0, s->index.count / 8 + 1);
	s->deleted_count = 0;
	s->deleted_size = 0;
	reply_send(s, OK_RESET, s->index.count,
		   (unsigned long long)s->index.total_size);
	return REPLY_SENT;
}

static enum pop3_reply cmd_capa(struct pop3_session *s, char *args);

static enum pop3_reply cmd_unknown(struct pop3_session *s, char *args)
{
	(void)s;
	(void)args;
	return ERR_UNKNOWN_COMMAND;
}

static const struct command commands[] = {
	{ "USER", STATE_AUTHORIZATION, cmd_user, "USER" },
	{ "PASS", STATE_AUTHORIZATION, cmd_pass, NULL },
	{ "CAPA", STATE_ANY, cmd_capa, NULL },
	{ "QUIT", STATE_ANY, cmd_quit, NULL },
	{ "STAT", STATE_TRANSACTION, cmd_stat, NULL },
	{ "LIST", STATE_TRANSACTION, cmd_list, NULL },
	{ "RETR", STATE_TRANSACTION, cmd_retr, NULL },
	{ "DELE", STATE_TRANSACTION, cmd_dele, NULL },
	{ "NOOP", STATE_TRANSACTION, cmd_noop, NULL },
	{ "RSET", STATE_TRANSACTION, cmd_rset, NULL },
	{ "TOP", STATE_TRANSACTION, cmd_top, "TOP" },
	{ "UIDL", STATE_TRANSACTION, cmd_uidl, "UIDL" },
	{ NULL, STATE_ANY, cmd_unknown, NULL },
};

/* Capabilities of the protocol rather than of one command (RFC 2449,
 * RFC 3206): the response codes we send and the reply batching the line
 * reader and writer give. */
static const char *const session_capabilities[] = {
	"RESP-CODES",
	"AUTH-RESP-CODE",
	"PIPELINING",
	"IMPLEMENTATION pop3-handler",
};

static enum pop3_reply cmd_capa(struct pop3_session *s, char *args)
{
	if (!no_more_args(args))
		return ERR_SYNTAX;
	reply_send(s, OK_CAPA);
	for (const struct command *c = commands; c->verb; c++)
		if (c->capability)
			writer_printf(&s->out, "%s\r\n", c->capability);
	for (size_t i = 0; i < sizeof session_capabilities /
			       sizeof session_capabilities[0]; i++)
		writer_printf(&s->out, "%s\r\n", session_capabilities[i]);
	reply_send(s, LINE_END);
	return REPLY_SENT;
}

static const struct command *find_command(const char *verb)
{
	const struct command *c = commands;
	while (c->verb && strcasecmp(c->verb, verb) != 0)
		c++;
	return c;
}

/* Keep pop3.lock younger than the stale age during a long session.  The
 * first call in TRANSACTION comes right after PASS made the lock: it only
 * starts the clock (touching a file just created is a wasted inode write). */
static void keep_lock_fresh(struct pop3_session *s)
{
	time_t now = time(NULL);
	if (s->state == STATE_TRANSACTION &&
	    now - s->lock_touched >= POP3_LOCK_TOUCH_SECONDS) {
		lock_touch(s->maildrop_lock);
		s->lock_touched = now;
	}
}

enum pop3_reply pop3_dispatch(struct pop3_session *s, char *text, size_t len)
{
	char line[POP3_LINE_MAX + 1];
	memcpy(line, text, len);
	line[len] = '\0';
	char *args = line;
	char *verb = next_word(&args);
	const struct command *c = find_command(verb);
	enum pop3_reply r = !(c->states & (int)s->state) ? ERR_WRONG_STATE :
			    c->run(s, args);
	if (r != REPLY_SENT)
		reply_send(s, r);
	keep_lock_fresh(s);
	return r;
}
