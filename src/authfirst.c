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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include "lib/dnsbl.h"
#include "lib/log.h"
#include "lib/stage.h"
#include "lib/session.h"

#define USAGE "usage: authfirst [-m listed|always] [-c cert -k key] [-s] " \
    "[-t seconds] [-u user] [-r dir] [-l syslog|stderr] prog [args ...]"

#define DROP_USER	"nobody"
#define PUMP_PIPESZ	(256 * 1024)
#define PUMP_MAX	(1024 * 1024)	/* bytes a splice may move */

/*
 * Once a session only copies and no TLS is in the way, bytes go socket to
 * pipe and pipe to socket with splice(2): nothing through our memory, no
 * partial writes to shuffle, a wakeup per pipe-full.  full: the last
 * splice found no room on the far side, so wait for that, not for input.
 */
struct pump {
	int	full;
};

/* One splice; what happened, for the loop to act on. */
enum pumped { P_MOVED, P_EOF, P_FULL, P_UNSUPPORTED, P_ERROR };

static enum pumped
pump(int from, int to, unsigned long long *count)
{
	ssize_t	r = splice(from, NULL, to, NULL, PUMP_MAX,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

	if (r > 0) {
		*count += (unsigned long long)r;
		return P_MOVED;
	}
	if (r == 0)
		return P_EOF;
	if (errno == EAGAIN || errno == EINTR)
		return P_FULL;
	if (errno == EINVAL || errno == ENOSYS)
		return P_UNSUPPORTED;
	return P_ERROR;
}

static struct session	 S;
static struct tls	*tlsctx, *cctx;
static int		 have_cert;

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
	S.in_tls = 1;
	return 0;
}

static ssize_t
client_read(char *d, size_t n, int *want)
{
	ssize_t	r;

	*want = POLLIN;
	if (!S.in_tls) {
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
	if (!S.in_tls) {
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
		log_fatal(111, "tls: unable to initialise");
	if (tls_config_set_cert_file(cfg, cert) == -1)
		log_fatal(111, "tls: %s: %s", cert,
		    tls_config_error(cfg));
	if (tls_config_set_key_file(cfg, key) == -1)
		log_fatal(111, "tls: %s: %s", key, tls_config_error(cfg));
	if ((tlsctx = tls_server()) == NULL || tls_configure(tlsctx, cfg) == -1)
		log_fatal(111, "tls: %s", tlsctx ? tls_error(tlsctx) :
		    "no server context");
	tls_config_free(cfg);
	have_cert = 1;
}

/*
 * The backend, started before authfirst gives up root (qmail-smtpd and its
 * checkers need what they were started with) and run only when the session
 * goes on: a launcher waits on go[0] for one byte, then execs it; EOF there
 * and it ends without running anything.  An exec that fails writes its
 * errno to err[1] (closed on exec, so an exec that succeeds writes nothing).
 */
struct backend {
	pid_t	pid;
	int	to, from;	/* its fd 0 and fd 1, our ends */
	int	go, err;	/* our ends of the two control pipes */
};

static void
backend_prepare(struct backend *b, char **argv)
{
	int	tb[2], fb[2], go[2], er[2], e;

	if (pipe(tb) == -1 || pipe(fb) == -1 || pipe(go) == -1 ||
	    pipe2(er, O_CLOEXEC) == -1)
		log_fatalsys(111, "unable to make pipes");
	if ((b->pid = fork()) == -1)
		log_fatalsys(111, "unable to fork");
	if (b->pid == 0) {
		char	c;

		close(go[1]);
		close(er[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(0);
		close(go[0]);
		dup2(tb[0], 0);
		dup2(fb[1], 1);
		close(tb[0]);
		close(tb[1]);
		close(fb[0]);
		close(fb[1]);
		execvp(argv[0], argv);
		e = errno;
		(void)!write(er[1], &e, sizeof(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	close(tb[0]);
	close(fb[1]);
	close(go[0]);
	close(er[1]);
	/* room for a run of a message between wakeups; while root, whose
	 * pipes no per-user quota shrinks (failure only costs speed) */
	(void)fcntl(tb[1], F_SETPIPE_SZ, PUMP_PIPESZ);
	(void)fcntl(fb[0], F_SETPIPE_SZ, PUMP_PIPESZ);
	b->to = tb[1];
	b->from = fb[0];
	b->go = go[1];
	b->err = er[0];
}

/* Run the backend; -1 (errno set to exec's) when it could not be run. */
static int
backend_start(struct backend *b)
{
	int	e;
	ssize_t	r;

	if (write(b->go, "g", 1) != 1)
		return -1;
	close(b->go);
	while ((r = read(b->err, &e, sizeof(e))) == -1 && errno == EINTR)
		;
	close(b->err);
	if (r == (ssize_t)sizeof(e)) {
		errno = e;
		return -1;
	}
	return 0;
}

static int	chrooted;

#ifdef __SANITIZE_ADDRESS__
/*
 * LeakSanitizer reads /proc when the process exits, which the chroot
 * hides, and fails the exit; a chrooted authfirst's leaks are checked by
 * the valgrind test of the plain build instead.
 */
int	__lsan_is_turned_off(void);
int
__lsan_is_turned_off(void)
{
	return chrooted;
}
#endif

/*
 * Give up root before the first byte from the client: the session's
 * parser and TLS then run as an unprivileged user, in an empty root that
 * nothing can be created in.  The root is a directory made for the purpose
 * and removed while we stand in it, unless -r names one.
 */
static void
drop(const char *user, const char *dir)
{
	struct passwd	*pw;
	FILE		*f;
	char		 tmp[] = "/tmp/authfirst.XXXXXX";

	if (geteuid() != 0)
		return;
	/* /etc/passwd itself: a static binary must not load NSS modules */
	if ((f = fopen("/etc/passwd", "re")) == NULL)
		log_fatalsys(111, "unable to read /etc/passwd");
	while ((pw = fgetpwent(f)) != NULL && strcmp(pw->pw_name, user) != 0)
		;
	fclose(f);
	if (pw == NULL || pw->pw_uid == 0)
		log_fatal(111, "-u %s: %s", user, pw ? "is root" :
		    "no such user");
	log_connect();		/* /dev/log is not there after chroot */
	if (dir == NULL) {
		if (mkdtemp(tmp) == NULL || chdir(tmp) == -1 ||
		    rmdir(tmp) == -1)
			log_fatalsys(111, "unable to make an empty root");
		dir = ".";
	} else if (chdir(dir) == -1)
		log_fatalsys(111, "-r %s", dir);
	if (chroot(".") == -1 || chdir("/") == -1)
		log_fatalsys(111, "chroot");
	chrooted = 1;
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1)
		log_fatalsys(111, "unable to become %s", user);
	if (setuid(0) != -1)
		log_fatal(111, "still able to become root");
}

/*
 * Reap the backend: its input is closed, so it ends; wait for that, not
 * for a timer (a pidfd says when), and end it if it will not: TERM after
 * half a second, KILL after another.
 */
static int
reap(pid_t pid)
{
	struct pollfd	p;
	int		status = 0, fd, i;

	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (i = 0; i < 3; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (i == 1)
			kill(pid, SIGTERM);
		if (i == 2) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		if (fd != -1) {
			p = (struct pollfd){ fd, POLLIN, 0 };
			while (poll(&p, 1, 500) == -1 && errno == EINTR)
				;
		} else {
			struct timespec ts = { 0, 500000000 };

			nanosleep(&ts, NULL);	/* no pidfd: old kernel */
		}
	}
	if (fd != -1)
		close(fd);
	return status;
}

/*
 * The session, until one side is done: the client on fds 0 and 1 (through
 * libtls once it is on), the backend on its pipes.  Each turn lets the
 * session handle what it can, then waits for what it needs next.
 */
static void
relay(struct backend *be, unsigned int timeout, unsigned long long *in,
    unsigned long long *out)
{
	int		 client_eof = 0, backend_eof = 0, client_gone = 0;
	int		 rwant = POLLIN, wwant = POLLOUT, tobclosed = 0;
	int		 tls_more = 0, nosplice = 0;
	struct pump	 c2b = { 0 }, b2c = { 0 };
	time_t		 idle;

	idle = time(NULL);
	for (;;) {
		struct pollfd	p[6];
		int		np = 0, ic = -1, oc = -1, ib = -1, ob = -1, wait;
		int		pc = -1, pb = -1, sc, sb;
		ssize_t		r;

		if (session_step(&S) == -1)
			log_fatal(111, "more than %d replies outstanding",
			    SESSION_SLOTS);
		if (S.want_handshake && S.qlen == 0 && S.to_client.len == 0) {
			S.want_handshake = 0;
			if (handshake(timeout) == -1) {
				S.ending = "tls handshake failed";
				break;
			}
			session_step(&S);
		}
		if (client_eof)
			session_client_eof(&S);
		if (client_eof && !tobclosed && S.to_backend.len == 0 &&
		    S.from_client.len == 0) {
			close(be->to);	/* the backend reads EOF and ends */
			tobclosed = 1;
		}
		/* a client that only half-closed still reads the replies */
		if (backend_eof && S.to_client.len == 0 &&
		    (S.from_backend.len == 0 || S.qlen == 0))
			break;
		if (client_gone)
			break;

		/* only copying, nothing buffered that must go first: splice */
		sc = S.relay && !S.in_tls && !nosplice && !client_eof &&
		    !tobclosed && S.from_client.len == 0 &&
		    S.to_backend.len == 0;
		sb = S.relay && !S.in_tls && !nosplice && !backend_eof &&
		    !client_gone && S.qlen == 0 && S.from_backend.len == 0 &&
		    S.to_client.len == 0;
		if (sc) {
			p[np] = c2b.full ? (struct pollfd){ be->to, POLLOUT, 0 } :
			    (struct pollfd){ 0, POLLIN, 0 };
			pc = np++;
		}
		if (sb) {
			p[np] = b2c.full ? (struct pollfd){ 1, POLLOUT, 0 } :
			    (struct pollfd){ be->from, POLLIN, 0 };
			pb = np++;
		}
		/* in relay mode, straight to the backend once drained */
		if (!sc && !client_eof && !S.want_handshake && (S.relay ?
		    S.from_client.len == 0 && S.to_backend.len <
		    sizeof(S.to_backend.d) : S.from_client.len <
		    sizeof(S.from_client.d))) {
			p[np] = (struct pollfd){ rwant == POLLOUT ? 1 : 0,
			    (short)rwant, 0 };
			ic = np++;
		}
		if (S.to_client.len > 0) {
			p[np] = (struct pollfd){ wwant == POLLIN ? 0 : 1,
			    (short)wwant, 0 };
			oc = np++;
		}
		if (S.to_backend.len > 0 && !tobclosed) {
			p[np] = (struct pollfd){ be->to, POLLOUT, 0 };
			ob = np++;
		}
		if (!sb && !backend_eof && S.from_backend.len <
		    sizeof(S.from_backend.d) && (S.relay ||
		    S.to_client.len < sizeof(S.to_client.d) / 2)) {
			p[np] = (struct pollfd){ be->from, POLLIN, 0 };
			ib = np++;
		}
		wait = (int)(idle + (time_t)timeout - time(NULL));
		if (wait <= 0) {
			if (!S.relay && !S.in_tls)
				(void)!write(1, "421 4.4.2 Idle timeout\r\n",
				    24);
			S.ending = "timeout";
			break;
		}
		/* libtls may hold decrypted bytes the socket no longer shows */
		if (poll(p, (nfds_t)np, tls_more ? 0 : wait * 1000) == -1) {
			if (errno == EINTR)
				continue;
			log_fatalsys(111, "poll");
		}
		tls_more = 0;
		if (pc >= 0 && p[pc].revents && c2b.full)
			c2b.full = 0;
		else if (pc >= 0 && p[pc].revents) {
			switch (pump(0, be->to, in)) {
			case P_MOVED:
				idle = time(NULL);
				break;
			case P_EOF:
				client_eof = 1;
				break;
			case P_FULL:
				c2b.full = 1;
				break;
			case P_UNSUPPORTED:
				nosplice = 1;
				break;
			case P_ERROR:	/* EPIPE: the backend is gone */
				if (errno == EPIPE)
					backend_eof = 1;
				else
					client_eof = 1;
				break;
			}
		}
		if (pb >= 0 && p[pb].revents && b2c.full)
			b2c.full = 0;
		else if (pb >= 0 && p[pb].revents) {
			switch (pump(be->from, 1, out)) {
			case P_MOVED:
				break;
			case P_EOF:
				backend_eof = 1;
				session_backend_eof(&S);
				break;
			case P_FULL:
				b2c.full = 1;
				break;
			case P_UNSUPPORTED:
				nosplice = 1;
				break;
			case P_ERROR:	/* the client is gone */
				client_eof = client_gone = 1;
				break;
			}
		}
		if (ic >= 0 && (p[ic].revents || S.in_tls)) {
			struct sbuf *b = S.relay && S.from_client.len == 0 ?
			    &S.to_backend : &S.from_client;
			size_t want = sizeof(b->d) - b->len;

			r = client_read(b->d + b->len, want, &rwant);
			tls_more = S.in_tls && r > 0 && (size_t)r == want;
			if (r > 0) {
				b->len += (size_t)r;
				*in += (unsigned long long)r;
				idle = time(NULL);
			} else if (r == 0 || r == -1)
				client_eof = 1;
		}
		if (oc >= 0 && p[oc].revents) {
			r = client_write(S.to_client.d, S.to_client.len,
			    &wwant);
			if (r > 0) {
				*out += (unsigned long long)r;
				session_take(&S.to_client, (size_t)r);
			} else if (r == -1 || r == 0) {
				client_eof = client_gone = 1;
				S.to_client.len = 0;
			}
		}
		if (ob >= 0 && p[ob].revents) {
			r = write(be->to, S.to_backend.d, S.to_backend.len);
			if (r > 0)
				session_take(&S.to_backend, (size_t)r);
			else if (r == -1 && errno != EAGAIN && errno != EINTR) {
				S.to_backend.len = 0;	/* the backend is gone */
				backend_eof = 1;
			}
		}
		if (ib >= 0 && p[ib].revents) {
			r = read(be->from, S.from_backend.d + S.from_backend.len,
			    sizeof(S.from_backend.d) - S.from_backend.len);
			if (r > 0)
				S.from_backend.len += (size_t)r;
			else if (r == 0 || (r == -1 && errno != EAGAIN &&
			    errno != EINTR)) {
				backend_eof = 1;
				session_backend_eof(&S);
			}
		}
	}
	if (S.in_tls) {
		tls_close(cctx);
		tls_free(cctx);
	}
	if (!tobclosed)
		close(be->to);
	close(be->from);
}

/*
 * The reply to MAIL before AUTH: the listing's text, sanitised into clean
 * (451 for a temporary listing, else 553), or 530 when no list named the
 * client (-m always).
 */
static void
refusal_text(const char *listed, char *clean, char *refusal, size_t n)
{
	const char	*code = getenv("RBLLISTED_CODE");

	clean[0] = '\0';
	if (listed == NULL) {
		strlcpy(refusal, "530 5.7.0 Authentication required\r\n", n);
		return;
	}
	dnsbl_sanitise(clean, DNSBL_TEXTMAX + 1, listed, strlen(listed));
	snprintf(refusal, n, "%s %s; authenticate first\r\n",
	    code && strcmp(code, "451") == 0 ? "451 4.7.1" : "553 5.7.1",
	    clean);
}

int
main(int argc, char *argv[])
{
	const char	*cert = NULL, *key = NULL, *listed;
	const char	*ip = getenv("TCPREMOTEIP"), *user = DROP_USER;
	const char	*rootdir = NULL;
	char		 clean[DNSBL_TEXTMAX + 1], refusal[DNSBL_TEXTMAX + 64];
	char		 line[LOG_LINEMAX];
	unsigned int	 timeout = 1200;
	unsigned long long bytes_in = 0, bytes_out = 0;
	int		 ch, always = 0, implicit = 0, status, gated;
	struct backend	 be;

	log_init("authfirst", LOG_TO_AUTO);
	while ((ch = getopt(argc, argv, "+c:hk:l:m:r:st:u:")) != -1) {
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
			stage_logopt("authfirst", optarg);
			break;
		case 'm':
			if (strcmp(optarg, "always") == 0)
				always = 1;
			else if (strcmp(optarg, "listed") != 0)
				log_fatal(100, "-m %s: want listed or "
				    "always", optarg);
			break;
		case 'r':
			rootdir = optarg;
			break;
		case 's':
			implicit = 1;
			break;
		case 't':
			timeout = (unsigned int)stage_number("-t", optarg, 1,
			    86400);
			break;
		case 'u':
			user = optarg;
			break;
		default:
			stage_usage(USAGE);
		}
	}
	argv += optind;
	if (argv[0] == NULL || (cert == NULL) != (key == NULL) ||
	    (implicit && cert == NULL))
		stage_usage(USAGE);

	/* A relay client, or a client no list named: nothing to do. */
	if ((listed = getenv("RBLLISTED")) != NULL && *listed == '\0')
		listed = NULL;
	gated = getenv("RELAYCLIENT") == NULL && (always || listed != NULL);
	if (!gated && !implicit)
		stage_exec(argv);
	refusal_text(listed, clean, refusal, sizeof(refusal));
	if (cert != NULL)
		tls_setup(cert, key);
	session_init(&S, gated, have_cert, refusal);

	signal(SIGPIPE, SIG_IGN);
	backend_prepare(&be, argv);
	drop(user, rootdir);
	nonblock(0);
	nonblock(1);
	/* port 465: no TLS, no session; the backend never runs */
	if (implicit && handshake(timeout) == -1) {
		S.ending = "tls handshake failed";
		close(be.go);
		close(be.err);
		close(be.to);
		close(be.from);
		reap(be.pid);
		session_summary(&S, ip, listed ? clean : NULL, 0, 0, line,
		    sizeof(line));
		log_line("%s", line);
		return 0;
	}
	if (backend_start(&be) == -1) {
		ch = errno;
		reap(be.pid);
		log_fatal(ch == ENOENT ? 127 : 126, "unable to run %s: "
		    "%s", argv[0], strerror(ch));
	}
	nonblock(be.to);
	nonblock(be.from);

	relay(&be, timeout, &bytes_in, &bytes_out);
	status = reap(be.pid);
	session_summary(&S, ip, listed ? clean : NULL, bytes_in, bytes_out,
	    line, sizeof(line));
	log_line("%s", line);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 111;
}
