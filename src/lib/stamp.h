/* stamp.h: POP-before-SMTP stamps, one file per client address */
#ifndef RG_STAMP_H
#define RG_STAMP_H

#include <sys/types.h>
#include <time.h>

#include "ip.h"

#define STAMP_EXPIRE	1800	/* seconds */
#define STAMP_EXPIRE_MAX (86400 * 365)
#define STAMP_SKEW	60	/* a stamp this far in the future still counts */

/* stamp_check's and stamp_write's answers */
#define STAMP_FRESH	1
#define STAMP_NONE	0
#define STAMP_ERROR	(-1)	/* errno set */
#define STAMP_OPENDIR	(-2)	/* directory writable by group or others */
#define STAMP_FOREIGN	(-3)	/* not owned by the directory's owner or root */

int	stamp_fresh(time_t, time_t, unsigned int);
int	stamp_check(const char *, const struct ip *, time_t, unsigned int,
	    long *, uid_t *);
int	stamp_write(const char *, const struct ip *);
int	stamp_name_valid(const char *);

#endif
