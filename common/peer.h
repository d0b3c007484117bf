/* peer: who the client of this session is, as text for logs and Received:. */
#ifndef PEER_H
#define PEER_H

#include <stddef.h>
#include <sys/socket.h>

#define PEER_TEXT_MAX 64

/* The IP address of addr as text ("" if it is not IP); an IPv4 client of
 * an IPv6 socket (::ffff:a.b.c.d) as the plain IPv4 address it is. */
void peer_address_text(const struct sockaddr_storage *addr, char *ip,
		       size_t size);

/* The client: the launcher's variable (UCSPI TCPREMOTEIP, socat, stunnel),
 * else getpeername() on fd 0, else "stdin". */
void peer_identify(char peer[PEER_TEXT_MAX]);

#endif
