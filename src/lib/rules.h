/* rules.h: CIDR relay rules, their text syntax and their cdb */
#ifndef RG_RULES_H
#define RG_RULES_H

#include <stdio.h>
#include <cdb.h>

#include "ip.h"

#define RULES_LINEMAX	8192
#define RULES_DATAMAX	4096
#define RULES_MAXPFX	257	/* a range of 256, or "" as IPv4 and IPv6 */
#define RULES_VERSION	"relaygate-rules 1"

struct rule_pfx {
	struct ip	net;
	unsigned int	len;
};

struct rule {
	struct rule_pfx	pfx[RULES_MAXPFX];
	size_t		npfx;
	int		deny;
	/* 'A' or 'D', then "NAME=value\0" for each variable */
	char		data[RULES_DATAMAX];
	size_t		datalen;
};

/*
 * rules_parse: 0 rule, 1 nothing (blank or comment), 2 a tcprules rule
 * relaygate cannot honour (reason in err), -1 error (reason in err).
 */
#define RULES_OK	0
#define RULES_EMPTY	1
#define RULES_SKIP	2
#define RULES_ERROR	(-1)
int	rules_parse(const char *, size_t, struct rule *, char *, size_t);

int	rules_compile(FILE *, const char *, int, FILE *);
int	rules_dump(const char *, FILE *);

struct rules_db {
	int		fd;
	struct cdb	cdb;
	unsigned char	lens4[5];	/* bit n set: rules of length n exist */
	unsigned char	lens6[17];
};

struct rules_match {
	struct ip	net;
	unsigned int	len;
	int		deny;
	const char	*vars;		/* "NAME=value\0" ... inside the map */
	size_t		varslen;
};

int	rules_open(struct rules_db *, const char *);
void	rules_close(struct rules_db *);
int	rules_find(struct rules_db *, const struct ip *, struct rules_match *);
int	rules_data_valid(const char *, size_t);
size_t	rules_key(const struct ip *, unsigned int, unsigned char *);
void	rules_fmt_pfx(const struct ip *, unsigned int, char *, size_t);

#endif
