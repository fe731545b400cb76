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

#define CNT_BUCKETS	64		/* minutes a count slot holds */
#define CNT_MINUTES	60		/* the window: the last hour ... */
#define CNT_WINDOW	((CNT_MINUTES + 1) * 60)	/* ... and this minute */
#define CNT_SLOTSMAX	(1U << 16)	/* the largest counts table: 69 MB */
#define CNT_NAMELEN	260

/* What every slot begins with. */
struct win_head {
	uint64_t	hash;		/* 0: never used */
	uint32_t	newest;		/* the last event's time */
	uint32_t	n;		/* 0: nothing live */
};

/*
 * A counts slot: messages, recipients and refusals in each of the last
 * CNT_BUCKETS minutes (minute m in bucket m % CNT_BUCKETS), and the name,
 * so that the table can be listed.
 */
struct cnt_slot {
	struct win_head	h;
	uint32_t	alerted;	/* when the hook last ran for it */
	uint32_t	kind;		/* enum limit_kind */
	uint32_t	msgs[CNT_BUCKETS];
	uint32_t	rcpts[CNT_BUCKETS];
	uint32_t	refused[CNT_BUCKETS];
	char		name[CNT_NAMELEN];
};

/* One object a message counts against. */
struct cnt_key {
	unsigned int	 kind;		/* enum limit_kind */
	const char	*name;		/* canonical */
	uint32_t	 max_msgs;	/* UINT32_MAX: no limit */
	uint32_t	 max_rcpts;
	uint64_t	 hash;		/* set by cnt_take */
	uint32_t	 msgs;		/* in the window before this step */
	uint32_t	 rcpts;
	int		 over;		/* set: this one refused the message */
	int		 alert;		/* set: first refusal in its window */
};

struct win_key {
	const char	*kind;		/* "u", "i": keeps kinds apart */
	const char	*name;		/* compared without ASCII case */
	unsigned int	 limit;		/* 1 .. WIN_EVENTS */
	uint64_t	 hash;		/* set by win_take */
	int		 count;		/* events in the window, set */
};

struct win {
	int		 fd;
	const char	*magic;
	uint32_t	 slotsize;
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

int	cnt_open(struct win *, const char *, char *, size_t);
enum win_take cnt_take(struct win *, struct cnt_key *, size_t, time_t,
	    uint32_t, char *, size_t);
int	cnt_give(struct win *, const struct cnt_key *, size_t, time_t,
	    uint32_t);
int	cnt_list(struct win *, time_t, int (*)(const struct cnt_slot *,
	    uint32_t, uint32_t, uint32_t, void *), void *);
uint32_t cnt_sum(const uint32_t *, time_t, time_t);
uint64_t cnt_hash(const unsigned char *, unsigned int, const char *);
uint64_t win_siphash(const unsigned char [16], const unsigned char *, size_t);

/* The pure parts, for unit tests. */
uint64_t win_hash(const unsigned char *, const char *, const char *);
int	win_count(const uint32_t *, unsigned int, time_t, unsigned int);

#endif
