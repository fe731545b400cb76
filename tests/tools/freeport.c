/* freeport: print a TCP port that is free on ADDR (default 127.0.0.1). */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <err.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char *argv[])
{
	struct sockaddr_in6	sin6;
	struct sockaddr_in	sin;
	struct sockaddr		*sa;
	socklen_t		len;
	const char		*addr = argc > 1 ? argv[1] : "127.0.0.1";
	int			fd, port;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sa = (struct sockaddr *)&sin;
		len = sizeof(sin);
	} else if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sa = (struct sockaddr *)&sin6;
		len = sizeof(sin6);
	} else
		errx(100, "%s: not an address", addr);
	if ((fd = socket(sa->sa_family, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, sa, len) == -1 || getsockname(fd, sa, &len) == -1)
		err(111, "%s", addr);
	port = ntohs(sa->sa_family == AF_INET ? sin.sin_port : sin6.sin6_port);
	printf("%d\n", port);
	return 0;
}
