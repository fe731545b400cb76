/*
 * guard.c: what authguard needs apart from its state (window.c): fd 3 as
 * qmail's AUTH patch and qmail-popup write it, the decision, the key of
 * a client address, weak passwords.
 *
 * Why the decision records a failure before the checker runs: logins run
 * in parallel, and a limit read before and counted after the checker lets
 * every login that started below the limit through.  The failure is
 * provisional: a success, or a checker that could not decide, takes it
 * back.  A success takes back only its own: a victim who logs in while an
 * attacker guesses does not reset the attacker's count.
 */
#include <sys/stat.h>
#include <cdb.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "guard.h"

/* "<...@...>": a CRAM-MD5 challenge or an APOP timestamp. */
static int
challenge(const char *s)
{
	size_t	n = strlen(s);

	return n > 2 && s[0] == '<' && s[n - 1] == '>' && strchr(s, '@');
}

static int
digest(const char *s)
{
	size_t	i;

	for (i = 0; isxdigit((unsigned char)s[i]); i++)
		;
	return i == 32 && s[i] == '\0';
}

/*
 * What qmail's callers write on fd 3: the AUTH patch (Erwin Hoffmann's,
 * in netqmail-based builds) writes user\0password\0 for LOGIN and PLAIN,
 * with an empty third part when CRAM-MD5 is on, and user\0digest\0
 * challenge\0 for CRAM-MD5; qmail-popup writes user\0password\0
 * timestamp\0.  Older patches put the challenge before the digest; both
 * orders are read.  The third part may be missing, nothing else.
 */
int
guard_parse(const char *d, size_t len, struct guard_creds *c)
{
	const char	*nul1, *nul2, *nul3;

	memset(c, 0, sizeof(*c));
	if (len > GUARD_FD3MAX)
		return -1;
	memcpy(c->buf, d, len);
	c->buf[len] = '\0';
	c->len = len;
	if ((nul1 = memchr(c->buf, '\0', len)) == NULL || nul1 == c->buf)
		return -1;
	if ((nul2 = memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - c->buf)))
	    == NULL)
		return -1;
	c->user = c->buf;
	c->pass = nul1 + 1;
	c->third = "";
	if (nul2 + 1 < c->buf + len) {
		nul3 = memchr(nul2 + 1, '\0', len - (size_t)(nul2 + 1 - c->buf));
		if (nul3 == NULL)
			return -1;
		c->third = nul2 + 1;
	}
	/* a digest and a challenge, in either order: no password here */
	c->cram = (digest(c->pass) && challenge(c->third)) ||
	    (challenge(c->pass) && digest(c->third));
	return 0;
}

/*
 * The decision, one row per case (the unit tests follow this table):
 *
 *   state full for a new key          -> GUARD_FULL        record nothing
 *   user at its limit                 -> GUARD_LOCKED      record nothing
 *   address at its limit              -> GUARD_LOCKED      record nothing
 *   not checked yet                   -> GUARD_CHECK       provisional failure
 *   checker 0, strong                 -> GUARD_OK          take it back
 *   checker 0, weak, weak accepted    -> GUARD_OK_WEAK     take it back
 *   checker 0, weak, weak refused     -> GUARD_WEAK        keep it
 *   checker 1                         -> GUARD_BAD         keep it
 *   checker anything else             -> GUARD_FAILED      take it back
 */
struct guard_out
guard_decide(const struct guard_in *in)
{
	struct guard_out	o = { GUARD_CHECK, GUARD_REC_NONE };

	if (!in->checked) {
		if (in->full)
			o.verdict = GUARD_FULL;
		else if (in->nuser >= in->maxuser || in->naddr >= in->maxaddr)
			o.verdict = GUARD_LOCKED;
		else
			o.record = GUARD_REC_PROVISIONAL;
		return o;
	}
	if (in->status == 0 && !in->weak) {
		o.verdict = GUARD_OK;
		o.record = GUARD_REC_TAKEBACK;
	} else if (in->status == 0 && in->acceptweak) {
		o.verdict = GUARD_OK_WEAK;
		o.record = GUARD_REC_TAKEBACK;
	} else if (in->status == 0) {
		o.verdict = GUARD_WEAK;
		o.record = GUARD_REC_KEEP;
	} else if (in->status == 1) {
		o.verdict = GUARD_BAD;
		o.record = GUARD_REC_KEEP;
	} else {
		o.verdict = GUARD_FAILED;
		o.record = GUARD_REC_TAKEBACK;
	}
	return o;
}

/* The words each verdict is logged with, first on the line. */
const char *
guard_verdict_name(enum guard_verdict v)
{
	switch (v) {
	case GUARD_FULL:	return "refused, state full";
	case GUARD_LOCKED:	return "locked";
	case GUARD_CHECK:	return "checking";
	case GUARD_OK:		return "ok";
	case GUARD_OK_WEAK:	return "ok, weak password";
	case GUARD_WEAK:	return "weak password refused";
	case GUARD_BAD:		return "bad password";
	case GUARD_FAILED:	return "checker failed";
	}
	return "?";
}

/*
 * The key that counts an address: the network of v4len (IPv4) or v6len
 * (IPv6) bits around it, "192.0.2.7/32", "2001:db8:1:2::/64".  One host
 * on IPv6 holds a whole /64, so counting single addresses counts nothing.
 */
void
guard_addrkey(const struct ip *ip, unsigned int v4len, unsigned int v6len,
    char *buf, size_t n)
{
	struct ip	net = *ip;
	char		a[IP_FMTLEN];
	unsigned int	len = ip->family == AF_INET ? v4len : v6len;

	ip_mask(&net, len);
	ip_fmt(&net, a, sizeof(a));
	snprintf(buf, n, "%s/%u", a, len);
}

/* The passwords every guesser tries first. */
static const char *const common[] = {
	"123456", "password", "12345678", "qwerty", "123456789", "12345",
	"1234", "111111", "1234567", "dragon", "123123", "baseball",
	"abc123", "football", "monkey", "letmein", "696969", "shadow",
	"master", "666666", "qwertyuiop", "123321", "mustang", "1234567890",
	"michael", "654321", "superman", "1qaz2wsx", "7777777", "121212",
	"000000", "qazwsx", "123qwe", "killer", "trustno1", "jordan",
	"jennifer", "zxcvbnm", "asdfgh", "hunter", "buster", "soccer",
	"harley", "batman", "andrew", "tigger", "sunshine", "iloveyou",
	"charlie", "robert", "thomas", "hockey", "ranger", "daniel",
	"starwars", "112233", "george", "computer", "michelle", "jessica",
	"pepper", "1111", "zxcvbn", "555555", "11111111", "131313",
	"freedom", "777777", "pass", "maggie", "159753", "aaaaaa", "ginger",
	"princess", "joshua", "cheese", "amanda", "summer", "love", "ashley",
	"nicole", "chelsea", "matthew", "access", "yankees", "987654321",
	"dallas", "austin", "thunder", "taylor", "matrix", "test", "test123",
	"testing", "admin", "administrator", "welcome", "changeme",
	"passw0rd", "p@ssw0rd", "secret", "root", "qwerty123", "password1",
	"123abc", "mail", "email", "postmaster", "guest", "default",
	NULL
};

int
guard_common(const char *pw)
{
	int	i;

	for (i = 0; common[i] != NULL; i++)
		if (strcasecmp(common[i], pw) == 0)
			return 1;
	return 0;
}

static int
in_cdb(int fd, const char *pw)
{
	char		key[256];
	size_t		i, n = strlen(pw);
	unsigned int	dlen;

	if (fd < 0 || n == 0 || n >= sizeof(key))
		return 0;
	for (i = 0; i < n; i++)
		key[i] = (char)tolower((unsigned char)pw[i]);
	return cdb_seek(fd, key, (unsigned)n, &dlen) > 0;
}

/*
 * Why pw is weak for user, or NULL.  banned: an open cdb, or -1.
 * cracklib's verdict comes from the caller (it needs its dictionary).
 */
const char *
guard_weak(const char *user, const char *pw, int banned)
{
	const char	*at = strchr(user, '@');
	char		 local[256];

	if (strcasecmp(pw, user) == 0)
		return "equal to the user name";
	if (at != NULL) {
		snprintf(local, sizeof(local), "%.*s", (int)(at - user), user);
		if (strcasecmp(pw, local) == 0)
			return "equal to the mailbox name";
		if (strcasecmp(pw, at + 1) == 0)
			return "equal to the domain";
	}
	if (guard_common(pw))
		return "one of the most common passwords";
	if (in_cdb(banned, pw))
		return "in the banned list";
	return NULL;
}
