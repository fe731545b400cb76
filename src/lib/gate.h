/* gate.h: relaygate's decision, apart from exec so tests can call it */
#ifndef RG_GATE_H
#define RG_GATE_H

#include <sys/types.h>
#include <time.h>

#include "ip.h"
#include "rules.h"

enum gate_decision { GATE_NORELAY, GATE_RELAY, GATE_DENY };

struct gate_result {
	enum gate_decision	decision;
	int			matched;	/* a rule matched: m is valid */
	struct rules_match	m;
	int			stamp;		/* a fresh POP stamp */
	long			stamp_age;
	int			stamp_error;	/* errno of a failed check */
	int			stamp_refused;	/* STAMP_OPENDIR, STAMP_FOREIGN */
	uid_t			stamp_owner;	/* of a STAMP_FOREIGN stamp */
};

int		 gate_decide(struct rules_db *, const char *, unsigned int,
		    time_t, const struct ip *, struct gate_result *);
int		 gate_apply(const struct gate_result *);
const char	*gate_word(enum gate_decision);
void		 gate_why(const struct gate_result *, char *, size_t);

#endif
