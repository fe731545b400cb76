/*
 * guard.c: what authguard needs.
 *
 * State: one file in the state directory, a fixed table of GUARD_SLOTS
 * slots (so it never grows), each holding the failure times of one user
 * name or client address, found by hash with a short linear probe.
 * Every read-modify-write holds an fcntl lock on the file, so any number
 * of concurrent logins are all counted.  A file of the wrong size or
 * magic is moved aside and started afresh: a broken state file neither
 * locks everyone out nor keeps anyone locked.
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

#define MAGIC		"RGGUARD1"
#define HEADER		64
#define PROBE		8

/*
 * user\0password\0timestamp\0, or for CRAM-MD5 user\0challenge\0digest\0.
 * The last part may be missing (some callers send two), nothing else.
 */
int
guard_parse(const char *d, size_t len, struct guard_creds *c)
{
	const char	*nul1, *nul2, *nul3;
	size_t		 i, dl;

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
	/* CRAM-MD5: "<...@...>" and 32 hex digits */
	dl = strlen(c->third);
	if (c->pass[0] == '<' && c->pass[strlen(c->pass) - 1] == '>' &&
	    strchr(c->pass, '@') && dl == 32) {
		for (i = 0; i < dl && isxdigit((unsigned char)c->third[i]); i++)
			;
		c->cram = i == dl;
	}
	return 0;
}

/* Failures of a slot inside the window (now - window, now]. */
int
guard_count(const struct guard_slot *s, time_t now, unsigned int window)
{
	int	i, n = 0;

	for (i = 0; i < s->n && i < GUARD_LIMITMAX; i++)
		if ((time_t)s->ts[i] > now - (time_t)window &&
		    (time_t)s->ts[i] <= now + 60)
			n++;
	return n;
}

/* Record a failure: forget those out of the window, keep the newest. */
void
guard_fail(struct guard_slot *s, time_t now, unsigned int window)
{
	int	i, k = 0;

	for (i = 0; i < s->n && i < GUARD_LIMITMAX; i++)
		if ((time_t)s->ts[i] > now - (time_t)window)
			s->ts[k++] = s->ts[i];
	if (k == GUARD_LIMITMAX) {
		memmove(s->ts, s->ts + 1, (GUARD_LIMITMAX - 1) * sizeof(s->ts[0]));
		k--;
	}
	s->ts[k++] = (uint32_t)now;
	s->n = (uint8_t)k;
	s->last = (uint32_t)now;
}

/* FNV-1a over a kind ("u" or "i") and a key; never 0. */
uint64_t
guard_hash(const char *kind, const char *key)
{
	uint64_t	h = 14695981039346656037ULL;
	const char	*p;

	for (p = kind; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ ':') * 1099511628211ULL;
	for (p = key; *p; p++)
		h = (h ^ (unsigned char)tolower((unsigned char)*p)) *
		    1099511628211ULL;
	return h ? h : 1;
}

static int
lock(int fd, short type)
{
	struct flock	fl = { .l_type = type, .l_whence = SEEK_SET };

	while (fcntl(fd, F_SETLKW, &fl) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

static off_t
slot_off(size_t i)
{
	return (off_t)(HEADER + i * sizeof(struct guard_slot));
}

static int
fresh(int fd)
{
	char	hdr[HEADER] = MAGIC;

	if (ftruncate(fd, 0) == -1 ||
	    ftruncate(fd, slot_off(GUARD_SLOTS)) == -1 ||
	    pwrite(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return -1;
	return 0;
}

/* Open (creating if need be) the state file in dir; why on failure. */
int
guard_open(struct guard_state *g, const char *dir, char *why, size_t n)
{
	struct stat	st;
	char		hdr[sizeof(MAGIC) - 1], aside[1100];

	g->fd = -1;
	snprintf(g->path, sizeof(g->path), "%s/failures", dir);
	if ((g->fd = open(g->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(why, n, "%s: %s", g->path, strerror(errno));
		return -1;
	}
	if (lock(g->fd, F_WRLCK) == -1 || fstat(g->fd, &st) == -1)
		goto fail;
	if (st.st_size == 0) {
		if (fresh(g->fd) == -1)
			goto fail;
	} else if (st.st_size != slot_off(GUARD_SLOTS) ||
	    pread(g->fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr, MAGIC, sizeof(hdr)) != 0) {
		/* broken: keep it for a look, start again */
		snprintf(aside, sizeof(aside), "%s.corrupt", g->path);
		rename(g->path, aside);
		close(g->fd);
		if ((g->fd = open(g->path, O_RDWR | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1 ||
		    lock(g->fd, F_WRLCK) == -1 || fresh(g->fd) == -1)
			goto fail;
		snprintf(why, n, "%s was corrupt: moved to %s", g->path, aside);
		lock(g->fd, F_UNLCK);
		return 1;
	}
	lock(g->fd, F_UNLCK);
	return 0;
fail:
	snprintf(why, n, "%s: %s", g->path, strerror(errno));
	if (g->fd != -1)
		close(g->fd);
	g->fd = -1;
	return -1;
}

void
guard_close(struct guard_state *g)
{
	if (g->fd != -1)
		close(g->fd);
	g->fd = -1;
}

/* Find the slot of hash (1), or where it would go (0); under a lock. */
static int
find(int fd, uint64_t hash, struct guard_slot *s, size_t *at)
{
	size_t		i, k, victim = hash % GUARD_SLOTS;
	uint32_t	oldest = UINT32_MAX;

	for (k = 0; k < PROBE; k++) {
		i = (hash + k) % GUARD_SLOTS;
		if (pread(fd, s, sizeof(*s), slot_off(i)) != (ssize_t)sizeof(*s))
			return -1;
		if (s->hash == hash) {
			*at = i;
			return 1;
		}
		if (s->hash == 0) {
			victim = i;
			oldest = 0;
			break;
		}
		if (s->last < oldest) {	/* full: the stalest goes */
			oldest = s->last;
			victim = i;
		}
	}
	memset(s, 0, sizeof(*s));
	s->hash = hash;
	*at = victim;
	return 0;
}

int
guard_get(struct guard_state *g, uint64_t hash, struct guard_slot *s)
{
	size_t	at;
	int	rc;

	if (lock(g->fd, F_RDLCK) == -1)
		return -1;
	rc = find(g->fd, hash, s, &at);
	lock(g->fd, F_UNLCK);
	if (rc == 0)
		s->n = 0;
	return rc < 0 ? -1 : 0;
}

/* fail: record a failure; else clear the key (a success). */
int
guard_update(struct guard_state *g, uint64_t hash, time_t now,
    unsigned int window, int fail)
{
	struct guard_slot	s;
	size_t			at;
	int			rc;

	if (lock(g->fd, F_WRLCK) == -1)
		return -1;
	rc = find(g->fd, hash, &s, &at);
	if (rc >= 0) {
		if (fail)
			guard_fail(&s, now, window);
		else
			memset(&s, 0, sizeof(s));
		if ((fail || rc == 1) && pwrite(g->fd, &s, sizeof(s),
		    slot_off(at)) != (ssize_t)sizeof(s))
			rc = -1;
	}
	lock(g->fd, F_UNLCK);
	return rc < 0 ? -1 : 0;
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
