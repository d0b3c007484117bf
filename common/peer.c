/* peer: see peer.h. */
#include "peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void peer_address_text(const struct sockaddr_storage *addr, char *ip,
		       size_t size)
{
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
	ip[0] = '\0';
	if (addr->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr,
			  ip, (socklen_t)size);
	else if (addr->ss_family == AF_INET6 &&
		 IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
		inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], ip, (socklen_t)size);
	else if (addr->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &v6->sin6_addr, ip, (socklen_t)size);
}

void peer_identify(char peer[PEER_TEXT_MAX])
{
	static const char *const peer_vars[] = {
		"TCPREMOTEIP", "SOCAT_PEERADDR", "REMOTE_HOST",
	};
	for (size_t i = 0; i < sizeof peer_vars / sizeof peer_vars[0]; i++) {
		const char *env = getenv(peer_vars[i]);
		if (env && *env) {
			snprintf(peer, PEER_TEXT_MAX, "%s", env);
			return;
		}
	}
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getpeername(0, (struct sockaddr *)&ss, &len) == 0) {
		peer_address_text(&ss, peer, PEER_TEXT_MAX);
		if (peer[0])
			return;
	}
	snprintf(peer, PEER_TEXT_MAX, "stdin");
}

bool peer_is_local(const char *peer)
{
	unsigned char a[16];
	if (strcmp(peer, "stdin") == 0)
		return true;
	if (inet_pton(AF_INET, peer, a) == 1)
		return a[0] == 127;
	static const unsigned char loopback6[16] = { [15] = 1 };
	return inet_pton(AF_INET6, peer, a) == 1 &&
	       memcmp(a, loopback6, sizeof a) == 0;
}
