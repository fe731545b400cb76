/*
 * udpsink: a DNS server that never answers.  Binds UDP ADDR PORT (port 0:
 * any), prints the port, and reads and drops datagrams until killed.
 * With -g it answers every query with its ID and then garbage.
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
	struct sockaddr_in	from;
	socklen_t		flen;
	char			buf[4096];
	int			fd, garbage = 0, i;
	ssize_t			n;
	unsigned int		x = 12345;

	if (argc == 4 && strcmp(argv[1], "-g") == 0) {
		garbage = 1;
		argv++;
		argc--;
	}
	if (argc != 3)
		errx(100, "usage: udpsink [-g] addr port");
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
	for (;;) {
		flen = sizeof(from);
		if ((n = recvfrom(fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &flen)) == -1)
			err(111, "read");
		if (!garbage || n < 2)
			continue;
		/* the query's ID, a reply flag, then noise */
		buf[2] = (char)0x81;
		for (i = 3; i < 64; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = (char)(x >> 16);
		}
		sendto(fd, buf, 64, 0, (struct sockaddr *)&from, flen);
	}
}
