/* log_sanitise: the one rule for untrusted text on a terminal or a log. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "lib/log.h"

static const char *
san(const char *in, size_t len)
{
	static char	out[256];

	log_sanitise(out, sizeof(out), in, len);
	return out;
}

#define S(x)	san(x, sizeof(x) - 1)

static void
test_printable_ascii_stays(void **state)
{
	assert_string_equal(S("Dispute Transaction <a@b> ~!"),
	    "Dispute Transaction <a@b> ~!");
}

static void
test_c0_controls_and_del_go(void **state)
{
	assert_string_equal(S("a\r\nb\x1b[2Jc\x7f"), "a??b?[2Jc?");
}

static void
test_c1_controls_go_raw_or_encoded(void **state)
{
	/* the 8-bit CSI, raw and as U+009B, then U+0085 (NEL) */
	assert_string_equal(S("x\x9b" "2J"), "x?2J");
	assert_string_equal(S("x\xc2\x9b" "2J"), "x?2J");
	assert_string_equal(S("\xc2\x85"), "?");
}

/* SMTP replies and AUTH user names: printable ASCII, byte for byte '?' */
static void
test_ascii_mode_for_protocol_text(void **state)
{
	char	out[64];

	log_clean(out, sizeof(out), "caf\xc3\xa9 \x9b" "2J\r\n\x7f", 12,
	    LOG_ASCII);
	assert_string_equal(out, "caf?? ?2J???");
	/* the same cap and rule for a DNS list's text and a user name */
	log_clean(out, 4, "abcdef", 6, LOG_ASCII);
	assert_string_equal(out, "abc");
}

static void
test_utf8_text_stays(void **state)
{
	assert_string_equal(S("R\xc3\xa9sum\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7"),
	    "R\xc3\xa9sum\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7");
	assert_string_equal(S("\xc2\xa0"), "\xc2\xa0");	/* U+00A0 */
}

static void
test_malformed_utf8_goes_byte_by_byte(void **state)
{
	assert_string_equal(S("\xc3"), "?");			/* cut short */
	assert_string_equal(S("\xc0\xaf"), "??");		/* overlong */
	assert_string_equal(S("\xe0\x80\xaf"), "?");		/* overlong */
	assert_string_equal(S("\xed\xa0\x80"), "?");		/* surrogate */
	assert_string_equal(S("\xf4\x90\x80\x80"), "?");	/* > U+10FFFF */
	assert_string_equal(S("\xff\xfe"), "??");
}

static void
test_never_past_the_buffer(void **state)
{
	char	out[4];

	assert_int_equal(log_sanitise(out, sizeof(out), "abcdef", 6), 3);
	assert_string_equal(out, "abc");
	/* a character that does not fit whole is not cut in half */
	assert_int_equal(log_sanitise(out, sizeof(out), "ab\xe2\x82\xac", 5), 3);
	assert_string_equal(out, "ab?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable_ascii_stays),
		cmocka_unit_test(test_c0_controls_and_del_go),
		cmocka_unit_test(test_c1_controls_go_raw_or_encoded),
		cmocka_unit_test(test_utf8_text_stays),
		cmocka_unit_test(test_ascii_mode_for_protocol_text),
		cmocka_unit_test(test_malformed_utf8_goes_byte_by_byte),
		cmocka_unit_test(test_never_past_the_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
