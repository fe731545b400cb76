/* POP stamps (expiry, writing, names) and the gate's decision. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/gate.h"
#include "lib/stamp.h"

static char	dir[] = "/tmp/rgstamp.XXXXXX";

static int
setup(void **state)
{
	strcpy(dir, "/tmp/rgstamp.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_stamp_expiry_boundaries(void **state)
{
	assert_true(stamp_fresh(1000, 1000, 1800));
	assert_true(stamp_fresh(1000, 2800, 1800));
	assert_false(stamp_fresh(1000, 2801, 1800));
	/* small clock skew is tolerated, a stamp from the future is not */
	assert_true(stamp_fresh(1000 + STAMP_SKEW, 1000, 1800));
	assert_false(stamp_fresh(1001 + STAMP_SKEW, 1000, 1800));
}

static void
stamp_at(const char *addr, time_t when)
{
	struct timespec	ts[2] = { { when, 0 }, { when, 0 } };
	char		path[256];
	struct ip	ip;

	assert_int_equal(ip_parse(&ip, addr), 0);
	assert_int_equal(stamp_write(dir, &ip), 0);
	ip_fmt(&ip, path + snprintf(path, sizeof(path), "%s/", dir), 64);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
test_stamp_write_then_check(void **state)
{
	struct ip	ip;
	long		age = -1;
	time_t		now = time(NULL);
	char		path[256];
	uid_t		owner;

	assert_int_equal(ip_parse(&ip, "::ffff:192.0.2.7"), 0);
	assert_int_equal(stamp_check(dir, &ip, now, 1800, &age, &owner), 0);
	assert_int_equal(stamp_write(dir, &ip), 0);
	snprintf(path, sizeof(path), "%s/192.0.2.7", dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(stamp_check(dir, &ip, now, 1800, &age, &owner), 1);
	assert_true(age >= -1 && age <= 1);
	/* an old stamp no longer counts */
	stamp_at("192.0.2.7", now - 1801);
	assert_int_equal(stamp_check(dir, &ip, now, 1800, &age, &owner), 0);
	/* writing again refreshes it */
	assert_int_equal(stamp_write(dir, &ip), 0);
	assert_int_equal(stamp_check(dir, &ip, now, 1800, &age, &owner), 1);
}

static void
test_stamp_refuses_symlink(void **state)
{
	char		path[256];
	struct ip	ip;

	assert_int_equal(ip_parse(&ip, "2001:db8::5"), 0);
	snprintf(path, sizeof(path), "%s/2001:db8::5", dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(stamp_write(dir, &ip), -1);
	assert_int_equal(errno, ELOOP);
}

static void
test_stamp_missing_dir_is_no_stamp(void **state)
{
	struct ip	ip;
	long		age;
	uid_t		owner;

	assert_int_equal(ip_parse(&ip, "192.0.2.1"), 0);
	assert_int_equal(stamp_check("/nonexistent/pop", &ip, time(NULL), 1800,
	    &age, &owner), 0);
	assert_int_equal(stamp_write("/nonexistent/pop", &ip), -1);
}

/*
 * Only the directory's owner (and root) can make a stamp count: a stamp
 * directory every mail user may write would let any local account make
 * any address a relay client.
 */
static void
test_stamp_ownership(void **state)
{
	struct ip	ip;
	long		age;
	uid_t		owner = 0;
	time_t		now = time(NULL);
	char		path[256];

	if (geteuid() != 0)
		skip();
	assert_int_equal(ip_parse(&ip, "192.0.2.9"), 0);
	snprintf(path, sizeof(path), "%s/192.0.2.9", dir);
	assert_int_equal(stamp_write(dir, &ip), 0);
	assert_int_equal(stamp_check(dir, &ip, now, 1800, &age, &owner),
	    STAMP_FRESH);
	/* a stamp owned by another user: not honoured, its owner named */
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(stamp_check(dir, &ip, now, 1800, &age, &owner),
	    STAMP_FOREIGN);
	assert_int_equal(owner, 65534);
	/* the directory given to that user: its stamps count, root's too */
	assert_int_equal(chown(dir, 65534, 65534), 0);
	assert_int_equal(stamp_check(dir, &ip, now, 1800, &age, &owner),
	    STAMP_FRESH);
	assert_int_equal(chown(path, 0, 0), 0);
	assert_int_equal(stamp_check(dir, &ip, now, 1800, &age, &owner),
	    STAMP_FRESH);
	assert_int_equal(chown(path, 1, 1), 0);
	assert_int_equal(stamp_check(dir, &ip, now, 1800, &age, &owner),
	    STAMP_FOREIGN);
	assert_int_equal(owner, 1);
	/* writable by group or others (sticky or not): nothing in it counts */
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(stamp_check(dir, &ip, now, 1800, &age, &owner),
	    STAMP_OPENDIR);
	assert_int_equal(stamp_write(dir, &ip), STAMP_OPENDIR);
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(stamp_check(dir, &ip, now, 1800, &age, &owner),
	    STAMP_OPENDIR);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(stamp_check(dir, &ip, now, 1800, &age, &owner),
	    STAMP_FRESH);
	/* root writing into another user's directory is honoured */
	assert_int_equal(stamp_write(dir, &ip), 0);
	assert_int_equal(chown(dir, 0, 0), 0);
}

static void
test_stamp_names(void **state)
{
	assert_true(stamp_name_valid("192.0.2.1"));
	assert_true(stamp_name_valid("2001:db8::1"));
	assert_false(stamp_name_valid("2001:DB8::1"));
	assert_false(stamp_name_valid("::ffff:1.2.3.4"));
	assert_false(stamp_name_valid("."));
	assert_false(stamp_name_valid(".."));
	assert_false(stamp_name_valid("notes.txt"));
}

static const char *
rules_db(const char *text)
{
	static char	path[64];
	FILE		*in, *diag;
	int		 fd;

	strcpy(path, "/tmp/rggate.XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	in = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	diag = fopen("/dev/null", "w");
	assert_int_equal(rules_compile(in, "t", fd, diag), 0);
	fclose(in);
	fclose(diag);
	close(fd);
	return path;
}

static enum gate_decision
decide(struct rules_db *db, const char *pop, const char *addr,
    struct gate_result *r)
{
	struct ip	ip;

	assert_int_equal(ip_parse(&ip, addr), 0);
	assert_int_equal(gate_decide(db, pop, 1800, time(NULL), &ip, r), 0);
	return r->decision;
}

static void
test_gate_decisions(void **state)
{
	struct rules_db		db;
	struct gate_result	r;
	const char		*path;
	char			why[128];

	path = rules_db("127.0.0.1:allow,RELAYCLIENT=\"\"\n"
	    "127.0.0.0/8:allow,RBLSMTPD=\"-go away\"\n192.0.2.66:deny\n");
	assert_int_equal(rules_open(&db, path), 0);

	assert_int_equal(decide(&db, NULL, "127.0.0.1", &r), GATE_RELAY);
	gate_why(&r, why, sizeof(why));
	assert_string_equal(why, "rule 127.0.0.1/32");
	assert_int_equal(decide(&db, NULL, "127.0.0.2", &r), GATE_NORELAY);
	assert_int_equal(decide(&db, NULL, "192.0.2.66", &r), GATE_DENY);
	assert_int_equal(decide(&db, NULL, "192.0.2.67", &r), GATE_NORELAY);
	gate_why(&r, why, sizeof(why));
	assert_string_equal(why, "no rule");

	/* a POP stamp makes a stranger a relay client */
	stamp_at("192.0.2.67", time(NULL) - 10);
	assert_int_equal(decide(&db, dir, "192.0.2.67", &r), GATE_RELAY);
	assert_true(r.stamp);
	/* but never overrides deny */
	stamp_at("192.0.2.66", time(NULL) - 10);
	assert_int_equal(decide(&db, dir, "192.0.2.66", &r), GATE_DENY);
	/* an expired stamp does nothing */
	stamp_at("127.0.0.2", time(NULL) - 4000);
	assert_int_equal(decide(&db, dir, "127.0.0.2", &r), GATE_NORELAY);
	rules_close(&db);
	unlink(path);
}

static void
test_gate_apply_sets_environment(void **state)
{
	struct rules_db		db;
	struct gate_result	r;
	const char		*path;

	unsetenv("RELAYCLIENT");
	unsetenv("RBLSMTPD");
	path = rules_db("127.0.0.0/8:allow,RBLSMTPD=\"-go away\",A=\"1\"\n");
	assert_int_equal(rules_open(&db, path), 0);
	assert_int_equal(decide(&db, dir, "127.0.0.9", &r), GATE_NORELAY);
	assert_int_equal(gate_apply(&r), 0);
	assert_string_equal(getenv("RBLSMTPD"), "-go away");
	assert_string_equal(getenv("A"), "1");
	assert_string_equal(getenv("RELAYGATE_RULE"), "127.0.0.0/8");
	assert_null(getenv("RELAYCLIENT"));

	/* the stamp wins over the rule's RBLSMTPD */
	stamp_at("127.0.0.9", time(NULL));
	assert_int_equal(decide(&db, dir, "127.0.0.9", &r), GATE_RELAY);
	assert_int_equal(gate_apply(&r), 0);
	assert_string_equal(getenv("RBLSMTPD"), "");
	assert_string_equal(getenv("RELAYCLIENT"), "");
	unsetenv("RELAYCLIENT");
	unsetenv("RBLSMTPD");
	unsetenv("A");
	unsetenv("RELAYGATE_RULE");
	rules_close(&db);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stamp_expiry_boundaries),
		cmocka_unit_test_setup_teardown(test_stamp_write_then_check,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_stamp_ownership,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_stamp_refuses_symlink,
		    setup, teardown),
		cmocka_unit_test(test_stamp_missing_dir_is_no_stamp),
		cmocka_unit_test(test_stamp_names),
		cmocka_unit_test_setup_teardown(test_gate_decisions,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate_apply_sets_environment,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
