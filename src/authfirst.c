/*
 * authfirst: in front of qmail-smtpd, refuse MAIL until the client has
 * authenticated: for clients a DNS list named (RBLLISTED, from rblskip
 * -D), or for everyone (-m always, submission ports).  A client with no
 * listing costs one exec.  A gated session is relayed both ways, in
 * order, pipelining and all; once the backend answers 235 to AUTH,
 * authfirst stops reading and only copies bytes.  It does STARTTLS (or
 * implicit TLS) itself with libtls, so that it never goes blind while it
 * gates, and hands the backend clear text.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include "lib/dnsbl.h"
#include "lib/log.h"
#include "lib/smtp.h"

#define USAGE "usage: authfirst [-m listed|always] [-c cert -k key] [-s] " \
    "[-t seconds] [-l syslog|stderr] prog [args ...]"

#define BUFSZ	65536
#define SLOTS	256

struct buf {
	char	d[BUFSZ];
	size_t	len;
};

enum slotkind { S_REPLY, S_EHLO, S_DATA, S_AUTH, S_LOCAL };

struct slot {
	enum slotkind	 kind;
	const char	*text;		/* S_LOCAL */
	int		 starttls;	/* S_LOCAL: handshake after this */
};

enum mode { CMD, WAIT_DATA, BODY, WAIT_AUTH, AUTH_CONT };

static struct buf	 cin;	/* from the client, not yet handled */
static struct buf	 tob;	/* to the backend */
static struct buf	 bin;	/* from the backend, not yet a whole reply */
static struct buf	 toc;	/* to the client */
static struct slot	 q[SLOTS];
static int		 qhead, qlen;

static struct tls	*tlsctx, *cctx;
static int		 in_tls, want_handshake;
static int		 gated, authed, relay, skipping, bodystate;
static enum mode	 mode = CMD;
static enum smtp_mech	 mech;
static int		 user_known;
static char		 user[SMTP_USERMAX] = "";
static char		 refusal[DNSBL_TEXTMAX + 64];
static unsigned long	 refused;
static unsigned long long bytes_in, bytes_out;
static const char	*ending = "client closed";
static int		 have_cert;

static const char tls_ready[] = "220 2.0.0 Ready to start TLS\r\n";
static const char tls_none[] = "454 4.7.0 TLS not available\r\n";
static const char too_long[] = "500 5.5.2 Line too long\r\n";
static const char nul_line[] = "500 5.5.2 NUL byte in command\r\n";

static void
push(enum slotkind k, const char *text, int starttls)
{
	struct slot	*s;

	if (qlen == SLOTS)
		log_fatal(111, "fatal: more than %d replies outstanding", SLOTS);
	s = &q[(qhead + qlen++) % SLOTS];
	s->kind = k;
	s->text = text;
	s->starttls = starttls;
}

static int
put(struct buf *b, const char *d, size_t n)
{
	if (b->len + n > sizeof(b->d))
		return -1;
	memcpy(b->d + b->len, d, n);
	b->len += n;
	return 0;
}

static void
take(struct buf *b, size_t n)
{
	memmove(b->d, b->d + n, b->len - n);
	b->len -= n;
}

/*
 * The message body: copy what fits to the backend and watch for the
 * line holding a single dot.  Returns 1 at the end of the body.
 */
static int
body(void)
{
	size_t	i, room = sizeof(tob.d) - tob.len;
	int	end = 0;

	for (i = 0; i < cin.len && i < room && !end; i++) {
		char c = cin.d[i];

		switch (bodystate) {
		case 0:		/* inside a line */
			if (c == '\n')
				bodystate = 1;
			break;
		case 1:		/* at the start of a line */
			bodystate = c == '.' ? 2 : c == '\n' ? 1 : 0;
			break;
		case 2:		/* "." */
			bodystate = c == '\r' ? 3 : 0;
			if (c == '\n')
				end = 1;
			break;
		case 3:		/* ".\r" */
			if (c == '\n')
				end = 1;
			bodystate = c == '\n' ? 1 : 0;
			break;
		}
	}
	put(&tob, cin.d, i);
	take(&cin, i);
	return end;
}

/* Handle one complete command line (with its LF) while parsing. */
static void
command(const char *l, size_t len)
{
	enum smtp_verb	 v = smtp_verb(l, len);
	const char	*init;
	size_t		 ilen;

	/*
	 * A NUL ends a C string early: "MAIL\0..." could be MAIL to the
	 * backend and something else to us.  No such line goes through.
	 */
	if (memchr(l, '\0', len) != NULL) {
		if (mode == AUTH_CONT) {
			/* cancel the exchange: the backend answers for it */
			put(&tob, "*\r\n", 3);
			push(S_AUTH, NULL, 0);
			mode = WAIT_AUTH;
		} else
			push(S_LOCAL, nul_line, 0);
		return;
	}
	if (mode == AUTH_CONT) {
		if (!user_known)
			user_known = smtp_auth_user(mech, 0, l, len, user,
			    sizeof(user));
		put(&tob, l, len);
		push(S_AUTH, NULL, 0);
		mode = WAIT_AUTH;
		return;
	}
	if (!authed && v == V_MAIL) {
		push(S_LOCAL, refusal, 0);
		refused++;
		return;
	}
	if (v == V_STARTTLS) {
		if (have_cert && !in_tls) {
			push(S_LOCAL, tls_ready, 1);
			want_handshake = 1;
		} else
			push(S_LOCAL, tls_none, 0);
		return;
	}
	put(&tob, l, len);
	switch (v) {
	case V_EHLO:
		push(S_EHLO, NULL, 0);
		break;
	case V_DATA:
		push(S_DATA, NULL, 0);
		mode = WAIT_DATA;
		break;
	case V_AUTH:
		mech = smtp_auth_mech(l, len, &init, &ilen);
		if (ilen > 0 && !user_known)
			user_known = smtp_auth_user(mech, 0, init, ilen, user,
			    sizeof(user));
		push(S_AUTH, NULL, 0);
		mode = WAIT_AUTH;
		break;
	case V_QUIT:
		ending = "quit";
		push(S_REPLY, NULL, 0);
		break;
	default:
		push(S_REPLY, NULL, 0);
	}
}

/* Work through what the client sent, as far as the state allows. */
static void
parse(void)
{
	char	*nl;
	size_t	 n;

	while (!relay && !want_handshake && cin.len > 0) {
		if (mode == BODY) {
			if (!body())
				return;
			push(S_REPLY, NULL, 0);
			mode = CMD;
			continue;
		}
		if (mode == WAIT_DATA || mode == WAIT_AUTH)
			return;
		/* room for the backend's copy of a whole line */
		if (sizeof(tob.d) - tob.len < SMTP_LINEMAX || qlen >= SLOTS - 1)
			return;
		nl = memchr(cin.d, '\n', cin.len);
		if (skipping) {		/* the rest of an overlong line */
			n = nl ? (size_t)(nl - cin.d) + 1 : cin.len;
			take(&cin, n);
			skipping = nl == NULL;
			continue;
		}
		if (nl == NULL) {
			if (cin.len < SMTP_LINEMAX)
				return;
			/* no unbounded buffering: refuse, skip the rest */
			push(S_LOCAL, too_long, 0);
			cin.len = 0;
			skipping = 1;
			mode = mode == AUTH_CONT ? CMD : mode;
			return;
		}
		n = (size_t)(nl - cin.d) + 1;
		if (n > SMTP_LINEMAX) {
			push(S_LOCAL, too_long, 0);
			take(&cin, n);
			continue;
		}
		command(cin.d, n);
		take(&cin, n);
		if (want_handshake)
			cin.len = 0;	/* plain text after STARTTLS: dropped */
	}
	if (relay && cin.len > 0) {
		n = sizeof(tob.d) - tob.len;
		if (n > cin.len)
			n = cin.len;
		put(&tob, cin.d, n);
		take(&cin, n);
	}
}

/* Move whole backend replies, and our own, to the client in order. */
static void
replies(void)
{
	char	 filtered[8192];
	size_t	 n, fl;
	int	 code;

	while (qlen > 0) {
		struct slot *s = &q[qhead];

		if (s->kind == S_LOCAL) {
			if (put(&toc, s->text, strlen(s->text)) == -1)
				return;
		} else {
			if ((n = smtp_reply_end(bin.d, bin.len, &code)) == 0)
				return;
			if (sizeof(toc.d) - toc.len < n + 64)
				return;
			if (s->kind == S_EHLO && code == 250 && gated &&
			    (fl = smtp_ehlo_filter(bin.d, n, have_cert &&
			    !in_tls, filtered, sizeof(filtered))) > 0)
				put(&toc, filtered, fl);
			else
				put(&toc, bin.d, n);
			take(&bin, n);
			if (s->kind == S_DATA)
				mode = code == 354 ? BODY : CMD;
			if (s->kind == S_DATA && code == 354)
				bodystate = 1;
			if (s->kind == S_AUTH) {
				if (code == 334)
					mode = AUTH_CONT;
				else if (code == 235) {
					authed = 1;
					relay = 1;	/* from here on, bytes */
					mode = CMD;
				} else
					mode = CMD;
			}
		}
		qhead = (qhead + 1) % SLOTS;
		qlen--;
		if (s->kind == S_LOCAL && s->starttls)
			return;	/* the handshake comes next */
	}
	/* anything the backend says unasked (a 421, say) goes through */
	if (qlen == 0 && bin.len > 0 && (relay || mode == CMD)) {
		n = sizeof(toc.d) - toc.len;
		if (n > bin.len)
			n = bin.len;
		put(&toc, bin.d, n);
		take(&bin, n);
	}
}

static void
nonblock(int fd)
{
	int	fl = fcntl(fd, F_GETFL);

	if (fl != -1)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Handshake on fds 0 and 1, within the idle timeout. */
static int
handshake(unsigned int timeout)
{
	struct pollfd	p[2];
	time_t		start = time(NULL);
	int		rc;

	if (tls_accept_fds(tlsctx, &cctx, 0, 1) == -1) {
		log_line("tls: %s", tls_error(tlsctx));
		return -1;
	}
	while ((rc = tls_handshake(cctx)) != 0) {
		if (rc != TLS_WANT_POLLIN && rc != TLS_WANT_POLLOUT) {
			log_line("tls handshake: %s", tls_error(cctx));
			return -1;
		}
		if (time(NULL) - start > (time_t)timeout)
			return -1;
		p[0] = (struct pollfd){ 0, rc == TLS_WANT_POLLIN ? POLLIN : 0,
		    0 };
		p[1] = (struct pollfd){ 1, rc == TLS_WANT_POLLOUT ? POLLOUT :
		    0, 0 };
		if (poll(p, 2, 1000) == -1 && errno != EINTR)
			return -1;
	}
	in_tls = 1;
	return 0;
}

static ssize_t
client_read(char *d, size_t n, int *want)
{
	ssize_t	r;

	*want = POLLIN;
	if (!in_tls) {
		r = read(0, d, n);
		return (r == -1 && (errno == EAGAIN || errno == EINTR)) ? -2 :
		    r;
	}
	r = tls_read(cctx, d, n);
	if (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT) {
		*want = r == TLS_WANT_POLLIN ? POLLIN : POLLOUT;
		return -2;
	}
	return r;
}

static ssize_t
client_write(const char *d, size_t n, int *want)
{
	ssize_t	w;

	*want = POLLOUT;
	if (!in_tls) {
		w = write(1, d, n);
		return (w == -1 && (errno == EAGAIN || errno == EINTR)) ? -2 :
		    w;
	}
	w = tls_write(cctx, d, n);
	if (w == TLS_WANT_POLLIN || w == TLS_WANT_POLLOUT) {
		*want = w == TLS_WANT_POLLIN ? POLLIN : POLLOUT;
		return -2;
	}
	return w;
}

static void
tls_setup(const char *cert, const char *key)
{
	struct tls_config	*cfg;

	if (tls_init() == -1 || (cfg = tls_config_new()) == NULL)
		log_fatal(111, "fatal: tls: unable to initialise");
	if (tls_config_set_cert_file(cfg, cert) == -1)
		log_fatal(111, "fatal: tls: %s: %s", cert,
		    tls_config_error(cfg));
	if (tls_config_set_key_file(cfg, key) == -1)
		log_fatal(111, "fatal: tls: %s: %s", key, tls_config_error(cfg));
	if ((tlsctx = tls_server()) == NULL || tls_configure(tlsctx, cfg) == -1)
		log_fatal(111, "fatal: tls: %s", tlsctx ? tls_error(tlsctx) :
		    "no server context");
	tls_config_free(cfg);
	have_cert = 1;
}

int
main(int argc, char *argv[])
{
	const char	*cert = NULL, *key = NULL, *listed, *code;
	const char	*ip = getenv("TCPREMOTEIP");
	char		 clean[DNSBL_TEXTMAX + 1];
	unsigned int	 timeout = 1200;
	int		 ch, always = 0, implicit = 0, status = 0;
	int		 tb[2], fb[2], client_eof = 0, backend_eof = 0;
	int		 client_gone = 0;
	int		 rwant = POLLIN, wwant = POLLOUT, tobclosed = 0;
	int		 tls_more = 0;
	time_t		 idle;
	pid_t		 pid;

	log_init("authfirst", LOG_TO_AUTO);
	while ((ch = getopt(argc, argv, "+c:hk:l:m:st:")) != -1) {
		switch (ch) {
		case 'c':
			cert = optarg;
			break;
		case 'h':
			puts(USAGE);
			return 0;
		case 'k':
			key = optarg;
			break;
		case 'l':
			log_option("authfirst", optarg);
			break;
		case 'm':
			if (strcmp(optarg, "always") == 0)
				always = 1;
			else if (strcmp(optarg, "listed") != 0)
				log_fatal(100, "fatal: -m %s: want listed or "
				    "always", optarg);
			break;
		case 's':
			implicit = 1;
			break;
		case 't':
			timeout = (unsigned int)log_number("-t", optarg, 1,
			    86400);
			break;
		default:
			log_fatal(100, "%s", USAGE);
		}
	}
	argv += optind;
	if (argv[0] == NULL || (cert == NULL) != (key == NULL) ||
	    (implicit && cert == NULL))
		log_fatal(100, "%s", USAGE);

	/* A relay client, or a client no list named: nothing to do. */
	if ((listed = getenv("RBLLISTED")) != NULL && *listed == '\0')
		listed = NULL;
	gated = getenv("RELAYCLIENT") == NULL && (always || listed != NULL);
	if (!gated && !implicit)
		log_exec(argv);
	relay = !gated;
	if (always && listed == NULL)
		strlcpy(refusal, "530 5.7.0 Authentication required\r\n",
		    sizeof(refusal));
	else {
		code = getenv("RBLLISTED_CODE");
		dnsbl_sanitise(clean, sizeof(clean), listed ? listed : "",
		    listed ? strlen(listed) : 0);
		snprintf(refusal, sizeof(refusal), "%s %s; authenticate "
		    "first\r\n", code && strcmp(code, "451") == 0 ?
		    "451 4.7.1" : "553 5.7.1", clean);
	}
	if (cert != NULL)
		tls_setup(cert, key);

	signal(SIGPIPE, SIG_IGN);
	nonblock(0);
	nonblock(1);
	/* port 465: no TLS, no session; the backend never starts */
	if (implicit && handshake(timeout) == -1) {
		log_line("%s: %s%s%s, auth none, 0 MAIL refused, 0 bytes in, "
		    "0 out, tls handshake failed", ip ? ip : "unknown",
		    gated ? "gated" : "tls only", listed ? ": " : "",
		    listed ? clean : (gated ? " (always)" : ""));
		return 0;
	}
	if (pipe(tb) == -1 || pipe(fb) == -1)
		log_fatal(111, "fatal: unable to make pipes: %s",
		    strerror(errno));
	if ((pid = fork()) == -1)
		log_fatal(111, "fatal: unable to fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(tb[0], 0);
		dup2(fb[1], 1);
		close(tb[0]);
		close(tb[1]);
		close(fb[0]);
		close(fb[1]);
		execvp(argv[0], argv);
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(tb[0]);
	close(fb[1]);
	nonblock(tb[1]);
	nonblock(fb[0]);
	push(S_REPLY, NULL, 0);		/* the backend's greeting */

	idle = time(NULL);
	for (;;) {
		struct pollfd	p[4];
		int		np = 0, ic = -1, oc = -1, ib = -1, ob = -1, wait;
		ssize_t		r;

		parse();
		replies();
		parse();	/* a 235 just now: what waited goes on as bytes */
		if (want_handshake && qlen == 0 && toc.len == 0) {
			want_handshake = 0;
			if (handshake(timeout) == -1) {
				ending = "tls handshake failed";
				client_gone = 1;
				break;
			}
			replies();
		}
		/* at the client's EOF, half a command line is dropped */
		if (client_eof && !relay && cin.len > 0 && (mode == CMD ||
		    mode == AUTH_CONT) && memchr(cin.d, '\n', cin.len) == NULL)
			cin.len = 0;
		if (client_eof && !tobclosed && tob.len == 0 && cin.len == 0) {
			close(tb[1]);	/* the backend reads EOF and ends */
			tobclosed = 1;
		}
		/* a client that only half-closed still reads the replies */
		if (backend_eof && toc.len == 0 && (bin.len == 0 || qlen == 0))
			break;
		if (client_gone)
			break;

		/* in relay mode, straight to the backend once cin is drained */
		if (!client_eof && !want_handshake && (relay ? cin.len == 0 &&
		    tob.len < sizeof(tob.d) : cin.len < sizeof(cin.d))) {
			p[np] = (struct pollfd){ rwant == POLLOUT ? 1 : 0,
			    (short)rwant, 0 };
			ic = np++;
		}
		if (toc.len > 0) {
			p[np] = (struct pollfd){ wwant == POLLIN ? 0 : 1,
			    (short)wwant, 0 };
			oc = np++;
		}
		if (tob.len > 0 && !tobclosed) {
			p[np] = (struct pollfd){ tb[1], POLLOUT, 0 };
			ob = np++;
		}
		if (!backend_eof && bin.len < sizeof(bin.d) &&
		    (relay || toc.len < sizeof(toc.d) / 2)) {
			p[np] = (struct pollfd){ fb[0], POLLIN, 0 };
			ib = np++;
		}
		wait = (int)(idle + (time_t)timeout - time(NULL));
		if (wait <= 0) {
			if (!relay && !in_tls)
				(void)!write(1, "421 4.4.2 Idle timeout\r\n",
				    24);
			ending = "timeout";
			break;
		}
		/* libtls may hold decrypted bytes the socket no longer shows */
		if (poll(p, (nfds_t)np, tls_more ? 0 : wait * 1000) == -1) {
			if (errno == EINTR)
				continue;
			log_fatal(111, "fatal: poll: %s", strerror(errno));
		}
		tls_more = 0;
		if (ic >= 0 && (p[ic].revents || in_tls)) {
			struct buf *b = relay && cin.len == 0 ? &tob : &cin;
			size_t want = sizeof(b->d) - b->len;

			r = client_read(b->d + b->len, want, &rwant);
			tls_more = in_tls && r > 0 && (size_t)r == want;
			if (r > 0) {
				b->len += (size_t)r;
				bytes_in += (unsigned long long)r;
				idle = time(NULL);
			} else if (r == 0 || r == -1) {
				client_eof = 1;
			}
		}
		if (oc >= 0 && p[oc].revents) {
			r = client_write(toc.d, toc.len, &wwant);
			if (r > 0) {
				bytes_out += (unsigned long long)r;
				take(&toc, (size_t)r);
			} else if (r == -1 || r == 0) {
				client_eof = client_gone = 1;
				toc.len = 0;
			}
		}
		if (ob >= 0 && p[ob].revents) {
			r = write(tb[1], tob.d, tob.len);
			if (r > 0)
				take(&tob, (size_t)r);
			else if (r == -1 && errno != EAGAIN && errno != EINTR) {
				tob.len = 0;	/* the backend is gone */
				backend_eof = 1;
			}
		}
		if (ib >= 0 && p[ib].revents) {
			r = read(fb[0], bin.d + bin.len, sizeof(bin.d) -
			    bin.len);
			if (r > 0)
				bin.len += (size_t)r;
			else if (r == 0 || (r == -1 && errno != EAGAIN &&
			    errno != EINTR)) {
				backend_eof = 1;
				if (strcmp(ending, "quit") != 0)
					ending = "backend exited";
				/* what is left is passed on as it is */
				qlen = 0;
				if (put(&toc, bin.d, bin.len) == 0)
					bin.len = 0;
			}
		}
	}
	if (in_tls) {
		tls_close(cctx);
		tls_free(cctx);
	}
	if (!tobclosed)
		close(tb[1]);
	close(fb[0]);
	/* no orphans: a backend still running after its input ended goes */
	for (ch = 0; ch < 50 && waitpid(pid, &status, WNOHANG) == 0; ch++) {
		struct timespec ts = { 0, 20000000 };

		if (ch == 25)
			kill(pid, SIGTERM);
		nanosleep(&ts, NULL);
	}
	if (ch == 50) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	log_line("%s: %s%s%s, auth %s, %lu MAIL refused, %llu bytes in, %llu "
	    "out, %s", ip ? ip : "unknown", gated ? "gated" : "tls only",
	    listed ? ": " : "", listed ? clean : (gated ? " (always)" : ""),
	    authed ? user : (user_known ? "failed" : "none"), refused,
	    bytes_in, bytes_out, ending);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 111;
}
