/*
 * relaygate: the gate in front of qmail-smtpd.  Finds the client's
 * address, applies the relay rules and the POP-before-SMTP stamp, logs
 * one line and execs the rest of its command line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/client.h"
#include "lib/gate.h"
#include "lib/log.h"
#include "lib/stage.h"
#include "lib/rules.h"
#include "lib/stamp.h"

#define USAGE "usage: relaygate [-x rules.cdb] [-p dir] [-e seconds] " \
    "[-l syslog|stderr] prog [args ...]"

static void
endpoint(const struct ip *ip, unsigned int port, char *buf, size_t n)
{
	char	a[IP_FMTLEN];

	ip_fmt(ip, a, sizeof(a));
	snprintf(buf, n, ip->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
	    port);
}

int
main(int argc, char *argv[])
{
	struct rules_db		 db, *dbp = NULL;
	struct client		 c;
	struct gate_result	 r;
	const char		*rules = NULL, *popdir = NULL;
	char			 remote[IP_FMTLEN + 10], local[IP_FMTLEN + 10];
	char			 why[128];
	unsigned int		 expire = STAMP_EXPIRE;
	int			 ch;

	log_init("relaygate", LOG_TO_AUTO);
	while ((ch = getopt(argc, argv, "+he:l:p:x:")) != -1) {
		switch (ch) {
		case 'e':
			expire = (unsigned int)stage_number("-e", optarg, 1,
			    STAMP_EXPIRE_MAX);
			break;
		case 'h':
			puts(USAGE);
			return 0;
		case 'l':
			stage_logopt("relaygate", optarg);
			break;
		case 'p':
			popdir = optarg;
			break;
		case 'x':
			rules = optarg;
			break;
		default:
			stage_usage(USAGE);
		}
	}
	argv += optind;
	if (argv[0] == NULL)
		stage_usage(USAGE);

	if (client_get(&c) == -1)
		log_fatal(111, "no client address: fd 0 is not a TCP "
		    "socket and TCPREMOTEIP is unset or invalid");
	/* from the socket, or an IPv4-mapped TCPREMOTEIP made plain */
	if ((c.from_socket || client_env_stale(&c)) && client_setenv(&c) == -1)
		log_fatalsys(111, "unable to set environment");

	if (rules != NULL) {
		if (rules_open(&db, rules) == -1)
			log_fatal(errno == ENOENT ? 100 : 111,
			    "unable to open %s: %s", rules,
			    errno == EPROTO ? "not a relaygate-rules database" :
			    strerror(errno));
		dbp = &db;
	}
	endpoint(&c.remote, c.remoteport, remote, sizeof(remote));
	if (c.has_local)
		endpoint(&c.local, c.localport, local, sizeof(local));
	else
		strlcpy(local, "unknown", sizeof(local));
	if (gate_decide(dbp, popdir, expire, time(NULL), &c.remote, &r) == -1)
		log_fatal(111, "%s -> %s: %s is corrupt", remote, local,
		    rules);
	gate_why(&r, why, sizeof(why));
	log_line("%s -> %s: %s (%s)", remote, local, gate_word(r.decision),
	    why);
	if (r.decision == GATE_DENY)
		_exit(100);
	if (gate_apply(&r) == -1)
		log_fatalsys(111, "unable to set environment");

	stage_exec(argv);
}
