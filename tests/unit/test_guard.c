/* authguard: fd 3 parsing, the failure window, state, weak passwords. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cdb.h>

#include "lib/guard.h"

#define S(x)	x, sizeof(x) - 1

static void
test_fd3_good(void **state)
{
	struct guard_creds	c;

	assert_int_equal(guard_parse(S("test\00012345\0001700000000\0"), &c),
	    0);
	assert_string_equal(c.user, "test");
	assert_string_equal(c.pass, "12345");
	assert_string_equal(c.third, "1700000000");
	assert_false(c.cram);
	/* two parts only, as some callers send */
	assert_int_equal(guard_parse(S("u\0p\0"), &c), 0);
	assert_string_equal(c.third, "");
	/* an empty password is a password */
	assert_int_equal(guard_parse(S("u\0\0\0"), &c), 0);
	assert_string_equal(c.pass, "");
}

/* The real AUTH patch: user\0digest\0challenge\0 for CRAM-MD5. */
static void
test_fd3_cram_real_order(void **state)
{
	struct guard_creds	c;

	assert_int_equal(guard_parse(S("bob\0"
	    "0123456789abcdef0123456789abcdef\0<4711.1700000000@mx.example>\0"),
	    &c), 0);
	assert_true(c.cram);
	assert_string_equal(c.pass, "0123456789abcdef0123456789abcdef");
	assert_string_equal(c.third, "<4711.1700000000@mx.example>");
}

/* Older patches put the challenge first: read that too. */
static void
test_fd3_cram_old_order(void **state)
{
	struct guard_creds	c;

	assert_int_equal(guard_parse(S("bob\0<123.456@mx.example>\0"
	    "0123456789abcdef0123456789ABCDEF\0"), &c), 0);
	assert_true(c.cram);
}

/* LOGIN and PLAIN with CRAM-MD5 on: an empty third part. */
static void
test_fd3_login_with_cram_on(void **state)
{
	struct guard_creds	c;

	assert_int_equal(guard_parse(S("bob\0"
	    "0123456789abcdef0123456789abcdef\0\0"), &c), 0);
	assert_false(c.cram);	/* a hex password is still a password */
	assert_int_equal(guard_parse(S("bob\0<123.456@mx.example>\0short\0"),
	    &c), 0);
	assert_false(c.cram);
}

/* 1,000 random challenges: a CRAM-MD5 digest is never judged weak. */
static void
test_fd3_cram_never_weak(void **state)
{
	struct guard_creds	c;
	unsigned char		raw[16];
	char			data[200];
	int			i, k, n;

	for (i = 0; i < 1000; i++) {
		arc4random_buf(raw, sizeof(raw));
		n = snprintf(data, sizeof(data), "user%d", i) + 1;
		for (k = 0; k < 16; k++)
			n += snprintf(data + n, sizeof(data) - (size_t)n,
			    "%02x", raw[k]);
		n++;
		n += snprintf(data + n, sizeof(data) - (size_t)n,
		    "<%u.%d@mx.example>", arc4random(), i) + 1;
		assert_int_equal(guard_parse(data, (size_t)n, &c), 0);
		assert_true(c.cram);
	}
}

static void
test_fd3_bad(void **state)
{
	struct guard_creds	c;
	char			big[GUARD_FD3MAX + 1];

	assert_int_equal(guard_parse(S(""), &c), -1);		/* short */
	assert_int_equal(guard_parse(S("user"), &c), -1);	/* no NUL */
	assert_int_equal(guard_parse(S("user\0pass"), &c), -1);	/* one NUL */
	assert_int_equal(guard_parse(S("\0pass\0"), &c), -1);	/* no user */
	assert_int_equal(guard_parse(S("u\0p\0third"), &c), -1); /* open end */
	memset(big, 'a', sizeof(big));
	big[1] = big[3] = '\0';
	assert_int_equal(guard_parse(big, sizeof(big), &c), -1); /* > 512 */
	assert_int_equal(guard_parse(big, GUARD_FD3MAX, &c), -1);
	big[GUARD_FD3MAX - 1] = '\0';
	assert_int_equal(guard_parse(big, GUARD_FD3MAX, &c), 0);
}

/* One row of guard_decide's table. */
static void
row(int checked, int nu, int na, int full, int status, int weak, int accept,
    enum guard_verdict v, enum guard_record r)
{
	struct guard_in		in = { .nuser = nu, .naddr = na, .maxuser = 5,
				    .maxaddr = 20, .full = full,
				    .checked = checked, .status = status,
				    .weak = weak, .acceptweak = accept };
	struct guard_out	o = guard_decide(&in);

	assert_int_equal(o.verdict, v);
	assert_int_equal(o.record, r);
}

static void
test_decide_full_refuses(void **state)
{
	row(0, 0, 0, 1, 0, 0, 0, GUARD_FULL, GUARD_REC_NONE);
}

static void
test_decide_user_at_limit_is_locked(void **state)
{
	row(0, 5, 0, 0, 0, 0, 0, GUARD_LOCKED, GUARD_REC_NONE);
	row(0, 4, 0, 0, 0, 0, 0, GUARD_CHECK, GUARD_REC_PROVISIONAL);
}

static void
test_decide_address_at_limit_is_locked(void **state)
{
	row(0, 0, 20, 0, 0, 0, 0, GUARD_LOCKED, GUARD_REC_NONE);
	row(0, 0, 19, 0, 0, 0, 0, GUARD_CHECK, GUARD_REC_PROVISIONAL);
}

static void
test_decide_below_limits_checks_and_counts_first(void **state)
{
	row(0, 0, 0, 0, 0, 0, 0, GUARD_CHECK, GUARD_REC_PROVISIONAL);
}

static void
test_decide_right_and_strong_is_ok(void **state)
{
	row(1, 4, 19, 0, 0, 0, 0, GUARD_OK, GUARD_REC_TAKEBACK);
}

static void
test_decide_right_and_weak_accepted(void **state)
{
	row(1, 0, 0, 0, 0, 1, 1, GUARD_OK_WEAK, GUARD_REC_TAKEBACK);
}

static void
test_decide_right_and_weak_refused_counts(void **state)
{
	row(1, 0, 0, 0, 0, 1, 0, GUARD_WEAK, GUARD_REC_KEEP);
}

static void
test_decide_wrong_counts(void **state)
{
	row(1, 0, 0, 0, 1, 0, 0, GUARD_BAD, GUARD_REC_KEEP);
	row(1, 0, 0, 0, 1, 1, 1, GUARD_BAD, GUARD_REC_KEEP);
}

static void
test_decide_checker_trouble_does_not_count(void **state)
{
	row(1, 0, 0, 0, 111, 0, 0, GUARD_FAILED, GUARD_REC_TAKEBACK);
	row(1, 0, 0, 0, 2, 1, 0, GUARD_FAILED, GUARD_REC_TAKEBACK);
}

static void
test_addrkey_prefixes(void **state)
{
	struct ip	ip;
	char		k[64];

	assert_int_equal(ip_parse(&ip, "192.0.2.77"), 0);
	guard_addrkey(&ip, 32, 64, k, sizeof(k));
	assert_string_equal(k, "192.0.2.77/32");
	guard_addrkey(&ip, 24, 64, k, sizeof(k));
	assert_string_equal(k, "192.0.2.0/24");
	assert_int_equal(ip_parse(&ip, "2001:db8:1:2:aaaa:bbbb:cccc:dddd"), 0);
	guard_addrkey(&ip, 32, 64, k, sizeof(k));
	assert_string_equal(k, "2001:db8:1:2::/64");
	assert_int_equal(ip_parse(&ip, "::ffff:192.0.2.9"), 0);
	guard_addrkey(&ip, 32, 64, k, sizeof(k));
	assert_string_equal(k, "192.0.2.9/32");
}

static void
test_weak_rules(void **state)
{
	assert_string_equal(guard_weak("test", "test", -1),
	    "equal to the user name");
	assert_string_equal(guard_weak("test", "TEST", -1),
	    "equal to the user name");
	assert_string_equal(guard_weak("info@example.com", "info", -1),
	    "equal to the mailbox name");
	assert_string_equal(guard_weak("info@example.com", "example.com", -1),
	    "equal to the domain");
	assert_string_equal(guard_weak("test", "12345", -1),
	    "one of the most common passwords");
	assert_string_equal(guard_weak("x", "Password", -1),
	    "one of the most common passwords");
	assert_null(guard_weak("alice", "s3cret-Horse-9", -1));
	assert_null(guard_weak("info@example.com", "examplecom-7!", -1));
}

static void
test_weak_banned_list(void **state)
{
	char		path[] = "/tmp/rgbanned.XXXXXX";
	struct cdb_make	cm;
	int		fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	cdb_make_start(&cm, fd);
	cdb_make_add(&cm, "tr0ub4dor", 9, "", 0);
	cdb_make_finish(&cm);
	assert_string_equal(guard_weak("bob", "Tr0ub4dor", fd),
	    "in the banned list");
	assert_null(guard_weak("bob", "Tr0ub4dor&3", fd));
	close(fd);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd3_good),
		cmocka_unit_test(test_fd3_cram_real_order),
		cmocka_unit_test(test_fd3_cram_old_order),
		cmocka_unit_test(test_fd3_login_with_cram_on),
		cmocka_unit_test(test_fd3_cram_never_weak),
		cmocka_unit_test(test_fd3_bad),
		cmocka_unit_test(test_decide_full_refuses),
		cmocka_unit_test(test_decide_user_at_limit_is_locked),
		cmocka_unit_test(test_decide_address_at_limit_is_locked),
		cmocka_unit_test(test_decide_below_limits_checks_and_counts_first),
		cmocka_unit_test(test_decide_right_and_strong_is_ok),
		cmocka_unit_test(test_decide_right_and_weak_accepted),
		cmocka_unit_test(test_decide_right_and_weak_refused_counts),
		cmocka_unit_test(test_decide_wrong_counts),
		cmocka_unit_test(test_decide_checker_trouble_does_not_count),
		cmocka_unit_test(test_addrkey_prefixes),
		cmocka_unit_test(test_weak_rules),
		cmocka_unit_test(test_weak_banned_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
