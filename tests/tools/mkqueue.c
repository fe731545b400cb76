/*
 * mkqueue: TEST FIXTURE BUILDER.  Writes a qmail queue in qmail's on-disk
 * format from a spec on standard input, one message a line, TAB-separated:
 *
 *   sender  recipients  client-ip  helo  auth-user  subject  age-minutes  flags
 *
 * recipients: comma-separated, each [l|r][d]:address (local or remote,
 * d: delivered); client-ip "-" for a message injected locally (by uid
 * $MKQUEUE_UID, 1000 by default);
 * auth-user "-" for none, else the account of a login (ESMTPA); flags:
 * B bouncing, T not yet preprocessed, R auth-user is only remote info
 * (ident or MAIL's AUTH=, "with SMTP"), P a PHP script's header
 * (X-PHP-Originating-Script: 1000:mailer.php) on local mail.
 * Received lines as qmail-queue and qmail-smtpd write them: HELO left out
 * when it equals the host, unsafe bytes as '?'.
 *
 *   mkqueue [-s split] [-b] queuedir < spec      (-b: big-todo layout)
 */
#include <ctype.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "qwrite.h"

/* qmail's safeput: anything but [A-Za-z0-9.@%+/=:-] becomes '?'. */
static void
safe(char *dst, size_t n, const char *src)
{
	size_t	i;

	for (i = 0; src[i] && i + 1 < n; i++)
		dst[i] = (isalnum((unsigned char)src[i]) ||
		    strchr(".@%+/=:-", src[i])) && src[i] ? src[i] : '?';
	dst[i] = '\0';
}

int
main(int argc, char *argv[])
{
	struct qw_rcpt	 r[64];
	char		*line = NULL, *f[8], *p, *save, *tok, mess[16384], date[64];
	size_t		 cap = 0, n;
	unsigned int	 split = 23;
	int		 ch, bigtodo = 0, nr, i, count = 0;
	time_t		 now = time(NULL), t;
	const char	*uid = getenv("MKQUEUE_UID") ? getenv("MKQUEUE_UID") :
			    "1000";

	while ((ch = getopt(argc, argv, "bs:")) != -1) {
		if (ch == 'b')
			bigtodo = 1;
		else if (ch == 's')
			split = (unsigned int)atoi(optarg);
		else
			errx(100, "usage: mkqueue [-s split] [-b] queuedir");
	}
	if (argc - optind != 1 || split == 0)
		errx(100, "usage: mkqueue [-s split] [-b] queuedir");
	if (qw_mkqueue(argv[optind], split, bigtodo) == -1)
		err(111, "%s", argv[optind]);
	while (getline(&line, &cap, stdin) != -1) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (i = 0, p = line; i < 8; i++) {
			f[i] = p ? p : "";
			if (p && (p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		nr = 0;
		for (tok = strtok_r(f[1], ",", &save); tok && nr < 64;
		    tok = strtok_r(NULL, ",", &save)) {
			char *colon = strchr(tok, ':');

			if (colon == NULL)
				errx(100, "bad recipient %s", tok);
			r[nr].remote = tok[0] == 'r';
			r[nr].done = tok[1] == 'd';
			r[nr++].addr = colon + 1;
		}
		t = now - atol(f[6]) * 60;
		strftime(date, sizeof(date), "%d %b %Y %H:%M:%S -0000",
		    gmtime(&t));
		if (strcmp(f[2], "-") == 0)
			n = (size_t)snprintf(mess, sizeof(mess),
			    "Received: (qmail 4711 invoked by uid %s); %s\n"
			    "%s%s%s%sFrom: %s\nSubject: %s\n\nbody\n", uid,
			    date, strchr(f[7], 'P') ? "X-PHP-Originating-Script: "
			    : "", strchr(f[7], 'P') ? uid : "", strchr(f[7], 'P') ?
			    ":mailer.php" : "", strchr(f[7], 'P') ? "\n" : "",
			    f[0], f[5]);
		else {
			char	helo[8192], info[512];

			safe(helo, sizeof(helo), f[3]);
			safe(info, sizeof(info), f[4]);
			n = (size_t)snprintf(mess, sizeof(mess),
			    "Received: (qmail 4711 invoked from network); %s\n"
			    "Received: from unknown%s%s%s (%s%s%s)\n"
			    "  by mx.example.test with %s; %s\n"
			    "From: \"%s\" <%s>\nSubject: %s\n\nbody of a "
			    "message from %s\n", date,
			    strcasecmp(helo, "unknown") ? " (HELO " : "",
			    strcasecmp(helo, "unknown") ? helo : "",
			    strcasecmp(helo, "unknown") ? ")" : "",
			    strcmp(f[4], "-") ? info : "",
			    strcmp(f[4], "-") ? "@" : "", f[2],
			    strcmp(f[4], "-") && !strchr(f[7], 'R') ? "ESMTPA" :
			    "SMTP", date, f[0], f[0], f[5], f[2]);
		}
		if (qwrite(argv[optind], split, bigtodo, mess, n, f[0], r, nr,
		    strchr(f[7], 'B') != NULL, strchr(f[7], 'T') != NULL, t) ==
		    -1)
			err(111, "unable to write a message");
		count++;
	}
	free(line);
	fprintf(stderr, "mkqueue: %d messages\n", count);
	return 0;
}
