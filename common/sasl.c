/* sasl: see sasl.h. */
#include "sasl.h"

#include <string.h>
#include <strings.h>

#include "users.h"

const char *const sasl_mechanism_names[] = {
	[SASL_PLAIN] = "PLAIN", [SASL_LOGIN] = "LOGIN", [SASL_UNKNOWN] = NULL,
};

const char *sasl_login_method(enum sasl_mechanism m)
{
	static const char *const methods[] = {
		[SASL_PLAIN] = "AUTH PLAIN", [SASL_LOGIN] = "AUTH LOGIN",
		[SASL_UNKNOWN] = "AUTH",
	};
	return methods[m];
}

enum sasl_mechanism sasl_mechanism_named(const char *name)
{
	enum sasl_mechanism m = SASL_PLAIN;
	while (m < SASL_UNKNOWN && strcasecmp(name, sasl_mechanism_names[m]))
		m++;
	return m;
}

void sasl_list_mechanisms(struct writer *out, const char *prefix,
			  const char *separator, const char *end)
{
	writer_puts(out, prefix);
	for (size_t i = 0; sasl_mechanism_names[i]; i++) {
		if (i)
			writer_puts(out, separator);
		writer_puts(out, sasl_mechanism_names[i]);
	}
	writer_puts(out, end);
}

static int base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* RFC 4648 base64 of len octets into out (room for len * 3 / 4); false
 * unless it is whole groups of four, padded only at the end. */
static bool base64_decode(const char *text, size_t len, unsigned char *out,
			  size_t *out_len)
{
	size_t n = 0;
	if (len % 4 != 0)
		return false;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		size_t pad = 0;
		for (size_t j = 0; j < 4; j++) {
			unsigned char c = (unsigned char)text[i + j];
			if (c == '=' && i + 4 == len && j >= 2) {
				pad++;
				v[j] = 0;
				continue;
			}
			v[j] = pad ? -1 : base64_value(c);
			if (v[j] < 0)
				return false;
		}
		unsigned group = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 |
				 (unsigned)v[2] << 6 | (unsigned)v[3];
		out[n++] = (unsigned char)(group >> 16);
		if (pad < 2)
			out[n++] = (unsigned char)(group >> 8);
		if (pad < 1)
			out[n++] = (unsigned char)group;
	}
	*out_len = n;
	return true;
}

/* The largest decoded response. */
#define DECODED_MAX (SASL_RESPONSE_MAX / 4 * 3)

struct response {
	unsigned char octets[DECODED_MAX + 1];  /* NUL-terminated */
	size_t len;
};

static enum sasl_result decode(const char *text, size_t len,
			       struct response *r)
{
	if (len == 1 && text[0] == '*')
		return SASL_CANCELLED;
	/* "=" is the empty initial response (RFC 4954 section 4); as the
	 * answer to a challenge it is taken as empty too. */
	if (len == 1 && text[0] == '=')
		len = 0;
	if (len > SASL_RESPONSE_MAX - 2)
		return SASL_TOO_LONG;
	if (!base64_decode(text, len, r->octets, &r->len))
		return SASL_MALFORMED;
	r->octets[r->len] = '\0';
	return SASL_DONE;
}

/* Send a challenge (base64 text) and read the response line. */
static enum sasl_result challenge(struct session *s, const char *prefix,
				  const char *text, struct response *r)
{
	writer_printf(&s->out, "%s%s\r\n", prefix, text);
	struct line l;
	s->in.secret_next_line = true;
	enum line_status st = reader_next(&s->in, SASL_RESPONSE_MAX - 1, &l);
	s->in.secret_next_line = false;
	if (st == LINE_TIMEOUT)
		return SASL_TIMEOUT;
	if (st != LINE_OK || l.unterminated)
		return SASL_GONE;
	if (!l.complete)
		return reader_skip_rest(&s->in) == LINE_OK ? SASL_TOO_LONG :
		       SASL_GONE;
	/* A NUL is no base64 digit: decode refuses it. */
	enum sasl_result result = decode(l.text, l.len, r);
	explicit_bzero(l.text, l.len);
	return result;
}

static void take_user(struct sasl_login *login, const char *name, size_t len)
{
	login->user[0] = '\0';
	if (username_valid(name, len)) {
		memcpy(login->user, name, len);
		login->user[len] = '\0';
	}
}

static void take_password(struct sasl_login *login, const char *typed,
			  size_t len)
{
	if (len > USER_PASSWORD_MAX) {
		login->user[0] = '\0';
		len = 0;
	}
	memcpy(login->password, typed, len);
	login->password[len] = '\0';
}

/* PLAIN: authzid NUL authcid NUL passwd.  An authzid other than the
 * authcid would ask to act as another user, which no one may here. */
static enum sasl_result plain(const struct response *r,
			      struct sasl_login *login)
{
	const char *authzid = (const char *)r->octets;
	const char *end = authzid + r->len;
	const char *authcid = memchr(authzid, '\0', r->len);
	const char *passwd = authcid ? memchr(authcid + 1, '\0',
					      (size_t)(end - authcid - 1)) : NULL;
	if (!passwd || memchr(passwd + 1, '\0', (size_t)(end - passwd - 1)))
		return SASL_MALFORMED;
	authcid++;
	passwd++;
	take_user(login, authcid, strlen(authcid));
	if (*authzid && strcmp(authzid, authcid) != 0)
		login->user[0] = '\0';
	take_password(login, passwd, (size_t)(end - passwd));
	return SASL_DONE;
}

/* A LOGIN answer is text: no NUL inside. */
static bool text_only(const struct response *r)
{
	return strlen((const char *)r->octets) == r->len;
}

/* LOGIN after its first answer, the user name (in r): ask for the
 * password. */
static enum sasl_result login_answers(struct session *s, const char *prefix,
				      struct response *r,
				      struct sasl_login *login)
{
	if (!text_only(r))
		return SASL_MALFORMED;
	take_user(login, (const char *)r->octets, r->len);
	/* "Password:" */
	enum sasl_result result = challenge(s, prefix, "UGFzc3dvcmQ6", r);
	if (result != SASL_DONE)
		return result;
	if (!text_only(r))
		return SASL_MALFORMED;
	take_password(login, (const char *)r->octets, r->len);
	return SASL_DONE;
}

enum sasl_result sasl_exchange(struct session *s, enum sasl_mechanism m,
			       char *initial,
			       const char *challenge_prefix,
			       struct sasl_login *login)
{
	struct response r;
	enum sasl_result result;
	*login = (struct sasl_login){ .user = "" };
	if (initial) {
		size_t len = strlen(initial);
		result = decode(initial, len, &r);
		explicit_bzero(initial, len);
	} else if (m == SASL_PLAIN) {
		result = challenge(s, challenge_prefix, "", &r);
	} else {        /* "Username:" */
		result = challenge(s, challenge_prefix, "VXNlcm5hbWU6", &r);
	}
	if (result == SASL_DONE)
		result = m == SASL_PLAIN ? plain(&r, login) :
			 login_answers(s, challenge_prefix, &r, login);
	explicit_bzero(&r, sizeof r);
	if (result != SASL_DONE)
		sasl_forget(login);
	return result;
}

void sasl_forget(struct sasl_login *login)
{
	explicit_bzero(login, sizeof *login);
}
