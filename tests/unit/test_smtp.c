/* authfirst's SMTP parsing: verbs, reply ends, EHLO filter, AUTH users. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "lib/smtp.h"

#define S(x)	x, sizeof(x) - 1

static void
test_verbs(void **state)
{
	assert_int_equal(smtp_verb(S("MAIL FROM:<a@b>\r\n")), V_MAIL);
	assert_int_equal(smtp_verb(S("mail from:<a@b>\r\n")), V_MAIL);
	assert_int_equal(smtp_verb(S("MAIL\r\n")), V_MAIL);
	assert_int_equal(smtp_verb(S("MAILX\r\n")), V_OTHER);
	assert_int_equal(smtp_verb(S("StartTLS\r\n")), V_STARTTLS);
	assert_int_equal(smtp_verb(S("AUTH LOGIN\r\n")), V_AUTH);
	assert_int_equal(smtp_verb(S("DATA\n")), V_DATA);
	assert_int_equal(smtp_verb(S("EHLO x")), V_EHLO);
	assert_int_equal(smtp_verb(S(" MAIL")), V_OTHER);
	assert_int_equal(smtp_verb(S("MA")), V_OTHER);
}

static void
test_reply_ends(void **state)
{
	int	code = 0;

	assert_int_equal(smtp_reply_end(S("250 ok\r\n"), &code), 8);
	assert_int_equal(code, 250);
	assert_int_equal(smtp_reply_end(S("250-a\r\n250-b\r\n250 c\r\nX"),
	    &code), 21);
	assert_int_equal(smtp_reply_end(S("250-a\r\n250-b\r\n"), &code), 0);
	assert_int_equal(smtp_reply_end(S("250 partial"), &code), 0);
	/* not a reply line: passed on where it stands */
	assert_int_equal(smtp_reply_end(S("garbage\r\nmore"), &code), 9);
	assert_int_equal(code, 0);
	assert_int_equal(smtp_reply_end(S("354\n"), &code), 4);
	assert_int_equal(code, 354);
}

static void
test_ehlo_filter(void **state)
{
	char	out[512];
	size_t	n;
	const char in[] = "250-mx.example\r\n250-STARTTLS\r\n250-PIPELINING\r\n"
	    "250 8BITMIME\r\n";

	n = smtp_ehlo_filter(S(in), 0, out, sizeof(out));
	out[n] = '\0';
	assert_string_equal(out, "250-mx.example\r\n250-PIPELINING\r\n"
	    "250 8BITMIME\r\n");
	n = smtp_ehlo_filter(S(in), 1, out, sizeof(out));
	out[n] = '\0';
	assert_string_equal(out, "250-mx.example\r\n250-STARTTLS\r\n"
	    "250-PIPELINING\r\n250 8BITMIME\r\n");
	/* STARTTLS last: the line before it becomes the last */
	n = smtp_ehlo_filter(S("250-mx\r\n250 STARTTLS\r\n"), 0, out,
	    sizeof(out));
	out[n] = '\0';
	assert_string_equal(out, "250 mx\r\n");
	n = smtp_ehlo_filter(S("250 mx\r\n"), 1, out, sizeof(out));
	out[n] = '\0';
	assert_string_equal(out, "250-mx\r\n250 STARTTLS\r\n");
	assert_int_equal(smtp_ehlo_filter(S(in), 0, out, 10), 0);
}

static void
test_auth_mechanisms(void **state)
{
	const char	*init;
	size_t		 ilen;

	assert_int_equal(smtp_auth_mech(S("AUTH LOGIN\r\n"), &init, &ilen),
	    M_LOGIN);
	assert_int_equal(ilen, 0);
	assert_int_equal(smtp_auth_mech(S("auth plain AGEAYg==\r\n"), &init,
	    &ilen), M_PLAIN);
	assert_int_equal(ilen, 8);
	assert_memory_equal(init, "AGEAYg==", 8);
	assert_int_equal(smtp_auth_mech(S("AUTH CRAM-MD5\r\n"), &init, &ilen),
	    M_CRAM);
	assert_int_equal(smtp_auth_mech(S("AUTH XOAUTH2 x\r\n"), &init,
	    &ilen), M_OTHER);
	assert_int_equal(smtp_auth_mech(S("AUTH\r\n"), &init, &ilen), M_NONE);
}

static void
test_auth_user_never_password(void **state)
{
	char	user[SMTP_USERMAX];

	/* LOGIN: "test" */
	assert_true(smtp_auth_user(M_LOGIN, 0, S("dGVzdA==\r\n"), user,
	    sizeof(user)));
	assert_string_equal(user, "test");
	/* PLAIN: "\0alice\0s3cret" gives alice, and nothing of the rest */
	assert_true(smtp_auth_user(M_PLAIN, 0, S("AGFsaWNlAHMzY3JldA=="), user,
	    sizeof(user)));
	assert_string_equal(user, "alice");
	/* CRAM-MD5: "bob 0123abcd" */
	assert_true(smtp_auth_user(M_CRAM, 0, S("Ym9iIDAxMjNhYmNk"), user,
	    sizeof(user)));
	assert_string_equal(user, "bob");
	/* junk */
	assert_false(smtp_auth_user(M_LOGIN, 0, S("!!!"), user, sizeof(user)));
	assert_false(smtp_auth_user(M_PLAIN, 0, S("dGVzdA=="), user,
	    sizeof(user)));
	assert_false(smtp_auth_user(M_OTHER, 0, S("dGVzdA=="), user,
	    sizeof(user)));
	/* control characters in a user name are not logged as such */
	assert_true(smtp_auth_user(M_LOGIN, 0, S("YQpi"), user, sizeof(user)));
	assert_string_equal(user, "a?b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbs),
		cmocka_unit_test(test_reply_ends),
		cmocka_unit_test(test_ehlo_filter),
		cmocka_unit_test(test_auth_mechanisms),
		cmocka_unit_test(test_auth_user_never_password),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
