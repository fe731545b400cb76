/* window.h: sliding windows of events per key, checked and counted in
 * one locked step */
#ifndef RG_WINDOW_H
#define RG_WINDOW_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define WIN_EVENTS	64		/* the highest limit a key can have */
#define WIN_SLOTSMIN	4096		/* a new table */
#define WIN_SLOTSMAX	(1U << 19)	/* the largest table: 142 MB */
#define WIN_KEYSMAX	(WIN_SLOTSMAX / 8 * 7)	/* live keys it holds */
#define WIN_KEYLEN	32		/* HMAC key, secret to the file */
#define WIN_TAKEMAX	8		/* keys counted in one step */

struct win_key {
	const char	*kind;		/* "u", "i": keeps kinds apart */
	const char	*name;		/* compared without ASCII case */
	unsigned int	 limit;		/* 1 .. WIN_EVENTS */
	uint64_t	 hash;		/* set by win_take */
	int		 count;		/* events in the window, set */
};

struct win {
	int		 fd;
	uint32_t	 nslots;
	uint32_t	 used;		/* slots ever taken, live or not */
	uint32_t	 maxslots;	/* WIN_SLOTSMAX; tests set less */
	unsigned char	 key[WIN_KEYLEN];
	char		 path[1024];
};

enum win_take {
	WIN_ERROR = -1,		/* I/O: why says what */
	WIN_ADMITTED = 0,	/* one event added to every key */
	WIN_LIMITED,		/* a key is at its limit: nothing added */
	WIN_FULL		/* no room for a new key: nothing added */
};

int	win_open(struct win *, const char *, char *, size_t);
void	win_close(struct win *);
enum win_take win_take(struct win *, struct win_key *, size_t, time_t,
	    unsigned int, char *, size_t);
int	win_give(struct win *, const struct win_key *, size_t, time_t);
int	win_live(struct win *, time_t, unsigned int, uint32_t *);

/* The pure parts, for unit tests. */
uint64_t win_hash(const unsigned char *, const char *, const char *);
int	win_count(const uint32_t *, unsigned int, time_t, unsigned int);

#endif
