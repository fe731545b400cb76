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

static void
test_fd3_cram(void **state)
{
	struct guard_creds	c;

	assert_int_equal(guard_parse(S("bob\0<123.456@mx.example>\0"
	    "0123456789abcdef0123456789ABCDEF\0"), &c), 0);
	assert_true(c.cram);
	assert_int_equal(guard_parse(S("bob\0<123.456@mx.example>\0short\0"),
	    &c), 0);
	assert_false(c.cram);
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

static void
test_window_arithmetic(void **state)
{
	struct guard_slot	s;
	int			i;

	memset(&s, 0, sizeof(s));
	guard_fail(&s, 1000, 900);
	guard_fail(&s, 1100, 900);
	guard_fail(&s, 1899, 900);
	assert_int_equal(guard_count(&s, 1899, 900), 3);
	/* (now - window, now]: the failure at 1000 leaves at 1900 */
	assert_int_equal(guard_count(&s, 1899, 900), 3);
	assert_int_equal(guard_count(&s, 1900, 900), 2);
	assert_int_equal(guard_count(&s, 2000, 900), 1);
	assert_int_equal(guard_count(&s, 2798, 900), 1);
	assert_int_equal(guard_count(&s, 2799, 900), 0);
	/* recording forgets what has left the window */
	guard_fail(&s, 2500, 900);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.last, 2500);
	/* at most GUARD_LIMITMAX remembered, the newest kept */
	memset(&s, 0, sizeof(s));
	for (i = 0; i < GUARD_LIMITMAX + 10; i++)
		guard_fail(&s, 5000 + i, 900);
	assert_int_equal(s.n, GUARD_LIMITMAX);
	assert_int_equal(s.ts[GUARD_LIMITMAX - 1], 5000 + GUARD_LIMITMAX + 9);
	assert_int_equal(guard_count(&s, 5100, 900), GUARD_LIMITMAX);
	/* a failure from the far future does not count */
	memset(&s, 0, sizeof(s));
	guard_fail(&s, 99999, 900);
	assert_int_equal(guard_count(&s, 1000, 900), 0);
}

static void
test_hash_keys(void **state)
{
	assert_true(guard_hash("u", "Test") == guard_hash("u", "test"));
	assert_true(guard_hash("u", "test") != guard_hash("i", "test"));
	assert_true(guard_hash("u", "a") != guard_hash("u", "b"));
}

static void
test_state_file(void **state)
{
	char			dir[] = "/tmp/rgguard.XXXXXX", why[1200], path[64];
	struct guard_state	g;
	struct guard_slot	s;
	uint64_t		h = guard_hash("u", "alice");
	int			fd, i;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(guard_open(&g, dir, why, sizeof(why)), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(guard_update(&g, h, 1000 + i, 900, 1), 0);
	assert_int_equal(guard_get(&g, h, &s), 0);
	assert_int_equal(guard_count(&s, 1010, 900), 3);
	/* a success clears the key */
	assert_int_equal(guard_update(&g, h, 1011, 900, 0), 0);
	assert_int_equal(guard_get(&g, h, &s), 0);
	assert_int_equal(guard_count(&s, 1012, 900), 0);
	/* many keys: the table stays the same size */
	for (i = 0; i < GUARD_SLOTS * 2; i++) {
		char k[32];

		snprintf(k, sizeof(k), "user%d", i);
		assert_int_equal(guard_update(&g, guard_hash("u", k), 2000 + i,
		    900, 1), 0);
	}
	guard_close(&g);
	snprintf(path, sizeof(path), "%s/failures", dir);
	/* corrupt: moved aside, a fresh one in its place */
	fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, "garbage!", 8, 0), 8);
	close(fd);
	assert_int_equal(guard_open(&g, dir, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "was corrupt"));
	assert_int_equal(guard_get(&g, guard_hash("u", "user5"), &s), 0);
	assert_int_equal(s.n, 0);
	guard_close(&g);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

static void
test_state_unavailable(void **state)
{
	struct guard_state	g;
	char			why[1200];

	assert_int_equal(guard_open(&g, "/nonexistent/state", why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "No such file or directory"));
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
		cmocka_unit_test(test_fd3_cram),
		cmocka_unit_test(test_fd3_bad),
		cmocka_unit_test(test_window_arithmetic),
		cmocka_unit_test(test_hash_keys),
		cmocka_unit_test(test_state_file),
		cmocka_unit_test(test_state_unavailable),
		cmocka_unit_test(test_weak_rules),
		cmocka_unit_test(test_weak_banned_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
