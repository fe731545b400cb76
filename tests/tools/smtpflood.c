/*
 * smtpflood: TEST LOAD CLIENT.  Runs N SMTP sessions against host:port,
 * C at a time, each EHLO, MAIL, RCPT, DATA, a short message, QUIT, and
 * checks every reply code.  Gives up after 120 seconds.  Prints
 * "N ok, N failed, N ms" and exits 0 when none failed.
 *
 *   smtpflood [-c concurrent] [-n total] [-s srcaddr] host port
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXC	1024

static const char *send_[] = {
	NULL, "EHLO flood.example\r\n", "MAIL FROM:<flood@example.org>\r\n",
	"RCPT TO:<postmaster@example.test>\r\n", "DATA\r\n",
	"Subject: flood\r\n\r\nhello\r\n.\r\n", "QUIT\r\n"
};
static const int want[] = { 220, 250, 250, 250, 354, 250, 221 };

struct conn {
	int	fd, step;
	char	buf[4096];
	size_t	len;
};

static struct sockaddr_in	dst, src;
static int			usesrc;

static long
ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
start(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (usesrc && bind(c->fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
		close(c->fd);
		return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) == -1) {
		close(c->fd);
		return -1;
	}
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	return 0;
}

/* 1: whole reply in buf with the wanted code; 0: need more; -1: wrong */
static int
reply(struct conn *c)
{
	char	*p = c->buf, *nl;

	while ((nl = memchr(p, '\n', c->len - (size_t)(p - c->buf))) != NULL) {
		if (nl - p >= 4 && p[3] == '-') {
			p = nl + 1;
			continue;
		}
		return atoi(p) == want[c->step] ? 1 : -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct conn	 c[MAXC];
	struct pollfd		 p[MAXC];
	int			 conc = 10, total = 100, started = 0, ok = 0, bad = 0;
	int			 ch, i, active = 0, r;
	long			 t0 = ms();
	ssize_t			 n;

	while ((ch = getopt(argc, argv, "c:n:s:")) != -1) {
		if (ch == 'c')
			conc = atoi(optarg);
		else if (ch == 'n')
			total = atoi(optarg);
		else if (ch == 's') {
			usesrc = 1;
			src.sin_family = AF_INET;
			if (inet_pton(AF_INET, optarg, &src.sin_addr) != 1)
				errx(100, "%s: not an address", optarg);
		} else
			errx(100, "usage: smtpflood [-c n] [-n n] [-s src] host port");
	}
	if (argc - optind != 2 || conc < 1 || conc > MAXC)
		errx(100, "usage: smtpflood [-c n] [-n n] [-s src] host port");
	dst.sin_family = AF_INET;
	dst.sin_port = htons((unsigned short)atoi(argv[optind + 1]));
	if (inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1)
		errx(100, "%s: not an address", argv[optind]);
	for (i = 0; i < conc; i++)
		c[i].fd = -1;
	while ((started < total || active > 0) && ms() - t0 < 120000) {
		for (i = 0; i < conc && started < total; i++)
			if (c[i].fd == -1) {
				started++;
				if (start(&c[i]) == -1) {
					bad++;
					c[i].fd = -1;
				} else
					active++;
			}
		for (i = 0; i < conc; i++)
			p[i] = (struct pollfd){ c[i].fd, POLLIN, 0 };
		if (poll(p, (nfds_t)conc, 1000) == -1 && errno != EINTR)
			err(111, "poll");
		for (i = 0; i < conc; i++) {
			if (c[i].fd == -1 || !p[i].revents)
				continue;
			n = read(c[i].fd, c[i].buf + c[i].len,
			    sizeof(c[i].buf) - c[i].len - 1);
			if (n > 0)
				c[i].len += (size_t)n;
			r = n > 0 ? reply(&c[i]) : -1;
			if (r == 0)
				continue;
			if (r == 1 && ++c[i].step < 7) {
				c[i].len = 0;
				if (write(c[i].fd, send_[c[i].step],
				    strlen(send_[c[i].step])) > 0)
					continue;
			}
			if (r == 1 && c[i].step == 7)
				ok++;
			else
				bad++;
			close(c[i].fd);
			c[i].fd = -1;
			active--;
		}
	}
	bad += total - ok - bad;
	printf("%d ok, %d failed, %ld ms\n", ok, bad, ms() - t0);
	return bad ? 1 : 0;
}
