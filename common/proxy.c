/* proxy: see proxy.h.  Facts from HAProxy's proxy-protocol.txt:
 *   v1: one line "PROXY TCP4|TCP6 src dst sport dport\r\n" or
 *       "PROXY UNKNOWN ...\r\n", at most 107 octets with the CR LF;
 *   v2: a 12-octet signature, version/command, family/transport, a 16-bit
 *       big-endian length, then that many octets: the addresses (12 for
 *       IPv4, 36 for IPv6, 216 for UNIX) followed by optional TLVs, each
 *       a type octet, a 16-bit big-endian length and the value; type
 *       0x20 (PP2_TYPE_SSL) begins with a client octet whose bit 0x01
 *       (PP2_CLIENT_SSL) says the client connected over TLS.
 *   LOCAL (v2) and UNKNOWN (v1) carry no client: the real peer stands. */
#include "proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "number.h"

#define V1_MAX_LINE 105         /* 107 octets less the CR LF */
#define V2_FIXED 16             /* signature, version, family, length */
#define V2_TLV_HEAD 3           /* type, 16-bit length */
#define V2_TYPE_SSL 0x20
#define V2_CLIENT_SSL 0x01

static const unsigned char v2_signature[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
};

enum v2_command { V2_LOCAL = 0, V2_PROXY = 1 };
enum v2_family { V2_UNSPEC, V2_INET, V2_INET6, V2_UNIX, V2_FAMILIES };
/* Size of the address block for each family. */
static const size_t v2_address_size[V2_FAMILIES] = { 0, 12, 36, 216 };

/* What a header said: a problem, or the client (empty: the real peer)
 * and whether it came over TLS. */
struct header {
	const char *problem;
	char client[PEER_TEXT_MAX];
	bool tls;
};

struct address {
	int family;
	unsigned char bytes[16];
};

static bool parse_address(const char *text, struct address *a)
{
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, text, a->bytes) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, text, a->bytes) == 1)
		a->family = AF_INET6;
	return a->family != 0;
}

/* An IPv4 peer on an IPv6 socket shows as ::ffff:a.b.c.d; compare it as
 * the IPv4 address it is. */
static void unmap_ipv4(struct address *a)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};
	if (a->family == AF_INET6 && memcmp(a->bytes, mapped, 12) == 0) {
		memmove(a->bytes, a->bytes + 12, 4);
		memset(a->bytes + 4, 0, 12);
		a->family = AF_INET;
	}
}

static void format_address(int family, const void *bytes, char *out)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };
	if (family == AF_INET)
		memcpy(&((struct sockaddr_in *)&ss)->sin_addr, bytes, 4);
	else
		memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, bytes, 16);
	peer_address_text(&ss, out, PEER_TEXT_MAX);
}

static bool same_prefix(const unsigned char *a, const unsigned char *b,
			int bits)
{
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return rest == 0 || ((a[whole] ^ b[whole]) & mask) == 0;
}

/* One MAIL_PROXY_FROM entry, "address" or "address/prefix" (len octets at
 * entry): 1 when peer is in it, 0 when not, -1 when it is malformed. */
static int entry_matches(const struct address *peer, const char *entry,
			 size_t len)
{
	char text[PEER_TEXT_MAX];
	if (len >= sizeof text)
		return -1;
	memcpy(text, entry, len);
	text[len] = '\0';
	char *slash = strchr(text, '/');
	if (slash)
		*slash++ = '\0';
	struct address net;
	if (!parse_address(text, &net))
		return -1;
	unsigned long long bits = net.family == AF_INET ? 32 : 128;
	if (slash && !parse_uint(slash, bits, &bits))
		return -1;
	return net.family == peer->family &&
	       same_prefix(net.bytes, peer->bytes, (int)bits);
}

/* Is peer_text in the list?  Every entry is checked, so a malformed one
 * is reported (in *bad_entry) even when an earlier one matches. */
static bool trusted_peer(const char *peer_text, const char *list,
			 const char **bad_entry)
{
	struct address peer;
	bool known = parse_address(peer_text, &peer), found = false;
	unmap_ipv4(&peer);
	for (const char *p = list + strspn(list, ", \t"); *p;) {
		size_t len = strcspn(p, ", \t");
		int m = entry_matches(&peer, p, len);
		if (m < 0 && !*bad_entry)
			*bad_entry = p;
		found |= m > 0 && known;
		p += len;
		p += strspn(p, ", \t");
	}
	return found && !*bad_entry;
}

/* Ports in a v1 line: decimal 0..65535 without leading zeros (glibc's
 * inet_pton already refuses them in IPv4 addresses). */
static bool valid_port(const char *text)
{
	unsigned long long port;
	return parse_uint(text, 65535, &port) &&
	       (text[0] != '0' || !text[1]);
}

static void read_v1(struct line_reader *in, struct header *h)
{
	struct line l;
	enum line_status st = reader_next(in, V1_MAX_LINE, &l);
	if (st == LINE_TIMEOUT) {
		h->problem = "timeout in the PROXY header";
		return;
	}
	if (st != LINE_OK || !l.complete || !l.crlf || l.has_nul) {
		h->problem = "malformed PROXY v1 header";
		return;
	}
	char text[V1_MAX_LINE + 1];
	memcpy(text, l.text, l.len);
	text[l.len] = '\0';
	if (strcmp(text, "PROXY UNKNOWN") == 0 ||
	    strncmp(text, "PROXY UNKNOWN ", 14) == 0)
		return;         /* the proxy does not know the client */

	char *field[6], *rest = text;
	size_t n = 0;
	while (rest && n < 6)
		field[n++] = strsep(&rest, " ");
	int family = n < 2 ? 0 : strcmp(field[1], "TCP4") == 0 ? AF_INET :
		     strcmp(field[1], "TCP6") == 0 ? AF_INET6 : 0;
	unsigned char source[16], destination[16];
	if (n != 6 || rest || family == 0 ||
	    inet_pton(family, field[2], source) != 1 ||
	    inet_pton(family, field[3], destination) != 1 ||
	    !valid_port(field[4]) || !valid_port(field[5])) {
		h->problem = "malformed PROXY v1 header";
		return;
	}
	format_address(family, source, h->client);
}

/* Wait for want octets of the v2 header; false when they do not come. */
static bool peek_v2(struct line_reader *in, size_t want,
		    const unsigned char **bytes, struct header *h)
{
	const char *data;
	size_t avail;
	enum line_status st = reader_peek(in, want, &data, &avail);
	if (st == LINE_OK && avail >= want) {
		*bytes = (const unsigned char *)data;
		return true;
	}
	h->problem = st == LINE_TIMEOUT ? "timeout in the PROXY header" :
		     "truncated PROXY v2 header";
	return false;
}

/* Skip TLVs, which may be longer than the reader's buffer. */
static void skip_v2(struct line_reader *in, size_t len, struct header *h)
{
	while (len > 0) {
		const unsigned char *bytes;
		size_t take = len < LINEIO_BUFSIZE ? len : LINEIO_BUFSIZE;
		if (!peek_v2(in, take, &bytes, h))
			return;
		reader_consume(in, take);
		len -= take;
	}
}

/* The TLVs after the addresses: the SSL one is read, the rest passed
 * over.  A TLV block larger than the reader's buffer is skipped unread:
 * no proxy sends one that large with an SSL TLV. */
static void read_tlvs(struct line_reader *in, size_t len, struct header *h)
{
	const unsigned char *b;
	if (len > LINEIO_BUFSIZE) {
		skip_v2(in, len, h);
		return;
	}
	if (!peek_v2(in, len, &b, h))
		return;
	for (size_t i = 0; i + V2_TLV_HEAD <= len; ) {
		size_t value = (size_t)b[i + 1] << 8 | b[i + 2];
		if (value > len - i - V2_TLV_HEAD) {
			h->problem = "malformed PROXY v2 TLV";
			return;
		}
		if (b[i] == V2_TYPE_SSL && value > 0)
			h->tls = (b[i + V2_TLV_HEAD] & V2_CLIENT_SSL) != 0;
		i += V2_TLV_HEAD + value;
	}
	reader_consume(in, len);
}

static void read_v2(struct line_reader *in, struct header *h)
{
	const unsigned char *b;
	if (!peek_v2(in, V2_FIXED, &b, h))
		return;
	unsigned version = b[12] >> 4, command = b[12] & 0x0f;
	unsigned family = b[13] >> 4, transport = b[13] & 0x0f;
	size_t len = (size_t)b[14] << 8 | b[15];
	if (memcmp(b, v2_signature, sizeof v2_signature) != 0 ||
	    version != 2 || command > V2_PROXY) {
		h->problem = "malformed PROXY v2 header";
		return;
	}
	if (command == V2_LOCAL) {      /* its address block is to be ignored */
		reader_consume(in, V2_FIXED);
		skip_v2(in, len, h);
		return;
	}
	if (family >= V2_FAMILIES || transport > 2 ||
	    len < v2_address_size[family]) {
		h->problem = "malformed PROXY v2 address block";
		return;
	}
	size_t addresses = v2_address_size[family];
	if (!peek_v2(in, V2_FIXED + addresses, &b, h))
		return;
	if (family == V2_INET)
		format_address(AF_INET, b + V2_FIXED, h->client);
	else if (family == V2_INET6)
		format_address(AF_INET6, b + V2_FIXED, h->client);
	reader_consume(in, V2_FIXED + addresses);
	read_tlvs(in, len - addresses, h);
}

bool proxy_accept(struct line_reader *in, const char *trusted,
		  char peer[PEER_TEXT_MAX], bool *tls)
{
	if (!trusted)
		return true;
	char proxy[PEER_TEXT_MAX];
	snprintf(proxy, sizeof proxy, "%s", peer);
	const char *bad_entry = NULL;
	if (!trusted_peer(proxy, trusted, &bad_entry)) {
		if (bad_entry)
			log_msg(LOG_ERR, "MAIL_PROXY_FROM: '%.*s' is not an "
				"address or address/prefix",
				(int)strcspn(bad_entry, ", \t"), bad_entry);
		else
			log_msg(LOG_WARNING, "refused %s: not a trusted proxy "
				"(MAIL_PROXY_FROM)", proxy);
		return false;
	}

	struct header h = { .problem = NULL, .client = "", .tls = false };
	const char *data;
	size_t avail;
	enum line_status st = reader_peek(in, 6, &data, &avail);
	if (st == LINE_OK && avail >= 6 && memcmp(data, "PROXY ", 6) == 0)
		read_v1(in, &h);
	else if (st == LINE_OK && avail >= 6 &&
		 memcmp(data, v2_signature, 6) == 0)
		read_v2(in, &h);
	else
		h.problem = st == LINE_TIMEOUT ? "timeout before the PROXY "
			    "header" : "no PROXY header";
	if (h.problem) {
		log_msg(LOG_WARNING, "refused %s: %s", proxy, h.problem);
		return false;
	}
	*tls = h.tls;
	if (h.client[0]) {
		snprintf(peer, PEER_TEXT_MAX, "%s", h.client);
		log_msg(LOG_INFO, "proxy %s relays client %s%s", proxy, h.client,
			h.tls ? " (TLS)" : "");
	} else {
		log_msg(LOG_INFO, "proxy %s names no client (LOCAL or UNKNOWN)",
			proxy);
	}
	return true;
}
