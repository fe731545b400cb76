/*
 * Fuzz target: authfirst's session against a model backend.  The input is
 * a stream of chunks; each chunk's first byte says who speaks and how
 * much: the client (any bytes), or the model backend, which answers the
 * lines the session sent it in order, choosing 334, 235 or 535 for AUTH
 * from that byte.  On every input:
 *   - no MAIL, RCPT, DATA or BDAT command reaches the backend before it
 *     has said 235 (the gate's promise);
 *   - the session calls itself authenticated only after a 235;
 *   - the backend's replies reach the client in the order it gave them
 *     (each carries a sequence number), and the session never fails.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct session	S;

struct model {
	char		 line[SESSION_BUFSZ];	/* a command being received */
	size_t		 len;
	int		 cont;		/* in an AUTH exchange */
	int		 said235;
	unsigned long	 seq;		/* replies given */
	unsigned long	 seen;		/* the last one the client got */
};

static void
reply(struct model *m, int code)
{
	char	r[64];
	int	n = snprintf(r, sizeof(r), "%d #%lu\r\n", code, ++m->seq);

	if (S.from_backend.len + (size_t)n <= sizeof(S.from_backend.d)) {
		memcpy(S.from_backend.d + S.from_backend.len, r, (size_t)n);
		S.from_backend.len += (size_t)n;
	}
}

/* The backend reads what the session sent it, a line at a time. */
static void
backend_reads(struct model *m, uint8_t choice)
{
	size_t		 i;
	enum smtp_verb	 v;

	for (i = 0; i < S.to_backend.len; i++) {
		if (m->len < sizeof(m->line))
			m->line[m->len++] = S.to_backend.d[i];
		if (S.to_backend.d[i] != '\n')
			continue;
		if (m->said235) {	/* bytes from here on: not judged */
			m->len = 0;
			continue;
		}
		v = smtp_verb(m->line, m->len);
		if (m->cont) {
			/* a response in an AUTH exchange, not a command */
			m->cont = (choice & 3) == 0;
			if (!m->cont && (choice & 4))
				m->said235 = 1;
			reply(m, m->cont ? 334 : m->said235 ? 235 : 535);
		} else if (v == V_MAIL || v == V_RCPT || v == V_DATA ||
		    v == V_BDAT)
			abort();	/* the gate let an envelope through */
		else if (v == V_AUTH) {
			m->cont = (choice & 8) != 0;
			if (!m->cont && (choice & 16))
				m->said235 = 1;
			reply(m, m->cont ? 334 : m->said235 ? 235 : 535);
		} else
			reply(m, 250);
		m->len = 0;
		choice = (uint8_t)(choice * 31 + 7);
	}
	S.to_backend.len = 0;
}

/* The client reads: the backend's sequence numbers only ever go up. */
static void
client_reads(struct model *m)
{
	const char	*p = S.to_client.d, *end = p + S.to_client.len, *nl;
	unsigned long	 n;

	for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1)
		if (nl - p > 5 && p[3] == ' ' && p[4] == '#' &&
		    sscanf(p + 5, "%lu", &n) == 1) {
			if (n <= m->seen)
				abort();	/* out of order, or twice */
			m->seen = n;
		}
	S.to_client.len = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct model	*m = calloc(1, sizeof(*m));
	size_t		 i = 0, n;

	if (m == NULL)
		return 0;
	session_init(&S, 1, len > 0 ? data[0] & 1 : 0, "553 no\r\n");
	reply(m, 220);
	while (i < len) {
		uint8_t c = data[i++];

		n = (size_t)(c >> 2) + 1;
		if (n > len - i)
			n = len - i;
		if ((c & 3) == 0 && !S.want_handshake) {
			if (S.from_client.len + n > sizeof(S.from_client.d))
				n = sizeof(S.from_client.d) - S.from_client.len;
			memcpy(S.from_client.d + S.from_client.len, data + i, n);
			S.from_client.len += n;
			i += n;
		} else if ((c & 3) == 1)
			backend_reads(m, c);
		else if ((c & 3) == 2 && S.want_handshake) {
			S.want_handshake = 0;	/* the handshake, done */
			S.in_tls = 1;
		}
		if (session_step(&S) == -1)
			abort();
		if (S.authed && !m->said235)
			abort();
		client_reads(m);
	}
	free(m);
	return 0;
}
