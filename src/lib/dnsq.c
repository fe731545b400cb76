/*
 * dnsq.c: every zone's queries go out at once; the loop stops as soon as
 * the sources answered so far settle the decision (in option order), or
 * when the deadline passes, whatever the DNS servers do.
 */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnsq.h"

struct query {
	struct dnsbl_src	*src;
	int			 txt;		/* 0: the A query */
	int			*closed;
};

static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * DNSCACHEIP-style list ("1.2.3.4 5.6.7.8", commas too) to c-ares' CSV,
 * port 53.  0 ok, -1 when an entry is not an address.
 */
int
dnsq_servers(const char *list, char *csv, size_t n)
{
	char		 buf[256], *tok, *save = NULL;
	unsigned char	 a[16];
	size_t		 off = 0;
	int		 len;

	if (strlcpy(buf, list, sizeof(buf)) >= sizeof(buf))
		return -1;
	csv[0] = '\0';
	for (tok = strtok_r(buf, " ,\t", &save); tok != NULL;
	    tok = strtok_r(NULL, " ,\t", &save)) {
		if (inet_pton(AF_INET, tok, a) == 1)
			len = snprintf(csv + off, n - off, "%s%s:53",
			    off ? "," : "", tok);
		else if (inet_pton(AF_INET6, tok, a) == 1)
			len = snprintf(csv + off, n - off, "%s[%s]:53",
			    off ? "," : "", tok);
		else
			return -1;
		if (len < 0 || (size_t)len >= n - off)
			return -1;
		off += (size_t)len;
	}
	return off ? 0 : -1;
}

/* A TXT answer: the strings of the first record, joined, is the text. */
void
dnsq_answer_txt(struct dnsbl_src *s, int status, const unsigned char *abuf,
    int alen)
{
	struct ares_txt_ext	*txt, *t;
	size_t			 off = 0;

	s->txt_done = 1;
	if (status == ARES_SUCCESS &&
	    ares_parse_txt_reply_ext(abuf, alen, &txt) == ARES_SUCCESS) {
		for (t = txt; t != NULL; t = t->next) {
			if (t != txt && t->record_start)
				break;
			if (off + t->length >= sizeof(s->text))
				break;
			memcpy(s->text + off, t->txt, t->length);
			off += t->length;
		}
		ares_free_data(txt);
	}
	s->text[off] = '\0';
	dnsbl_settle(s);
}

/* An A answer: listed, clean or a DNS error (RFC 5782). */
void
dnsq_answer_a(struct dnsbl_src *s, int status, const unsigned char *abuf,
    int alen)
{
	struct ares_addrttl	addrs[32];
	uint32_t		a[32];
	int			n = 32, i;

	switch (status) {
	case ARES_SUCCESS:
		i = ares_parse_a_reply(abuf, alen, NULL, addrs, &n);
		if (i == ARES_ENODATA) {
			s->a = DNSBL_CLEAN;
			break;
		}
		if (i != ARES_SUCCESS) {
			s->a = DNSBL_ERROR;
			snprintf(s->why, sizeof(s->why), "bad answer: %s",
			    ares_strerror(i));
			break;
		}
		for (i = 0; i < n; i++)
			a[i] = ntohl(addrs[i].ipaddr.s_addr);
		s->a = dnsbl_classify(a, n, &s->codes, &s->code, s->why,
		    sizeof(s->why));
		break;
	case ARES_ENOTFOUND:	/* NXDOMAIN: not listed */
	case ARES_ENODATA:
		s->a = DNSBL_CLEAN;
		break;
	default:
		s->a = DNSBL_ERROR;
		snprintf(s->why, sizeof(s->why), "%s", ares_strerror(status));
	}
	dnsbl_settle(s);
}

static void
answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query	*q = arg;

	if (*q->closed)
		return;		/* the deadline passed: already an error */
	if (q->txt)
		dnsq_answer_txt(q->src, status, abuf, alen);
	else
		dnsq_answer_a(q->src, status, abuf, alen);
}

/*
 * Look the client up in every source.  servers: c-ares CSV, or NULL for
 * /etc/resolv.conf.  Returns 0 with the decision in d, or -1 when the
 * resolver cannot be set up (err says why).
 */
int
dnsq_run(struct dnsbl_src *srcs, int n, const struct ip *client,
    const char *servers, int deadline_ms, struct dnsbl_decision *d,
    char *err, size_t errlen)
{
	struct ares_options	 opt;
	ares_channel		 ch;
	ares_socket_t		 socks[ARES_GETSOCK_MAXNUM];
	struct pollfd		 pfd[ARES_GETSOCK_MAXNUM];
	struct query		*q;
	struct timeval		 tv, maxtv, *tvp;
	char			 name[DNSBL_NAMEMAX];
	long			 start = now_ms(), left;
	struct in_addr		 placeholder;
	int			 i, k, nfd, bits, rc, closed = 0, wait;
	int			 optmask;

	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		return -1;
	}
	memset(&opt, 0, sizeof(opt));
	/* two tries inside the deadline; the deadline itself is ours */
	opt.timeout = deadline_ms / 2 > 100 ? deadline_ms / 2 : 100;
	opt.tries = 2;
	opt.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	optmask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
	if (servers != NULL) {
		/*
		 * Everything resolv.conf could say is given here, so c-ares
		 * reads no configuration file on this per-connection path;
		 * the placeholder server is replaced below.
		 */
		placeholder.s_addr = htonl(INADDR_LOOPBACK);
		opt.servers = &placeholder;
		opt.nservers = 1;
		opt.ndomains = 0;
		opt.ndots = 1;
		opt.lookups = (char *)(uintptr_t)"b";
		opt.nsort = 0;
		optmask |= ARES_OPT_SERVERS | ARES_OPT_DOMAINS | ARES_OPT_NDOTS |
		    ARES_OPT_LOOKUPS | ARES_OPT_SORTLIST;
	}
	rc = ares_init_options(&ch, &opt, optmask);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		return -1;
	}
	if (servers != NULL &&
	    (rc = ares_set_servers_ports_csv(ch, servers)) != ARES_SUCCESS) {
		snprintf(err, errlen, "DNS servers %s: %s", servers,
		    ares_strerror(rc));
		ares_destroy(ch);
		return -1;
	}
	if ((q = calloc((size_t)n * 2, sizeof(*q))) == NULL) {
		snprintf(err, errlen, "out of memory");
		ares_destroy(ch);
		return -1;
	}
	for (i = 0; i < n; i++) {
		srcs[i].a = DNSBL_PENDING;
		srcs[i].txt_done = srcs[i].kind != DNSBL_BLOCK;
		srcs[i].state = DNSBL_PENDING;
		if (dnsbl_name(client, srcs[i].zone, name, sizeof(name)) ==
		    -1) {
			srcs[i].a = DNSBL_ERROR;
			srcs[i].txt_done = 1;
			strlcpy(srcs[i].why, "name too long",
			    sizeof(srcs[i].why));
			dnsbl_settle(&srcs[i]);
			continue;
		}
		q[2 * i] = (struct query){ &srcs[i], 0, &closed };
		ares_query(ch, name, 1 /* IN */, 1 /* A */, answer, &q[2 * i]);
		if (srcs[i].kind == DNSBL_BLOCK) {
			q[2 * i + 1] = (struct query){ &srcs[i], 1, &closed };
			ares_query(ch, name, 1, 16 /* TXT */, answer,
			    &q[2 * i + 1]);
		}
	}
	for (;;) {
		dnsbl_decide(srcs, n, d);
		if (d->done)
			break;
		if ((left = deadline_ms - (now_ms() - start)) <= 0)
			break;
		bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
		/* c-ares' own macros shift a signed 1 into the sign bit */
		for (nfd = 0, k = 0; k < ARES_GETSOCK_MAXNUM; k++) {
			unsigned int r = ((unsigned int)bits >> k) & 1;
			unsigned int w = ((unsigned int)bits >>
			    (k + ARES_GETSOCK_MAXNUM)) & 1;

			if (!r && !w)
				continue;
			pfd[nfd].fd = socks[k];
			pfd[nfd].events = (short)((r ? POLLIN : 0) |
			    (w ? POLLOUT : 0));
			pfd[nfd++].revents = 0;
		}
		maxtv.tv_sec = left / 1000;
		maxtv.tv_usec = (left % 1000) * 1000;
		tvp = ares_timeout(ch, &maxtv, &tv);
		wait = (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000);
		if (nfd == 0 && wait == 0)
			wait = 1;
		if (poll(pfd, (nfds_t)nfd, wait) == -1 && errno != EINTR)
			break;
		for (k = 0; k < nfd; k++)
			if (pfd[k].revents)
				ares_process_fd(ch, (pfd[k].revents &
				    (POLLIN | POLLERR | POLLHUP)) ? pfd[k].fd :
				    ARES_SOCKET_BAD, (pfd[k].revents & POLLOUT) ?
				    pfd[k].fd : ARES_SOCKET_BAD);
		/* timeouts and retries */
		ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	}
	closed = 1;
	for (i = 0; i < n; i++) {
		if (srcs[i].state != DNSBL_PENDING)
			continue;
		if (srcs[i].a == DNSBL_PENDING) {
			srcs[i].a = DNSBL_ERROR;
			snprintf(srcs[i].why, sizeof(srcs[i].why),
			    "no answer in %d ms", deadline_ms);
		}
		srcs[i].txt_done = 1;	/* a listing without its text */
		dnsbl_settle(&srcs[i]);
	}
	dnsbl_decide(srcs, n, d);
	ares_destroy(ch);
	free(q);
	ares_library_cleanup();
	return 0;
}
