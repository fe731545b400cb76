/*
 * session.c: the MAIL-before-AUTH gate of authfirst, as a state machine
 * over four buffers.  Why it is shaped so:
 *
 * - The client may pipeline (RFC 2920): a command is handled only when the
 *   state allows, and replies go back strictly in the order the commands
 *   came, whether the backend gave them or the gate did.  A queue of slots
 *   says, for each reply still due, who gives it.
 * - Before the backend has said 235, MAIL, RCPT, DATA and BDAT never reach
 *   it: the gate answers them itself, MAIL with the refusal, the others as
 *   qmail-smtpd would without a MAIL (503 MAIL first, 502 for BDAT, which
 *   qmail does not know), so that the backend never holds an envelope.
 * - A NUL in a command line would make the line one thing to us and another
 *   to a C backend: no such line goes through.  Lines are bounded; an
 *   overlong one is refused and skipped, never buffered without end.
 * - After 235 the gate has nothing left to judge: it stops parsing and only
 *   copies bytes (relay).  So a gated session never carries a message
 *   while it parses: there is no body to follow, no DATA state.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "session.h"

static const char tls_ready[] = "220 2.0.0 Ready to start TLS\r\n";
static const char tls_none[] = "454 4.7.0 TLS not available\r\n";
static const char too_long[] = "500 5.5.2 Line too long\r\n";
static const char nul_line[] = "500 5.5.2 NUL byte in command\r\n";
/* qmail-smtpd's own words for these without a MAIL */
static const char want_mail[] = "503 MAIL first (#5.5.1)\r\n";
static const char unimpl[] = "502 unimplemented (#5.5.1)\r\n";

static int
push(struct session *s, enum slotkind k, const char *text, int starttls)
{
	struct slot	*q;

	if (s->qlen == SESSION_SLOTS)
		return -1;
	q = &s->q[(s->qhead + s->qlen++) % SESSION_SLOTS];
	q->kind = k;
	q->text = text;
	q->starttls = starttls;
	return 0;
}

static int
put(struct sbuf *b, const char *d, size_t n)
{
	if (b->len + n > sizeof(b->d))
		return -1;
	memcpy(b->d + b->len, d, n);
	b->len += n;
	return 0;
}

void
session_take(struct sbuf *b, size_t n)
{
	memmove(b->d, b->d + n, b->len - n);
	b->len -= n;
}

/*
 * gated: MAIL waits for a 235; have_cert: STARTTLS can be offered;
 * refusal: the reply to a MAIL before it (with its CRLF).
 */
void
session_init(struct session *s, int gated, int have_cert, const char *refusal)
{
	memset(s, 0, offsetof(struct session, from_client));
	s->from_client.len = s->to_backend.len = 0;
	s->from_backend.len = s->to_client.len = 0;
	s->gated = gated;
	s->relay = !gated;
	s->have_cert = have_cert;
	s->mode = SM_CMD;
	s->ending = "client closed";
	strlcpy(s->refusal, refusal, sizeof(s->refusal));
	push(s, S_REPLY, NULL, 0);	/* the backend's greeting */
}

/* The start of an AUTH exchange: whose it is, as far as it says yet. */
static void
auth_start(struct session *s, const char *l, size_t len)
{
	const char	*init;
	size_t		 ilen;

	s->attempt_known = 0;
	s->attempt[0] = '\0';
	s->mech = smtp_auth_mech(l, len, &init, &ilen);
	if (ilen > 0)
		s->attempt_known = smtp_auth_user(s->mech, 0, init, ilen,
		    s->attempt, sizeof(s->attempt));
}

/* One complete command line (with its LF); -1 when the queue is full. */
static int
command(struct session *s, const char *l, size_t len)
{
	enum smtp_verb	 v = smtp_verb(l, len);

	if (memchr(l, '\0', len) != NULL) {
		if (s->mode == SM_AUTH_CONT) {
			/* cancel the exchange: the backend answers for it */
			put(&s->to_backend, "*\r\n", 3);
			s->mode = SM_WAIT_AUTH;
			return push(s, S_AUTH, NULL, 0);
		}
		return push(s, S_LOCAL, nul_line, 0);
	}
	if (s->mode == SM_AUTH_CONT) {
		if (!s->attempt_known)
			s->attempt_known = smtp_auth_user(s->mech, 0, l, len,
			    s->attempt, sizeof(s->attempt));
		put(&s->to_backend, l, len);
		s->mode = SM_WAIT_AUTH;
		return push(s, S_AUTH, NULL, 0);
	}
	if (!s->authed) {
		switch (v) {
		case V_MAIL:
			s->refused++;
			return push(s, S_LOCAL, s->refusal, 0);
		case V_RCPT:
		case V_DATA:
			return push(s, S_LOCAL, want_mail, 0);
		case V_BDAT:
			return push(s, S_LOCAL, unimpl, 0);
		default:
			break;
		}
	}
	if (v == V_STARTTLS) {
		if (s->have_cert && !s->in_tls) {
			s->want_handshake = 1;
			return push(s, S_LOCAL, tls_ready, 1);
		}
		return push(s, S_LOCAL, tls_none, 0);
	}
	put(&s->to_backend, l, len);
	switch (v) {
	case V_EHLO:
		return push(s, S_EHLO, NULL, 0);
	case V_AUTH:
		auth_start(s, l, len);
		s->mode = SM_WAIT_AUTH;
		return push(s, S_AUTH, NULL, 0);
	case V_QUIT:
		s->ending = "quit";
		return push(s, S_REPLY, NULL, 0);
	default:
		return push(s, S_REPLY, NULL, 0);
	}
}

/* Work through what the client sent, as far as the state allows. */
static int
parse(struct session *s)
{
	struct sbuf	*in = &s->from_client;
	char		*nl;
	size_t		 n;

	while (!s->relay && !s->want_handshake && in->len > 0) {
		if (s->mode == SM_WAIT_AUTH)
			return 0;
		/* room for the backend's copy of a whole line, and a slot */
		if (sizeof(s->to_backend.d) - s->to_backend.len <
		    SMTP_LINEMAX || s->qlen >= SESSION_SLOTS - 1)
			return 0;
		nl = memchr(in->d, '\n', in->len);
		if (s->skipping) {
			n = nl ? (size_t)(nl - in->d) + 1 : in->len;
			session_take(in, n);
			s->skipping = nl == NULL;
			continue;
		}
		if (nl == NULL) {
			if (in->len < SMTP_LINEMAX)
				return 0;
			/* no unbounded buffering: refuse, skip the rest */
			in->len = 0;
			s->skipping = 1;
			if (s->mode == SM_AUTH_CONT)
				s->mode = SM_CMD;
			return push(s, S_LOCAL, too_long, 0);
		}
		n = (size_t)(nl - in->d) + 1;
		if (n > SMTP_LINEMAX) {
			session_take(in, n);
			if (push(s, S_LOCAL, too_long, 0) == -1)
				return -1;
			continue;
		}
		if (command(s, in->d, n) == -1)
			return -1;
		session_take(in, n);
		if (s->want_handshake)
			in->len = 0;	/* plain text after STARTTLS: dropped */
	}
	if (s->relay && in->len > 0) {
		n = sizeof(s->to_backend.d) - s->to_backend.len;
		if (n > in->len)
			n = in->len;
		put(&s->to_backend, in->d, n);
		session_take(in, n);
	}
	return 0;
}

/* The backend's answer to the slot at the head of the queue. */
static void
answered(struct session *s, enum slotkind kind, int code)
{
	if (kind != S_AUTH)
		return;
	if (code == 334) {
		s->mode = SM_AUTH_CONT;
		return;
	}
	s->auth_tries++;
	s->mode = SM_CMD;
	if (code == 235) {
		s->authed = 1;
		s->relay = 1;		/* from here on, bytes */
		strlcpy(s->user, s->attempt_known ? s->attempt : "unknown",
		    sizeof(s->user));
	}
}

/* Move whole backend replies, and our own, to the client in order. */
static void
replies(struct session *s)
{
	struct sbuf	*bin = &s->from_backend, *toc = &s->to_client;
	char		 filtered[8192];
	size_t		 n, fl;
	int		 code;

	while (s->qlen > 0) {
		struct slot *q = &s->q[s->qhead];

		if (q->kind == S_LOCAL) {
			if (put(toc, q->text, strlen(q->text)) == -1)
				return;
		} else {
			if ((n = smtp_reply_end(bin->d, bin->len, &code)) == 0)
				return;
			if (sizeof(toc->d) - toc->len < n + 64)
				return;
			if (q->kind == S_EHLO && code == 250 && s->gated &&
			    (fl = smtp_ehlo_filter(bin->d, n, s->have_cert &&
			    !s->in_tls, filtered, sizeof(filtered))) > 0)
				put(toc, filtered, fl);
			else
				put(toc, bin->d, n);
			session_take(bin, n);
			answered(s, q->kind, code);
		}
		s->qhead = (s->qhead + 1) % SESSION_SLOTS;
		s->qlen--;
		if (q->kind == S_LOCAL && q->starttls)
			return;	/* the handshake comes next */
	}
	/* anything the backend says unasked (a 421, say) goes through */
	if (s->qlen == 0 && bin->len > 0 && (s->relay || s->mode == SM_CMD)) {
		n = sizeof(toc->d) - toc->len;
		if (n > bin->len)
			n = bin->len;
		put(toc, bin->d, n);
		session_take(bin, n);
	}
}

/*
 * Handle what can be handled now.  -1 when more than SESSION_SLOTS
 * replies are outstanding (the session cannot go on in order).
 */
int
session_step(struct session *s)
{
	if (parse(s) == -1)
		return -1;
	replies(s);
	/* what a reply just now let through: commands that waited for it (as
	 * bytes after a 235), and our own answers to them, due at once */
	if (parse(s) == -1)
		return -1;
	replies(s);
	return 0;
}

/* At the client's EOF, half a command line is dropped. */
void
session_client_eof(struct session *s)
{
	struct sbuf	*in = &s->from_client;

	if (!s->relay && in->len > 0 && (s->mode == SM_CMD ||
	    s->mode == SM_AUTH_CONT) && memchr(in->d, '\n', in->len) == NULL)
		in->len = 0;
}

/* The backend is gone: what it said last goes to the client as it is. */
void
session_backend_eof(struct session *s)
{
	if (strcmp(s->ending, "quit") != 0)
		s->ending = "backend exited";
	s->qlen = 0;
	if (put(&s->to_client, s->from_backend.d, s->from_backend.len) == 0)
		s->from_backend.len = 0;
}

/*
 * The one log line of a session: "IP: gated[: LISTING], auth USER, N
 * MAIL refused, N bytes in, N out, ENDING".  USER is whose AUTH got 235,
 * else "failed" after an AUTH that did not, else "none".  listed is the
 * sanitised listing or NULL.
 */
int
session_summary(const struct session *s, const char *ip, const char *listed,
    unsigned long long in, unsigned long long out, char *buf, size_t n)
{
	return snprintf(buf, n, "%s: %s%s%s, auth %s, %lu MAIL refused, %llu "
	    "bytes in, %llu out, %s", ip ? ip : "unknown", s->gated ? "gated" :
	    "tls only", listed ? ": " : "", listed ? listed : (s->gated ?
	    " (always)" : ""), s->authed ? s->user : s->auth_tries ? "failed" :
	    "none", s->refused, in, out, s->ending);
}
