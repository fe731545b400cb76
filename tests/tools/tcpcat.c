/*
 * tcpcat: test client.  Connects to HOST PORT (optionally from a given
 * source address), sends its standard input, half-closes, and copies
 * what the server sends to standard output until the server closes.
 * Gives up after 10 seconds.  Exit: 0 ok, 111 connect or I/O failure.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <err.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
fill(struct sockaddr_storage *ss, socklen_t *len, const char *host, int port)
{
	struct sockaddr_in	*sin = (void *)ss;
	struct sockaddr_in6	*sin6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port);
		*len = sizeof(*sin6);
	} else
		errx(100, "%s: not an address", host);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	const char		*src = NULL;
	char			buf[65536];
	ssize_t			n;
	int			ch, fd, inopen = 1;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		if (ch != 's')
			errx(100, "usage: tcpcat [-s src] host port");
		src = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		errx(100, "usage: tcpcat [-s src] host port");
	alarm(10);
	fill(&ss, &len, argv[0], atoi(argv[1]));
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1)
		err(111, "socket");
	if (src != NULL) {
		struct sockaddr_storage	sa;
		socklen_t		salen;

		fill(&sa, &salen, src, 0);
		if (bind(fd, (struct sockaddr *)&sa, salen) == -1)
			err(111, "bind %s", src);
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1)
		err(111, "connect %s %s", argv[0], argv[1]);
	for (;;) {
		struct pollfd	p[2] = { { fd, POLLIN, 0 }, { 0, POLLIN, 0 } };

		if (poll(p, inopen ? 2 : 1, -1) == -1)
			err(111, "poll");
		if (p[0].revents) {
			if ((n = read(fd, buf, sizeof(buf))) <= 0)
				break;
			if (write(1, buf, (size_t)n) != n)
				err(111, "write");
		}
		if (inopen && p[1].revents) {
			if ((n = read(0, buf, sizeof(buf))) <= 0) {
				shutdown(fd, SHUT_WR);
				inopen = 0;
			} else if (write(fd, buf, (size_t)n) != n)
				err(111, "send");
		}
	}
	return n < 0 ? 111 : 0;
}
