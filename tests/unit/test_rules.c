/* Rule syntax (ours and tcprules'), its errors, the cdb and lookups. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/rules.h"

static struct rule	r;
static char		err[256];

static int
parse(const char *line)
{
	return rules_parse(line, strlen(line), &r, err, sizeof(err));
}

static void
pfx_is(size_t i, const char *want)
{
	char	buf[64];

	rules_fmt_pfx(&r.pfx[i].net, r.pfx[i].len, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
test_cidr_rules(void **state)
{
	assert_int_equal(parse("127.0.0.0/8:allow,RELAYCLIENT=\"\""), 0);
	assert_int_equal(r.npfx, 1);
	pfx_is(0, "127.0.0.0/8");
	assert_false(r.deny);
	assert_int_equal(r.datalen, 1 + sizeof("RELAYCLIENT="));
	assert_memory_equal(r.data, "ARELAYCLIENT=\0", r.datalen);

	assert_int_equal(parse("2001:db8::/32:deny"), 0);
	pfx_is(0, "2001:db8::/32");
	assert_true(r.deny);
	assert_int_equal(parse("::1:allow"), 0);
	pfx_is(0, "::1/128");
	assert_int_equal(parse("10.1.2.3:allow"), 0);
	pfx_is(0, "10.1.2.3/32");
	assert_int_equal(parse("0.0.0.0/0:allow"), 0);
	pfx_is(0, "0.0.0.0/0");
	assert_int_equal(parse("::/0:deny"), 0);
	pfx_is(0, "::/0");
}

static void
test_variables_any_quote(void **state)
{
	assert_int_equal(parse("1.2.3.4:allow,RBLSMTPD=\"-go away\","
	    "X=/a\"b/,Y=''"), 0);
	assert_memory_equal(r.data, "ARBLSMTPD=-go away\0X=a\"b\0Y=\0",
	    r.datalen);
	assert_int_equal(r.datalen, sizeof("ARBLSMTPD=-go away\0X=a\"b\0Y="));
}

static void
test_tcprules_syntax(void **state)
{
	assert_int_equal(parse("10.0.:allow"), 0);
	assert_int_equal(r.npfx, 1);
	pfx_is(0, "10.0.0.0/16");
	assert_int_equal(parse("192.168.1.:allow"), 0);
	pfx_is(0, "192.168.1.0/24");
	assert_int_equal(parse("127.:allow,RELAYCLIENT=\"\""), 0);
	pfx_is(0, "127.0.0.0/8");
	assert_int_equal(parse(":allow"), 0);
	assert_int_equal(r.npfx, 2);
	pfx_is(0, "0.0.0.0/0");
	pfx_is(1, "::/0");
	assert_int_equal(parse("1.2.3.37-53:deny"), 0);
	assert_int_equal(r.npfx, 17);
	pfx_is(0, "1.2.3.37/32");
	pfx_is(16, "1.2.3.53/32");
	assert_int_equal(parse("1.2.0-255.:deny"), 0);
	assert_int_equal(r.npfx, 256);
	pfx_is(255, "1.2.255.0/24");
}

static void
test_blank_and_comment_lines(void **state)
{
	assert_int_equal(parse(""), RULES_EMPTY);
	assert_int_equal(parse("   \t\n"), RULES_EMPTY);
	assert_int_equal(parse("# 1.2.3.4:deny"), RULES_EMPTY);
	assert_int_equal(parse("  # indented"), RULES_EMPTY);
}

static void
test_host_rules_are_skipped_with_reason(void **state)
{
	assert_int_equal(parse("=mail.example.com:allow"), RULES_SKIP);
	assert_non_null(strstr(err, "ignored"));
	assert_int_equal(parse("joe@1.2.3.4:deny"), RULES_SKIP);
}

static void
bad(const char *line, const char *why)
{
	assert_int_equal(parse(line), RULES_ERROR);
	if (strstr(err, why) == NULL)
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", line, err, why);
}

static void
test_every_error_is_named(void **state)
{
	bad("1.2.3.4", "missing :allow or :deny");
	bad("1.2.3.4:permit", "missing :allow or :deny");
	bad("1.2.3.4:allowx", "missing :allow or :deny");
	bad("1.2.3:allow", "prefix ending in a dot");
	bad("1.2.3.4.:allow", "prefix ending in a dot");
	bad("256.:allow", "prefix ending in a dot");
	bad("01.2.:allow", "prefix ending in a dot");
	bad("1.2.3-4.5:allow", "prefix ending in a dot");
	bad("1.2.3.9-5:allow", "runs backwards");
	bad("1.2.3.4/33:allow", "prefix length must be 0 to 32");
	bad("::1/129:allow", "prefix length must be 0 to 128");
	bad("1.2.3.4/:allow", "prefix length");
	bad("1.2.3.4/08:allow", "prefix length");
	bad("1.2.3.4/-1:allow", "prefix length");
	bad("1.2.3.4/8:allow", "did you mean 1.0.0.0/8?");
	bad("2001:db8::1/32:allow", "did you mean 2001:db8::/32?");
	bad("::ffff:1.2.3.0/120:allow", "not an address");
	bad("example.com/8:allow", "not an address");
	bad("1.2.3.4:allow RELAYCLIENT=\"\"", "expected ','");
	bad("1.2.3.4:allow,RELAYCLIENT", "expected NAME=\"value\"");
	bad("1.2.3.4:allow,1X=\"\"", "expected NAME=\"value\"");
	bad("1.2.3.4:allow,=\"\"", "expected NAME=\"value\"");
	bad("1.2.3.4:allow,X=\"abc", "no closing quote");
	bad("1.2.3.4:allow,X=", "no closing quote");
}

static void
test_overlong_variables(void **state)
{
	char	*line;
	size_t	 n = RULES_DATAMAX + 64;

	line = malloc(n + 32);
	assert_non_null(line);
	strcpy(line, "1.2.3.4:allow,X=\"");
	memset(line + strlen(line), 'a', n);
	strcpy(line + 17 + n, "\"");
	bad(line, "variables longer than");
	free(line);
}

/* Compile text into a fresh cdb; returns its path (static buffer). */
static const char *
compile(const char *text, int want)
{
	static char	path[64];
	FILE		*in, *diag;
	char		*dbuf = NULL;
	size_t		 dlen = 0;
	int		 fd, rc;

	strcpy(path, "/tmp/rgtest.XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	in = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	diag = open_memstream(&dbuf, &dlen);
	rc = rules_compile(in, "test", fd, diag);
	fclose(in);
	fclose(diag);
	close(fd);
	if (rc != want)
		fail_msg("compile returned %d, want %d: %s", rc, want, dbuf);
	free(dbuf);
	return path;
}

static void
test_compile_reports_bad_lines_and_fails(void **state)
{
	FILE	*in, *diag;
	char	*dbuf = NULL;
	size_t	 dlen = 0;
	int	 fd;
	char	 path[] = "/tmp/rgtest.XXXXXX";
	const char *text = "1.2.3.4:allow\nbogus\n\n5.6.7.8:deny,X\n";

	assert_true((fd = mkstemp(path)) >= 0);
	in = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	diag = open_memstream(&dbuf, &dlen);
	assert_int_equal(rules_compile(in, "r.txt", fd, diag), 1);
	fclose(in);
	fclose(diag);
	close(fd);
	unlink(path);
	assert_non_null(strstr(dbuf, "r.txt:2: missing :allow or :deny"));
	assert_non_null(strstr(dbuf, "r.txt:4: "));
	assert_null(strstr(dbuf, "r.txt:1:"));
	free(dbuf);
}

static int
lookup(const char *path, const char *addr, char *got, size_t n)
{
	struct rules_db		db;
	struct rules_match	m;
	struct ip		ip;
	int			rc;

	assert_int_equal(rules_open(&db, path), 0);
	assert_int_equal(ip_parse(&ip, addr), 0);
	rc = rules_find(&db, &ip, &m);
	if (rc == 1)
		rules_fmt_pfx(&m.net, m.len, got, n);
	rules_close(&db);
	return rc;
}

/*
 * A rule at every length from /0 to /32 on the path of 255.255.255.255:
 * for each length L, the address whose first L bits agree and bit L+1
 * differs must match exactly the /L rule.
 */
static void
test_longest_prefix_ipv4_every_length(void **state)
{
	char		*text, got[64], want[64], addr[32];
	size_t		 cap = 33 * 40, off = 0;
	unsigned int	 len;
	const char	*path;
	struct ip	 ip;

	text = malloc(cap);
	for (len = 0; len <= 32; len++) {
		assert_int_equal(ip_parse(&ip, "255.255.255.255"), 0);
		ip_mask(&ip, len);
		rules_fmt_pfx(&ip, len, want, sizeof(want));
		off += (size_t)snprintf(text + off, cap - off,
		    "%s:allow\n", want);
	}
	path = compile(text, 0);
	for (len = 0; len <= 32; len++) {
		/* the first len bits set, the rest clear */
		uint32_t a = len == 0 ? 0 : 0xffffffffu << (32 - len);

		snprintf(addr, sizeof(addr), "%u.%u.%u.%u", a >> 24,
		    (a >> 16) & 255, (a >> 8) & 255, a & 255);
		assert_int_equal(ip_parse(&ip, addr), 0);
		ip_mask(&ip, len);
		rules_fmt_pfx(&ip, len, want, sizeof(want));
		assert_int_equal(lookup(path, addr, got, sizeof(got)), 1);
		assert_string_equal(got, want);
	}
	unlink(path);
	free(text);
}

static void
test_longest_prefix_ipv6_every_length(void **state)
{
	char		*text, got[64], want[64], addr[64];
	size_t		 cap = 129 * 64, off = 0;
	unsigned int	 len;
	const char	*path;
	struct ip	 ip, probe;

	text = malloc(cap);
	for (len = 0; len <= 128; len++) {
		memset(&ip, 0, sizeof(ip));
		ip.family = AF_INET6;
		memset(ip.a, 0xff, 16);
		ip_mask(&ip, len);
		rules_fmt_pfx(&ip, len, want, sizeof(want));
		off += (size_t)snprintf(text + off, cap - off,
		    "%s:deny\n", want);
	}
	path = compile(text, 0);
	for (len = 0; len <= 128; len++) {
		memset(&probe, 0, sizeof(probe));
		probe.family = AF_INET6;
		memset(probe.a, 0xff, 16);
		if (len < 128)	/* first bit past the prefix differs */
			probe.a[len / 8] &= (unsigned char)~(0x80 >> (len % 8));
		ip_fmt(&probe, addr, sizeof(addr));
		ip = probe;
		ip_mask(&ip, len);
		rules_fmt_pfx(&ip, len, want, sizeof(want));
		assert_int_equal(lookup(path, addr, got, sizeof(got)), 1);
		assert_string_equal(got, want);
	}
	unlink(path);
	free(text);
}

static void
test_no_rule_no_match_and_families_apart(void **state)
{
	const char	*path;
	char		 got[64];

	path = compile("10.0.0.0/8:allow\n2001:db8::/32:allow\n", 0);
	assert_int_equal(lookup(path, "11.0.0.1", got, sizeof(got)), 0);
	assert_int_equal(lookup(path, "2001:db9::1", got, sizeof(got)), 0);
	/* ::a00:1 is not 10.0.0.1 */
	assert_int_equal(lookup(path, "::a00:1", got, sizeof(got)), 0);
	assert_int_equal(lookup(path, "::ffff:10.0.0.1", got, sizeof(got)),
	    1);
	assert_string_equal(got, "10.0.0.0/8");
	unlink(path);
}

static void
test_first_of_duplicates_wins(void **state)
{
	struct rules_db		db;
	struct rules_match	m;
	struct ip		ip;
	const char		*path;

	path = compile("1.2.3.4:deny\n1.2.3.1-9:allow\n", 0);
	assert_int_equal(rules_open(&db, path), 0);
	assert_int_equal(ip_parse(&ip, "1.2.3.4"), 0);
	assert_int_equal(rules_find(&db, &ip, &m), 1);
	assert_true(m.deny);
	assert_int_equal(ip_parse(&ip, "1.2.3.5"), 0);
	assert_int_equal(rules_find(&db, &ip, &m), 1);
	assert_false(m.deny);
	rules_close(&db);
	unlink(path);
}

static void
test_missing_and_corrupt_databases(void **state)
{
	struct rules_db	db;
	char		path[] = "/tmp/rgtest.XXXXXX";
	char		junk[4096];
	int		fd;

	assert_int_equal(rules_open(&db, "/nonexistent/rules.cdb"), -1);
	assert_int_equal(errno, ENOENT);

	/* zero length */
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	assert_int_equal(rules_open(&db, path), -1);
	assert_int_equal(errno, EPROTO);

	/* a valid cdb that relaygate-rules did not write */
	memset(junk, 0, sizeof(junk));
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(rules_open(&db, path), -1);
	assert_int_equal(errno, EPROTO);
	unlink(path);
}

static void
test_truncated_database_is_corrupt(void **state)
{
	struct rules_db	db;
	const char	*path;

	path = compile("1.2.3.4:allow\n", 0);
	assert_int_equal(truncate(path, 2100), 0);
	assert_int_equal(rules_open(&db, path), -1);
	assert_int_equal(errno, EPROTO);
	unlink(path);
}

static void
test_data_validation(void **state)
{
	assert_true(rules_data_valid("A", 1));
	assert_true(rules_data_valid("DX=1\0", 5));
	assert_false(rules_data_valid("", 0));
	assert_false(rules_data_valid("Q", 1));
	assert_false(rules_data_valid("AX=1", 4));	/* no NUL */
	assert_false(rules_data_valid("AX\0", 3));	/* no = */
	assert_false(rules_data_valid("A=1\0", 4));	/* no name */
	assert_false(rules_data_valid("A1=1\0", 5));	/* bad name */
}

static void
test_dump_prints_what_was_compiled(void **state)
{
	const char	*path;
	char		*out = NULL;
	size_t		 len = 0;
	FILE		*f;

	path = compile("# c\n127.:allow,RELAYCLIENT=\"\",RBLSMTPD=\"-no\"\n"
	    "::1:deny\n1.1.1.1-2:allow,X=/\"/\n", 0);
	f = open_memstream(&out, &len);
	assert_int_equal(rules_dump(path, f), 0);
	fclose(f);
	assert_string_equal(out, "127.0.0.0/8:allow,RELAYCLIENT=\"\","
	    "RBLSMTPD=\"-no\"\n::1/128:deny\n1.1.1.1/32:allow,X=!\"!\n"
	    "1.1.1.2/32:allow,X=!\"!\n");
	free(out);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_rules),
		cmocka_unit_test(test_variables_any_quote),
		cmocka_unit_test(test_tcprules_syntax),
		cmocka_unit_test(test_blank_and_comment_lines),
		cmocka_unit_test(test_host_rules_are_skipped_with_reason),
		cmocka_unit_test(test_every_error_is_named),
		cmocka_unit_test(test_overlong_variables),
		cmocka_unit_test(test_compile_reports_bad_lines_and_fails),
		cmocka_unit_test(test_longest_prefix_ipv4_every_length),
		cmocka_unit_test(test_longest_prefix_ipv6_every_length),
		cmocka_unit_test(test_no_rule_no_match_and_families_apart),
		cmocka_unit_test(test_first_of_duplicates_wins),
		cmocka_unit_test(test_missing_and_corrupt_databases),
		cmocka_unit_test(test_truncated_database_is_corrupt),
		cmocka_unit_test(test_data_validation),
		cmocka_unit_test(test_dump_prints_what_was_compiled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
