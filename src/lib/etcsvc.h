/* etcsvc.h: merging service names into /etc/services, and taking them out */
#ifndef RG_ETCSVC_H
#define RG_ETCSVC_H

#include <stdio.h>

#define ETCSVC_MARK	"# added by relaygate-gen"
#define ETCSVC_NLMARK	", newline added"

struct etcsvc_want {
	const char	*name;
	unsigned int	 port;
};

int	etcsvc_merge(const char *, size_t, const struct etcsvc_want *, int,
	    int, FILE *, const char *, FILE *);
#define ETCSVC_FREE		0
#define ETCSVC_SAME		1
#define ETCSVC_NAMETAKEN	2
#define ETCSVC_PORTTAKEN	3

int	etcsvc_lookup(const char *, size_t, const char *, unsigned int, char *,
	    size_t, unsigned int *, unsigned long *);
int	etcsvc_unmerge(const char *, size_t, FILE *);

#endif
