/*
 * sendlimit: a qmail-queue wrapper.  qmail-smtpd (through QMAILQUEUE) or
 * qmail-inject runs it where it ran qmail-queue; it finds who sends the
 * message, counts it against that mailbox, its domain, the local user or
 * the relaying client within a sliding hour, and hands the message to the
 * real qmail-queue, or refuses it with a temporary error (exit 71:
 * qmail-smtpd answers "451 mail server temporarily rejected message").
 *
 * Why it is built this way:
 *
 * - The real qmail-queue is started first and gets the message as it
 *   arrives: from fd 0 itself when nothing needs to be read (local
 *   injection) or when fd 0 is a file, else through a pipe that the bytes
 *   are spliced into, never copied through this process.  Only the first
 *   header (qmail-smtpd's Received line) is read.
 * - The decision needs the envelope's recipients, and qmail-queue reads
 *   the envelope only after the whole message: a refused message is
 *   refused by closing the envelope before its end, which makes
 *   qmail-queue exit 54 and remove what it wrote.  Nothing half queued.
 * - The message is counted before qmail-queue has it (so that fifty at
 *   once cannot all pass), and given back when qmail-queue fails.
 * - The sender is what the caller cannot forge (sender.c): the login of
 *   qmail-smtpd's own Received line, or the uid the kernel reports.
 *   Mail from strangers to local domains (no login, no RELAYCLIENT) is
 *   not outgoing and is not counted.
 * - Run set-user-id (to keep local users away from the counts) it takes
 *   no option: its settings are the built-in ones.
 */
#include <sys/types.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/ip.h"
#include "lib/kv.h"
#include "lib/limfile.h"
#include "lib/log.h"
#include "lib/rstate.h"
#include "lib/sender.h"
#include "lib/stage.h"
#include "lib/window.h"

#define USAGE "usage: sendlimit [-l limits.cdb] [-d statedir] [-q qmail-queue] " \
    "[-x hook] [-n smtpusers] [-L syslog|stderr]\n" \
    "       sendlimit -s [-l limits.cdb] [-d statedir] [-c count]\n" \
    "       sendlimit -m limits.cdb limits.tmp < limits"

#define LIMITS		"/etc/relaygate/limits.cdb"
#define STATE		"/var/lib/relaygate/sendlimit"
#define QUEUE		"/var/qmail/bin/qmail-queue"
#define SMTPUSERS	"qmaild,root"
#define CONF		"/etc/relaygate/sendlimit.conf"
#define HEADMAX		65536		/* a longer first line is refused */
#define ENVMAX		(64UL << 20)	/* a larger envelope is refused */

/* qmail-queue's exit codes, as qmail-smtpd's qmail_close() reads them */
#define QQ_NOMEM	51
#define QQ_WRITE	53	/* "qq write error or disk full" */
#define QQ_READ		54
#define QQ_CONFIG	55
#define QQ_REFUSED	71	/* "mail server temporarily rejected" */
#define QQ_BUG		81

struct conf {
	const char	*limits, *state, *queue, *hook, *smtpusers;
	const char	*redis, *ruser, *rpass, *rprefix, *rtimeout;
};

struct msg {
	struct sender	 who;
	struct cnt_key	 keys[3];
	char		 uname[LIMIT_NAMEMAX];
	size_t		 nkeys;
	uint32_t	 rcpts;
	int		 counted;	/* envelope read as qmail-queue reads it */
};

/* The settings, by name, and where each goes. */
static const struct {
	const char	*name;
	size_t		 off;
} settings[] = {
	{ "SENDLIMIT_LIMITS", offsetof(struct conf, limits) },
	{ "SENDLIMIT_STATE", offsetof(struct conf, state) },
	{ "SENDLIMIT_QUEUE", offsetof(struct conf, queue) },
	{ "SENDLIMIT_HOOK", offsetof(struct conf, hook) },
	{ "SENDLIMIT_SMTPUSERS", offsetof(struct conf, smtpusers) },
	{ "SENDLIMIT_REDIS", offsetof(struct conf, redis) },
	{ "SENDLIMIT_REDIS_USER", offsetof(struct conf, ruser) },
	{ "SENDLIMIT_REDIS_PASSWORD", offsetof(struct conf, rpass) },
	{ "SENDLIMIT_REDIS_PREFIX", offsetof(struct conf, rprefix) },
	{ "SENDLIMIT_REDIS_TIMEOUT", offsetof(struct conf, rtimeout) },
};
#define NSETTINGS	(sizeof(settings) / sizeof(settings[0]))

/* name = v into c; -1 for a name it does not know.  "" is unset. */
static int
conf_set(struct conf *c, const char *name, const char *v)
{
	static char	*copy[NSETTINGS];	/* live with the process */
	size_t		 i;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(name, settings[i].name) == 0)
			break;
	if (i == NSETTINGS)
		return -1;
	free(copy[i]);
	if ((copy[i] = strdup(v)) == NULL)
		log_fatal(QQ_NOMEM, "out of memory");
	*(const char **)(void *)((char *)c + settings[i].off) =
	    copy[i][0] != '\0' ? copy[i] : NULL;
	return 0;
}

/*
 * Settings: options over environment over the file over the built-in
 * ones, as authguard's.  QMAILQUEUE names a program, not a command line,
 * so the file (SENDLIMIT_CONF, default /etc/relaygate/sendlimit.conf) is
 * how a service sets them.  Run set-user-id, only the built-in file
 * counts: the caller's environment is his.
 */
static void
conf_load(struct conf *c, int secure)
{
	const char	*file = secure ? NULL : getenv("SENDLIMIT_CONF"), *v;
	char		 line[1100], *name, *v0;
	unsigned long	 lineno = 0;
	FILE		*f;
	int		 i;

	if (file == NULL)
		file = CONF;
	if ((f = fopen(file, "re")) == NULL) {
		if (errno != ENOENT)
			log_fatalsys(QQ_CONFIG, "unable to read %s", file);
	} else {
		while (fgets(line, sizeof(line), f) != NULL) {
			lineno++;
			if (strchr(line, '\n') == NULL && !feof(f))
				log_fatal(QQ_CONFIG, "%s:%lu: line too long",
				    file, lineno);
			if ((i = kv_split(line, &name, &v0)) == 0)
				continue;
			if (i == -1)
				log_fatal(QQ_CONFIG, "%s:%lu: want NAME = value",
				    file, lineno);
			if (conf_set(c, name, v0) == -1)
				log_fatal(QQ_CONFIG, "%s:%lu: %s: unknown setting",
				    file, lineno, name);
		}
		if (ferror(f))
			log_fatalsys(QQ_CONFIG, "unable to read %s", file);
		fclose(f);
	}
	for (i = 0; !secure && i < (int)NSETTINGS; i++)
		if ((v = getenv(settings[i].name)) != NULL)
			conf_set(c, settings[i].name, v);
	if (c->rtimeout != NULL && strtonum(c->rtimeout, 1, 60000, NULL) == 0)
		log_fatal(QQ_CONFIG, "SENDLIMIT_REDIS_TIMEOUT %s: want 1 to "
		    "60000 ms", c->rtimeout);
	if (c->limits == NULL || c->state == NULL || c->queue == NULL ||
	    c->smtpusers == NULL)
		log_fatal(QQ_CONFIG, "%s: limits, state, queue and smtpusers "
		    "cannot be empty", file);
}

/* Is uid one of the comma-separated users (names or numbers)? */
static int
smtp_uid(uid_t uid, const char *users)
{
	struct passwd	*pw;
	FILE		*f;
	char		 list[512], *w, *p;
	const char	*errstr;
	long long	 n;
	int		 names = 0;

	strlcpy(list, users, sizeof(list));
	for (p = list; (w = strsep(&p, ",")) != NULL;) {
		n = strtonum(w, 0, UINT32_MAX - 1, &errstr);
		if (errstr == NULL && (uid_t)n == uid)
			return 1;
		names |= errstr != NULL && *w != '\0';
	}
	/* /etc/passwd itself, once: a static binary must not load NSS */
	if (!names || (f = fopen("/etc/passwd", "re")) == NULL)
		return 0;
	while ((pw = fgetpwent(f)) != NULL) {
		if (pw->pw_uid != uid)
			continue;
		strlcpy(list, users, sizeof(list));
		for (p = list; (w = strsep(&p, ",")) != NULL;)
			if (strcmp(pw->pw_name, w) == 0) {
				fclose(f);
				return 1;
			}
	}
	fclose(f);
	return 0;
}

/* The login name of uid, else its number. */
static void
user_name(uid_t uid, char *out, size_t n)
{
	struct passwd	*pw;
	FILE		*f;
	char		 canon[LIMIT_NAMEMAX];

	snprintf(out, n, "%lu", (unsigned long)uid);
	if ((f = fopen("/etc/passwd", "re")) == NULL)
		return;
	while ((pw = fgetpwent(f)) != NULL)
		if (pw->pw_uid == uid) {
			if (limits_canon(L_USER, pw->pw_name, canon,
			    sizeof(canon)) == 0)
				strlcpy(out, canon, n);
			break;
		}
	fclose(f);
}

/* Read up to the end of the first header (or HEADMAX, or EOF). */
static size_t
read_head(char *head)
{
	size_t	n = 0, from = 0;
	ssize_t	r;

	while (n < HEADMAX && !sender_head_done(head, n, from)) {
		from = n > 0 ? n - 1 : 0;
		if ((r = read(0, head + n, HEADMAX - n)) == 0)
			break;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			log_fatalsys(QQ_READ, "unable to read the message");
		}
		n += (size_t)r;
	}
	return n;
}

static int
write_all(int fd, const char *b, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, b, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
copy(int fd)
{
	char	buf[65536];
	ssize_t	r;

	for (;;) {
		r = splice(0, NULL, fd, NULL, 1 << 20, SPLICE_F_MOVE);
		if (r == 0)
			return 0;
		if (r > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EINVAL)
			return -1;
		break;		/* not a pipe: copy */
	}
	for (;;) {
		if ((r = read(0, buf, sizeof(buf))) == 0)
			return 0;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (write_all(fd, buf, (size_t)r) == -1)
			return -1;
	}
}

/* What is left of fd 0, read and dropped: the writer must not block. */
static void
drain(void)
{
	char	buf[65536];
	ssize_t	r;

	while ((r = read(0, buf, sizeof(buf))) != 0)
		if (r == -1 && errno != EINTR)
			return;
}

/* The rest of fd 0 into fd: spliced when both are pipes.  When the
 * queue stops reading, the rest is drained: its exit code answers. */
static void
pump(int fd)
{
	if (copy(fd) == -1)
		drain();
}

/* All of fd 1, the envelope. */
static char *
read_envelope(size_t *len)
{
	char	*b = NULL, *nb;
	size_t	 cap = 0, n = 0;
	ssize_t	 r;

	for (;;) {
		if (n == cap) {
			if (cap >= ENVMAX || (nb = realloc(b,
			    cap = cap ? cap * 2 : 4096)) == NULL)
				log_fatal(QQ_NOMEM, "envelope over %lu bytes",
				    ENVMAX);
			b = nb;
		}
		if ((r = read(1, b + n, cap - n)) == 0)
			break;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			log_fatalsys(QQ_READ, "unable to read the envelope");
		}
		n += (size_t)r;
	}
	*len = n;
	return b;
}

/* The objects a message counts against, with their limits. */
static void
objects(struct msg *m, struct cdb *db)
{
	struct limit	 l, byuid;
	const char	*name[3];
	enum limit_kind	 kind[3];
	size_t		 i, n = 0;
	char		 num[32];
	int		 rc, r2;

	switch (m->who.kind) {
	case SND_MAILBOX:
		kind[n] = L_MAILBOX, name[n++] = m->who.mailbox;
		if (m->who.domain[0] != '\0')
			kind[n] = L_DOMAIN, name[n++] = m->who.domain;
		break;
	case SND_ADDRESS:
		kind[n] = L_ADDRESS, name[n++] = m->who.address;
		break;
	case SND_USER:
	case SND_UNKNOWN:
		user_name(m->who.uid, m->uname, sizeof(m->uname));
		kind[n] = L_USER, name[n++] = m->uname;
		break;
	}
	m->nkeys = 0;
	for (i = 0; i < n; i++) {
		rc = limits_get(db, kind[i], name[i], &l);
		if (rc != 1 && rc != -1 && kind[i] == L_USER) {
			/* no line of its name: its uid's before the default */
			snprintf(num, sizeof(num), "%lu",
			    (unsigned long)m->who.uid);
			if ((r2 = limits_get(db, L_USER, num, &byuid)) == 1)
				l = byuid, rc = 1;
			else if (r2 == -1)
				rc = -1;
		}
		if (rc == -1)
			log_fatal(QQ_CONFIG, "unable to read the limits");
		if (rc == 0 || (l.messages == LIMIT_UNLIMITED &&
		    l.recipients == LIMIT_UNLIMITED))
			continue;
		m->keys[m->nkeys++] = (struct cnt_key){ .kind = kind[i],
		    .name = name[i], .max_msgs = l.messages,
		    .max_rcpts = l.recipients };
	}
}

static void
fmt_limit(char *b, size_t n, uint32_t have, uint32_t max)
{
	if (max == UINT32_MAX)
		snprintf(b, n, "%u", have);
	else
		snprintf(b, n, "%u/%u", have, max);
}

/* Run the hook once, detached, with the object, its count and limit. */
static void
alert(const char *hook, const struct cnt_key *k, int byrcpts)
{
	char	count[16], limit[16], *argv[7];
	pid_t	pid;
	int	fd;

	if (hook == NULL || (pid = fork()) == -1)
		return;
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		return;
	}
	if (fork() != 0)
		_exit(0);
	setsid();
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	/* the caller's rights, not the state's */
	if (setresgid(getgid(), getgid(), getgid()) == -1 ||
	    setresuid(getuid(), getuid(), getuid()) == -1)
		_exit(111);
	snprintf(count, sizeof(count), "%u", byrcpts ? k->rcpts : k->msgs);
	snprintf(limit, sizeof(limit), "%u", byrcpts ? k->max_rcpts :
	    k->max_msgs);
	argv[0] = (char *)hook;
	argv[1] = (char *)limits_kind_word(k->kind);
	argv[2] = (char *)k->name;
	argv[3] = byrcpts ? "recipients" : "messages";
	argv[4] = count;
	argv[5] = limit;
	argv[6] = NULL;
	signal(SIGPIPE, SIG_DFL);
	execv(hook, argv);
	_exit(127);
}

/* What the real qmail-queue gets: fd 0 msgfd, fd 1 envfd. */
static pid_t
start_queue(const char *queue, int msgfd, int envfd, int other)
{
	char	*argv[2] = { (char *)queue, NULL };
	pid_t	 pid;

	if ((pid = fork()) != 0)
		return pid;
	if ((msgfd != 0 && dup2(msgfd, 0) == -1) || dup2(envfd, 1) == -1)
		_exit(QQ_BUG);
	if (msgfd > 1)
		close(msgfd);
	close(envfd);
	if (other != -1)
		close(other);
	signal(SIGPIPE, SIG_DFL);
	/* qmail-queue sees the caller, as it would without sendlimit */
	if (setresuid(getuid(), getuid(), getuid()) == -1)
		_exit(QQ_BUG);
	execv(queue, argv);
	_exit(120);	/* qmail-smtpd: "unable to exec qq" */
}

static int
finish(pid_t pid)
{
	int	st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			log_fatalsys(QQ_BUG, "waitpid");
	if (WIFSIGNALED(st)) {
		/* qmail-smtpd: "qq crashed" */
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
		_exit(QQ_BUG);
	}
	return WEXITSTATUS(st);
}

static void
describe(char *b, size_t n, const struct msg *m, const char *verdict)
{
	char	mm[32], rr[32];
	size_t	i, len;

	len = (size_t)snprintf(b, n, "%s", verdict);
	for (i = 0; i < m->nkeys && len < n; i++) {
		const struct cnt_key *k = &m->keys[i];
		int	add = !k->over && strcmp(verdict, "ok") == 0;

		fmt_limit(mm, sizeof(mm), k->msgs + add, k->max_msgs);
		fmt_limit(rr, sizeof(rr), k->rcpts + (add ? m->rcpts : 0),
		    k->max_rcpts);
		len += (size_t)snprintf(b + len, n - len, " %s %s %s %s",
		    limits_kind_word(k->kind), k->name, mm, rr);
	}
	if (len < n)
		snprintf(b + len, n - len, " rcpts %u uid %lu", m->rcpts,
		    (unsigned long)m->who.uid);
}

/* The shared counts' connection, from the settings. */
static int
redis_open(const struct conf *c, struct rstate *rs, char *why, size_t n)
{
	struct rconf	rc;

	memset(&rc, 0, sizeof(rc));
	strlcpy(rc.addr, c->redis, sizeof(rc.addr));
	strlcpy(rc.user, c->ruser ? c->ruser : "", sizeof(rc.user));
	strlcpy(rc.pass, c->rpass ? c->rpass : "", sizeof(rc.pass));
	strlcpy(rc.prefix, c->rprefix ? c->rprefix : "relaygate:",
	    sizeof(rc.prefix));
	rc.timeout_ms = c->rtimeout ? (unsigned int)strtonum(c->rtimeout, 1,
	    60000, NULL) : RSTATE_TIMEOUT;
	return rstate_open(rs, &rc, why, n);
}

static int
queue_mode(const struct conf *c)
{
	struct msg	 m;
	struct win	 w;
	struct rstate	 rs = { .c = NULL };
	struct ip	 ip;
	const char	*v;
	struct cdb	 db, *dbp = NULL;
	struct stat	 st, qst;
	char		 head[HEADMAX + 1], why[1200], line[LOG_LINEMAX];
	char		*env;
	size_t		 hlen = 0, elen, i;
	int		 p[2] = { -1, -1 }, e[2], dbfd, network, rc, seekable;
	long		 nr;
	pid_t		 pid;
	time_t		 now;
	enum win_take	 t = WIN_ADMITTED;

	memset(&m, 0, sizeof(m));
	signal(SIGPIPE, SIG_IGN);
	/* installed as qmail-queue, it must not run itself for ever */
	if (stat("/proc/self/exe", &st) == 0 && stat(c->queue, &qst) == 0 &&
	    st.st_dev == qst.st_dev && st.st_ino == qst.st_ino)
		log_fatal(QQ_CONFIG, "%s is sendlimit itself: SENDLIMIT_QUEUE "
		    "must name the real qmail-queue", c->queue);
	network = smtp_uid(getuid(), c->smtpusers);
	seekable = fstat(0, &st) == 0 && S_ISREG(st.st_mode);
	if (network && seekable) {
		off_t	at = lseek(0, 0, SEEK_CUR);
		ssize_t	r = at == -1 ? -1 : pread(0, head, HEADMAX, at);

		hlen = r > 0 ? (size_t)r : 0;
	} else if (network)
		hlen = read_head(head);
	if (network && !seekable && pipe2(p, O_CLOEXEC) == -1)
		log_fatalsys(QQ_BUG, "pipe");
	if (pipe2(e, O_CLOEXEC) == -1)
		log_fatalsys(QQ_BUG, "pipe");
	if ((pid = start_queue(c->queue, p[0] != -1 ? p[0] : 0, e[0],
	    p[1])) == -1)
		log_fatalsys(QQ_BUG, "fork");
	close(e[0]);
	if (p[0] == -1 && (rc = open("/dev/null", O_RDONLY)) != -1 &&
	    rc != 0) {
		/* fd 0 is qmail-queue's alone: its writer sees it stop */
		dup2(rc, 0);
		close(rc);
	}
	if (p[0] != -1) {
		close(p[0]);
		/* the message goes on even when the queue stopped reading:
		 * its exit code is the answer */
		if (write_all(p[1], head, hlen) == 0)
			pump(p[1]);
		else
			drain();
		close(p[1]);
	}
	env = read_envelope(&elen);
	if (network && hlen == HEADMAX && !sender_head_done(head, hlen, 0)) {
		/* a HELO that long would hide the login behind it */
		close(e[1]);
		finish(pid);
		log_line("refused: the first header is over %d bytes; uid %lu",
		    HEADMAX, (unsigned long)getuid());
		free(env);
		return QQ_REFUSED;
	}
	if (sender_identify(head, hlen, getuid(), network, &m.who) == -1)
		log_fatal(QQ_NOMEM, "out of memory");
	if (m.who.toolong) {
		close(e[1]);
		finish(pid);
		log_line("refused: a login name over %d bytes; uid %lu",
		    LIMIT_NAMEMAX - 1, (unsigned long)getuid());
		free(env);
		return QQ_REFUSED;
	}
	if (network && m.who.kind == SND_UNKNOWN && getenv("RELAYCLIENT") !=
	    NULL && (v = getenv("TCPREMOTEIP")) != NULL && ip_parse(&ip, v) == 0)
		/* a line without the client (sagredo-dev's qmail): the
		 * address qmail-smtpd's own environment names */
		m.who.kind = SND_ADDRESS, ip_fmt(&ip, m.who.address,
		    sizeof(m.who.address));
	if (network && m.who.kind == SND_ADDRESS && getenv("RELAYCLIENT") ==
	    NULL)
		m.who.kind = SND_UNKNOWN, m.nkeys = 0;	/* inbound */
	else if ((nr = sender_rcpts(env, elen)) >= 0) {
		m.rcpts = nr > UINT32_MAX ? UINT32_MAX : (uint32_t)nr;
		m.counted = 1;
	}
	if (m.counted && (dbfd = open(c->limits, O_RDONLY | O_CLOEXEC)) != -1) {
		if (cdb_init(&db, dbfd) == -1)
			log_fatal(QQ_CONFIG, "%s: not a limits database",
			    c->limits);
		dbp = &db;
	} else if (m.counted && errno != ENOENT)
		log_fatalsys(QQ_CONFIG, "unable to read %s", c->limits);
	else if (m.counted)
		log_line("%s: no limits: not counted", c->limits);
	if (m.counted && dbp != NULL)
		objects(&m, dbp);
	now = time(NULL);
	if (m.nkeys > 0 && c->redis != NULL) {
		/* shared with the other hosts; locally for as long as not */
		if (redis_open(c, &rs, why, sizeof(why)) == -1 ||
		    (t = rstate_cnt_take(&rs, m.keys, m.nkeys, m.rcpts, &now,
		    why, sizeof(why))) == WIN_ERROR) {
			rstate_close(&rs);
			t = WIN_ADMITTED;
			now = time(NULL);
			if (rstate_outage(c->state, 1) != 0)
				log_line("warning: %s: counting locally until "
				    "it answers", why);
		} else if (rstate_outage(c->state, 0) == 1)
			log_line("redis %s answers again: counting there",
			    c->redis);
	}
	if (m.nkeys > 0 && rs.c == NULL) {
		if ((rc = cnt_open(&w, c->state, why, sizeof(why))) == -1)
			log_fatal(QQ_WRITE, "not sent: state unusable: %s", why);
		if (rc == 1)
			log_line("%s: counts start again", why);
		t = cnt_take(&w, m.keys, m.nkeys, now, m.rcpts, why,
		    sizeof(why));
		if (t == WIN_ERROR)
			log_fatal(QQ_WRITE, "not sent: state unusable: %s", why);
		if (t == WIN_FULL)
			log_fatal(QQ_REFUSED, "not sent: state full: too many "
			    "objects counted this hour");
	}
	if (t == WIN_LIMITED) {
		close(e[1]);	/* cut short: qmail-queue removes it (54) */
		finish(pid);
		for (i = 0; i < m.nkeys; i++) {
			const struct cnt_key *k = &m.keys[i];
			int byrcpts = !(k->max_msgs != UINT32_MAX &&
			    (uint64_t)k->msgs + 1 > k->max_msgs);

			if (!k->over)
				continue;
			log_line("refused %s %s: %u/%u %s an hour%s; rcpts %u "
			    "uid %lu", limits_kind_word(k->kind), k->name,
			    byrcpts ? k->rcpts : k->msgs, byrcpts ?
			    k->max_rcpts : k->max_msgs, byrcpts ? "recipients" :
			    "messages", k->alert ? ": alert" : "", m.rcpts,
			    (unsigned long)m.who.uid);
			if (k->alert)
				alert(c->hook, k, byrcpts);
			break;
		}
		free(env);
		rstate_close(&rs);
		return QQ_REFUSED;
	}
	if (write_all(e[1], env, elen) == -1 && errno != EPIPE)
		log_fatalsys(QQ_BUG, "unable to write the envelope");
	close(e[1]);
	free(env);
	rc = finish(pid);
	if (m.nkeys > 0 && rc != 0 && rs.c != NULL &&
	    rstate_cnt_give(&rs, m.keys, m.nkeys, now, m.rcpts, why,
	    sizeof(why)) == -1)
		log_line("warning: %s: a message qmail-queue did not take is "
		    "still counted", why);
	else if (m.nkeys > 0 && rc != 0 && rs.c == NULL &&
	    cnt_give(&w, m.keys, m.nkeys, now,
	    m.rcpts) == -1)
		log_line("%s: unable to give back a message qmail-queue did "
		    "not take", w.path);
	if (m.nkeys > 0) {
		describe(line, sizeof(line), &m, rc == 0 ? "ok" : "qq failed");
		log_line("%s", line);
	}
	rstate_close(&rs);
	return rc;
}

struct row {
	struct cnt_slot	 s;
	uint32_t	 msgs, rcpts, refused;
	struct limit	 l;
	double		 near;
};

struct rows {
	struct row	*r;
	size_t		 n, cap;
	struct cdb	*db;
};

static double
frac(uint32_t have, uint32_t max)
{
	if (max == LIMIT_UNLIMITED)
		return 0;
	return max == 0 ? 2 : (double)have / max;
}

static int
gather(const struct cnt_slot *s, uint32_t msgs, uint32_t rcpts,
    uint32_t refused, void *arg)
{
	struct rows	*rs = arg;
	struct row	*r, *nr;
	double		 a, b;

	if (rs->n == rs->cap) {
		if ((nr = reallocarray(rs->r, rs->cap ? rs->cap * 2 : 64,
		    sizeof(*nr))) == NULL)
			return -1;
		rs->r = nr;
		rs->cap = rs->cap ? rs->cap * 2 : 64;
	}
	r = &rs->r[rs->n++];
	r->s = *s;
	r->s.name[sizeof(r->s.name) - 1] = '\0';
	r->msgs = msgs;
	r->rcpts = rcpts;
	r->refused = refused;
	if (rs->db == NULL || s->kind >= L_KINDS || limits_get(rs->db,
	    (enum limit_kind)s->kind, r->s.name, &r->l) == -1)
		r->l.messages = r->l.recipients = LIMIT_UNLIMITED;
	a = frac(msgs, r->l.messages);
	b = frac(rcpts, r->l.recipients);
	r->near = (a > b ? a : b) + (refused ? 1 : 0);
	return 0;
}

/* A Redis key's counts, as a slot for gather. */
static int
gather_redis(unsigned int kind, const char *name, uint32_t msgs,
    uint32_t rcpts, uint32_t refused, void *arg)
{
	struct cnt_slot	s;

	if (msgs == 0 && rcpts == 0 && refused == 0)
		return 0;	/* nothing in the window */
	memset(&s, 0, sizeof(s));
	s.kind = kind;
	strlcpy(s.name, name, sizeof(s.name));
	return gather(&s, msgs, rcpts, refused, arg);
}

static int
by_nearness(const void *x, const void *y)
{
	const struct row *a = x, *b = y;

	if (a->near != b->near)
		return a->near < b->near ? 1 : -1;
	return strcmp(a->s.name, b->s.name);
}

/* sendlimit -s: the objects nearest their limits, and the refusals. */
static int
show(const struct conf *c, long count)
{
	struct rows	 rs = { NULL, 0, 0, NULL };
	struct cdb	 db;
	struct win	 w;
	struct rstate	 r;
	char		 why[1200], mm[32], rr[32], name[LIMIT_NAMEMAX * 4];
	size_t		 i;
	uint64_t	 refused = 0;
	int		 fd;

	if ((fd = open(c->limits, O_RDONLY | O_CLOEXEC)) != -1 &&
	    cdb_init(&db, fd) == 0)
		rs.db = &db;
	if (c->redis != NULL) {
		/* the counts the hosts share */
		if (redis_open(c, &r, why, sizeof(why)) == -1)
			log_fatal(111, "%s", why);
		r.timeout_ms = 10000;	/* a listing, not a message */
		if (rstate_cnt_list(&r, gather_redis, &rs, why, sizeof(why)) ==
		    -1)
			log_fatal(111, "%s", why);
		rstate_close(&r);
	} else {
		if (cnt_open(&w, c->state, why, sizeof(why)) == -1)
			log_fatal(111, "%s", why);
		if (cnt_list(&w, time(NULL), gather, &rs) == -1)
			log_fatalsys(111, "unable to read %s", w.path);
	}
	if (rs.n > 0)
		qsort(rs.r, rs.n, sizeof(rs.r[0]), by_nearness);
	printf("%-8s %-32s %12s %12s %8s\n", "KIND", "NAME", "MESSAGES",
	    "RECIPIENTS", "REFUSED");
	for (i = 0; i < rs.n; i++) {
		refused += rs.r[i].refused;
		if ((long)i >= count)
			continue;
		fmt_limit(mm, sizeof(mm), rs.r[i].msgs, rs.r[i].l.messages);
		fmt_limit(rr, sizeof(rr), rs.r[i].rcpts, rs.r[i].l.recipients);
		log_clean(name, sizeof(name), rs.r[i].s.name,
		    strlen(rs.r[i].s.name), LOG_ASCII);
		printf("%-8s %-32s %12s %12s %8u\n", limits_kind_word(
		    (enum limit_kind)rs.r[i].s.kind), name, mm, rr,
		    rs.r[i].refused);
	}
	printf("%zu objects counted in the last hour, %llu messages "
	    "refused\n", rs.n, (unsigned long long)refused);
	free(rs.r);
	if (fflush(stdout) == EOF)
		log_fatalsys(111, "unable to write output");
	return 0;
}

/* sendlimit -m: compile, leaving the old database on any error. */
static int
compile(const char *cdbpath, const char *tmp)
{
	int	fd, saved;

	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1)
		log_fatalsys(111, "unable to create %s", tmp);
	if (limits_compile(stdin, "stdin", fd, stderr) != 0) {
		saved = errno;
		unlink(tmp);
		if (ferror(stdin) || saved == EIO || saved == ENOSPC)
			log_fatal(111, "unable to write %s: %s", tmp,
			    strerror(saved));
		log_fatal(100, "bad limits: %s left unchanged", cdbpath);
	}
	if (fsync(fd) == -1 || close(fd) == -1 || rename(tmp, cdbpath) == -1) {
		saved = errno;
		unlink(tmp);
		log_fatal(111, "unable to write %s: %s", cdbpath,
		    strerror(saved));
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	/* static: its strings live as long as the process */
	static struct conf c = { LIMITS, STATE, QUEUE, NULL, SMTPUSERS, NULL,
	    NULL, NULL, NULL, NULL };
	int		 ch, logmode = LOG_TO_AUTO, mode = 'q';
	int		 secure = getauxval(AT_SECURE) != 0;
	long		 count = 20;

	log_init("sendlimit", LOG_TO_AUTO);
	if (secure && argc > 1)
		log_fatal(QQ_CONFIG, "run set-user-id: no options taken");
	conf_load(&c, secure);
	while ((ch = getopt(argc, argv, "c:d:hl:L:mn:q:sx:")) != -1) {
		switch (ch) {
		case 'c':
			count = (long)stage_number("-c", optarg, 0, 1000000);
			break;
		case 'd':
			c.state = optarg;
			break;
		case 'l':
			c.limits = optarg;
			break;
		case 'L':
			if ((logmode = log_mode_parse(optarg)) == -1)
				log_usage(USAGE);
			break;
		case 'm':
		case 's':
			mode = ch;
			break;
		case 'n':
			c.smtpusers = optarg;
			break;
		case 'q':
			c.queue = optarg;
			break;
		case 'x':
			c.hook = optarg;
			break;
		case 'h':
			puts(USAGE);
			return 0;
		default:
			log_usage(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	log_init("sendlimit", mode == 'q' ? logmode : LOG_TO_STDERR);
	if (mode == 'm') {
		if (argc != 2)
			log_usage(USAGE);
		return compile(argv[0], argv[1]);
	}
	if (argc != 0)
		log_usage(USAGE);
	if (mode == 's')
		return show(&c, count);
	return queue_mode(&c);
}
