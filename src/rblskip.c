/*
 * rblskip: a drop-in replacement for rblsmtpd.  Skips the DNS blocklists
 * for relay clients, asks every list at once under one deadline, and can
 * hand a listed client on to authfirst (-D) instead of refusing it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/client.h"
#include "lib/dnsbl.h"
#include "lib/dnsq.h"
#include "lib/log.h"
#include "lib/stage.h"
#include "lib/refuse.h"

#define USAGE "usage: rblskip [-bBcCD] [-t seconds] [-T ms] " \
    "[-n addr[:port]] [-r zone[=codes]] [-a zone] [-l syslog|stderr] " \
    "prog [args ...]"

static struct dnsbl_src	srcs[DNSBL_MAXSRC];
static int		nsrc;


static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "zen.test=listed(127.0.0.2) other.test=clean dead.test=error(...)" */
static void
summary(char *buf, size_t n)
{
	static const char *word[] = { "pending", "clean", "listed", "error" };
	size_t	off = 0;
	int	i, len;

	buf[0] = '\0';
	for (i = 0; i < nsrc && off < n; i++) {
		const struct dnsbl_src *s = &srcs[i];

		if (s->state == DNSBL_LISTED && s->code)
			len = snprintf(buf + off, n - off,
			    "%s%s%s=listed(%u.%u.%u.%u)", off ? " " : "",
			    s->kind == DNSBL_ALLOW ? "allow:" : "", s->zone,
			    s->code >> 24, (s->code >> 16) & 255,
			    (s->code >> 8) & 255, s->code & 255);
		else if (s->state == DNSBL_ERROR)
			len = snprintf(buf + off, n - off, "%s%s%s=error(%s)",
			    off ? " " : "", s->kind == DNSBL_ALLOW ? "allow:" :
			    "", s->zone, s->why);
		else
			len = snprintf(buf + off, n - off, "%s%s%s=%s",
			    off ? " " : "", s->kind == DNSBL_ALLOW ? "allow:" :
			    "", s->zone, word[s->state]);
		if (len < 0)
			break;
		off += (size_t)len;
	}
}

int
main(int argc, char *argv[])
{
	struct dnsbl_decision	 d;
	struct client		 c;
	const char		*env;
	char			 servers[512] = "", addr[IP_FMTLEN];
	char			 msg[DNSBL_TEXTMAX + 16], zones[1024];
	char			 listed[DNSBL_ZONEMAX + DNSBL_TEXTMAX + 8];
	char			 err[256], clean[DNSBL_TEXTMAX + 1];
	unsigned int		 timeout = 60;
	int			 ch, bounce = 0, failclosed = 0, defer = 0;
	int			 deadline = 5000;
	size_t			 off;
	long			 t0;

	log_init("rblskip", LOG_TO_AUTO);
	while ((ch = getopt(argc, argv, "+bBcCDha:l:n:r:t:T:")) != -1) {
		switch (ch) {
		case 'b':
			bounce = 1;
			break;
		case 'B':
			bounce = 0;
			break;
		case 'c':
			failclosed = 1;
			break;
		case 'C':
			failclosed = 0;
			break;
		case 'D':
			defer = 1;
			break;
		case 'h':
			puts(USAGE);
			return 0;
		case 'a':
		case 'r':
			if (nsrc == DNSBL_MAXSRC)
				log_fatal(100, "more than %d zones",
				    DNSBL_MAXSRC);
			if (dnsbl_src_parse(&srcs[nsrc], ch == 'r' ?
			    DNSBL_BLOCK : DNSBL_ALLOW, optarg) == -1)
				log_fatal(100, "-%c %s: not a zone name"
				    " with optional return codes", ch, optarg);
			/* as in rblsmtpd, -b and -c count from here on */
			srcs[nsrc].bounce = bounce;
			srcs[nsrc].failclosed = failclosed;
			nsrc++;
			break;
		case 'l':
			stage_logopt("rblskip", optarg);
			break;
		case 'n':
			off = strlen(servers);
			if (snprintf(servers + off, sizeof(servers) - off,
			    "%s%s", off ? "," : "", optarg) >=
			    (int)(sizeof(servers) - off))
				log_fatal(100, "too many -n servers");
			break;
		case 't':
			timeout = (unsigned int)stage_number("-t", optarg, 0,
			    86400);
			break;
		case 'T':
			deadline = (int)stage_number("-T", optarg, 1, 600000);
			break;
		default:
			stage_usage(USAGE);
		}
	}
	argv += optind;
	if (argv[0] == NULL)
		stage_usage(USAGE);

	if (client_from_env(&c) == -1 && client_from_socket(&c, 0) == -1)
		log_fatal(111, "no client address: TCPREMOTEIP is unset "
		    "or invalid and fd 0 is not a TCP socket");
	ip_fmt(&c.remote, addr, sizeof(addr));

	/* a relay client is never RBL-blocked, whatever the chain order */
	if (getenv("RELAYCLIENT") != NULL) {
		log_line("%s: accept (RELAYCLIENT set, no lookups)", addr);
		stage_exec(argv);
	}
	if ((env = getenv("RBLSMTPD")) != NULL) {
		if (*env == '\0') {
			log_line("%s: accept (RBLSMTPD empty, no lookups)",
			    addr);
			stage_exec(argv);
		}
		refuse_message(msg, sizeof(msg), *env == '-' ? 553 : 451,
		    *env == '-' ? env + 1 : env);
		log_line("%s: refuse (RBLSMTPD): %.*s", addr,
		    (int)strcspn(msg, "\r"), msg);
		refuse_session(msg, NULL, timeout);
	}
	if (nsrc == 0) {
		log_line("%s: accept (no zones)", addr);
		stage_exec(argv);
	}

	if (servers[0] == '\0' && (env = getenv("DNSCACHEIP")) != NULL &&
	    dnsq_servers(env, servers, sizeof(servers)) == -1)
		log_fatal(111, "DNSCACHEIP=%s: not a list of addresses",
		    env);
	t0 = now_ms();
	if (dnsq_run(srcs, nsrc, &c.remote, servers[0] ? servers : NULL,
	    deadline, &d, err, sizeof(err)) == -1)
		log_fatal(111, "%s", err);
	summary(zones, sizeof(zones));

	if (!d.refuse) {
		log_line("%s: accept in %ld ms: %s", addr, now_ms() - t0,
		    zones);
		stage_exec(argv);
	}
	dnsbl_sanitise(clean, sizeof(clean), d.text, strlen(d.text));
	if (defer) {
		snprintf(listed, sizeof(listed), "%s: %s", srcs[d.src].zone,
		    clean);
		if (setenv("RBLLISTED", listed, 1) == -1 ||
		    setenv("RBLLISTED_CODE", d.code == 553 ? "553" : "451",
		    1) == -1)
			log_fatal(111, "unable to set environment");
		log_line("%s: defer %d in %ld ms: %s: %s", addr, d.code,
		    now_ms() - t0, zones, clean);
		stage_exec(argv);
	}
	refuse_message(msg, sizeof(msg), d.code, d.text);
	log_line("%s: refuse %d in %ld ms: %s: %s", addr, d.code,
	    now_ms() - t0, zones, clean);
	refuse_session(msg, NULL, timeout);
}
