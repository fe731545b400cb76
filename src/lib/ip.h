/* ip.h: client addresses, IPv4 and IPv6, IPv4-mapped normalised to IPv4 */
#ifndef RG_IP_H
#define RG_IP_H

#include <sys/socket.h>
#include <stddef.h>

#define IP_FMTLEN 48	/* INET6_ADDRSTRLEN plus room */

struct ip {
	int		family;	/* AF_INET or AF_INET6 */
	unsigned char	a[16];	/* 4 or 16 bytes used */
};

int		ip_parse(struct ip *, const char *);
int		ip_from_sockaddr(struct ip *, unsigned int *,
		    const struct sockaddr *, socklen_t);
void		ip_fmt(const struct ip *, char *, size_t);
unsigned int	ip_bits(const struct ip *);
void		ip_mask(struct ip *, unsigned int);
int		ip_normalise(struct ip *);

#endif
