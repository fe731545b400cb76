/*
 * window.c: sliding windows of events per key, in one state file, checked
 * and counted in one locked step.
 *
 * Why it is built this way:
 *
 * - An attacker chooses the keys (user names, addresses).  A table that
 *   evicts a key to make room lets him reset a victim's count by failing
 *   with names that land beside it.  So a key that still has an event in
 *   its window is never dropped: the table grows (doubling, up to
 *   WIN_SLOTSMAX slots) and, when even the largest table would pass 7/8
 *   full of live keys, a new key is refused (WIN_FULL) and the caller
 *   fails closed.  Only keys whose events have all left the window are
 *   reused or dropped when the table is rebuilt.
 * - Slots are found by HMAC-SHA256 under a random key kept in the file's
 *   header (mode 0600), with linear probing over the whole table: an
 *   attacker who cannot read the file cannot aim names at a slot, and one
 *   who could would only lengthen a probe.
 * - The check and the event are one step under an exclusive fcntl lock,
 *   so N logins at once cannot all read "below the limit" and all go on:
 *   the caller records a provisional event before it does the risky thing
 *   and gives it back (win_give) when it turns out not to count.
 * - The table is rebuilt into a new file that is renamed over the old one.
 *   A process that waited for the lock on the old file sees that the name
 *   now points elsewhere and opens the new one.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "window.h"

#define MAGIC		"RGWIN001"
#define CNT_MAGIC	"RGCNT002"
#define HEADER		128
#define BLOCK		16		/* slots read at once while probing */
#define SCAN		64		/* slots read at once while scanning */
#define REOPENS		16

/* An event table's slot: the times of the key's last WIN_EVENTS events. */
struct slot {
	struct win_head	h;
	uint32_t	ts[WIN_EVENTS];
};

/* The most a slot of either kind takes. */
#define SLOTMAX		(sizeof(struct cnt_slot) > sizeof(struct slot) ? \
			    sizeof(struct cnt_slot) : sizeof(struct slot))

struct header {
	char		magic[8];
	uint32_t	nslots;
	uint32_t	used;
	unsigned char	key[WIN_KEYLEN];
	unsigned char	pad[HEADER - 8 - 8 - WIN_KEYLEN];
};

static off_t
slot_off(const struct win *w, uint32_t i)
{
	return (off_t)HEADER + (off_t)i * (off_t)w->slotsize;
}

/* The head of slot k in a buffer of slots. */
static struct win_head *
at_head(const struct win *w, unsigned char *buf, uint32_t k)
{
	return (struct win_head *)(void *)(buf + (size_t)k * w->slotsize);
}

/* Keyed and case-blind: "u:Alice" and "u:alice" are one key. */
uint64_t
win_hash(const unsigned char *key, const char *kind, const char *name)
{
	unsigned char	msg[1100], md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;
	size_t		n = 0, i;
	uint64_t	h = 0;
	static int	ready;

	/* SHA-256 needs no configuration: do not read openssl.cnf */
	if (!ready++)
		OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	for (i = 0; kind[i] && n < sizeof(msg) - 1; i++)
		msg[n++] = (unsigned char)kind[i];
	msg[n++] = ':';
	for (i = 0; name[i] && n < sizeof(msg); i++) {
		unsigned char c = (unsigned char)name[i];

		msg[n++] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
	}
	if (HMAC(EVP_sha256(), key, WIN_KEYLEN, msg, n, md, &mdlen) == NULL ||
	    mdlen < sizeof(h))
		abort();	/* no SHA-256: nothing here can work */
	memcpy(&h, md, sizeof(h));
	return h ? h : 1;
}

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

static uint64_t
le64(const unsigned char *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * SipHash-2-4 (Aumasson and Bernstein): a keyed hash made for hash
 * tables whose keys an attacker chooses, at a fraction of HMAC's cost;
 * the counts tables use it, one per message.
 */
uint64_t
win_siphash(const unsigned char key[16], const unsigned char *m, size_t n)
{
	uint64_t	k0 = le64(key), k1 = le64(key + 8), b, w;
	uint64_t	v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t	v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t	v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t	v3 = k1 ^ 0x7465646279746573ULL;
	size_t		i, left = n % 8;

	for (i = 0; i + 8 <= n; i += 8) {
		w = le64(m + i);
		v3 ^= w;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= w;
	}
	b = (uint64_t)n << 56;
	while (left-- > 0)
		b |= (uint64_t)m[i + left] << (8 * left);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* A counts key: kind and name, the name without ASCII case, as win_hash
 * takes them, under the file's key. */
uint64_t
cnt_hash(const unsigned char *key, unsigned int kind, const char *name)
{
	unsigned char	msg[CNT_NAMELEN + 2];
	size_t		n = 0, i;
	uint64_t	h;

	msg[n++] = (unsigned char)('0' + kind);
	msg[n++] = ':';
	for (i = 0; name[i] && n < sizeof(msg); i++) {
		unsigned char c = (unsigned char)name[i];

		msg[n++] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
	}
	h = win_siphash(key, msg, n);
	return h ? h : 1;
}

/* Events of ts[0..n) inside the window (now - window, ...]. */
int
win_count(const uint32_t *ts, unsigned int n, time_t now, unsigned int window)
{
	unsigned int	i;
	int		c = 0;

	for (i = 0; i < n && i < WIN_EVENTS; i++)
		if ((time_t)ts[i] > now - (time_t)window)
			c++;
	return c;
}

static int
dead(const struct win_head *s, time_t now, unsigned int window)
{
	return s->n == 0 || (time_t)s->newest <= now - (time_t)window;
}

static int
lock(int fd, short type)
{
	struct flock	fl = { .l_type = type, .l_whence = SEEK_SET };

	while (fcntl(fd, F_SETLKW, &fl) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int
hdr_write(struct win *w)
{
	struct header	h;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, w->magic, sizeof(h.magic));
	h.nslots = w->nslots;
	h.used = w->used;
	memcpy(h.key, w->key, sizeof(h.key));
	return pwrite(w->fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) ? 0 : -1;
}

/* A new, empty table of nslots in fd, keyed with key. */
static int
fresh(struct win *w, int fd, uint32_t nslots, const unsigned char *key)
{
	int	saved = w->fd;

	w->fd = fd;
	w->nslots = nslots;
	w->used = 0;
	memcpy(w->key, key, WIN_KEYLEN);
	if (ftruncate(fd, 0) == -1 || ftruncate(fd, slot_off(w, nslots)) == -1 ||
	    hdr_write(w) == -1) {
		w->fd = saved;
		return -1;
	}
	w->fd = saved;
	return 0;
}

/* 1 when the header is ours and agrees with the file's size. */
static int
hdr_read(struct win *w, off_t size)
{
	struct header	h;

	if (pread(w->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h.magic, w->magic, sizeof(h.magic)) != 0 ||
	    h.nslots < WIN_SLOTSMIN || h.nslots > w->maxslots ||
	    (h.nslots & (h.nslots - 1)) != 0 || h.used > h.nslots ||
	    size != slot_off(w, h.nslots))
		return 0;
	w->nslots = h.nslots;
	w->used = h.used;
	memcpy(w->key, h.key, sizeof(w->key));
	return 1;
}

/*
 * Lock the file that w->path names now (it may have been rebuilt since
 * it was opened) and read its header.  0, 1 when it was corrupt and has
 * been moved aside, -1 on error (errno).
 */
static int
attach(struct win *w)
{
	struct stat	 st, sp;
	unsigned char	 key[WIN_KEYLEN];
	char		 aside[1100];
	int		 tries, moved = 0;

	for (tries = 0; tries < REOPENS; tries++) {
		if (w->fd == -1 && (w->fd = open(w->path, O_RDWR | O_CREAT |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
			return -1;
		if (lock(w->fd, F_WRLCK) == -1 || fstat(w->fd, &st) == -1)
			return -1;
		if (lstat(w->path, &sp) == 0 && sp.st_dev == st.st_dev &&
		    sp.st_ino == st.st_ino) {
			if ((st.st_mode & 077) != 0 && fchmod(w->fd, 0600) == -1)
				return -1;
			if (st.st_size == 0) {
				arc4random_buf(key, sizeof(key));
				if (fresh(w, w->fd, WIN_SLOTSMIN, key) == -1)
					return -1;
				return moved;
			}
			if (hdr_read(w, st.st_size))
				return moved;
			/* broken: keep it for a look, start again */
			snprintf(aside, sizeof(aside), "%s.corrupt", w->path);
			if (rename(w->path, aside) == -1)
				return -1;
			moved = 1;
		}
		close(w->fd);	/* drops the lock */
		w->fd = -1;
	}
	errno = EAGAIN;
	return -1;
}

static void
detach(struct win *w)
{
	if (w->fd != -1)
		lock(w->fd, F_UNLCK);
}

static int
table_open(struct win *w, const char *dir, const char *file,
    const char *magic, uint32_t slotsize, uint32_t maxslots, char *why,
    size_t n)
{
	int	rc;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->magic = magic;
	w->slotsize = slotsize;
	w->maxslots = maxslots;
	if ((size_t)snprintf(w->path, sizeof(w->path), "%s/%s", dir, file) >=
	    sizeof(w->path)) {
		snprintf(why, n, "%s: name too long", dir);
		return -1;
	}
	if ((rc = attach(w)) == -1) {
		snprintf(why, n, "%s: %s", w->path, strerror(errno));
		win_close(w);
		return -1;
	}
	detach(w);
	if (rc == 1)
		snprintf(why, n, "%s was corrupt: moved to %s.corrupt", w->path,
		    w->path);
	return rc;
}

/* The failures table in dir: timestamps of each key's events. */
int
win_open(struct win *w, const char *dir, char *why, size_t n)
{
	return table_open(w, dir, "failures", MAGIC, sizeof(struct slot),
	    WIN_SLOTSMAX, why, n);
}

/* The counts table in dir: each key's messages and recipients a minute. */
int
cnt_open(struct win *w, const char *dir, char *why, size_t n)
{
	return table_open(w, dir, "counts", CNT_MAGIC,
	    sizeof(struct cnt_slot), CNT_SLOTSMAX, why, n);
}

void
win_close(struct win *w)
{
	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
}

/*
 * Where hash is (1) or would go (0: *at, the first reusable slot on its
 * probe path); -1 on I/O error, -2 when the table has no slot for it.
 */
static int
probe(struct win *w, uint64_t hash, time_t now, unsigned int window,
    void *out, uint32_t *at, int *fresh_slot)
{
	uint64_t	blk[BLOCK * SLOTMAX / sizeof(uint64_t)];
	unsigned char	*b = (unsigned char *)blk;
	uint32_t	mask = w->nslots - 1, i = (uint32_t)hash & mask;
	uint32_t	seen = 0, k, m, reuse = UINT32_MAX;
	ssize_t		r;

	while (seen < w->nslots) {
		m = w->nslots - i < BLOCK ? w->nslots - i : BLOCK;
		if (m > w->nslots - seen)
			m = w->nslots - seen;
		r = pread(w->fd, b, m * w->slotsize, slot_off(w, i));
		if (r != (ssize_t)(m * w->slotsize)) {
			if (r >= 0)
				errno = EIO;
			return -1;
		}
		for (k = 0; k < m; k++) {
			if (at_head(w, b, k)->hash == hash) {
				memcpy(out, at_head(w, b, k), w->slotsize);
				*at = i + k;
				*fresh_slot = 0;
				return 1;
			}
			if (at_head(w, b, k)->hash == 0) {
				memset(out, 0, w->slotsize);
				*fresh_slot = reuse == UINT32_MAX;
				*at = *fresh_slot ? i + k : reuse;
				return 0;
			}
			if (reuse == UINT32_MAX && dead(at_head(w, b, k), now,
			    window))
				reuse = i + k;
		}
		seen += m;
		i = (i + m) & mask;
	}
	if (reuse == UINT32_MAX)
		return -2;
	memset(out, 0, w->slotsize);
	*at = reuse;
	*fresh_slot = 0;
	return 0;
}

/* Live keys in the table; -1 on I/O error.  Under the lock. */
/*
 * Call fn on every slot in use, SCAN slots read at once; -1 on I/O error
 * or when fn says so.  Under the lock.
 */
static int
scan(struct win *w, int (*fn)(struct win *, const void *, void *), void *arg)
{
	unsigned char	*b;
	uint32_t	 i, k, m;
	int		 saved;

	if ((b = malloc((size_t)SCAN * w->slotsize)) == NULL)
		return -1;
	for (i = 0; i < w->nslots; i += m) {
		m = w->nslots - i < SCAN ? w->nslots - i : SCAN;
		if (pread(w->fd, b, m * w->slotsize, slot_off(w, i)) !=
		    (ssize_t)(m * w->slotsize))
			goto fail;
		for (k = 0; k < m; k++)
			if (at_head(w, b, k)->hash != 0 &&
			    fn(w, at_head(w, b, k), arg) == -1)
				goto fail;
	}
	free(b);
	return 0;
fail:
	saved = errno;
	free(b);
	errno = saved;
	return -1;
}

struct liveness {
	time_t		now;
	unsigned int	window;
	uint32_t	live;
};

static int
count_live(struct win *w, const void *slot, void *arg)
{
	struct liveness	*l = arg;

	(void)w;
	if (!dead(slot, l->now, l->window))
		l->live++;
	return 0;
}

/* Live keys in the table; -1 on I/O error.  Under the lock. */
static int
live_count(struct win *w, time_t now, unsigned int window, uint32_t *live)
{
	struct liveness	l = { now, window, 0 };
	int		rc;

	rc = scan(w, count_live, &l);
	*live = l.live;
	return rc;
}

/*
 * Copy the live keys into a new table of nslots, renamed over the old
 * one; on return w holds the new file, locked.  -1 on error (the old
 * table is untouched and still locked).
 */
struct copy {
	struct win	*to;
	unsigned char	*taken;
	time_t		 now;
	unsigned int	 window;
};

/* A live slot into the new table at its first free place. */
static int
copy_live(struct win *w, const void *slot, void *arg)
{
	struct copy		*c = arg;
	const struct win_head	*h = slot;
	uint32_t		 mask = c->to->nslots - 1, j;

	(void)w;
	if (dead(h, c->now, c->window))
		return 0;
	for (j = (uint32_t)h->hash & mask; c->taken[j / 8] & (1U << (j % 8));
	    j = (j + 1) & mask)
		;
	c->taken[j / 8] |= (unsigned char)(1U << (j % 8));
	if (pwrite(c->to->fd, slot, c->to->slotsize, slot_off(c->to, j)) !=
	    (ssize_t)c->to->slotsize)
		return -1;
	c->to->used++;
	return 0;
}

static int
rebuild(struct win *w, uint32_t nslots, time_t now, unsigned int window)
{
	struct win	 nw;
	struct copy	 c;
	unsigned char	*taken;
	char		 tmp[1100];
	int		 fd, saved;

	if ((taken = calloc(nslots / 8, 1)) == NULL)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.new", w->path);
	unlink(tmp);	/* a leftover: only the lock holder writes it */
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		free(taken);
		return -1;
	}
	nw = *w;
	nw.fd = fd;
	if (lock(fd, F_WRLCK) == -1 || fresh(&nw, fd, nslots, w->key) == -1)
		goto fail;
	nw.fd = fd;
	nw.nslots = nslots;
	c = (struct copy){ &nw, taken, now, window };
	if (scan(w, copy_live, &c) == -1)
		goto fail;
	if (hdr_write(&nw) == -1 || rename(tmp, w->path) == -1)
		goto fail;
	free(taken);
	close(w->fd);		/* waiters on it will find the new file */
	*w = nw;
	return 0;
fail:
	saved = errno;
	free(taken);
	close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

/* Make room for more new keys, or say there is none (WIN_FULL);
 * *rebuilt tells whether the slots moved. */
static enum win_take
room(struct win *w, uint32_t more, time_t now, unsigned int window,
    int *rebuilt)
{
	uint32_t	live, want, size, most = w->maxslots / 8 * 7;

	if (w->nslots < w->maxslots ? w->used + more <= w->nslots / 2 :
	    w->used + more <= most)
		return WIN_ADMITTED;
	if (live_count(w, now, window, &live) == -1)
		return WIN_ERROR;
	if (live + more > most)
		return WIN_FULL;
	want = (live + more) * 3;	/* a third full: room to half */
	for (size = WIN_SLOTSMIN; size < want && size < w->maxslots;)
		size *= 2;
	if (rebuild(w, size, now, window) == -1)
		return WIN_ERROR;
	*rebuilt = 1;
	return WIN_ADMITTED;
}

/* Drop the events that left the window; add one at now. */
static void
add_event(struct slot *s, time_t now, unsigned int window)
{
	uint32_t	i, k = 0;

	for (i = 0; i < s->h.n && i < WIN_EVENTS; i++)
		if ((time_t)s->ts[i] > now - (time_t)window)
			s->ts[k++] = s->ts[i];
	if (k == WIN_EVENTS) {	/* callers keep limits <= WIN_EVENTS */
		memmove(s->ts, s->ts + 1, (WIN_EVENTS - 1) * sizeof(s->ts[0]));
		k--;
	}
	s->ts[k++] = (uint32_t)now;
	s->h.n = k;
	if ((uint32_t)now > s->h.newest)
		s->h.newest = (uint32_t)now;
}

/* Where a key of this step is, or goes. */
struct found {
	int		rc;	/* probe's: 1 there, 0 a place for it, -2 none */
	uint32_t	at;
	int		fresh;	/* a slot never used before */
	int		write;	/* written in this step */
};

/* The start of a step: at most WIN_TAKEMAX keys, the table locked. */
static int
step_begin(struct win *w, size_t n, char *why, size_t whylen)
{
	if (n > WIN_TAKEMAX) {
		snprintf(why, whylen, "%zu keys in one step: %d at most", n,
		    WIN_TAKEMAX);
		return -1;
	}
	if (attach(w) == -1) {
		snprintf(why, whylen, "%s: %s", w->path, strerror(errno));
		return -1;
	}
	return 0;
}

static enum win_take
step_ioerr(struct win *w, char *why, size_t whylen)
{
	snprintf(why, whylen, "%s: %s", w->path, strerror(errno));
	detach(w);
	return WIN_ERROR;
}

/*
 * Where key i of f[] is to be written.  What the first probe found still
 * holds, unless the table was rebuilt, or an earlier new key of this step
 * chose the same free slot.  0, -1 on I/O error, -2 when there is no room.
 */
static int
step_place(struct win *w, struct found *f, size_t i, uint64_t hash,
    int rebuilt, time_t now, unsigned int window, void *slot)
{
	size_t	j;
	int	again = rebuilt || f[i].rc == -2;

	for (j = 0; j < i && !again; j++)
		again = f[j].write && f[i].rc != 1 && f[j].rc != 1 &&
		    f[i].at == f[j].at;
	if (again && (f[i].rc = probe(w, hash, now, window, slot, &f[i].at,
	    &f[i].fresh)) == -1)
		return -1;
	return f[i].rc == -2 ? -2 : 0;
}

/* Write a placed slot; -1 on I/O error. */
static int
step_write(struct win *w, const struct found *f, const void *slot)
{
	if (pwrite(w->fd, slot, w->slotsize, slot_off(w, f->at)) !=
	    (ssize_t)w->slotsize)
		return -1;
	if (f->fresh)
		w->used++;
	return 0;
}

/*
 * The atomic step: count every key's events in the window; when each is
 * below its limit, add one event at now to all of them.  keys[].count
 * tells the counts before the step.
 */
enum win_take
win_take(struct win *w, struct win_key *keys, size_t n, time_t now,
    unsigned int window, char *why, size_t whylen)
{
	struct slot	 s[WIN_TAKEMAX];
	struct found	 f[WIN_TAKEMAX];
	uint32_t	 more = 0;
	size_t		 i;
	int		 limited = 0, rebuilt = 0, rc;
	enum win_take	 t;

	if (step_begin(w, n, why, whylen) == -1)
		return WIN_ERROR;
	for (i = 0; i < n; i++) {
		keys[i].hash = win_hash(w->key, keys[i].kind, keys[i].name);
		if ((f[i].rc = probe(w, keys[i].hash, now, window, &s[i],
		    &f[i].at, &f[i].fresh)) == -1)
			return step_ioerr(w, why, whylen);
		f[i].write = 1;
		keys[i].count = f[i].rc == 1 ? win_count(s[i].ts, s[i].h.n, now,
		    window) : 0;
		if (keys[i].count >= (int)keys[i].limit)
			limited = 1;
		if (f[i].rc != 1)
			more++;
	}
	if (limited) {
		detach(w);
		return WIN_LIMITED;
	}
	if (more > 0 && (t = room(w, more, now, window, &rebuilt)) !=
	    WIN_ADMITTED) {
		if (t == WIN_ERROR)
			return step_ioerr(w, why, whylen);
		detach(w);
		return t;
	}
	for (i = 0; i < n; i++) {
		if ((rc = step_place(w, f, i, keys[i].hash, rebuilt, now,
		    window, &s[i])) == -1)
			return step_ioerr(w, why, whylen);
		if (rc == -2) {
			detach(w);
			return WIN_FULL;
		}
		s[i].h.hash = keys[i].hash;
		add_event(&s[i], now, window);
		if (step_write(w, &f[i], &s[i]) == -1)
			return step_ioerr(w, why, whylen);
	}
	if (more > 0 && hdr_write(w) == -1)
		return step_ioerr(w, why, whylen);
	detach(w);
	return WIN_ADMITTED;
}

/* Take back one event at stamp from each key (a provisional one). */
int
win_give(struct win *w, const struct win_key *keys, size_t n, time_t stamp)
{
	struct slot	s;
	uint32_t	at, i, k;
	size_t		j;
	int		rc, fresh_slot, ret = 0;

	if (attach(w) == -1)
		return -1;
	for (j = 0; j < n; j++) {
		/* window 1: no slot is taken for reuse here anyway */
		if ((rc = probe(w, keys[j].hash, stamp, 1, &s, &at,
		    &fresh_slot)) < 0) {
			ret = -1;
			continue;
		}
		if (rc == 0)
			continue;
		for (i = 0; i < s.h.n && i < WIN_EVENTS; i++)
			if (s.ts[i] == (uint32_t)stamp)
				break;
		if (i == s.h.n || i == WIN_EVENTS)
			continue;
		for (k = i; k + 1 < s.h.n; k++)
			s.ts[k] = s.ts[k + 1];
		s.h.n--;
		if (pwrite(w->fd, &s, sizeof(s), slot_off(w, at)) !=
		    (ssize_t)sizeof(s))
			ret = -1;
	}
	detach(w);
	return ret;
}

/* How many keys are live, and how big the table is: for logs and tests. */
int
win_live(struct win *w, time_t now, unsigned int window, uint32_t *live)
{
	int	rc;

	if (attach(w) == -1)
		return -1;
	rc = live_count(w, now, window, live);
	detach(w);
	return rc;
}

/*
 * The counts tables.  A sliding hour in minutes: a message sent in
 * minute m counts while the minute is within CNT_MINUTES of now, so for
 * 60 to 61 minutes, never less than an hour.  Buckets keep counts, not
 * events: a key with a limit of 10,000 takes the room of one with 1.
 */

/* The sum of ring's minutes that are in the window at now, for a slot
 * whose newest event is at newest. */
uint32_t
cnt_sum(const uint32_t *ring, time_t newest, time_t now)
{
	int64_t		m, last = (int64_t)newest / 60, cur = (int64_t)now / 60;
	int64_t		lo = cur - CNT_MINUTES, hi = cur;
	uint64_t	sum = 0;

	if (lo <= last - CNT_BUCKETS)
		lo = last - CNT_BUCKETS + 1;
	if (hi > last)
		hi = last;
	for (m = lo; m <= hi; m++)
		sum += ring[m % CNT_BUCKETS];
	return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

/* Clear the minutes between the slot's newest event and now. */
static void
advance(struct cnt_slot *s, time_t now)
{
	int64_t	m, last = (int64_t)s->h.newest / 60, cur = (int64_t)now / 60;

	if (s->h.n == 0) {
		memset(s->msgs, 0, sizeof(s->msgs));
		memset(s->rcpts, 0, sizeof(s->rcpts));
		memset(s->refused, 0, sizeof(s->refused));
		s->h.newest = (uint32_t)now;
		s->h.n = 1;
		return;
	}
	for (m = last + 1; m <= cur && m <= last + CNT_BUCKETS; m++) {
		s->msgs[m % CNT_BUCKETS] = 0;
		s->rcpts[m % CNT_BUCKETS] = 0;
		s->refused[m % CNT_BUCKETS] = 0;
	}
	if ((uint32_t)now > s->h.newest)
		s->h.newest = (uint32_t)now;
}

/* Where in its ring an event at t goes; -1 when it is older than it. */
static int
bucket(const struct cnt_slot *s, time_t t)
{
	int64_t	last = (int64_t)s->h.newest / 60, m = (int64_t)t / 60;

	if (m > last || m <= last - CNT_BUCKETS)
		return -1;
	return (int)(m % CNT_BUCKETS);
}

static uint32_t
add32(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

static int
over(uint32_t have, uint32_t more, uint32_t max)
{
	return max != UINT32_MAX && (uint64_t)have + more > max;
}

/*
 * The atomic step for one message of rcpts recipients: every key's
 * counts in the window (keys[].msgs, .rcpts); when none would pass its
 * limit, the message is added to all of them (WIN_ADMITTED); else the
 * keys it would pass are marked over, and their refusal counted, with
 * alert set on each that had no refusal in the window before.
 */
enum win_take
cnt_take(struct win *w, struct cnt_key *keys, size_t n, time_t now,
    uint32_t rcpts, char *why, size_t whylen)
{
	struct cnt_slot	 s[WIN_TAKEMAX];
	struct found	 f[WIN_TAKEMAX];
	uint32_t	 more = 0;
	size_t		 i;
	int		 limited = 0, rebuilt = 0, rc, b;
	enum win_take	 t;

	if (step_begin(w, n, why, whylen) == -1)
		return WIN_ERROR;
	for (i = 0; i < n; i++) {
		keys[i].hash = cnt_hash(w->key, keys[i].kind, keys[i].name);
		keys[i].over = keys[i].alert = 0;
		if ((f[i].rc = probe(w, keys[i].hash, now, CNT_WINDOW, &s[i],
		    &f[i].at, &f[i].fresh)) == -1)
			return step_ioerr(w, why, whylen);
		keys[i].msgs = keys[i].rcpts = 0;
		if (f[i].rc == 1 && s[i].h.n != 0) {
			keys[i].msgs = cnt_sum(s[i].msgs, s[i].h.newest, now);
			keys[i].rcpts = cnt_sum(s[i].rcpts, s[i].h.newest, now);
		}
		if (over(keys[i].msgs, 1, keys[i].max_msgs) ||
		    over(keys[i].rcpts, rcpts, keys[i].max_rcpts))
			keys[i].over = limited = 1;
	}
	/* a refusal is written to the keys that refused, a message to all */
	for (i = 0; i < n; i++)
		if ((f[i].write = !limited || keys[i].over) && f[i].rc != 1)
			more++;
	if (more > 0 && (t = room(w, more, now, CNT_WINDOW, &rebuilt)) !=
	    WIN_ADMITTED) {
		if (t == WIN_ERROR)
			return step_ioerr(w, why, whylen);
		detach(w);
		return t;
	}
	for (i = 0; i < n; i++) {
		if (!f[i].write)
			continue;
		if ((rc = step_place(w, f, i, keys[i].hash, rebuilt, now,
		    CNT_WINDOW, &s[i])) == -1)
			return step_ioerr(w, why, whylen);
		if (rc == -2) {
			detach(w);
			return WIN_FULL;
		}
		if (f[i].rc != 1)
			memset(&s[i], 0, sizeof(s[i]));
		s[i].h.hash = keys[i].hash;
		s[i].kind = keys[i].kind;
		strlcpy(s[i].name, keys[i].name, sizeof(s[i].name));
		advance(&s[i], now);
		b = bucket(&s[i], now);
		if (b != -1 && limited)
			s[i].refused[b] = add32(s[i].refused[b], 1);
		else if (b != -1) {
			s[i].msgs[b] = add32(s[i].msgs[b], 1);
			s[i].rcpts[b] = add32(s[i].rcpts[b], rcpts);
		}
		if (limited && (s[i].alerted == 0 || (time_t)s[i].alerted <=
		    now - CNT_WINDOW)) {
			s[i].alerted = (uint32_t)now;
			keys[i].alert = 1;
		}
		if (step_write(w, &f[i], &s[i]) == -1)
			return step_ioerr(w, why, whylen);
	}
	if (more > 0 && hdr_write(w) == -1)
		return step_ioerr(w, why, whylen);
	detach(w);
	return limited ? WIN_LIMITED : WIN_ADMITTED;
}

/* Take back a message counted at stamp (one the queue did not take). */
int
cnt_give(struct win *w, const struct cnt_key *keys, size_t n, time_t stamp,
    uint32_t rcpts)
{
	struct cnt_slot	s;
	uint32_t	at;
	size_t		j;
	int		rc, fresh_slot, ret = 0, b;

	if (attach(w) == -1)
		return -1;
	for (j = 0; j < n; j++) {
		if ((rc = probe(w, keys[j].hash, stamp, 1, &s, &at,
		    &fresh_slot)) < 0) {
			ret = -1;
			continue;
		}
		if (rc == 0 || (b = bucket(&s, stamp)) == -1)
			continue;
		s.msgs[b] -= s.msgs[b] > 0;
		s.rcpts[b] -= s.rcpts[b] < rcpts ? s.rcpts[b] : rcpts;
		if (pwrite(w->fd, &s, sizeof(s), slot_off(w, at)) !=
		    (ssize_t)sizeof(s))
			ret = -1;
	}
	detach(w);
	return ret;
}

struct listing {
	time_t	now;
	int	(*fn)(const struct cnt_slot *, uint32_t, uint32_t, uint32_t,
		    void *);
	void	*arg;
};

static int
list_one(struct win *w, const void *slot, void *arg)
{
	const struct cnt_slot	*s = slot;
	struct listing		*l = arg;

	(void)w;
	if (dead(&s->h, l->now, CNT_WINDOW))
		return 0;
	return l->fn(s, cnt_sum(s->msgs, s->h.newest, l->now),
	    cnt_sum(s->rcpts, s->h.newest, l->now),
	    cnt_sum(s->refused, s->h.newest, l->now), l->arg);
}

/* fn on every key live at now, with its messages, recipients and
 * refusals in the window; under a shared lock. */
int
cnt_list(struct win *w, time_t now, int (*fn)(const struct cnt_slot *,
    uint32_t, uint32_t, uint32_t, void *), void *arg)
{
	struct listing	l = { now, fn, arg };
	int		rc;

	if (attach(w) == -1)
		return -1;
	rc = scan(w, list_one, &l);
	detach(w);
	return rc;
}
