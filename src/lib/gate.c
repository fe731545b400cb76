/* gate.c: rules first, then the POP stamp; deny ends it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "stamp.h"

static int
vars_have(const char *vars, size_t len, const char *name)
{
	const char	*p, *end = vars + len;
	size_t		 n = strlen(name);

	for (p = vars; p < end; p += strlen(p) + 1)
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return 1;
	return 0;
}

/*
 * db may be NULL (no -x), popdir may be NULL (no -p).  Returns -1 only
 * when the rules database is corrupt: the caller must not let the
 * client in on a guess.
 */
int
gate_decide(struct rules_db *db, const char *popdir, unsigned int expire,
    time_t now, const struct ip *client, struct gate_result *r)
{
	int	rc;

	memset(r, 0, sizeof(*r));
	r->decision = GATE_NORELAY;
	if (db != NULL) {
		if ((rc = rules_find(db, client, &r->m)) < 0)
			return -1;
		r->matched = rc;
		if (rc && r->m.deny) {
			r->decision = GATE_DENY;
			return 0;
		}
		if (rc && vars_have(r->m.vars, r->m.varslen, "RELAYCLIENT")) {
			r->decision = GATE_RELAY;
			return 0;
		}
	}
	if (popdir != NULL) {
		rc = stamp_check(popdir, client, now, expire, &r->stamp_age,
		    &r->stamp_owner);
		if (rc == STAMP_ERROR)
			r->stamp_error = errno;
		else if (rc == STAMP_OPENDIR || rc == STAMP_FOREIGN)
			r->stamp_refused = rc;
		else if (rc == STAMP_FRESH) {
			r->stamp = 1;
			r->decision = GATE_RELAY;
		}
	}
	return 0;
}

/* The rule's variables, then the stamp's, which win. */
int
gate_apply(const struct gate_result *r)
{
	const char	*p, *end;
	char		 pfx[IP_FMTLEN + 8];

	if (r->matched) {
		end = r->m.vars + r->m.varslen;
		/* each entry is NAME=value\0 inside the read-only map */
		for (p = r->m.vars; p < end; p += strlen(p) + 1)
			if (putenv((char *)(uintptr_t)p) != 0)
				return -1;
		rules_fmt_pfx(&r->m.net, r->m.len, pfx, sizeof(pfx));
		if (setenv("RELAYGATE_RULE", pfx, 1) == -1)
			return -1;
	}
	if (r->stamp) {
		if (setenv("RELAYCLIENT", "", 1) == -1 ||
		    setenv("RBLSMTPD", "", 1) == -1)
			return -1;
	}
	return 0;
}

const char *
gate_word(enum gate_decision d)
{
	switch (d) {
	case GATE_RELAY:
		return "relay";
	case GATE_DENY:
		return "deny";
	default:
		return "norelay";
	}
}

void
gate_why(const struct gate_result *r, char *buf, size_t n)
{
	char	pfx[IP_FMTLEN + 8];
	int	off = 0;

	if (r->matched) {
		rules_fmt_pfx(&r->m.net, r->m.len, pfx, sizeof(pfx));
		off = snprintf(buf, n, "rule %s", pfx);
	} else
		off = snprintf(buf, n, "no rule");
	if (off < 0 || (size_t)off >= n)
		return;
	if (r->stamp)
		snprintf(buf + off, n - (size_t)off, ", pop stamp %lds old",
		    r->stamp_age);
	else if (r->stamp_refused == STAMP_OPENDIR)
		snprintf(buf + off, n - (size_t)off, ", pop stamps ignored: "
		    "directory writable by group or others");
	else if (r->stamp_refused == STAMP_FOREIGN)
		snprintf(buf + off, n - (size_t)off, ", pop stamp ignored: "
		    "owned by uid %lu, not the directory's owner",
		    (unsigned long)r->stamp_owner);
	else if (r->stamp_error)
		snprintf(buf + off, n - (size_t)off, ", pop stamp unreadable: "
		    "%s", strerror(r->stamp_error));
}
