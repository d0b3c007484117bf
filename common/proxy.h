/* proxy: the PROXY protocol header (HAProxy's proxy-protocol.txt, v1 text
 * and v2 binary) that a load balancer sends ahead of the mail protocol to
 * say who the real client is.
 *
 * It is read from the session's own line reader, so no byte of the mail
 * protocol that follows it can be lost or swallowed. */
#ifndef PROXY_H
#define PROXY_H

#include <stdbool.h>

#include "lineio.h"
#include "peer.h"

/* trusted: the MAIL_PROXY_FROM list (addresses or address/prefix, separated
 * by commas or spaces), or NULL when the PROXY protocol is off; then this
 * returns true at once and reads nothing.
 *
 * Otherwise peer (the session's peer, from peer_identify) must be a trusted
 * address and the connection must begin with a valid header.  On success
 * the client address the header carries, if any, overwrites peer, *tls
 * says whether a v2 header's SSL TLV names a TLS client, and true is
 * returned; on anything else a log line says why and false is returned:
 * the caller closes the connection without a greeting. */
bool proxy_accept(struct line_reader *in, const char *trusted,
		  char peer[PEER_TEXT_MAX], bool *tls);

#endif
