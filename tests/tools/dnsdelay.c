/*
 * dnsdelay: a UDP DNS relay that holds every answer for DELAY ms, to
 * measure resolvers as if the DNS server were across a network.
 *
 *   dnsdelay LISTENADDR LISTENPORT UPSTREAMADDR UPSTREAMPORT DELAY
 *
 * Queries are matched to clients by DNS ID.  Runs until killed.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HELD	256

struct held {
	long			due;	/* ms; 0: free */
	struct sockaddr_in	to;
	size_t			len;
	unsigned char		pkt[1500];
};

static struct sockaddr_in	client[65536];
static struct held		held[HELD];

static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
udp(const char *addr, int port, struct sockaddr_in *sin)
{
	int	fd;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		errx(100, "%s: not an IPv4 address", addr);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(111, "socket");
	return fd;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	lsin, usin, from;
	socklen_t		flen;
	unsigned char		buf[1500];
	struct pollfd		p[2];
	ssize_t			n;
	long			delay, t, wait;
	int			lfd, ufd, i, id;

	if (argc != 6)
		errx(100, "usage: dnsdelay addr port upaddr upport delay_ms");
	lfd = udp(argv[1], atoi(argv[2]), &lsin);
	if (bind(lfd, (struct sockaddr *)&lsin, sizeof(lsin)) == -1)
		err(111, "bind %s %s", argv[1], argv[2]);
	ufd = udp(argv[3], atoi(argv[4]), &usin);
	delay = atol(argv[5]);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		t = now_ms();
		wait = -1;
		for (i = 0; i < HELD; i++) {
			if (!held[i].due)
				continue;
			if (held[i].due <= t) {
				sendto(lfd, held[i].pkt, held[i].len, 0,
				    (struct sockaddr *)&held[i].to,
				    sizeof(held[i].to));
				held[i].due = 0;
			} else if (wait < 0 || held[i].due - t < wait)
				wait = held[i].due - t;
		}
		p[0] = (struct pollfd){ lfd, POLLIN, 0 };
		p[1] = (struct pollfd){ ufd, POLLIN, 0 };
		if (poll(p, 2, (int)wait) == -1)
			err(111, "poll");
		if (p[0].revents) {	/* a query: forward at once */
			flen = sizeof(from);
			n = recvfrom(lfd, buf, sizeof(buf), 0,
			    (struct sockaddr *)&from, &flen);
			if (n >= 2) {
				id = buf[0] << 8 | buf[1];
				client[id] = from;
				sendto(ufd, buf, (size_t)n, 0,
				    (struct sockaddr *)&usin, sizeof(usin));
			}
		}
		if (p[1].revents) {	/* an answer: hold it */
			n = recv(ufd, buf, sizeof(buf), 0);
			if (n < 2)
				continue;
			for (i = 0; i < HELD && held[i].due; i++)
				;
			if (i == HELD)
				continue;	/* dropped, like a busy network */
			id = buf[0] << 8 | buf[1];
			held[i].to = client[id];
			held[i].len = (size_t)n;
			memcpy(held[i].pkt, buf, (size_t)n);
			held[i].due = now_ms() + delay;
		}
	}
}
