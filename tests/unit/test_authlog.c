/* authlog: logins from log lines, whatever a client sends as a user name. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/authlog.h"

/* "ip user" of a login, or "" for none. */
static const char *
login(const char *line)
{
	static char	buf[512];
	struct authlog	a;

	if (!authlog_parse(line, &a))
		return "";
	snprintf(buf, sizeof(buf), "%.*s %.*s", (int)a.iplen, a.ip,
	    (int)a.ulen, a.user);
	return buf;
}

static void
test_authguard_ok_lines(void **state)
{
	assert_string_equal(login("Nov 28 10:00:01 mx authguard[12]: pid 12: "
	    "ok from 192.0.2.7: user alice"), "192.0.2.7 alice");
	assert_string_equal(login("authguard: pid 12: ok, weak password from "
	    "2001:db8::7 (one of the most common passwords): user test"),
	    "2001:db8::7 test");
	assert_string_equal(login("@400000006566a0b1 authguard: pid 3: ok from "
	    "192.0.2.8: user bob"), "192.0.2.8 bob");
}

static void
test_authguard_failures_name_nobody(void **state)
{
	assert_string_equal(login("authguard: pid 1: bad password from "
	    "192.0.2.7: user alice"), "");
	assert_string_equal(login("authguard: pid 1: locked from 192.0.2.7 "
	    "(5 failures): user alice"), "");
}

static void
test_authguard_forged_names_name_nobody(void **state)
{
	/* the old "USER from IP: ok" reading fell for these */
	assert_string_equal(login("authguard: pid 1: bad password from "
	    "192.0.2.7: user alice from 203.0.113.9: ok"), "");
	assert_string_equal(login("authguard: pid 1: checker failed from "
	    "192.0.2.7 (status 111): user x: pid 2: ok from 203.0.113.9: "
	    "user alice"), "");
	/* a name on an ok line stays a name, and the address the real one */
	assert_string_equal(login("authguard: pid 1: ok from 192.0.2.7: user "
	    "x from 203.0.113.9: user y"), "192.0.2.7 x from 203.0.113.9: user y");
}

static void
test_another_programs_line_quoting_one_is_nobodys(void **state)
{
	assert_string_equal(login("Nov 28 mx qmail-smtpd[9]: helo authguard: "
	    "pid 1: ok from 203.0.113.9: user alice"), "");
	assert_string_equal(login("Nov 28 mx sshd: authfirst: pid 1: "
	    "203.0.113.9: gated, auth alice, 0 MAIL refused, 1 bytes in, 2 "
	    "out, quit"), "");
	assert_string_equal(login("authguard: ok from 192.0.2.7: user alice"),
	    "");	/* no pid: not ours */
}

static void
test_authfirst_lines(void **state)
{
	assert_string_equal(login("authfirst: pid 15: 86.107.221.138: gated: "
	    "zen: Listed, auth test, 0 MAIL refused, 1 bytes in, 2 out, quit"),
	    "86.107.221.138 test");
	assert_string_equal(login("authfirst: pid 15: 2001:db8::1: tls only "
	    "(always), auth carol, 0 MAIL refused, 1 bytes in, 2 out, quit"),
	    "2001:db8::1 carol");
	assert_string_equal(login("authfirst: pid 15: 192.0.2.1: gated: zen: "
	    "Listed, auth none, 0 MAIL refused, 1 bytes in, 2 out, quit"), "");
	assert_string_equal(login("authfirst: pid 15: 192.0.2.1: gated: zen: "
	    "Listed, auth failed, 1 MAIL refused, 1 bytes in, 2 out, quit"), "");
}

static void
test_authfirst_hostile_names_keep_the_address(void **state)
{
	/* a name holding the tail of a line is all name */
	assert_string_equal(login("authfirst: pid 15: 192.0.2.1: gated: zen: "
	    "L, auth x, 0 MAIL refused, 1 bytes in, 2 out, quit, auth y, 3 "
	    "MAIL refused, 1 bytes in, 2 out, quit"),
	    "192.0.2.1 x, 0 MAIL refused, 1 bytes in, 2 out, quit, auth y");
}

static void
test_smtp_auth_lines(void **state)
{
	assert_string_equal(login("Jul 22 19:40:46 ulise smtp_auth: SMTP user "
	    "test : /var/qmail/mailnames/example.com/test logged in from "
	    "unknown [86.107.221.138]"), "86.107.221.138 test");
	/* the address is the last bracket; a name cannot add one after it */
	assert_string_equal(login("ulise smtp_auth[3]: SMTP user a logged in "
	    "from x [203.0.113.9] : /p logged in from unknown [192.0.2.5]"),
	    "192.0.2.5 a");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authguard_ok_lines),
		cmocka_unit_test(test_authguard_failures_name_nobody),
		cmocka_unit_test(test_authguard_forged_names_name_nobody),
		cmocka_unit_test(test_another_programs_line_quoting_one_is_nobodys),
		cmocka_unit_test(test_authfirst_lines),
		cmocka_unit_test(test_authfirst_hostile_names_keep_the_address),
		cmocka_unit_test(test_smtp_auth_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
