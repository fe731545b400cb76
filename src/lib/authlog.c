/*
 * authlog.c: who logged in from where, from the log lines of the
 * programs that see logins.
 *
 * Why it reads as it does: the user name in each line is the client's,
 * any bytes it liked (but control characters), so no parse may look for
 * a word where a user name can stand.  The program is the first word of
 * the line that ends in ':' (after a syslog or multilog stamp and host),
 * so text that merely quotes "authguard:" inside another program's line
 * is nobody's login; each line is then read from the side of it that
 * the user name cannot reach.
 */
#include <ctype.h>
#include <string.h>

#include "authlog.h"

/* The program's name in line, and where its message begins; NULL if none. */
static const char *
program(const char *line, const char *want)
{
	const char	*p = line, *w, *e;
	size_t		 n = strlen(want);
	int		 words;

	for (words = 0; words < 8 && *p; words++) {
		while (*p == ' ')
			p++;
		w = p;
		while (*p && *p != ' ')
			p++;
		if (p == w || p[-1] != ':')
			continue;
		/* NAME: or NAME[pid]: */
		e = p - 1;
		if (e > w && e[-1] == ']') {
			while (e > w && *--e != '[')
				;
			if (*e != '[')
				return NULL;
		}
		if ((size_t)(e - w) != n || strncmp(w, want, n) != 0)
			return NULL;
		return *p == ' ' ? p + 1 : p;
	}
	return NULL;
}

/* Past "pid N: ", as our programs begin every message. */
static const char *
pid(const char *p)
{
	if (strncmp(p, "pid ", 4) != 0 || !isdigit((unsigned char)p[4]))
		return NULL;
	for (p += 4; isdigit((unsigned char)*p); p++)
		;
	return strncmp(p, ": ", 2) == 0 ? p + 2 : NULL;
}

/*
 * authguard: pid N: ok[, weak password] from IP[ (why)]: user NAME.
 * The outcome and the address come first, the name last.
 */
static int
authguard(const char *p, struct authlog *a)
{
	const char	*u;

	if (strncmp(p, "ok from ", 8) == 0)
		p += 8;
	else if (strncmp(p, "ok, weak password from ", 23) == 0)
		p += 23;
	else
		return 0;
	a->ip = p;
	a->iplen = strcspn(p, " ");
	if (a->iplen > 0 && p[a->iplen - 1] == ':')
		a->iplen--;
	if (a->iplen == 0 || (u = strstr(p + a->iplen, ": user ")) == NULL)
		return 0;
	a->user = u + 7;
	a->ulen = strlen(a->user);
	return a->ulen > 0;
}

/*
 * authfirst: pid N: IP: gated[: LISTING], auth USER, N MAIL refused, N
 * bytes in, N out, ENDING.  The address ends at ": gated" or ": tls
 * only"; the user name runs from the first ", auth " to the last ", N
 * MAIL refused, ".  "none" and "failed" name nobody.
 */
static int
authfirst(const char *p, struct authlog *a)
{
	const char	*e, *u, *t, *last = NULL;

	if ((e = strstr(p, ": gated")) == NULL &&
	    (e = strstr(p, ": tls only")) == NULL)
		return 0;
	if ((u = strstr(e, ", auth ")) == NULL)
		return 0;
	u += 7;
	for (t = u; (t = strstr(t, " MAIL refused, ")) != NULL; t++)
		last = t;
	if (last == NULL)
		return 0;
	while (last > u && isdigit((unsigned char)last[-1]))
		last--;
	if (last - u < 3 || strncmp(last - 2, ", ", 2) != 0 ||
	    !isdigit((unsigned char)*last))
		return 0;
	a->ip = p;
	a->iplen = (size_t)(e - p);
	a->user = u;
	a->ulen = (size_t)(last - 2 - u);
	if ((a->ulen == 4 && strncmp(u, "none", 4) == 0) ||
	    (a->ulen == 6 && strncmp(u, "failed", 6) == 0))
		return 0;
	return a->iplen > 0 && a->ulen > 0;
}

/*
 * Plesk's smtp_auth: SMTP user U : PATH logged in from HOST [IP].  The
 * address is the last bracket of the line; the user the first word.
 */
static int
smtp_auth(const char *p, struct authlog *a)
{
	const char	*b;
	size_t		 n = strlen(p);

	if (strncmp(p, "SMTP user ", 10) != 0 || n < 3 || p[n - 1] != ']' ||
	    (b = strrchr(p, '[')) == NULL || strstr(p, " logged in from ") ==
	    NULL)
		return 0;
	a->ip = b + 1;
	a->iplen = (size_t)(p + n - 1 - a->ip);
	a->user = p + 10;
	a->ulen = strcspn(a->user, " ");
	return a->iplen > 0 && a->ulen > 0;
}

/* 1 when line records a successful login, with the address and user. */
int
authlog_parse(const char *line, struct authlog *a)
{
	const char	*p;

	memset(a, 0, sizeof(*a));
	if ((p = program(line, "authguard")) != NULL) {
		a->src = AUTHLOG_AUTHGUARD;
		return (p = pid(p)) != NULL && authguard(p, a);
	}
	if ((p = program(line, "authfirst")) != NULL) {
		a->src = AUTHLOG_AUTHFIRST;
		return (p = pid(p)) != NULL && authfirst(p, a);
	}
	if ((p = program(line, "smtp_auth")) != NULL) {
		a->src = AUTHLOG_SMTP_AUTH;
		return smtp_auth(p, a);
	}
	return 0;
}
