/* DNSBL names, return codes, answers, decision order and text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/dnsbl.h"
#include "lib/dnsq.h"
#include "lib/refuse.h"

static void
name_is(const char *addr, const char *zone, const char *want)
{
	struct ip	ip;
	char		buf[DNSBL_NAMEMAX];

	assert_int_equal(ip_parse(&ip, addr), 0);
	assert_int_equal(dnsbl_name(&ip, zone, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void
test_dotted_reversal(void **state)
{
	name_is("127.0.0.2", "zen.example", "2.0.0.127.zen.example");
	name_is("192.0.2.99", "z", "99.2.0.192.z");
	name_is("::ffff:10.1.2.3", "z", "3.2.1.10.z");
}

static void
test_nibble_reversal(void **state)
{
	name_is("::1", "v6.example", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.v6.example");
	/* RFC 5782's own example */
	name_is("2001:db8:1:2:3:4:567:89ab", "ugly.example.com",
	    "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2."
	    "ugly.example.com");
}

static void
test_name_too_long_is_refused(void **state)
{
	struct ip	ip;
	char		buf[40];

	assert_int_equal(ip_parse(&ip, "::1"), 0);
	assert_int_equal(dnsbl_name(&ip, "z", buf, sizeof(buf)), -1);
}

static void
test_return_code_filters(void **state)
{
	struct dnsbl_codes	c;

	assert_int_equal(dnsbl_codes_parse("127.0.0.2,127.0.0.4-11", &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.lo[0], 0x7f000002);
	assert_int_equal(c.hi[0], 0x7f000002);
	assert_int_equal(c.lo[1], 0x7f000004);
	assert_int_equal(c.hi[1], 0x7f00000b);
	assert_int_equal(dnsbl_codes_parse("", &c), -1);
	assert_int_equal(dnsbl_codes_parse("127.0.0.2,", &c), -1);
	assert_int_equal(dnsbl_codes_parse("10.0.0.2", &c), -1);
	assert_int_equal(dnsbl_codes_parse("127.0.0.9-4", &c), -1);
	assert_int_equal(dnsbl_codes_parse("127.0.0.4-256", &c), -1);
	assert_int_equal(dnsbl_codes_parse("127.0.0.4-x", &c), -1);
	assert_int_equal(dnsbl_codes_parse("127.0.0", &c), -1);
}

static void
test_zone_arguments(void **state)
{
	struct dnsbl_src	s;

	assert_int_equal(dnsbl_src_parse(&s, DNSBL_BLOCK, "zen.example."), 0);
	assert_string_equal(s.zone, "zen.example");
	assert_int_equal(s.codes.n, 0);
	assert_int_equal(dnsbl_src_parse(&s, DNSBL_BLOCK,
	    "zen.example=127.0.0.2"), 0);
	assert_int_equal(s.codes.n, 1);
	assert_int_equal(dnsbl_src_parse(&s, DNSBL_BLOCK, ""), -1);
	assert_int_equal(dnsbl_src_parse(&s, DNSBL_BLOCK, "a..b"), -1);
	assert_int_equal(dnsbl_src_parse(&s, DNSBL_BLOCK, ".a"), -1);
	assert_int_equal(dnsbl_src_parse(&s, DNSBL_BLOCK, "a b"), -1);
	assert_int_equal(dnsbl_src_parse(&s, DNSBL_BLOCK, "a/b"), -1);
	assert_int_equal(dnsbl_src_parse(&s, DNSBL_BLOCK, "z=10.0.0.1"), -1);
}

static void
test_answers_rfc5782(void **state)
{
	struct dnsbl_codes	any = { 0 }, pick;
	uint32_t		a[3], hit = 0;
	char			why[64];

	a[0] = 0x7f000002;
	assert_int_equal(dnsbl_classify(a, 1, &any, &hit, why, sizeof(why)),
	    DNSBL_LISTED);
	assert_int_equal(hit, 0x7f000002);
	assert_int_equal(dnsbl_classify(a, 0, &any, &hit, why, sizeof(why)),
	    DNSBL_CLEAN);
	/* Spamhaus' error codes are errors, never listings */
	a[0] = 0x7fffffFE;
	assert_int_equal(dnsbl_classify(a, 1, &any, &hit, why, sizeof(why)),
	    DNSBL_ERROR);
	assert_string_equal(why, "answer 127.255.255.254 is an error code");
	/* and so is an answer outside 127/8, whatever else came */
	a[0] = 0x7f000002;
	a[1] = 0x0a000001;
	assert_int_equal(dnsbl_classify(a, 2, &any, &hit, why, sizeof(why)),
	    DNSBL_ERROR);
	/* picked codes */
	assert_int_equal(dnsbl_codes_parse("127.0.0.4-11", &pick), 0);
	a[0] = 0x7f000002;
	assert_int_equal(dnsbl_classify(a, 1, &pick, &hit, why, sizeof(why)),
	    DNSBL_CLEAN);
	a[1] = 0x7f00000a;
	assert_int_equal(dnsbl_classify(a, 2, &pick, &hit, why, sizeof(why)),
	    DNSBL_LISTED);
	assert_int_equal(hit, 0x7f00000a);
}

/* Sources in option order, each with a final state. */
static struct dnsbl_src	src[4];

static void
mk(int i, enum dnsbl_kind k, enum dnsbl_state st, int bounce, int fc,
    const char *text)
{
	memset(&src[i], 0, sizeof(src[i]));
	src[i].kind = k;
	snprintf(src[i].zone, sizeof(src[i].zone), "z%d", i);
	src[i].state = st;
	src[i].bounce = bounce;
	src[i].failclosed = fc;
	if (text)
		strlcpy(src[i].text, text, sizeof(src[i].text));
}

static void
test_decision_first_decisive_source_wins(void **state)
{
	struct dnsbl_decision	d;

	mk(0, DNSBL_BLOCK, DNSBL_CLEAN, 0, 0, NULL);
	mk(1, DNSBL_BLOCK, DNSBL_LISTED, 1, 0, "go away");
	mk(2, DNSBL_ALLOW, DNSBL_LISTED, 0, 0, NULL);
	dnsbl_decide(src, 3, &d);
	assert_true(d.done);
	assert_true(d.refuse);
	assert_int_equal(d.src, 1);
	assert_int_equal(d.code, 553);
	assert_string_equal(d.text, "go away");
	/* an allow list given first wins */
	mk(0, DNSBL_ALLOW, DNSBL_LISTED, 0, 0, NULL);
	dnsbl_decide(src, 3, &d);
	assert_false(d.refuse);
	assert_int_equal(d.src, 0);
}

static void
test_decision_waits_for_earlier_sources(void **state)
{
	struct dnsbl_decision	d;

	mk(0, DNSBL_BLOCK, DNSBL_PENDING, 0, 0, NULL);
	mk(1, DNSBL_BLOCK, DNSBL_LISTED, 0, 0, "x");
	dnsbl_decide(src, 2, &d);
	assert_false(d.done);
	/* but a listing early in the order does not wait for later ones */
	mk(0, DNSBL_BLOCK, DNSBL_LISTED, 0, 0, "x");
	mk(1, DNSBL_BLOCK, DNSBL_PENDING, 0, 0, NULL);
	dnsbl_decide(src, 2, &d);
	assert_true(d.done);
	assert_true(d.refuse);
}

static void
test_decision_errors_open_closed_and_451(void **state)
{
	struct dnsbl_decision	d;

	/* fail open: an error is skipped, but makes a later refusal 451 */
	mk(0, DNSBL_BLOCK, DNSBL_ERROR, 0, 0, NULL);
	mk(1, DNSBL_BLOCK, DNSBL_LISTED, 1, 0, NULL);
	dnsbl_decide(src, 2, &d);
	assert_true(d.refuse);
	assert_int_equal(d.code, 451);
	assert_string_equal(d.text, "listed in z1");
	/* fail closed: the error itself refuses, temporarily */
	mk(0, DNSBL_BLOCK, DNSBL_ERROR, 1, 1, NULL);
	dnsbl_decide(src, 2, &d);
	assert_true(d.refuse);
	assert_int_equal(d.src, 0);
	assert_int_equal(d.code, 451);
	assert_string_equal(d.text, "temporary RBL lookup error");
	/* an allow list that errs, fail open: accept */
	mk(0, DNSBL_ALLOW, DNSBL_ERROR, 0, 0, NULL);
	dnsbl_decide(src, 2, &d);
	assert_false(d.refuse);
	/* ... fail closed: go on to the next source */
	mk(0, DNSBL_ALLOW, DNSBL_ERROR, 0, 1, NULL);
	dnsbl_decide(src, 2, &d);
	assert_true(d.refuse);
	assert_int_equal(d.code, 451);
	/* nothing listed: accept */
	mk(0, DNSBL_BLOCK, DNSBL_CLEAN, 0, 0, NULL);
	mk(1, DNSBL_BLOCK, DNSBL_CLEAN, 0, 0, NULL);
	dnsbl_decide(src, 2, &d);
	assert_true(d.done);
	assert_false(d.refuse);
	assert_int_equal(d.src, -1);
}

static void
test_settle_txt_only_listing(void **state)
{
	struct dnsbl_src	s;

	memset(&s, 0, sizeof(s));
	s.kind = DNSBL_BLOCK;
	s.a = DNSBL_CLEAN;
	s.txt_done = 0;
	dnsbl_settle(&s);
	assert_int_equal(s.state, DNSBL_PENDING);
	s.txt_done = 1;
	strlcpy(s.text, "listed by TXT only", sizeof(s.text));
	dnsbl_settle(&s);
	assert_int_equal(s.state, DNSBL_LISTED);
	/* with picked codes, TXT alone does not list */
	s.codes.n = 1;
	dnsbl_settle(&s);
	assert_int_equal(s.state, DNSBL_CLEAN);
}

static void
test_text_sanitised_and_capped(void **state)
{
	char	buf[512], in[300];

	assert_int_equal(dnsbl_sanitise(buf, sizeof(buf), "a\r\nb\x7f\xff", 6),
	    6);
	assert_string_equal(buf, "a??b??");
	memset(in, 'x', sizeof(in));
	assert_int_equal(dnsbl_sanitise(buf, sizeof(buf), in, sizeof(in)),
	    DNSBL_TEXTMAX);
	assert_int_equal(refuse_message(buf, sizeof(buf), 553, "no\r\nway"),
	    13);
	assert_string_equal(buf, "553 no??way\r\n");
}

static void
test_refusal_replies(void **state)
{
	assert_int_equal(refuse_classify("HELO x\r\n", 8), REFUSE_OK);
	assert_int_equal(refuse_classify("ehlo", 4), REFUSE_OK);
	assert_int_equal(refuse_classify("MAIL FROM:<a@b>", 15), REFUSE_OK);
	assert_int_equal(refuse_classify("rset\r\n", 6), REFUSE_OK);
	assert_int_equal(refuse_classify("NOOP", 4), REFUSE_OK);
	assert_int_equal(refuse_classify("QUIT\r\n", 6), REFUSE_QUIT);
	assert_int_equal(refuse_classify("RCPT TO:<a@b>", 13), REFUSE_ERROR);
	assert_int_equal(refuse_classify("DATA", 4), REFUSE_ERROR);
	assert_int_equal(refuse_classify("HELOX", 5), REFUSE_ERROR);
	assert_int_equal(refuse_classify("", 0), REFUSE_ERROR);
	assert_int_equal(refuse_classify("\0ELO", 4), REFUSE_ERROR);
}

static void
test_dnscacheip_servers(void **state)
{
	char	csv[128];

	assert_int_equal(dnsq_servers("127.0.0.1", csv, sizeof(csv)), 0);
	assert_string_equal(csv, "127.0.0.1:53");
	assert_int_equal(dnsq_servers("127.0.0.1 ::1,10.0.0.1", csv,
	    sizeof(csv)), 0);
	assert_string_equal(csv, "127.0.0.1:53,[::1]:53,10.0.0.1:53");
	assert_int_equal(dnsq_servers("", csv, sizeof(csv)), -1);
	assert_int_equal(dnsq_servers("dns.example", csv, sizeof(csv)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dotted_reversal),
		cmocka_unit_test(test_nibble_reversal),
		cmocka_unit_test(test_name_too_long_is_refused),
		cmocka_unit_test(test_return_code_filters),
		cmocka_unit_test(test_zone_arguments),
		cmocka_unit_test(test_answers_rfc5782),
		cmocka_unit_test(test_decision_first_decisive_source_wins),
		cmocka_unit_test(test_decision_waits_for_earlier_sources),
		cmocka_unit_test(test_decision_errors_open_closed_and_451),
		cmocka_unit_test(test_settle_txt_only_listing),
		cmocka_unit_test(test_text_sanitised_and_capped),
		cmocka_unit_test(test_refusal_replies),
		cmocka_unit_test(test_dnscacheip_servers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
