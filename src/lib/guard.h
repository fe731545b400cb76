/* guard.h: authguard's pieces: fd 3, failure windows, weak passwords */
#ifndef RG_GUARD_H
#define RG_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define GUARD_FD3MAX	512	/* the checkpassword interface's limit */
#define GUARD_LIMITMAX	64	/* failures remembered per key */
#define GUARD_SLOTS	4096	/* keys in the state file */
#define GUARD_WINDOWMAX	(86400 * 7)

struct guard_creds {
	char	buf[GUARD_FD3MAX + 1];
	size_t	len;
	const char *user, *pass, *third;
	int	cram;		/* CRAM-MD5: pass is a challenge */
};

int	guard_parse(const char *, size_t, struct guard_creds *);

struct guard_slot {
	uint64_t	hash;		/* 0: free */
	uint32_t	last;		/* newest failure */
	uint8_t		n;
	uint8_t		pad[3];
	uint32_t	ts[GUARD_LIMITMAX];
};

int	guard_count(const struct guard_slot *, time_t, unsigned int);
void	guard_fail(struct guard_slot *, time_t, unsigned int);
uint64_t guard_hash(const char *, const char *);

struct guard_state {
	int	fd;
	char	path[1024];
};

int	guard_open(struct guard_state *, const char *, char *, size_t);
void	guard_close(struct guard_state *);
int	guard_get(struct guard_state *, uint64_t, struct guard_slot *);
int	guard_update(struct guard_state *, uint64_t, time_t, unsigned int,
	    int);

const char *guard_weak(const char *, const char *, int);
int	guard_common(const char *);

#endif
