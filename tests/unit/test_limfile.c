/* The limits file: every line form, the refusals, the compiled lookups. */
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

#include "lib/limfile.h"

static int
parse(const char *s, struct limit *l)
{
	char	why[256];

	return limits_line(s, strlen(s), l, why, sizeof(why));
}

static void
test_lines(void **state)
{
	struct limit	l;

	assert_int_equal(parse("", &l), 0);
	assert_int_equal(parse("   # a comment", &l), 0);
	assert_int_equal(parse("mailbox Info@Example.TEST 100 1000 # the shop", &l), 1);
	assert_int_equal(l.kind, L_MAILBOX);
	assert_string_equal(l.name, "info@example.test");
	assert_int_equal(l.messages, 100);
	assert_int_equal(l.recipients, 1000);
	assert_int_equal(parse("domain example.test unlimited 5000", &l), 1);
	assert_int_equal(l.messages, LIMIT_UNLIMITED);
	assert_int_equal(parse("user www-data 0 0", &l), 1);
	assert_int_equal(l.messages, 0);	/* may not send */
	assert_int_equal(parse("user 33 10 10", &l), 1);
	assert_string_equal(l.name, "33");
	assert_int_equal(parse("address ::ffff:192.0.2.7 5 50\r", &l), 1);
	assert_string_equal(l.name, "192.0.2.7");
	assert_int_equal(parse("address 2001:DB8::1 5 50", &l), 1);
	assert_string_equal(l.name, "2001:db8::1");
	assert_int_equal(parse("mailbox * 100 1000", &l), 1);
	assert_string_equal(l.name, "*");
}

static void
test_refusals(void **state)
{
	const char	*bad[] = {
		"mailbox info@example.test 100",		/* a count short */
		"mailbox info@example.test 100 1000 9",	/* one too many */
		"mbox info@example.test 1 1",		/* no such kind */
		"mailbox info 1 1",			/* no domain */
		"mailbox @example.test 1 1",		/* no local part */
		"mailbox a@exa mple.test 1 1",		/* a space splits */
		"domain exa..mple 1 1",
		"domain -example.test 1 1",
		"user Www 1 1",				/* not as useradd */
		"user 12ab 1 1",
		"user ../../etc 1 1",
		"address 192.0.2.256 1 1",
		"mailbox a@b.test -1 1",
		"mailbox a@b.test 1 4294967295",	/* that is "unlimited" */
		"mailbox a@b.test 1 99999999999999999999",
		"mailbox a@b.test 0x10 1",
		"mailbox a@b.test unlimitd 1",
	};
	struct limit	 l;
	char		 why[256];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (limits_line(bad[i], strlen(bad[i]), &l, why,
		    sizeof(why)) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(why[0] != '\0');
	}
	/* a NUL inside a line is not the end of it */
	assert_int_equal(limits_line("mailbox a@b.test 1 1\0x", 22, &l, why,
	    sizeof(why)), -1);
}

static void
test_compile_and_lookup(void **state)
{
	char		 path[] = "/tmp/limfile.XXXXXX";
	const char	*text =
	    "# hourly limits\n"
	    "mailbox * 100 1000\n"
	    "mailbox info@example.test 0 0\n"
	    "domain example.test 500 unlimited\n"
	    "address 192.0.2.7 5 50\n";
	FILE		*in = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	struct cdb	 db;
	struct limit	 l;
	int		 fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(limits_compile(in, "limits", fd, stderr), 0);
	fclose(in);
	assert_int_equal(cdb_init(&db, fd), 0);
	/* the object's own line, then its kind's default, then none */
	assert_int_equal(limits_get(&db, L_MAILBOX, "info@example.test", &l), 1);
	assert_int_equal(l.messages, 0);
	assert_int_equal(limits_get(&db, L_MAILBOX, "bob@example.test", &l), 2);
	assert_int_equal(l.messages, 100);
	assert_int_equal(l.recipients, 1000);
	assert_int_equal(limits_get(&db, L_DOMAIN, "example.test", &l), 1);
	assert_int_equal(l.recipients, LIMIT_UNLIMITED);
	assert_int_equal(limits_get(&db, L_DOMAIN, "other.test", &l), 0);
	assert_int_equal(l.messages, LIMIT_UNLIMITED);
	/* kinds are kept apart: an address is no mailbox */
	assert_int_equal(limits_get(&db, L_USER, "192.0.2.7", &l), 0);
	assert_int_equal(limits_get(&db, L_ADDRESS, "192.0.2.7", &l), 1);
	assert_int_equal(l.messages, 5);
	cdb_free(&db);
	close(fd);
	unlink(path);
}

static void
test_compile_refuses_and_names_lines(void **state)
{
	char		 path[] = "/tmp/limfile.XXXXXX", *diag = NULL;
	size_t		 dlen = 0;
	const char	*text =
	    "mailbox a@b.test 1 1\n"
	    "mailbox A@B.TEST 2 2\n"		/* the same mailbox */
	    "domain b.test one 1\n";
	FILE		*in = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	FILE		*d = open_memstream(&diag, &dlen);
	int		 fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(limits_compile(in, "limits", fd, d), -1);
	fclose(in);
	fclose(d);
	assert_non_null(strstr(diag, "limits:2: mailbox a@b.test: named twice"));
	assert_non_null(strstr(diag, "limits:3: want a count"));
	free(diag);
	close(fd);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_compile_and_lookup),
		cmocka_unit_test(test_compile_refuses_and_names_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
