/*
 * authfirst's session, driven as authfirst drives it: client bytes and
 * backend replies in, the exact bytes each side gets out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/session.h"

#define LISTED	"553 5.7.1 zen.example: listed; authenticate first\r\n"
#define EHLO_IN	"250-mx.example.test\r\n250-STARTTLS\r\n250-PIPELINING\r\n" \
		"250 AUTH LOGIN PLAIN\r\n"

static char	got[SESSION_BUFSZ + 1];

static struct session *
start(int gated)
{
	struct session	*s = calloc(1, sizeof(*s));

	assert_non_null(s);
	session_init(s, gated, 0, LISTED);
	return s;
}

static void
feed(struct sbuf *b, struct session *s, const char *t)
{
	size_t	n = strlen(t);

	assert_true(b->len + n <= sizeof(b->d));
	memcpy(b->d + b->len, t, n);
	b->len += n;
	assert_int_equal(session_step(s), 0);
}

static void client(struct session *s, const char *t) { feed(&s->from_client, s, t); }
static void backend(struct session *s, const char *t) { feed(&s->from_backend, s, t); }

/* What one side has been sent since last asked, as a string. */
static const char *
drain(struct sbuf *b)
{
	memcpy(got, b->d, b->len);
	got[b->len] = '\0';
	b->len = 0;
	return got;
}

static void
test_pipelined_envelope_never_reaches_backend(void **state)
{
	struct session	*s = start(1);

	backend(s, "220 mx.example.test ESMTP\r\n");
	assert_string_equal(drain(&s->to_client), "220 mx.example.test ESMTP\r\n");
	/* one packet: EHLO, a whole envelope, a BDAT, QUIT */
	client(s, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<x@y.example>\r\nDATA\r\nBDAT 10 LAST\r\nQUIT\r\n");
	assert_string_equal(drain(&s->to_backend), "EHLO c.example\r\nQUIT\r\n");
	/* nothing answered before the EHLO's reply: order is kept */
	assert_string_equal(drain(&s->to_client), "");
	backend(s, EHLO_IN);
	assert_string_equal(drain(&s->to_client),
	    "250-mx.example.test\r\n250-PIPELINING\r\n250 AUTH LOGIN PLAIN\r\n"
	    LISTED "503 MAIL first (#5.5.1)\r\n503 MAIL first (#5.5.1)\r\n"
	    "502 unimplemented (#5.5.1)\r\n");
	backend(s, "221 mx.example.test\r\n");
	assert_string_equal(drain(&s->to_client), "221 mx.example.test\r\n");
	assert_int_equal(s->refused, 1);
	assert_string_equal(s->ending, "quit");
	free(s);
}

static void
test_local_reply_waits_for_earlier_backend_reply(void **state)
{
	struct session	*s = start(1);

	backend(s, "220 mx\r\n");
	drain(&s->to_client);
	client(s, "NOOP\r\nMAIL FROM:<a@b>\r\nNOOP\r\n");
	assert_string_equal(drain(&s->to_backend), "NOOP\r\nNOOP\r\n");
	assert_string_equal(drain(&s->to_client), "");
	backend(s, "250 one\r\n");
	assert_string_equal(drain(&s->to_client), "250 one\r\n" LISTED);
	backend(s, "250 two\r\n");
	assert_string_equal(drain(&s->to_client), "250 two\r\n");
	free(s);
}

/* AUTH as victim (535), then as alice (235): alice is logged. */
static void
test_user_is_whose_auth_succeeded(void **state)
{
	struct session	*s = start(1);
	char		 line[512];

	backend(s, "220 mx\r\n");
	/* PLAIN "\0victim\0guess" and "\0alice\0right" */
	client(s, "AUTH PLAIN AHZpY3RpbQBndWVzcw==\r\n");
	assert_string_equal(drain(&s->to_backend),
	    "AUTH PLAIN AHZpY3RpbQBndWVzcw==\r\n");
	/* pipelined after AUTH: held until the AUTH is answered */
	client(s, "MAIL FROM:<a@b>\r\n");
	assert_string_equal(drain(&s->to_backend), "");
	backend(s, "535 authorization failed (#5.7.0)\r\n");
	assert_string_equal(drain(&s->to_client), "220 mx\r\n"
	    "535 authorization failed (#5.7.0)\r\n" LISTED);
	session_summary(s, "192.0.2.7", "zen.example: listed", 10, 20, line,
	    sizeof(line));
	assert_string_equal(line, "192.0.2.7: gated: zen.example: listed, "
	    "auth failed, 1 MAIL refused, 10 bytes in, 20 out, client closed");
	client(s, "AUTH PLAIN AGFsaWNlAHJpZ2h0\r\nMAIL FROM:<a@b>\r\n");
	assert_string_equal(drain(&s->to_backend),
	    "AUTH PLAIN AGFsaWNlAHJpZ2h0\r\n");
	backend(s, "235 ok, go ahead (#2.0.0)\r\n");
	/* after 235, bytes: the MAIL that waited goes on as it was */
	assert_string_equal(drain(&s->to_backend), "MAIL FROM:<a@b>\r\n");
	assert_true(s->authed && s->relay);
	session_summary(s, "192.0.2.7", NULL, 1, 2, line, sizeof(line));
	assert_string_equal(line, "192.0.2.7: gated (always), auth alice, "
	    "1 MAIL refused, 1 bytes in, 2 out, client closed");
	/* and nothing is parsed any more: not even a NUL line */
	memcpy(s->from_client.d, "DATA\r\nx\0y\r\n.\r\n", 14);
	s->from_client.len = 14;
	assert_int_equal(session_step(s), 0);
	assert_int_equal(s->to_backend.len, 14);
	assert_memory_equal(s->to_backend.d, "DATA\r\nx\0y\r\n.\r\n", 14);
	free(s);
}

static void
test_auth_login_exchange(void **state)
{
	struct session	*s = start(1);

	backend(s, "220 mx\r\n");
	drain(&s->to_client);
	client(s, "AUTH LOGIN\r\n");
	backend(s, "334 VXNlcm5hbWU6\r\n");
	client(s, "YWxpY2U=\r\n");		/* alice */
	assert_string_equal(drain(&s->to_backend), "AUTH LOGIN\r\nYWxpY2U=\r\n");
	backend(s, "334 UGFzc3dvcmQ6\r\n");
	client(s, "c2VjcmV0\r\n");
	backend(s, "235 ok\r\n");
	assert_string_equal(drain(&s->to_client),
	    "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 ok\r\n");
	assert_string_equal(s->user, "alice");
	/* "*" cancels an exchange: 501 from the backend, no user */
	free(s);
	s = start(1);
	backend(s, "220 mx\r\n");
	client(s, "AUTH LOGIN\r\n");
	backend(s, "334 VXNlcm5hbWU6\r\n");
	client(s, "*\r\n");
	backend(s, "501 auth exchange cancelled (#5.0.0)\r\n");
	client(s, "MAIL FROM:<a@b>\r\n");
	assert_false(s->authed);
	assert_string_equal(drain(&s->to_backend), "AUTH LOGIN\r\n*\r\n");
	free(s);
}

static void
test_nul_and_overlong_lines(void **state)
{
	struct session	*s = start(1);
	char		*big = malloc(SMTP_LINEMAX + 32);

	backend(s, "220 mx\r\n");
	drain(&s->to_client);
	/* "MAIL\0..." would be MAIL to a C backend */
	s->from_client.len = 0;
	memcpy(s->from_client.d, "NOOP\0MAIL FROM:<a>\r\n", 20);
	s->from_client.len = 20;
	assert_int_equal(session_step(s), 0);
	assert_string_equal(drain(&s->to_backend), "");
	assert_string_equal(drain(&s->to_client),
	    "500 5.5.2 NUL byte in command\r\n");
	memset(big, 'A', SMTP_LINEMAX + 8);
	memcpy(big + SMTP_LINEMAX + 8, "\r\nNOOP\r\n", 9);
	client(s, big);
	assert_string_equal(drain(&s->to_client), "500 5.5.2 Line too long\r\n");
	assert_string_equal(drain(&s->to_backend), "NOOP\r\n");
	free(big);
	free(s);
}

static void
test_starttls_and_ehlo_filter(void **state)
{
	struct session	*s = calloc(1, sizeof(*s));

	/* no certificate: STARTTLS is taken out and refused */
	session_init(s, 1, 0, LISTED);
	backend(s, "220 mx\r\n");
	drain(&s->to_client);
	client(s, "EHLO c\r\nSTARTTLS\r\n");
	backend(s, EHLO_IN);
	assert_string_equal(drain(&s->to_client),
	    "250-mx.example.test\r\n250-PIPELINING\r\n250 AUTH LOGIN PLAIN\r\n"
	    "454 4.7.0 TLS not available\r\n");
	assert_string_equal(drain(&s->to_backend), "EHLO c\r\n");
	/* a certificate: we offer it, answer 220 and wait for the handshake;
	 * what came after STARTTLS in clear text is dropped */
	session_init(s, 1, 1, LISTED);
	backend(s, "220 mx\r\n");
	drain(&s->to_client);
	client(s, "STARTTLS\r\nMAIL FROM:<injected>\r\n");
	assert_true(s->want_handshake);
	assert_int_equal(s->from_client.len, 0);
	assert_string_equal(drain(&s->to_client),
	    "220 2.0.0 Ready to start TLS\r\n");
	assert_string_equal(drain(&s->to_backend), "");
	free(s);
}

static void
test_unasked_backend_reply_and_eofs(void **state)
{
	struct session	*s = start(1);

	backend(s, "220 mx\r\n");
	drain(&s->to_client);
	backend(s, "421 shutting down\r\n");
	assert_string_equal(drain(&s->to_client), "421 shutting down\r\n");
	/* half a command line at the client's EOF is dropped */
	client(s, "NOOP");
	session_client_eof(s);
	assert_int_equal(s->from_client.len, 0);
	/* the backend gone mid-reply: what it said goes through */
	client(s, "NOOP\r\n");
	backend(s, "250-half");
	session_backend_eof(s);
	assert_string_equal(drain(&s->to_client), "250-half");
	assert_string_equal(s->ending, "backend exited");
	free(s);
}

/* Not gated (tls only): bytes both ways from the start. */
static void
test_ungated_is_bytes(void **state)
{
	struct session	*s = start(0);

	client(s, "MAIL FROM:<a@b>\r\n");
	assert_string_equal(drain(&s->to_backend), "MAIL FROM:<a@b>\r\n");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelined_envelope_never_reaches_backend),
		cmocka_unit_test(test_local_reply_waits_for_earlier_backend_reply),
		cmocka_unit_test(test_user_is_whose_auth_succeeded),
		cmocka_unit_test(test_auth_login_exchange),
		cmocka_unit_test(test_nul_and_overlong_lines),
		cmocka_unit_test(test_starttls_and_ehlo_filter),
		cmocka_unit_test(test_unasked_backend_reply_and_eofs),
		cmocka_unit_test(test_ungated_is_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
