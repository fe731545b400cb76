/* dnsbl.h: DNS blocklist names, answers and rblsmtpd's decision order */
#ifndef RG_DNSBL_H
#define RG_DNSBL_H

#include <stddef.h>
#include <stdint.h>

#include "ip.h"

#define DNSBL_MAXSRC	32
#define DNSBL_MAXCODES	16
#define DNSBL_ZONEMAX	200
#define DNSBL_TEXTMAX	200	/* rblsmtpd's cap on the refusal text */
#define DNSBL_NAMEMAX	(64 + 1 + DNSBL_ZONEMAX + 1)

enum dnsbl_kind { DNSBL_BLOCK, DNSBL_ALLOW };
enum dnsbl_state { DNSBL_PENDING, DNSBL_CLEAN, DNSBL_LISTED, DNSBL_ERROR };

struct dnsbl_codes {
	int		n;		/* 0: any code in 127.0.0.0/8 */
	uint32_t	lo[DNSBL_MAXCODES], hi[DNSBL_MAXCODES];
};

struct dnsbl_src {
	enum dnsbl_kind		kind;
	char			zone[DNSBL_ZONEMAX + 1];
	struct dnsbl_codes	codes;
	int			bounce;		/* -b was in force: 553 */
	int			failclosed;	/* -c was in force */
	/* the A query */
	enum dnsbl_state	a;
	uint32_t		code;		/* the A that listed */
	char			why[64];	/* of an error */
	/* the TXT query (block lists only) */
	int			txt_done;
	char			text[256];
	/* both together */
	enum dnsbl_state	state;
};

struct dnsbl_decision {
	int	done;		/* nothing pending can change it */
	int	refuse;
	int	code;		/* 451 or 553 */
	int	src;		/* the deciding source, or -1 */
	char	text[256];
};

int	 dnsbl_name(const struct ip *, const char *, char *, size_t);
int	 dnsbl_codes_parse(const char *, struct dnsbl_codes *);
int	 dnsbl_src_parse(struct dnsbl_src *, enum dnsbl_kind, const char *);
enum dnsbl_state dnsbl_classify(const uint32_t *, int,
	    const struct dnsbl_codes *, uint32_t *, char *, size_t);
void	 dnsbl_settle(struct dnsbl_src *);
void	 dnsbl_decide(const struct dnsbl_src *, int, struct dnsbl_decision *);
size_t	 dnsbl_sanitise(char *, size_t, const char *, size_t);

#endif
