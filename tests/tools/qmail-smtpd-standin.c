/*
 * qmail-smtpd-standin: a TEST STAND-IN for qmail-smtpd, which Debian does
 * not package.  It speaks enough ESMTP for the end-to-end tests and keeps
 * the semantics of netqmail's qmail-smtpd with Erwin Hoffmann's AUTH
 * patch where the toolkit depends on them:
 *
 *   qmail-smtpd-standin [checkprogram subprogram ...]
 *
 *   as that patch takes it: everything after the program's name is the
 *   checkpassword command line (no host name; the greeting's name comes
 *   from $STANDIN_CONTROL/me, as qmail's from control/me).
 * - RELAYCLIENT set (even empty): any recipient; otherwise the recipient's
 *   domain must be in $STANDIN_CONTROL/rcpthosts (553 as qmail says).
 * - SMTPAUTH chooses the mechanisms as in the patch: "" LOGIN and PLAIN,
 *   "cram" CRAM-MD5 only, "+cram" all three, "-" or "0" none, a leading
 *   "!" makes AUTH required before MAIL (530).  Unset, the stand-in acts
 *   as "+cram" when it has a checkprogram.
 * - On fd 3 the checkprogram gets user\0password\0 for LOGIN and PLAIN,
 *   user\0digest\0challenge\0 for CRAM-MD5, and when CRAM-MD5 is on an
 *   empty third part (\0) after LOGIN's and PLAIN's password.  Exit 0 is
 *   235 and sets TCPREMOTEINFO and RELAYCLIENT; any other exit is 535
 *   after $STANDIN_AUTHSLEEP seconds (the patch's 5 by default); a checker
 *   killed by a signal, or no fork or pipe, is 454.
 * - Accepted messages go to $STANDIN_QUEUE.  When it is a qmail queue
 *   (it has mess/), in qmail's own format, as qmail-queue and qmail-send
 *   would leave them (recipients in rcpthosts local, others remote);
 *   otherwise one file each: "F" sender, "T" recipient lines, a blank
 *   line, then the message with qmail's Received lines on top.
 * - QMAILQUEUE set: as netqmail's and notqmail's qmail.c, the message
 *   goes to that program instead: forked at DATA before 354, the message
 *   (qmail-smtpd's Received line, then the body) on its fd 0, then the
 *   envelope on its fd 1 ("F" sender \0, "T" recipient \0 each, \0);
 *   its exit code becomes the reply qmail_close() gives (0: 250 ok with
 *   its pid as qp; 71: 451 mail server temporarily rejected message; 31:
 *   554 ...).  The queue program writes its own "(qmail N invoked ...)"
 *   line, as qmail-queue does.
 * - $STANDIN_STARTTLS set: EHLO offers STARTTLS (as a TLS-patched qmail
 *   does), which the stand-in then answers 454: it has no TLS.
 * - $STANDIN_PARENT names a file to which the stand-in appends its pid
 *   and its parent's command name, so a test can tell who started it.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <resolv.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LINEMAX	4096
/* qmail-smtpd reads a command into a stralloc, any length: so does the
 * stand-in, up to 1 MB (a HELO as long as a client cares to send) */
#define CMDMAX	(1 << 20)

#include "qwrite.h"
#include "qqopen.h"

static const char	*hostname = "standin.example";
static char	       **checkargs;	/* checkprogram subprogram ... */
static char		 helo[CMDMAX];
static char		 sender[512];
static char		 user[256];
static char		*rcpts;
static size_t		 rcptslen;
static int		 nrcpt, seenmail, authed, relay;
static int		 authlogin, authcram, authrequired;
static unsigned int	 seq;

static void
out(const char *s)
{
	size_t	len = strlen(s);

	if (write(1, s, len) != (ssize_t)len)
		_exit(1);
}

static void
outf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
outf(const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out(buf);
}

/* One line without CRLF; -1 at EOF, -2 when too long (rest consumed). */
static int
getline_smtp(char *buf, size_t n)
{
	size_t	i = 0;
	int	c, toolong = 0;

	while ((c = getchar()) != EOF) {
		if (c == '\n') {
			if (i > 0 && buf[i - 1] == '\r')
				i--;
			buf[i] = '\0';
			return toolong ? -2 : (int)i;
		}
		if (i + 1 < n)
			buf[i++] = (char)c;
		else
			toolong = 1;
	}
	return -1;
}

static const char *
arg(const char *line, const char *verb)
{
	size_t	n = strlen(verb);

	if (strncasecmp(line, verb, n) != 0)
		return NULL;
	return line + n;
}

/* <addr> after "FROM:" or "TO:", qmail-style lenient */
static void
addrparse(const char *s, char *buf, size_t n)
{
	const char	*lt = strchr(s, '<'), *gt;
	size_t		 len;

	while (*s == ' ')
		s++;
	if (lt && (gt = strchr(lt, '>')) != NULL) {
		s = lt + 1;
		len = (size_t)(gt - s);
	} else
		len = strcspn(s, " ");
	if (len >= n)
		len = n - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
}

static int
rcpthosts_ok(const char *addr)
{
	const char	*dir = getenv("STANDIN_CONTROL"), *dom;
	char		 path[1024], line[512];
	FILE		*f;
	int		 ok = 0;
	size_t		 dl, ll;

	if ((dom = strrchr(addr, '@')) == NULL)
		return 1;	/* qmail: no domain, no relaying question */
	dom++;
	snprintf(path, sizeof(path), "%s/rcpthosts",
	    dir ? dir : "/var/qmail/control");
	if ((f = fopen(path, "r")) == NULL)
		return 1;	/* qmail: no rcpthosts, accept everything */
	dl = strlen(dom);
	while (!ok && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		ll = strlen(line);
		if (ll == 0 || line[0] == '#')
			continue;
		if (strcasecmp(line, dom) == 0)
			ok = 1;
		else if (line[0] == '.' && dl > ll &&
		    strcasecmp(dom + dl - ll, line) == 0)
			ok = 1;
	}
	fclose(f);
	return ok;
}

/*
 * Run the checkpassword program with the data on fd 3: its exit code, or
 * -1 (pipe), -2 (fork), -3 (killed by a signal), as the patch tells them.
 */
static int
checkpassword(const char *data, size_t len)
{
	int	pi[2], status;
	pid_t	pid;

	if (pipe(pi) == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -2;
	if (pid == 0) {
		close(pi[1]);
		if (pi[0] != 3) {
			dup2(pi[0], 3);
			close(pi[0]);
		}
		execvp(checkargs[0], checkargs);
		_exit(1);
	}
	close(pi[0]);
	signal(SIGPIPE, SIG_IGN);
	/* the checker may exit without reading: a short write is its answer */
	(void)!write(pi[1], data, len);
	close(pi[1]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -3;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -3;
}

static void
auth_result(const char *u, const char *a, size_t alen, const char *b,
    size_t blen)
{
	char	data[1100];
	size_t	ul = strlen(u), n = 0;
	int	rc;

	const char	*zz;

	if (ul == 0 || alen == 0 || ul + alen + blen + 3 > sizeof(data)) {
		out("501 malformed auth input (#5.5.4)\r\n");
		return;
	}
	memcpy(data, u, ul + 1);
	n = ul + 1;
	memcpy(data + n, a, alen);
	n += alen;
	data[n++] = '\0';
	if (authcram) {		/* the challenge, empty but for CRAM-MD5 */
		memcpy(data + n, b, blen);
		n += blen;
		data[n++] = '\0';
	}
	rc = checkpassword(data, n);
	if (rc == 0) {
		authed = 1;
		relay = 1;
		strlcpy(user, u, sizeof(user));
		setenv("TCPREMOTEINFO", u, 1);
		setenv("RELAYCLIENT", "", 1);
		out("235 ok, go ahead (#2.0.0)\r\n");
	} else if (rc == -1)
		out("454 oops, unable to open pipe and I can't auth "
		    "(#4.3.0)\r\n");
	else if (rc == -2)
		out("454 oops, child won't start and I can't auth "
		    "(#4.3.0)\r\n");
	else if (rc == -3)
		out("454 oops, problem with child and I can't auth "
		    "(#4.3.0)\r\n");
	else {
		zz = getenv("STANDIN_AUTHSLEEP");
		sleep(zz ? (unsigned int)atoi(zz) : 5);
		out("535 authentication failed (#5.7.1)\r\n");
	}
}

/* Read one base64 line from the client; -1 on cancel or bad input. */
static int
b64line(unsigned char *buf, size_t n)
{
	char	line[LINEMAX];
	int	len;

	if ((len = getline_smtp(line, sizeof(line))) < 0)
		return -1;
	if (strcmp(line, "*") == 0)
		return -2;
	return b64_pton(line, buf, n);
}

static void
auth(const char *a)
{
	unsigned char	u[512], p[512], chal[256];
	char		enc[512], cuser[512];
	const char	*init, *sp;
	int		ul, pl, cl;

	if ((!authlogin && !authcram) || checkargs == NULL) {
		out("503 auth not available (#5.3.3)\r\n");
		return;
	}
	if (authed) {
		out("503 you're already authenticated (#5.5.0)\r\n");
		return;
	}
	if (seenmail) {
		out("503 no auth during mail transaction (#5.5.0)\r\n");
		return;
	}
	while (*a == ' ')
		a++;
	init = strchr(a, ' ');
	if (init)
		while (*init == ' ')
			init++;
	if (authlogin && strncasecmp(a, "LOGIN", 5) == 0 &&
	    (a[5] == '\0' || a[5] == ' ')) {
		if (init && *init)
			ul = b64_pton(init, u, sizeof(u) - 1);
		else {
			out("334 VXNlcm5hbWU6\r\n");
			ul = b64line(u, sizeof(u) - 1);
		}
		if (ul == -2)
			goto cancel;
		if (ul <= 0)
			goto bad;
		u[ul] = '\0';
		out("334 UGFzc3dvcmQ6\r\n");
		if ((pl = b64line(p, sizeof(p) - 1)) == -2)
			goto cancel;
		if (pl < 0)
			goto bad;
		auth_result((char *)u, (char *)p, (size_t)pl, "", 0);
	} else if (authlogin && strncasecmp(a, "PLAIN", 5) == 0 &&
	    (a[5] == '\0' || a[5] == ' ')) {
		unsigned char	*id, *pw;

		if (init && *init)
			pl = b64_pton(init, p, sizeof(p) - 1);
		else {
			out("334 \r\n");
			pl = b64line(p, sizeof(p) - 1);
		}
		if (pl == -2)
			goto cancel;
		if (pl <= 0)
			goto bad;
		p[pl] = '\0';
		/* authzid \0 authcid \0 password */
		if ((id = memchr(p, '\0', (size_t)pl)) == NULL ||
		    (pw = memchr(id + 1, '\0', (size_t)(p + pl - id - 1))) ==
		    NULL)
			goto bad;
		auth_result((char *)id + 1, (char *)pw + 1,
		    (size_t)(p + pl - pw - 1), "", 0);
	} else if (authcram && strncasecmp(a, "CRAM-MD5", 8) == 0 &&
	    a[8] == '\0') {
		cl = snprintf((char *)chal, sizeof(chal), "<%ld.%ld@%s>",
		    (long)getpid(), (long)time(NULL), hostname);
		b64_ntop(chal, (size_t)cl, enc, sizeof(enc));
		outf("334 %s\r\n", enc);
		if ((ul = b64line(u, sizeof(u) - 1)) == -2)
			goto cancel;
		if (ul <= 0)
			goto bad;
		u[ul] = '\0';
		/* "user digest": the digest after the last space */
		if ((sp = strrchr((char *)u, ' ')) == NULL)
			goto bad;
		snprintf(cuser, sizeof(cuser), "%.*s", (int)(sp - (char *)u),
		    (char *)u);
		while (*sp == ' ')
			sp++;
		auth_result(cuser, sp, strlen(sp), (char *)chal, (size_t)cl);
	} else
		out("504 auth type unimplemented (#5.5.1)\r\n");
	return;
cancel:
	out("501 auth exchange canceled (#5.0.0)\r\n");
	return;
bad:
	out("501 malformed auth input (#5.5.4)\r\n");
}

/* MAIL's AUTH=: the remote info, when there is none yet, as the patch
 * takes it (+3D and +2B decoded, <> as "unknown"). */
static void
mailauth(const char *a)
{
	const char	*p = strstr(a, " AUTH="), *e;
	char		 v[512];
	size_t		 k = 0;

	if (p == NULL || getenv("TCPREMOTEINFO") != NULL)
		return;
	p += 6;
	if (strncmp(p, "<>", 2) == 0) {
		setenv("TCPREMOTEINFO", "unknown", 1);
		return;
	}
	for (e = p; *e && *e != ' ' && k + 1 < sizeof(v); e++) {
		if (strncasecmp(e, "+3D", 3) == 0 || strncasecmp(e, "+2B", 3) ==
		    0) {
			v[k++] = e[2] == 'D' || e[2] == 'd' ? '=' : '+';
			e += 2;
		} else
			v[k++] = *e;
	}
	v[k] = '\0';
	setenv("TCPREMOTEINFO", v, 1);
}

/* The greeting's name: control/me, as qmail reads it. */
static void
me(void)
{
	static char	 name[256];
	const char	*dir = getenv("STANDIN_CONTROL");
	char		 path[1024];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/me", dir ? dir : "/var/qmail/control");
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(name, sizeof(name), f) != NULL) {
		name[strcspn(name, "\r\n")] = '\0';
		if (name[0] != '\0')
			hostname = name;
	}
	fclose(f);
}

/* SMTPAUTH, as the AUTH patch reads it. */
static void
smtpauth(const char *v)
{
	if (v == NULL) {
		authlogin = authcram = checkargs != NULL;
		return;
	}
	if (v[0] == '!') {
		authrequired = 1;
		v++;
	}
	if (strcasecmp(v, "-") == 0 || strcasecmp(v, "0") == 0)
		return;
	if (strncasecmp(v, "+cram", 5) == 0)
		authlogin = authcram = 1;
	else if (strncasecmp(v, "cram", 4) == 0)
		authcram = 1;
	else
		authlogin = 1;
}

/* Into a qmail queue: local when the domain is in rcpthosts. */
static int
enqueue(const char *qdir, const char *mess, size_t len)
{
	struct qw_rcpt	 r[256];
	char		 path[1024];
	const char	*p, *at;
	unsigned int	 split = 0;
	int		 n = 0;

	for (;; split++) {
		snprintf(path, sizeof(path), "%s/mess/%u", qdir, split);
		if (access(path, F_OK) == -1)
			break;
	}
	for (p = rcpts; p < rcpts + rcptslen && n < 256; p += strlen(p) + 1) {
		at = strrchr(p, '@');
		r[n].addr = p;
		r[n].done = 0;
		r[n++].remote = !(at && rcpthosts_ok(p) && getenv("STANDIN_CONTROL"));
	}
	return qwrite(qdir, split ? split : 1, 0, mess, len, sender, r, n, 0,
	    0, 0) == -1 ? -1 : 0;
}

/* qmail's safeput: anything outside [A-Za-z0-9.@%+/=:-] becomes '?'. */
static void
safeput(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(isalnum((unsigned char)*s) || strchr(".@%+/=:-", *s) ?
		    *s : '?', f);
}

/*
 * qmail-queue's line, then qmail-smtpd's, as they write them: the remote
 * host (TCPREMOTEHOST, else "unknown"), "(HELO helo)" only when it is
 * not the host, the remote info (TCPREMOTEINFO: ident, MAIL's AUTH=, or
 * after a login the account) before the address, the local host
 * (TCPLOCALHOST, else TCPLOCALIP, else "unknown"), and ESMTPA after a
 * login, SMTP otherwise.
 */
static void
received(FILE *f, const char *ip, const char *date, int qq)
{
	const char	*host = getenv("TCPREMOTEHOST"), *info, *local;

	if (host == NULL)
		host = "unknown";
	info = getenv("TCPREMOTEINFO");
	if ((local = getenv("TCPLOCALHOST")) == NULL &&
	    (local = getenv("TCPLOCALIP")) == NULL)
		local = "unknown";
	if (!qq)	/* a queue program writes its own */
		fprintf(f, "Received: (qmail %ld invoked from network); %s\n",
		    (long)getpid(), date);
	fprintf(f, "Received: from ");
	safeput(f, host);
	if (helo[0] != '\0' && strcasecmp(host, helo) != 0) {
		fputs(" (HELO ", f);
		safeput(f, helo);
		fputc(')', f);
	}
	fputs(" (", f);
	if (info) {
		safeput(f, info);
		fputc('@', f);
	}
	safeput(f, ip ? ip : "unknown");
	fputs(")\n  by ", f);
	safeput(f, local);
	fprintf(f, " with %s; %s\n", authed ? "ESMTPA" : "SMTP", date);
}

static void
datestr(char *buf, size_t n)
{
	time_t	t = time(NULL);

	strftime(buf, n, "%d %b %Y %H:%M:%S -0000", gmtime(&t));
}

static void
data(void)
{
	const char	*qdir = getenv("STANDIN_QUEUE"), *ip;
	const char	*qqprog = getenv("QMAILQUEUE"), *qqx;
	char		 line[LINEMAX + 2], tmp[1024], path[1024], date[64];
	char		*qbuf = NULL;
	size_t		 qlen = 0;
	FILE		*f = NULL, *fe;
	int		 len, toolong = 0, qmailq, fdm, fde, wstat;
	pid_t		 qqpid = -1;
	const char	*p;

	if (!seenmail) {
		out("503 MAIL first (#5.5.1)\r\n");
		return;
	}
	if (nrcpt == 0) {
		out("503 RCPT first (#5.5.1)\r\n");
		return;
	}
	if (qqprog != NULL) {
		if ((qqpid = qq_open(qqprog, &fdm, &fde)) == -1) {
			out("451 qqt failure (#4.3.0)\r\n");
			return;
		}
		signal(SIGPIPE, SIG_IGN);
	}
	out("354 go ahead\r\n");
	snprintf(path, sizeof(path), "%s/mess", qdir ? qdir : "");
	qmailq = qdir != NULL && access(path, F_OK) == 0;
	if (qqpid != -1) {
		f = fdopen(fdm, "w");
		qmailq = 0;
		qdir = NULL;
	} else if (qmailq) {
		/* the message goes to a buffer, then into the queue */
		snprintf(tmp, sizeof(tmp), "%s/pid/standin.%ld", qdir,
		    (long)getpid());
		f = open_memstream(&qbuf, &qlen);
	} else if (qdir != NULL) {
		snprintf(tmp, sizeof(tmp), "%s/.tmp.%ld.%u", qdir,
		    (long)getpid(), seq);
		snprintf(path, sizeof(path), "%s/msg.%ld.%ld.%u", qdir,
		    (long)time(NULL), (long)getpid(), seq++);
		f = fopen(tmp, "w");
	}
	ip = getenv("TCPREMOTEIP");
	datestr(date, sizeof(date));
	if (f) {
		if (!qmailq && qqpid == -1) {
			fprintf(f, "F%s\n", sender);
			for (p = rcpts; p < rcpts + rcptslen; p += strlen(p) + 1)
				fprintf(f, "T%s\n", p);
			fputc('\n', f);
		}
		received(f, ip, date, qqpid != -1);
	}
	for (;;) {
		if ((len = getline_smtp(line, sizeof(line))) == -1)
			_exit(1);
		if (len == -2) {
			toolong = 1;
			continue;
		}
		if (strcmp(line, ".") == 0)
			break;
		if (f)
			fprintf(f, "%s\n", line[0] == '.' ? line + 1 : line);
	}
	if (qqpid != -1) {
		/* qmail_from, qmail_to, qmail_close */
		fclose(f);
		/* a line too long: no envelope, so nothing is queued */
		if (toolong)
			close(fde);
		else if ((fe = fdopen(fde, "w")) != NULL) {
			fprintf(fe, "F%s%c", sender, 0);
			for (p = rcpts; p < rcpts + rcptslen; p += strlen(p) + 1)
				fprintf(fe, "T%s%c", p, 0);
			fputc(0, fe);
			fclose(fe);
		}
		while (waitpid(qqpid, &wstat, 0) == -1 && errno == EINTR)
			;
		qqx = qq_reply(wstat);
		if (toolong)
			out("554 line too long (#5.6.0)\r\n");
		else if (*qqx == '\0')
			outf("250 ok %ld qp %ld\r\n", (long)time(NULL),
			    (long)qqpid);
		else
			outf("%s %s\r\n", *qqx == 'D' ? "554" : "451", qqx + 1);
		goto reset;
	}
	if (qmailq && f) {
		fclose(f);
		f = NULL;
		if (!toolong && enqueue(qdir, qbuf, qlen) == -1) {
			free(qbuf);
			out("451 qq write error (#4.3.0)\r\n");
			goto reset;
		}
		free(qbuf);
	}
	if (toolong) {
		if (f) {
			fclose(f);
			unlink(tmp);
		}
		out("554 line too long (#5.6.0)\r\n");
	} else if (f && (fflush(f) != 0 || fsync(fileno(f)) != 0 ||
	    fclose(f) != 0 || rename(tmp, path) != 0)) {
		unlink(tmp);
		out("451 qq write error (#4.3.0)\r\n");
	} else
		outf("250 ok %ld qp %ld\r\n", (long)time(NULL), (long)getpid());
reset:
	seenmail = 0;
	nrcpt = 0;
	rcptslen = 0;
}

int
main(int argc, char *argv[])
{
	static char	 line[CMDMAX];
	char		 addr[512];
	const char	*a;
	int		 len;

	if (argc > 1)
		checkargs = argv + 1;
	me();
	smtpauth(getenv("SMTPAUTH"));
	relay = getenv("RELAYCLIENT") != NULL;
	if ((a = getenv("STANDIN_PARENT")) != NULL) {
		char	comm[64] = "", path[64];
		FILE	*f;

		snprintf(path, sizeof(path), "/proc/%ld/comm", (long)getppid());
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(comm, sizeof(comm), f) == NULL)
				comm[0] = '\0';
			fclose(f);
		}
		if ((f = fopen(a, "a")) != NULL) {
			fprintf(f, "%ld %s", (long)getpid(), comm);
			fclose(f);
		}
	}
	alarm(1200);
	outf("220 %s ESMTP\r\n", hostname);
	while ((len = getline_smtp(line, sizeof(line))) != -1) {
		alarm(1200);
		if (len == -2) {
			out("500 line too long (#5.5.2)\r\n");
			continue;
		}
		if ((a = arg(line, "HELO")) != NULL) {
			strlcpy(helo, a[0] == ' ' ? a + 1 : a, sizeof(helo));
			outf("250 %s\r\n", hostname);
		} else if ((a = arg(line, "EHLO")) != NULL) {
			strlcpy(helo, a[0] == ' ' ? a + 1 : a, sizeof(helo));
			outf("250-%s\r\n", hostname);
			if (getenv("STANDIN_STARTTLS"))
				out("250-STARTTLS\r\n");
			out("250-PIPELINING\r\n250-8BITMIME\r\n");
			if (authlogin && authcram)
				out("250-AUTH LOGIN PLAIN CRAM-MD5\r\n");
			else if (authlogin)
				out("250-AUTH LOGIN PLAIN\r\n");
			else if (authcram)
				out("250-AUTH CRAM-MD5\r\n");
			out("250 SIZE 0\r\n");
		} else if ((a = arg(line, "AUTH")) != NULL)
			auth(a);
		else if ((a = arg(line, "MAIL FROM:")) != NULL) {
			if (authrequired && !authed) {
				out("530 Authorization required (#5.7.1) \r\n");
				continue;
			}
			addrparse(a, sender, sizeof(sender));
			mailauth(a);
			seenmail = 1;
			nrcpt = 0;
			rcptslen = 0;
			out("250 ok\r\n");
		} else if ((a = arg(line, "RCPT TO:")) != NULL) {
			if (!seenmail) {
				out("503 MAIL first (#5.5.1)\r\n");
				continue;
			}
			addrparse(a, addr, sizeof(addr));
			if (!relay && !rcpthosts_ok(addr)) {
				out("553 sorry, that domain isn't in my list "
				    "of allowed rcpthosts (#5.7.1)\r\n");
				continue;
			}
			rcpts = realloc(rcpts, rcptslen + strlen(addr) + 1);
			if (rcpts == NULL)
				_exit(1);
			memcpy(rcpts + rcptslen, addr, strlen(addr) + 1);
			rcptslen += strlen(addr) + 1;
			nrcpt++;
			out("250 ok\r\n");
		} else if (arg(line, "DATA") && len == 4)
			data();
		else if (arg(line, "RSET")) {
			seenmail = 0;
			nrcpt = 0;
			rcptslen = 0;
			out("250 flushed\r\n");
		} else if (arg(line, "STARTTLS"))
			out("454 TLS not available (#4.3.0)\r\n");
		else if (arg(line, "NOOP"))
			out("250 ok\r\n");
		else if (arg(line, "VRFY"))
			out("252 send some mail, i'll try my best\r\n");
		else if (arg(line, "QUIT")) {
			outf("221 %s\r\n", hostname);
			return 0;
		} else
			out("502 unimplemented (#5.5.1)\r\n");
	}
	return 0;
}
