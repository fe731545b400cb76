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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/guard.h"
#include "lib/ip.h"
#include "lib/log.h"

#define USAGE "usage: authguard [-w] [-s statedir] [-u n] [-i n] " \
    "[-W seconds] [-b banned.cdb] [-l syslog|stderr] checkprogram [args ...]\n" \
    "       authguard -a [-b banned.cdb] < accounts\n" \
    "       authguard -m banned.cdb banned.tmp < words"

/* argv with AUTHGUARD_CHECKER in front; kept visible until exit */
char		**withchecker;

struct conf {
	const char	*state;
	const char	*banned;
	unsigned int	 users, addrs, window;
	int		 acceptweak;
};

/* One setting, from the file or the environment, checked the same way. */
static void
conf_set(struct conf *c, const char *name, const char *v)
{
	static char	state[512], banned[512];

	if (strcmp(name, "AUTHGUARD_STATE") == 0) {
		strlcpy(state, v, sizeof(state));
		c->state = state;
	} else if (strcmp(name, "AUTHGUARD_BANNED") == 0) {
		strlcpy(banned, v, sizeof(banned));
		c->banned = banned;
	} else if (strcmp(name, "AUTHGUARD_USERS") == 0)
		c->users = (unsigned int)log_number(name, v, 1, GUARD_LIMITMAX);
	else if (strcmp(name, "AUTHGUARD_ADDRS") == 0)
		c->addrs = (unsigned int)log_number(name, v, 1, GUARD_LIMITMAX);
	else if (strcmp(name, "AUTHGUARD_WINDOW") == 0)
		c->window = (unsigned int)log_number(name, v, 1,
		    GUARD_WINDOWMAX);
	else if (strcmp(name, "AUTHGUARD_WEAK") == 0)
		c->acceptweak = strcmp(v, "accept") == 0;
}

static const char *const settings[] = { "AUTHGUARD_STATE", "AUTHGUARD_BANNED",
    "AUTHGUARD_USERS", "AUTHGUARD_ADDRS", "AUTHGUARD_WINDOW", "AUTHGUARD_WEAK",
    NULL };

/* Settings: options over environment over the file over defaults. */
static void
conf_load(struct conf *c)
{
	const char	*path = getenv("AUTHGUARD_CONF"), *v;
	char		 line[600], *eq;
	FILE		*f;
	int		 i;

	if (path == NULL)
		path = "/etc/relaygate/authguard.conf";
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] == '#' || (eq = strchr(line, '=')) == NULL)
				continue;
			*eq = '\0';
			conf_set(c, line, eq + 1);
		}
		fclose(f);
	}
	for (i = 0; settings[i] != NULL; i++)
		if ((v = getenv(settings[i])) != NULL)
			conf_set(c, settings[i], v);
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
	(void)!write(p[1], data, len);	/* a checker may not read it all */
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
		log_fatal(111, "fatal: unable to create %s: %s", tmp,
		    strerror(errno));
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
	log_fatal(111, "fatal: unable to write %s: %s", cdbpath,
	    strerror(errno));
}

int
main(int argc, char *argv[])
{
	struct conf		 c = { "/var/lib/relaygate/authguard",
				    "/etc/relaygate/banned.cdb", 5, 20, 900, 0 };
	struct guard_creds	 cr;
	struct guard_state	 g;
	struct guard_slot	 su, si;
	struct ip		 ip;
	char			 data[GUARD_FD3MAX + 2], addr[IP_FMTLEN] = "unknown";
	char			 why[1200];
	const char		*weak = NULL, *tr[] = { NULL, "/bin/true", NULL };
	size_t			 len = 0;
	ssize_t			 r;
	time_t			 now = time(NULL);
	int			 ch, rc, banned = -1, doaudit = 0, domake = 0;
	int			 havestate, nu = 0, ni = 0;
	char			*checker;

	log_init("authguard", LOG_TO_AUTO);
	conf_load(&c);
	while ((ch = getopt(argc, argv, "+ab:hi:l:ms:u:wW:")) != -1) {
		switch (ch) {
		case 'a':
			doaudit = 1;
			break;
		case 'b':
			c.banned = optarg;
			break;
		case 'h':
			puts(USAGE);
			return 0;
		case 'i':
			c.addrs = (unsigned int)log_number("-i", optarg, 1,
			    GUARD_LIMITMAX);
			break;
		case 'l':
			log_option("authguard", optarg);
			break;
		case 'm':
			domake = 1;
			break;
		case 's':
			c.state = optarg;
			break;
		case 'u':
			c.users = (unsigned int)log_number("-u", optarg, 1,
			    GUARD_LIMITMAX);
			break;
		case 'w':
			c.acceptweak = 1;
			break;
		case 'W':
			c.window = (unsigned int)log_number("-W", optarg, 1,
			    GUARD_WINDOWMAX);
			break;
		default:
			log_fatal(100, "%s", USAGE);
		}
	}
	argv += optind;
	argc -= optind;
	if (domake) {
		if (argc != 2)
			log_fatal(100, "%s", USAGE);
		return make_banned(argv[0], argv[1]);
	}
	banned = open(c.banned, O_RDONLY | O_CLOEXEC);
	if (doaudit)
		return audit(banned);
	/*
	 * Plesk's qmail-smtpd takes its checkers in pairs ("smtp_auth true
	 * cmd5checkpw true"): there authguard replaces the checker's word
	 * and AUTHGUARD_CHECKER names the checker, so the pairs stay pairs.
	 */
	if ((checker = getenv("AUTHGUARD_CHECKER")) != NULL) {
		if ((withchecker = calloc((size_t)argc + 2,
		    sizeof(*withchecker))) == NULL)
			log_fatal(111, "fatal: out of memory");
		withchecker[0] = checker;
		for (ch = 0; ch < argc; ch++)
			withchecker[ch + 1] = argv[ch];
		argv = withchecker;
		argc++;
	}
	if (argc < 1)
		log_fatal(100, "%s", USAGE);

	/* the checkpassword interface: at most 512 bytes on fd 3 */
	while (len < sizeof(data) && (r = read(3, data + len,
	    sizeof(data) - len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_fatal(2, "fatal: unable to read fd 3: %s",
			    strerror(errno));
		}
		len += (size_t)r;
	}
	close(3);
	if (len > GUARD_FD3MAX)
		log_fatal(2, "fatal: more than %d bytes on fd 3", GUARD_FD3MAX);
	if (guard_parse(data, len, &cr) == -1)
		log_fatal(2, "fatal: fd 3 does not hold user and password "
		    "ended by NUL bytes");
	if (ip_parse(&ip, getenv("TCPREMOTEIP")) == 0)
		ip_fmt(&ip, addr, sizeof(addr));

	/* brute force: no state means no limits, never no logins */
	if ((rc = guard_open(&g, c.state, why, sizeof(why))) != 0)
		log_line("warning: %s%s", why, rc < 0 ?
		    ": failures are not counted" : "");
	havestate = g.fd != -1;
	if (havestate && guard_get(&g, guard_hash("u", cr.user), &su) == 0 &&
	    guard_get(&g, guard_hash("i", addr), &si) == 0) {
		nu = guard_count(&su, now, c.window);
		ni = strcmp(addr, "unknown") ? guard_count(&si, now, c.window) :
		    0;
	}
	if (nu >= (int)c.users || ni >= (int)c.addrs) {
		log_line("%s from %s: locked (%d failures for the user, %d from "
		    "the address in %u s)", cr.user, addr, nu, ni, c.window);
		return 1;
	}

	if (!cr.cram)
		weak = weakness(cr.user, cr.pass, banned);
	if (weak != NULL && !c.acceptweak) {
		/* is it right, though?  Ask without starting the session */
		tr[0] = argv[0];
		rc = check((char **)(uintptr_t)tr, data, len);
	} else
		rc = check(argv, data, len);

	if (rc == 0 && (weak == NULL || c.acceptweak)) {
		if (havestate)
			guard_update(&g, guard_hash("u", cr.user), now,
			    c.window, 0);
		if (weak)
			log_line("%s from %s: ok, weak password (%s)", cr.user,
			    addr, weak);
		else
			log_line("%s from %s: ok", cr.user, addr);
		return 0;
	}
	if (rc == 0 || rc == 1) {
		if (havestate) {
			guard_update(&g, guard_hash("u", cr.user), now,
			    c.window, 1);
			if (strcmp(addr, "unknown") != 0)
				guard_update(&g, guard_hash("i", addr), now,
				    c.window, 1);
		}
		if (rc == 0)
			log_line("%s from %s: weak password refused (%s)",
			    cr.user, addr, weak);
		else
			log_line("%s from %s: bad password", cr.user, addr);
		return 1;
	}
	log_line("%s from %s: checker failed with status %d", cr.user, addr,
	    rc);
	return rc;
}
