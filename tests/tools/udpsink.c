/*
 * udpsink: a DNS server that never answers.  Binds UDP ADDR PORT (port 0:
 * any), prints the port, and reads and drops datagrams until killed.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	char			buf[4096];
	int			fd;

	if (argc != 3)
		errx(100, "usage: udpsink addr port");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1)
		errx(100, "%s: not an IPv4 address", argv[1]);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		err(111, "%s %s", argv[1], argv[2]);
	printf("%d\n", ntohs(sin.sin_port));
	fflush(stdout);
	for (;;)
		if (read(fd, buf, sizeof(buf)) == -1)
			err(111, "read");
}
