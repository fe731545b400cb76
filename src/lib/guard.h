/* guard.h: authguard's pieces: fd 3, the decision, address keys, weak
 * passwords.  Its failure windows are in window.h. */
#ifndef RG_GUARD_H
#define RG_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ip.h"
#include "window.h"

#define GUARD_FD3MAX	512		/* the checkpassword interface's limit */
#define GUARD_LIMITMAX	WIN_EVENTS	/* the highest -u and -i */
#define GUARD_WINDOWMAX	(86400 * 7)

struct guard_creds {
	char	buf[GUARD_FD3MAX + 1];
	size_t	len;
	const char *user, *pass, *third;
	int	cram;		/* CRAM-MD5 or APOP: no password to judge */
};

int	guard_parse(const char *, size_t, struct guard_creds *);

enum guard_verdict {
	GUARD_FULL,		/* no room to count a new key: refused */
	GUARD_LOCKED,		/* a limit is reached: refused unchecked */
	GUARD_CHECK,		/* below the limits: ask the checker */
	GUARD_OK,
	GUARD_OK_WEAK,		/* right and weak, and weak is accepted */
	GUARD_WEAK,		/* right but weak: refused, a failure */
	GUARD_BAD,		/* the checker said no: a failure */
	GUARD_FAILED		/* the checker could not decide */
};

enum guard_record {
	GUARD_REC_NONE,
	GUARD_REC_PROVISIONAL,	/* count a failure now, before the checker */
	GUARD_REC_KEEP,		/* it was one */
	GUARD_REC_TAKEBACK	/* it was not */
};

struct guard_in {
	int		nuser, naddr;		/* failures in the window */
	int		maxuser, maxaddr;	/* -u, -i */
	int		full;			/* no room for a new key */
	int		checked;		/* status is the checker's */
	int		status;			/* its exit status */
	int		weak;			/* the password is weak */
	int		acceptweak;		/* -w */
};

struct guard_out {
	enum guard_verdict	verdict;
	enum guard_record	record;
};

struct guard_out guard_decide(const struct guard_in *);
const char *guard_verdict_name(enum guard_verdict);
void	guard_addrkey(const struct ip *, unsigned int, unsigned int, char *,
	    size_t);

const char *guard_weak(const char *, const char *, int);
int	guard_common(const char *);

#endif
