/* rstate.h: failure windows and counts on a shared Redis server */
#ifndef RG_RSTATE_H
#define RG_RSTATE_H

#include <stdint.h>
#include <time.h>

#include "window.h"

#define RSTATE_KEYSMAX	4
#define RSTATE_KEYLEN	(128 + 8 + CNT_NAMELEN)
#define RSTATE_TIMEOUT	100	/* ms, by default */

struct rconf {
	char		addr[256];	/* host:port, or a socket's path */
	char		user[128];	/* ACL user; "" the default one */
	char		pass[256];	/* "" no AUTH */
	char		prefix[128];	/* one a cluster of hosts */
	unsigned int	timeout_ms;	/* for everything a call does */
};

struct rstate {
	struct redisContext	*c;
	char			 prefix[128];
	char			 member[64];	/* the last event added */
	unsigned int		 timeout_ms;
	long long		 spent;		/* ms waited for Redis so far */
};

int	rstate_open(struct rstate *, const struct rconf *, char *, size_t);
void	rstate_close(struct rstate *);
enum win_take rstate_win_take(struct rstate *, struct win_key *, size_t,
	    unsigned int, char *, size_t);
int	rstate_win_give(struct rstate *, const struct win_key *, size_t,
	    char *, size_t);
enum win_take rstate_cnt_take(struct rstate *, struct cnt_key *, size_t,
	    uint32_t, time_t *, char *, size_t);
int	rstate_cnt_give(struct rstate *, const struct cnt_key *, size_t,
	    time_t, uint32_t, char *, size_t);
int	rstate_cnt_list(struct rstate *, int (*)(unsigned int, const char *,
	    uint32_t, uint32_t, uint32_t, void *), void *, char *, size_t);
int	rstate_outage(const char *, int);

#endif
