/*
 * rstate.c: authguard's failure windows and sendlimit's counts on a Redis
 * server that several mail hosts share.  Why it is built this way:
 *
 * - Each check-and-count is one Lua script, which Redis runs alone: two
 *   hosts' logins or messages at the same moment are counted as one
 *   host's are under its lock.
 * - Time is the server's (TIME inside the script), so that hosts whose
 *   clocks disagree still agree on one window.
 * - The windows are the local ones: failures a sorted set of events,
 *   dropped as they leave the window; counts 64 minute buckets in a hash
 *   (a bucket's minute beside it), so a limit of 100,000 costs what one of
 *   1 does.  Every key expires with its window: Redis holds live counts
 *   only.
 * - All that one login or message waits for Redis, connect included,
 *   comes out of one budget of timeout_ms; past it the caller counts
 *   locally for that attempt (rstate_outage says when to log).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "rstate.h"

static const char win_script[] =
"local now = tonumber(redis.call('TIME')[1])\n"
"local win = tonumber(ARGV[1])\n"
"local out = {0, now}\n"
"for i = 1, #KEYS do\n"
"  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - win)\n"
"  local c = redis.call('ZCARD', KEYS[i])\n"
"  out[i + 2] = c\n"
"  if c >= tonumber(ARGV[2 + i]) then out[1] = 1 end\n"
"end\n"
"if out[1] == 0 then\n"
"  for i = 1, #KEYS do\n"
"    redis.call('ZADD', KEYS[i], now, ARGV[2])\n"
"    redis.call('EXPIRE', KEYS[i], win)\n"
"  end\n"
"end\n"
"return out\n";

/* ARGV: rcpts, then each key's messages and recipients (-1: no limit) */
static const char cnt_script[] =
"local now = tonumber(redis.call('TIME')[1])\n"
"local cur = math.floor(now / 60)\n"
"local r = tonumber(ARGV[1])\n"
"local f = {}\n"
"for b = 0, 63 do\n"
"  f[#f + 1] = 't' .. b; f[#f + 1] = 'm' .. b; f[#f + 1] = 'r' .. b\n"
"end\n"
"local m, rc, over, limited = {}, {}, {}, 0\n"
"for i = 1, #KEYS do\n"
"  local v = redis.call('HMGET', KEYS[i], unpack(f))\n"
"  m[i], rc[i], over[i] = 0, 0, 0\n"
"  for b = 0, 63 do\n"
"    local t = tonumber(v[3 * b + 1])\n"
"    if t and t >= cur - 60 and t <= cur then\n"
"      m[i] = m[i] + (tonumber(v[3 * b + 2]) or 0)\n"
"      rc[i] = rc[i] + (tonumber(v[3 * b + 3]) or 0)\n"
"    end\n"
"  end\n"
"  local mm, mr = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])\n"
"  if (mm >= 0 and m[i] + 1 > mm) or (mr >= 0 and rc[i] + r > mr) then\n"
"    over[i] = 1; limited = 1\n"
"  end\n"
"end\n"
"local b = cur % 64\n"
"local out = {limited, now}\n"
"for i = 1, #KEYS do\n"
"  local alert = 0\n"
"  if limited == 0 or over[i] == 1 then\n"
"    if tonumber(redis.call('HGET', KEYS[i], 't' .. b)) ~= cur then\n"
"      redis.call('HSET', KEYS[i], 't' .. b, cur, 'm' .. b, 0, 'r' .. b, 0,\n"
"          'f' .. b, 0)\n"
"    end\n"
"    if limited == 0 then\n"
"      redis.call('HINCRBY', KEYS[i], 'm' .. b, 1)\n"
"      redis.call('HINCRBY', KEYS[i], 'r' .. b, r)\n"
"    else\n"
"      redis.call('HINCRBY', KEYS[i], 'f' .. b, 1)\n"
"      local a = tonumber(redis.call('HGET', KEYS[i], 'a'))\n"
"      if a == nil or a <= now - 3660 then\n"
"        redis.call('HSET', KEYS[i], 'a', now); alert = 1\n"
"      end\n"
"    end\n"
"    redis.call('EXPIRE', KEYS[i], 3720)\n"
"  end\n"
"  out[#out + 1] = m[i]; out[#out + 1] = rc[i]\n"
"  out[#out + 1] = over[i]; out[#out + 1] = alert\n"
"end\n"
"return out\n";

/* ARGV: the event the step added */
static const char wgive_script[] =
"for i = 1, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end\n"
"return 0\n";

/* ARGV: the minute the message was counted in, its recipients */
static const char give_script[] =
"local cur = tonumber(ARGV[1])\n"
"local b = cur % 64\n"
"for i = 1, #KEYS do\n"
"  if tonumber(redis.call('HGET', KEYS[i], 't' .. b)) == cur then\n"
"    local m = tonumber(redis.call('HGET', KEYS[i], 'm' .. b)) or 0\n"
"    local r = tonumber(redis.call('HGET', KEYS[i], 'r' .. b)) or 0\n"
"    local g = tonumber(ARGV[2])\n"
"    if m > 0 then redis.call('HSET', KEYS[i], 'm' .. b, m - 1) end\n"
"    if r >= g then redis.call('HSET', KEYS[i], 'r' .. b, r - g)\n"
"    else redis.call('HSET', KEYS[i], 'r' .. b, 0) end\n"
"  end\n"
"end\n"
"return 0\n";

static long long
ms_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval
tv_ms(long long ms)
{
	struct timeval	tv;

	if (ms < 1)
		ms = 1;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

static void
say(char *why, size_t n, const char *what, const redisContext *c,
    const redisReply *r)
{
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		snprintf(why, n, "redis %s: %s", what, r->str);
	else if (c != NULL && c->err)
		snprintf(why, n, "redis %s: %s", what, c->errstr);
	else
		snprintf(why, n, "redis %s: unexpected reply", what);
}

/* A command within what is left of the budget; NULL and why on failure. */
static redisReply *
call(struct rstate *s, int argc, const char **argv, const size_t *len,
    const char *what, char *why, size_t n)
{
	redisReply	*r;
	long long	 left = (long long)s->timeout_ms - s->spent, start;

	if (left <= 0) {
		snprintf(why, n, "redis %s: over %u ms", what, s->timeout_ms);
		return NULL;
	}
	if (redisSetTimeout(s->c, tv_ms(left)) != REDIS_OK) {
		say(why, n, what, s->c, NULL);
		return NULL;
	}
	start = ms_now();
	r = redisCommandArgv(s->c, argc, argv, len);
	s->spent += ms_now() - start;
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		say(why, n, what, s->c, r);
		if (r != NULL)
			freeReplyObject(r);
		return NULL;
	}
	return r;
}

/*
 * Connect (address "host:port" or a socket's path), log in when a user
 * or password is set, all within timeout_ms.  0, or -1 and why.
 */
int
rstate_open(struct rstate *s, const struct rconf *rc, char *why, size_t n)
{
	char		 host[256], *colon, *h;
	unsigned char	 addr[16];
	const char	*argv[3];
	size_t		 len[3];
	redisReply	*r;
	long long	 start;
	int		 argc = 0;

	memset(s, 0, sizeof(*s));
	s->timeout_ms = rc->timeout_ms;
	start = ms_now();
	strlcpy(s->prefix, rc->prefix, sizeof(s->prefix));
	if (rc->addr[0] == '/')
		s->c = redisConnectUnixWithTimeout(rc->addr,
		    tv_ms(rc->timeout_ms));
	else {
		strlcpy(host, rc->addr, sizeof(host));
		if ((colon = strrchr(host, ':')) == NULL) {
			snprintf(why, n, "redis %s: want host:port or a path",
			    rc->addr);
			return -1;
		}
		*colon = '\0';
		h = host;
		if (h[0] == '[' && colon > host && colon[-1] == ']') {
			colon[-1] = '\0';
			h++;
		}
		/* an address: a static program must look up no names */
		if (inet_pton(AF_INET, h, addr) != 1 &&
		    inet_pton(AF_INET6, h, addr) != 1) {
			snprintf(why, n, "redis %s: want an IP address and a "
			    "port, or a socket's path", rc->addr);
			return -1;
		}
		s->c = redisConnectWithTimeout(h, atoi(colon + 1),
		    tv_ms(rc->timeout_ms));
	}
	s->spent = ms_now() - start;
	if (s->c == NULL || s->c->err) {
		snprintf(why, n, "redis %s: %s", rc->addr, s->c ? s->c->errstr :
		    "out of memory");
		rstate_close(s);
		return -1;
	}
	if (rc->pass[0] != '\0') {
		argv[argc] = "AUTH", len[argc++] = 4;
		if (rc->user[0] != '\0')
			argv[argc] = rc->user, len[argc] = strlen(rc->user),
			    argc++;
		argv[argc] = rc->pass, len[argc] = strlen(rc->pass), argc++;
		if ((r = call(s, argc, argv, len, "AUTH", why, n)) == NULL) {
			rstate_close(s);
			return -1;
		}
		freeReplyObject(r);
	}
	return 0;
}

void
rstate_close(struct rstate *s)
{
	if (s->c != NULL)
		redisFree(s->c);
	s->c = NULL;
}

/* prefix, kind, ':', the name without ASCII case */
static size_t
key(const struct rstate *s, const char *kind, const char *name, char *out,
    size_t n)
{
	size_t	k, i;

	k = (size_t)snprintf(out, n, "%s%s:", s->prefix, kind);
	for (i = 0; name[i] && k + 1 < n; i++)
		out[k++] = (name[i] >= 'A' && name[i] <= 'Z') ?
		    (char)(name[i] + 32) : name[i];
	out[k] = '\0';
	return k;
}

#define ARGMAX	(3 + 64 + 2 * RSTATE_KEYSMAX + 2)

/* EVAL script with the keys and arguments; the reply, or NULL and why. */
static redisReply *
eval(struct rstate *s, const char *script, char keys[][RSTATE_KEYLEN],
    size_t nkeys, const char **args, size_t nargs, char *why, size_t n)
{
	const char	*argv[ARGMAX];
	size_t		 len[ARGMAX], i;
	char		 num[16];
	int		 argc = 0;

	if (3 + nkeys + nargs > ARGMAX) {
		snprintf(why, n, "redis EVAL: %zu keys and %zu arguments",
		    nkeys, nargs);
		return NULL;
	}
	snprintf(num, sizeof(num), "%zu", nkeys);
	argv[argc] = "EVAL", len[argc++] = 4;
	argv[argc] = script, len[argc++] = strlen(script);
	argv[argc] = num, len[argc++] = strlen(num);
	for (i = 0; i < nkeys; i++)
		argv[argc] = keys[i], len[argc++] = strlen(keys[i]);
	for (i = 0; i < nargs; i++)
		argv[argc] = args[i], len[argc++] = strlen(args[i]);
	return call(s, argc, argv, len, "EVAL", why, n);
}

static int
integers(const redisReply *r, size_t want)
{
	size_t	i;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != want)
		return 0;
	for (i = 0; i < want; i++)
		if (r->element[i]->type != REDIS_REPLY_INTEGER)
			return 0;
	return 1;
}

/* eval, and its reply an array of want integers; NULL and why if not. */
static redisReply *
numbers(struct rstate *s, const char *script, char keys[][RSTATE_KEYLEN],
    size_t nkeys, const char **args, size_t nargs, size_t want, char *why,
    size_t n)
{
	redisReply	*r;

	if ((r = eval(s, script, keys, nkeys, args, nargs, why, n)) == NULL)
		return NULL;
	if (!integers(r, want)) {
		say(why, n, "EVAL", NULL, NULL);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* A limit as the scripts take it: -1 for none. */
static const char *
limit_arg(char *b, size_t n, uint32_t v)
{
	if (v == UINT32_MAX)
		strlcpy(b, "-1", n);
	else
		snprintf(b, n, "%u", v);
	return b;
}

/* win_take's step on Redis: the same keys, limits and answer. */
enum win_take
rstate_win_take(struct rstate *s, struct win_key *keys, size_t n,
    unsigned int window, char *why, size_t whylen)
{
	char		 k[RSTATE_KEYSMAX][RSTATE_KEYLEN], win[16];
	char		 lim[RSTATE_KEYSMAX][16];
	const char	*args[2 + RSTATE_KEYSMAX];
	redisReply	*r;
	size_t		 i;
	enum win_take	 t;

	if (n > RSTATE_KEYSMAX) {
		snprintf(why, whylen, "%zu keys in one step", n);
		return WIN_ERROR;
	}
	snprintf(win, sizeof(win), "%u", window);
	/* unique among all hosts' events in the key's set */
	snprintf(s->member, sizeof(s->member), "%ld.%08x%08x",
	    (long)getpid(), arc4random(), arc4random());
	args[0] = win;
	args[1] = s->member;
	for (i = 0; i < n; i++) {
		key(s, keys[i].kind, keys[i].name, k[i], sizeof(k[i]));
		args[2 + i] = limit_arg(lim[i], sizeof(lim[i]), keys[i].limit);
	}
	if ((r = numbers(s, win_script, k, n, args, 2 + n, 2 + n, why,
	    whylen)) == NULL)
		return WIN_ERROR;
	for (i = 0; i < n; i++)
		keys[i].count = (int)r->element[2 + i]->integer;
	t = r->element[0]->integer ? WIN_LIMITED : WIN_ADMITTED;
	freeReplyObject(r);
	return t;
}

/* Take back the event the last rstate_win_take added. */
int
rstate_win_give(struct rstate *s, const struct win_key *keys, size_t n,
    char *why, size_t whylen)
{
	char		 k[RSTATE_KEYSMAX][RSTATE_KEYLEN];
	const char	*args[1] = { s->member };
	redisReply	*r;
	size_t		 i;

	if (n > RSTATE_KEYSMAX)
		return -1;
	for (i = 0; i < n; i++)
		key(s, keys[i].kind, keys[i].name, k[i], sizeof(k[i]));
	if ((r = eval(s, wgive_script, k, n, args, 1, why, whylen)) == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

static void
cnt_name(const struct cnt_key *c, char *kind, size_t n)
{
	snprintf(kind, n, "c%u", c->kind);
}

/* cnt_take's step on Redis; *stamp is the server's time it counted at. */
enum win_take
rstate_cnt_take(struct rstate *s, struct cnt_key *keys, size_t n,
    uint32_t rcpts, time_t *stamp, char *why, size_t whylen)
{
	char		 k[RSTATE_KEYSMAX][RSTATE_KEYLEN], kind[8], rc[16];
	char		 lim[2 * RSTATE_KEYSMAX][16];
	const char	*args[1 + 2 * RSTATE_KEYSMAX];
	redisReply	*r;
	size_t		 i;
	enum win_take	 t;

	if (n > RSTATE_KEYSMAX) {
		snprintf(why, whylen, "%zu keys in one step", n);
		return WIN_ERROR;
	}
	snprintf(rc, sizeof(rc), "%u", rcpts);
	args[0] = rc;
	for (i = 0; i < n; i++) {
		cnt_name(&keys[i], kind, sizeof(kind));
		key(s, kind, keys[i].name, k[i], sizeof(k[i]));
		args[1 + 2 * i] = limit_arg(lim[2 * i], sizeof(lim[0]),
		    keys[i].max_msgs);
		args[2 + 2 * i] = limit_arg(lim[2 * i + 1], sizeof(lim[0]),
		    keys[i].max_rcpts);
	}
	if ((r = numbers(s, cnt_script, k, n, args, 1 + 2 * n, 2 + 4 * n, why,
	    whylen)) == NULL)
		return WIN_ERROR;
	*stamp = (time_t)r->element[1]->integer;
	for (i = 0; i < n; i++) {
		keys[i].msgs = (uint32_t)r->element[2 + 4 * i]->integer;
		keys[i].rcpts = (uint32_t)r->element[3 + 4 * i]->integer;
		keys[i].over = (int)r->element[4 + 4 * i]->integer;
		keys[i].alert = (int)r->element[5 + 4 * i]->integer;
	}
	t = r->element[0]->integer ? WIN_LIMITED : WIN_ADMITTED;
	freeReplyObject(r);
	return t;
}

/* Take back a message counted at stamp (the server's time). */
int
rstate_cnt_give(struct rstate *s, const struct cnt_key *keys, size_t n,
    time_t stamp, uint32_t rcpts, char *why, size_t whylen)
{
	char		 k[RSTATE_KEYSMAX][RSTATE_KEYLEN], kind[8], cur[24];
	char		 rc[16];
	const char	*args[2] = { cur, rc };
	redisReply	*r;
	size_t		 i;

	if (n > RSTATE_KEYSMAX)
		return -1;
	snprintf(cur, sizeof(cur), "%lld", (long long)stamp / 60);
	snprintf(rc, sizeof(rc), "%u", rcpts);
	for (i = 0; i < n; i++) {
		cnt_name(&keys[i], kind, sizeof(kind));
		key(s, kind, keys[i].name, k[i], sizeof(k[i]));
	}
	if ((r = eval(s, give_script, k, n, args, 2, why, whylen)) == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

static const char list_script[] =
"local now = tonumber(redis.call('TIME')[1])\n"
"local cur = math.floor(now / 60)\n"
"local out = {}\n"
"for i = 1, #KEYS do\n"
"  local m, r, f = 0, 0, 0\n"
"  for b = 0, 63 do\n"
"    local v = redis.call('HMGET', KEYS[i], 't' .. b, 'm' .. b, 'r' .. b,\n"
"        'f' .. b)\n"
"    local t = tonumber(v[1])\n"
"    if t and t >= cur - 60 and t <= cur then\n"
"      m = m + (tonumber(v[2]) or 0); r = r + (tonumber(v[3]) or 0)\n"
"      f = f + (tonumber(v[4]) or 0)\n"
"    end\n"
"  end\n"
"  out[#out + 1] = m; out[#out + 1] = r; out[#out + 1] = f\n"
"end\n"
"return out\n";

/*
 * fn on every counts key under the prefix, with its kind, name, and
 * messages, recipients and refusals in the window; 0, or -1 and why.
 */
int
rstate_cnt_list(struct rstate *s, int (*fn)(unsigned int, const char *,
    uint32_t, uint32_t, uint32_t, void *), void *arg, char *why, size_t n)
{
	char		 cursor[32] = "0", match[160], name[RSTATE_KEYLEN];
	char		 keys[64][RSTATE_KEYLEN];
	const char	*argv[6];
	size_t		 len[6], i, k, plen = strlen(s->prefix);
	redisReply	*r, *v, *e;

	snprintf(match, sizeof(match), "%sc*", s->prefix);
	do {
		argv[0] = "SCAN", argv[1] = cursor, argv[2] = "MATCH";
		argv[3] = match, argv[4] = "COUNT", argv[5] = "64";
		for (i = 0; i < 6; i++)
			len[i] = strlen(argv[i]);
		if ((r = call(s, 6, argv, len, "SCAN", why, n)) == NULL)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			say(why, n, "SCAN", NULL, NULL);
			return -1;
		}
		strlcpy(cursor, r->element[0]->str, sizeof(cursor));
		e = r->element[1];
		for (i = k = 0; i < e->elements && k < 64; i++)
			if (e->element[i]->type == REDIS_REPLY_STRING &&
			    e->element[i]->len < RSTATE_KEYLEN)
				strlcpy(keys[k++], e->element[i]->str,
				    RSTATE_KEYLEN);
		freeReplyObject(r);
		if (k == 0)
			continue;
		if ((v = numbers(s, list_script, keys, k, NULL, 0, 3 * k, why,
		    n)) == NULL)
			return -1;
		for (i = 0; i < k; i++) {
			/* prefix "c" kind ":" name */
			if (strlen(keys[i]) < plen + 3 || keys[i][plen + 2] != ':')
				continue;
			strlcpy(name, keys[i] + plen + 3, sizeof(name));
			if (fn((unsigned int)(keys[i][plen + 1] - '0'), name,
			    (uint32_t)v->element[3 * i]->integer,
			    (uint32_t)v->element[3 * i + 1]->integer,
			    (uint32_t)v->element[3 * i + 2]->integer, arg) == -1) {
				freeReplyObject(v);
				snprintf(why, n, "out of memory");
				return -1;
			}
		}
		freeReplyObject(v);
	} while (strcmp(cursor, "0") != 0);
	return 0;
}

/*
 * Whether Redis is down, kept as a file in the local state directory so
 * that many processes log an outage once: 1 when this call changed it
 * (the caller logs), 0 when not, -1 when the directory cannot say.
 */
int
rstate_outage(const char *dir, int down)
{
	char	path[1100];
	int	fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/redis-down", dir) >=
	    sizeof(path))
		return -1;
	if (down) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600)) == -1)
			return errno == EEXIST ? 0 : -1;
		close(fd);
		return 1;
	}
	if (unlink(path) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}
