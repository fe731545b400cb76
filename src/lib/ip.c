/* ip.c: parse, format and mask client addresses */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>

#include "ip.h"

static const unsigned char v4mapped[12] =
    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes plain IPv4. */
int
ip_normalise(struct ip *ip)
{
	if (ip->family == AF_INET6 && memcmp(ip->a, v4mapped, 12) == 0) {
		memmove(ip->a, ip->a + 12, 4);
		memset(ip->a + 4, 0, 12);
		ip->family = AF_INET;
		return 1;
	}
	return 0;
}

/* Strict: the whole string must be one address, no brackets, no scope. */
int
ip_parse(struct ip *ip, const char *s)
{
	memset(ip, 0, sizeof(*ip));
	if (s == NULL || *s == '\0')
		return -1;
	if (inet_pton(AF_INET, s, ip->a) == 1) {
		ip->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip->a) == 1) {
		ip->family = AF_INET6;
		ip_normalise(ip);
		return 0;
	}
	return -1;
}

int
ip_from_sockaddr(struct ip *ip, unsigned int *port, const struct sockaddr *sa,
    socklen_t len)
{
	memset(ip, 0, sizeof(*ip));
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const void *)sa;

		ip->family = AF_INET;
		memcpy(ip->a, &sin->sin_addr, 4);
		if (port)
			*port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		ip->family = AF_INET6;
		memcpy(ip->a, &sin6->sin6_addr, 16);
		ip_normalise(ip);
		if (port)
			*port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -1;
}

void
ip_fmt(const struct ip *ip, char *buf, size_t len)
{
	if (inet_ntop(ip->family, ip->a, buf, len) == NULL && len > 0)
		buf[0] = '\0';
}

unsigned int
ip_bits(const struct ip *ip)
{
	return ip->family == AF_INET ? 32 : 128;
}

/* Clear every bit after the first len. */
void
ip_mask(struct ip *ip, unsigned int len)
{
	unsigned int	i, nbytes = ip_bits(ip) / 8;

	for (i = 0; i < nbytes; i++) {
		if (len >= 8 * (i + 1))
			continue;
		if (len <= 8 * i)
			ip->a[i] = 0;
		else
			ip->a[i] &= (unsigned char)(0xff << (8 - (len - 8 * i)));
	}
}
