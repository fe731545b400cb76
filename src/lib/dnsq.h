/* dnsq.h: ask every DNS list at once, under one deadline (c-ares) */
#ifndef RG_DNSQ_H
#define RG_DNSQ_H

#include "dnsbl.h"

void	dnsq_answer_a(struct dnsbl_src *, int, const unsigned char *, int);
void	dnsq_answer_txt(struct dnsbl_src *, int, const unsigned char *, int);
int	dnsq_servers(const char *, char *, size_t);
int	dnsq_run(struct dnsbl_src *, int, const struct ip *, const char *,
	    int, struct dnsbl_decision *, char *, size_t);

#endif
