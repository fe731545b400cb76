/*
 * authguard: a checkpassword wrapper.  qmail-smtpd (or qmail-popup) runs
 * it where it ran the real checker; it refuses brute force (too many
 * failures for a user name or a client address within a sliding window)
 * and weak passwords, runs the real checker with the same bytes on fd 3
 * otherwise, and logs who logged in from where, never the password.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <cdb.h>
#include <crack.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/client.h"
#include "lib/guard.h"
#include "lib/kv.h"
#include "lib/ip.h"
#include "lib/log.h"
#include "lib/rstate.h"
#include "lib/stage.h"
#include "lib/window.h"

#define USAGE "usage: authguard [-w] [-s statedir] [-u n] [-i n] [-W seconds] " \
    "[-4 bits] [-6 bits] [-b banned.cdb] [-l syslog|stderr] checkprogram " \
    "[args ...]\n" \
    "       authguard -a [-b banned.cdb] < accounts\n" \
    "       authguard -m banned.cdb banned.tmp < words"

/* argv with the checker in front; kept visible until exit */
char		**withchecker;

struct conf {
	char		 state[512], banned[512], checker[512], cram[512];
	unsigned int	 users, addrs, window, v4len, v6len;
	int		 acceptweak;
	struct rconf	 redis;		/* addr "": the local file only */
};

/* One number in [lo, hi] into *v, or why not. */
static const char *
number(unsigned int *v, const char *s, long long lo, long long hi)
{
	const char	*errstr;
	long long	 n = strtonum(s, lo, hi, &errstr);

	if (errstr == NULL)
		*v = (unsigned int)n;
	return errstr;
}

static const char *
path(char *dst, size_t n, const char *v)
{
	if (v[0] == '\0')
		return "empty";
	return strlcpy(dst, v, n) >= n ? "too long" : NULL;
}

/*
 * One setting, from the file or the environment, checked the same way:
 * NULL, or why the value is wrong ("unknown" for an unknown name).
 */
static const char *
conf_set(struct conf *c, const char *name, const char *v)
{
	if (strcmp(name, "AUTHGUARD_STATE") == 0)
		return path(c->state, sizeof(c->state), v);
	if (strcmp(name, "AUTHGUARD_BANNED") == 0)
		return path(c->banned, sizeof(c->banned), v);
	if (strcmp(name, "AUTHGUARD_CHECKER") == 0)
		return path(c->checker, sizeof(c->checker), v);
	if (strcmp(name, "AUTHGUARD_CRAM") == 0)
		return path(c->cram, sizeof(c->cram), v);
	if (strcmp(name, "AUTHGUARD_USERS") == 0)
		return number(&c->users, v, 1, GUARD_LIMITMAX);
	if (strcmp(name, "AUTHGUARD_ADDRS") == 0)
		return number(&c->addrs, v, 1, GUARD_LIMITMAX);
	if (strcmp(name, "AUTHGUARD_WINDOW") == 0)
		return number(&c->window, v, 1, GUARD_WINDOWMAX);
	if (strcmp(name, "AUTHGUARD_V4PREFIX") == 0)
		return number(&c->v4len, v, 8, 32);
	if (strcmp(name, "AUTHGUARD_V6PREFIX") == 0)
		return number(&c->v6len, v, 16, 128);
	if (strcmp(name, "AUTHGUARD_REDIS") == 0)
		return path(c->redis.addr, sizeof(c->redis.addr), v);
	if (strcmp(name, "AUTHGUARD_REDIS_USER") == 0)
		return path(c->redis.user, sizeof(c->redis.user), v);
	if (strcmp(name, "AUTHGUARD_REDIS_PASSWORD") == 0)
		return path(c->redis.pass, sizeof(c->redis.pass), v);
	if (strcmp(name, "AUTHGUARD_REDIS_PREFIX") == 0)
		return path(c->redis.prefix, sizeof(c->redis.prefix), v);
	if (strcmp(name, "AUTHGUARD_REDIS_TIMEOUT") == 0)
		return number(&c->redis.timeout_ms, v, 1, 60000);
	if (strcmp(name, "AUTHGUARD_WEAK") == 0) {
		if (strcmp(v, "accept") == 0)
			c->acceptweak = 1;
		else if (strcmp(v, "refuse") == 0)
			c->acceptweak = 0;
		else
			return "want accept or refuse";
		return NULL;
	}
	return "unknown";
}

static const char *const settings[] = { "AUTHGUARD_STATE", "AUTHGUARD_BANNED",
    "AUTHGUARD_CHECKER", "AUTHGUARD_CRAM", "AUTHGUARD_USERS", "AUTHGUARD_ADDRS",
    "AUTHGUARD_WINDOW", "AUTHGUARD_V4PREFIX", "AUTHGUARD_V6PREFIX",
    "AUTHGUARD_WEAK", "AUTHGUARD_REDIS", "AUTHGUARD_REDIS_USER",
    "AUTHGUARD_REDIS_PASSWORD", "AUTHGUARD_REDIS_PREFIX",
    "AUTHGUARD_REDIS_TIMEOUT", NULL };

/*
 * Settings: options over environment over the file over defaults.  The
 * file is NAME = value lines; a line that is not one, an unknown name or
 * a bad value stops authguard (100) with the file and line: a setting an
 * admin wrote and authguard ignored would be a limit that is not there.
 */
static void
conf_load(struct conf *c)
{
	const char	*file = getenv("AUTHGUARD_CONF"), *v, *why;
	char		 line[1100], *name, *v0;
	unsigned long	 lineno = 0;
	FILE		*f;
	int		 i;

	if (file == NULL)
		file = "/etc/relaygate/authguard.conf";
	if ((f = fopen(file, "re")) == NULL) {
		if (errno != ENOENT)
			log_fatalsys(111, "unable to read %s", file);
	} else {
		while (fgets(line, sizeof(line), f) != NULL) {
			lineno++;
			if (strchr(line, '\n') == NULL && !feof(f))
				log_fatal(100, "%s:%lu: line too long",
				    file, lineno);
			if ((i = kv_split(line, &name, &v0)) == 0)
				continue;
			if (i == -1)
				log_fatal(100, "%s:%lu: want NAME = value",
				    file, lineno);
			if ((why = conf_set(c, name, v0)) != NULL)
				log_fatal(100, "%s:%lu: %s: %s", file,
				    lineno, name, strcmp(why, "unknown") == 0 ?
				    "unknown setting" : why);
		}
		if (ferror(f))
			log_fatalsys(111, "unable to read %s", file);
		fclose(f);
	}
	for (i = 0; settings[i] != NULL; i++)
		if ((v = getenv(settings[i])) != NULL &&
		    (why = conf_set(c, settings[i], v)) != NULL)
			log_fatal(100, "%s %s: %s", settings[i], v, why);
}

/* An option's value, checked as its setting is. */
static void
conf_option(struct conf *c, int opt, const char *name, const char *v)
{
	const char	*why;

	if ((why = conf_set(c, name, v)) != NULL)
		log_fatal(100, "-%c %s: %s", opt, v, why);
}

/* Why pw is weak, from every rule; NULL when it is not. */
static const char *
weakness(const char *user, const char *pw, int banned)
{
	static char	 why[160];
	const char	*r;

	if ((r = guard_weak(user, pw, banned)) != NULL)
		return r;
	if ((r = FascistCheck(pw, NULL)) != NULL) {
		snprintf(why, sizeof(why), "cracklib: %s", r);
		return why;
	}
	return NULL;
}

/* Run argv with data on its fd 3; its exit status (111 if it died). */
static int
check(char **argv, const char *data, size_t len)
{
	int	p[2], status;
	pid_t	pid;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		return 111;
	if (pid == 0) {
		close(p[1]);
		if (p[0] != 3) {
			if (dup2(p[0], 3) == -1)
				_exit(111);
			close(p[0]);
		}
		execvp(argv[0], argv);
		_exit(111);
	}
	close(p[0]);
	/* a checker may exit without reading it all: EPIPE, not a signal
	 * that would end us before we report its status */
	signal(SIGPIPE, SIG_IGN);
	(void)!write(p[1], data, len);
	close(p[1]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return 111;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 111;
}

/* -a: "user password" lines (or mail_auth_view's table): who is weak. */
static int
audit(int banned)
{
	char		 line[1024], *user, *pw, *save = NULL, *p;
	unsigned long	 total = 0, weak = 0;
	const char	*why;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		for (p = line; *p; p++)
			if (*p == '|' || *p == '\r' || *p == '\n')
				*p = ' ';
		if ((user = strtok_r(line, " \t", &save)) == NULL ||
		    user[0] == '+' || user[0] == '#' ||
		    strcmp(user, "address") == 0)
			continue;
		if ((pw = strtok_r(NULL, " \t", &save)) == NULL)
			pw = "";
		total++;
		if ((why = weakness(user, pw, banned)) == NULL &&
		    pw[0] != '\0')
			continue;
		weak++;
		printf("%s: weak: %s\n", user, pw[0] ? why : "empty password");
	}
	printf("%lu accounts, %lu with weak passwords\n", total, weak);
	return 0;
}

/* -m: a banned-password cdb from word lists, tcprules-style. */
static int
make_banned(const char *cdbpath, const char *tmp)
{
	struct cdb_make	 cm;
	char		 line[512];
	size_t		 n, i;
	unsigned long	 words = 0;
	int		 fd;

	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1)
		log_fatalsys(111, "unable to create %s", tmp);
	cdb_make_start(&cm, fd);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		for (i = 0; i < n; i++)
			line[i] = (char)tolower((unsigned char)line[i]);
		if (cdb_make_put(&cm, line, (unsigned)n, "", 0,
		    CDB_PUT_INSERT) < 0) {
			int saved = errno;

			cdb_make_finish(&cm);	/* frees what it holds */
			errno = saved;
			goto fail;
		}
		words++;
	}
	if (ferror(stdin) || cdb_make_finish(&cm) == -1 || fsync(fd) == -1 ||
	    close(fd) == -1 || rename(tmp, cdbpath) == -1)
		goto fail;
	log_line("%s: %lu words", cdbpath, words);
	return 0;
fail:
	unlink(tmp);
	log_fatalsys(111, "unable to write %s", cdbpath);
}

int
main(int argc, char *argv[])
{
	struct conf		 c = { .state = "/var/lib/relaygate/authguard",
				    .banned = "/etc/relaygate/banned.cdb",
				    .users = 5, .addrs = 20, .window = 900,
				    .v4len = 32, .v6len = 64,
				    .redis = { .prefix = "relaygate:",
				    .timeout_ms = RSTATE_TIMEOUT } };
	struct guard_creds	 cr;
	struct guard_in		 in;
	struct guard_out	 out;
	struct win		 w;
	struct rstate		 rs = { .c = NULL };
	struct win_key		 keys[2];
	struct client		 cl;
	char			 data[GUARD_FD3MAX + 2], addr[IP_FMTLEN] = "unknown";
	char			 akey[IP_FMTLEN + 8], why[1200], detail[1300] = "";
	const char		*weak = NULL, *tr[] = { NULL, "/bin/true", NULL };
	const char		*checker;
	size_t			 len = 0, nkeys = 1;
	ssize_t			 r;
	time_t			 now = time(NULL);
	int			 ch, rc, banned = -1, doaudit = 0, domake = 0;
	int			 counted = 0;
	enum win_take		 took = WIN_ERROR;

	log_init("authguard", LOG_TO_AUTO);
	conf_load(&c);
	while ((ch = getopt(argc, argv, "+4:6:ab:hi:l:ms:u:wW:")) != -1) {
		switch (ch) {
		case '4':
			conf_option(&c, ch, "AUTHGUARD_V4PREFIX", optarg);
			break;
		case '6':
			conf_option(&c, ch, "AUTHGUARD_V6PREFIX", optarg);
			break;
		case 'a':
			doaudit = 1;
			break;
		case 'b':
			conf_option(&c, ch, "AUTHGUARD_BANNED", optarg);
			break;
		case 'h':
			puts(USAGE);
			return 0;
		case 'i':
			conf_option(&c, ch, "AUTHGUARD_ADDRS", optarg);
			break;
		case 'l':
			stage_logopt("authguard", optarg);
			break;
		case 'm':
			domake = 1;
			break;
		case 's':
			conf_option(&c, ch, "AUTHGUARD_STATE", optarg);
			break;
		case 'u':
			conf_option(&c, ch, "AUTHGUARD_USERS", optarg);
			break;
		case 'w':
			c.acceptweak = 1;
			break;
		case 'W':
			conf_option(&c, ch, "AUTHGUARD_WINDOW", optarg);
			break;
		default:
			stage_usage(USAGE);
		}
	}
	argv += optind;
	argc -= optind;
	if (domake) {
		if (argc != 2)
			stage_usage(USAGE);
		return make_banned(argv[0], argv[1]);
	}
	banned = open(c.banned, O_RDONLY | O_CLOEXEC);
	if (doaudit)
		return audit(banned);

	/* the checkpassword interface: at most 512 bytes on fd 3 */
	while (len < sizeof(data) && (r = read(3, data + len,
	    sizeof(data) - len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_fatalsys(2, "unable to read fd 3");
		}
		len += (size_t)r;
	}
	close(3);
	if (len > GUARD_FD3MAX)
		log_fatal(2, "more than %d bytes on fd 3", GUARD_FD3MAX);
	if (guard_parse(data, len, &cr) == -1)
		log_fatal(2, "fd 3 does not hold user and password "
		    "ended by NUL bytes");

	/*
	 * Plesk's qmail-smtpd takes its checkers in pairs ("smtp_auth true
	 * cmd5checkpw true"): there authguard takes each checker's word and
	 * AUTHGUARD_CHECKER (AUTHGUARD_CRAM for CRAM-MD5) names the checker,
	 * so the pairs stay pairs.
	 */
	checker = cr.cram && c.cram[0] ? c.cram : c.checker;
	if (checker[0] != '\0') {
		if ((withchecker = calloc((size_t)argc + 2,
		    sizeof(*withchecker))) == NULL)
			log_fatal(111, "out of memory");
		withchecker[0] = (char *)(uintptr_t)checker;
		for (ch = 0; ch < argc; ch++)
			withchecker[ch + 1] = argv[ch];
		argv = withchecker;
		argc++;
	}
	if (argc < 1)
		stage_usage(USAGE);
	/*
	 * In the pair form authguard's own words are "authguard true": with
	 * no AUTHGUARD_CHECKER it would run true, which accepts everyone.
	 */
	if (strcmp(basename(argv[0]), "true") == 0)
		log_fatal(111, "the checkprogram would be %s, which "
		    "accepts every password: set AUTHGUARD_CHECKER", argv[0]);

	memset(keys, 0, sizeof(keys));
	keys[0] = (struct win_key){ .kind = "u", .name = cr.user,
	    .limit = c.users };
	/* the socket on fd 0 (xinetd, systemd, tcpserver), else TCPREMOTEIP */
	if (client_get(&cl) == 0) {
		ip_fmt(&cl.remote, addr, sizeof(addr));
		guard_addrkey(&cl.remote, c.v4len, c.v6len, akey, sizeof(akey));
		keys[nkeys++] = (struct win_key){ .kind = "i", .name = akey,
		    .limit = c.addrs };
	}

	/* count first, as one locked step; no state means no limits */
	memset(&in, 0, sizeof(in));
	in.maxuser = (int)c.users;
	in.maxaddr = (int)c.addrs;
	in.acceptweak = c.acceptweak;
	w.fd = -1;
	if (c.redis.addr[0] != '\0') {
		/* shared with the other hosts; locally for as long as not */
		if (rstate_open(&rs, &c.redis, why, sizeof(why)) == -1 ||
		    (took = rstate_win_take(&rs, keys, nkeys, c.window, why,
		    sizeof(why))) == WIN_ERROR) {
			rstate_close(&rs);
			if (rstate_outage(c.state, 1) != 0)
				log_line("warning: %s: counting locally until "
				    "it answers", why);
		} else if (rstate_outage(c.state, 0) == 1)
			log_line("redis %s answers again: counting there",
			    c.redis.addr);
	}
	if (rs.c == NULL && (rc = win_open(&w, c.state, why, sizeof(why))) !=
	    0)
		log_line("warning: %s%s", why, rc < 0 ?
		    ": failures are not counted" : "");
	if (rs.c == NULL && w.fd != -1 && (took = win_take(&w, keys, nkeys,
	    now, c.window, why, sizeof(why))) == WIN_ERROR)
		log_line("warning: %s: failures are not counted", why);
	in.nuser = keys[0].count;
	in.naddr = nkeys > 1 ? keys[1].count : 0;
	in.full = took == WIN_FULL;
	out = guard_decide(&in);
	if (out.verdict == GUARD_FULL) {
		log_line("%s from %s (no room for a new key: %u live keys at "
		    "most): user %.200s", guard_verdict_name(out.verdict), addr,
		    (unsigned int)WIN_KEYSMAX, cr.user);
		return 1;
	}
	if (out.verdict == GUARD_LOCKED) {
		log_line("%s from %s (%d failures for the user, %d from %s in "
		    "%u s): user %.200s", guard_verdict_name(out.verdict), addr,
		    in.nuser, in.naddr, nkeys > 1 ? akey : "unknown", c.window,
		    cr.user);
		return 1;
	}
	counted = took == WIN_ADMITTED;

	if (!cr.cram)
		weak = weakness(cr.user, cr.pass, banned);
	if (weak != NULL && !c.acceptweak) {
		/* is it right, though?  Ask without starting the session */
		tr[0] = argv[0];
		rc = check((char **)(uintptr_t)tr, data, len);
	} else
		rc = check(argv, data, len);

	in.checked = 1;
	in.status = rc;
	in.weak = weak != NULL;
	out = guard_decide(&in);
	if (counted && out.record == GUARD_REC_TAKEBACK && rs.c != NULL &&
	    rstate_win_give(&rs, keys, nkeys, why, sizeof(why)) == -1)
		log_line("warning: %s", why);
	else if (counted && out.record == GUARD_REC_TAKEBACK && rs.c == NULL &&
	    win_give(&w, keys, nkeys, now) == -1)
		log_line("warning: %s: %s", w.path, strerror(errno));
	rstate_close(&rs);
	if (out.verdict == GUARD_WEAK || out.verdict == GUARD_OK_WEAK)
		snprintf(detail, sizeof(detail), " (%s)", weak);
	else if (out.verdict == GUARD_FAILED)
		snprintf(detail, sizeof(detail), " (status %d)", rc);
	log_line("%s from %s%s: user %.200s", guard_verdict_name(out.verdict),
	    addr, detail, cr.user);
	switch (out.verdict) {
	case GUARD_OK:
	case GUARD_OK_WEAK:
		return 0;
	case GUARD_FAILED:
		return rc;
	default:
		return 1;
	}
}
