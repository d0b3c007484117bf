/* peer: who is at the other end of the session, as text for log lines and
 * Received: lines. */
#ifndef PEER_H
#define PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Room for any IPv6 address as text, or a launcher's peer variable cut
 * to fit. */
#define PEER_TEXT_MAX 64

/* The IP address of addr as text ("" if it is not IP); an IPv4 client of
 * an IPv6 socket (::ffff:a.b.c.d) as the plain IPv4 address it is. */
void peer_address_text(const struct sockaddr_storage *addr, char *ip,
		       size_t size);

/* The session's peer: the launcher's variable where fd 0 is a pipe or
 * socketpair (UCSPI TCPREMOTEIP, socat's SOCAT_PEERADDR, stunnel's
 * REMOTE_HOST), else getpeername() on fd 0, else "stdin". */
void peer_identify(char peer[PEER_TEXT_MAX]);

/* Is the peer on this host: a loopback address (127.0.0.0/8, ::1), or
 * "stdin", a pipe or socket with no IP address at all? */
bool peer_is_local(const char *peer);

#endif
