/* Who sends: the login qmail-smtpd wrote, the client, or the uid. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "lib/sender.h"

#define BODY	"Subject: hello\nFrom: a@b.example\n\nbody\n"

static struct sender
who(const char *head, int network)
{
	struct sender	s;

	assert_int_equal(sender_identify(head, strlen(head), 1000, network,
	    &s), 0);
	return s;
}

static void
test_login_is_the_account(void **state)
{
	struct sender	s = who("Received: from unknown (HELO pc) "
	    "(Alice@Example.TEST@192.0.2.9)\n  by mx.example.test with ESMTPA; "
	    "28 Nov 2026 10:00:00 -0000\n" BODY, 1);

	assert_int_equal(s.kind, SND_MAILBOX);
	assert_string_equal(s.mailbox, "alice@example.test");
	assert_string_equal(s.domain, "example.test");
	s = who("Received: from pc.example.net (bob@192.0.2.9)\n  by mx with "
	    "ESMTPSA; 28 Nov 2026 10:00:00 -0000\n" BODY, 1);
	assert_int_equal(s.kind, SND_MAILBOX);
	assert_string_equal(s.mailbox, "bob");
	assert_string_equal(s.domain, "");
}

/* What a client says is never an account: ident, AUTH=, its own lines. */
static void
test_claims_are_not_accounts(void **state)
{
	struct sender	s;

	/* an ident answer, as qmail-smtpd writes it: remote info, SMTP */
	s = who("Received: from unknown (HELO pc) (identuser@192.0.2.9)\n  by "
	    "mx with SMTP; 28 Nov 2026 10:00:00 -0000\n" BODY, 1);
	assert_int_equal(s.kind, SND_ADDRESS);
	assert_string_equal(s.address, "192.0.2.9");
	/* MAIL's AUTH= parameter */
	s = who("Received: from unknown (HELO pc) (bob+x@example.org@192.0.2.9)"
	    "\n  by mx with SMTP; 28 Nov 2026 10:00:00 -0000\n" BODY, 1);
	assert_int_equal(s.kind, SND_ADDRESS);
	/* a Received line of the client's own, after qmail-smtpd's */
	s = who("Received: from unknown (HELO pc) (192.0.2.9)\n  by mx with "
	    "SMTP; 28 Nov 2026 10:00:00 -0000\nReceived: from x (victim@example"
	    ".test@10.0.0.1)\n  by mx with ESMTPA; 1 Jan 2026\n" BODY, 1);
	assert_int_equal(s.kind, SND_ADDRESS);
	assert_string_equal(s.address, "192.0.2.9");
	/* an IPv6 client, canonical */
	s = who("Received: from unknown (HELO pc) (2001:DB8:0::7)\n  by mx "
	    "with SMTP; 28 Nov 2026 10:00:00 -0000\n" BODY, 1);
	assert_int_equal(s.kind, SND_ADDRESS);
	assert_string_equal(s.address, "2001:db8::7");
}

/* A local user writes every byte: a forged login line changes nothing. */
static void
test_local_injection_is_the_uid(void **state)
{
	struct sender	s = who("Received: from unknown (HELO pc) "
	    "(victim@example.test@192.0.2.9)\n  by mx with ESMTPA; 28 Nov 2026 "
	    "10:00:00 -0000\n" BODY, 0);

	assert_int_equal(s.kind, SND_USER);
	assert_int_equal(s.uid, 1000);
	assert_string_equal(s.mailbox, "");
}

static void
test_no_line_of_qmail_smtpds(void **state)
{
	assert_int_equal(who(BODY, 1).kind, SND_UNKNOWN);
	assert_int_equal(who("", 1).kind, SND_UNKNOWN);
	assert_int_equal(who("Received: from (x@1.2.3.4)\n  by mx with ESMTPA;"
	    " x\n", 1).kind, SND_UNKNOWN);
	/* "*" is every kind's default in the limits file, never a sender */
	assert_int_equal(who("Received: from unknown (*@192.0.2.9)\n  by mx "
	    "with ESMTPA; x\n", 1).kind, SND_UNKNOWN);
	assert_int_equal(who("Received: from unknown (*)\n  by mx with SMTP; "
	    "x\n", 1).kind, SND_UNKNOWN);
}

/* sagredo-dev's qmail writes no client for logins and relay clients: the
 * login is still the account; no login, no address, no account. */
static void
test_bare_line(void **state)
{
	struct sender	s = who("Received: (HELO pc) (Alice@Example.TEST)\n  by "
	    "mx.example.test with ESMTPSA (TLS_AES_256_GCM_SHA384 encrypted); "
	    "28 Nov 2026 10:00:00 +0000\n" BODY, 1);

	assert_int_equal(s.kind, SND_MAILBOX);
	assert_string_equal(s.mailbox, "alice@example.test");
	assert_string_equal(s.domain, "example.test");
	s = who("Received: (HELO pc) (identuser)\n  by mx with SMTP; 28 Nov "
	    "2026 10:00:00 +0000\n" BODY, 1);
	assert_int_equal(s.kind, SND_UNKNOWN);
	s = who("Received: (HELO pc) ()\n  by mx with ESMTP; 28 Nov 2026 "
	    "10:00:00 +0000\n" BODY, 1);
	assert_int_equal(s.kind, SND_UNKNOWN);
	/* a client's own line further down is never read */
	s = who("Subject: x\nReceived: (HELO pc) (victim@example.test)\n  by "
	    "mx with ESMTPA; 28 Nov 2026 10:00:00 +0000\n" BODY, 1);
	assert_int_equal(s.kind, SND_UNKNOWN);
}

/* A HELO made long does not hide the login after it; a login too long
 * for any mailbox is not cut into another's name. */
static void
test_long_lines(void **state)
{
	static char	head[40000];
	struct sender	s;
	char		acct[400];
	size_t		n;

	n = (size_t)snprintf(head, sizeof(head), "Received: from unknown (HELO ");
	memset(head + n, 'h', 30000);
	n += 30000;
	snprintf(head + n, sizeof(head) - n, ") (alice@example.test@192.0.2.9)\n"
	    "  by mx with ESMTPA; 28 Nov 2026 10:00:00 -0000\n" BODY);
	s = who(head, 1);
	assert_int_equal(s.kind, SND_MAILBOX);
	assert_string_equal(s.mailbox, "alice@example.test");
	assert_string_equal(s.domain, "example.test");
	memset(acct, 'a', 300);
	snprintf(acct + 300, sizeof(acct) - 300, "@example.test");
	snprintf(head, sizeof(head), "Received: from unknown (HELO pc) (%s@"
	    "192.0.2.9)\n  by mx with ESMTPA; 28 Nov 2026 10:00:00 -0000\n"
	    BODY, acct);
	s = who(head, 1);
	assert_int_equal(s.kind, SND_UNKNOWN);
	assert_true(s.toolong);
	assert_string_equal(s.mailbox, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_is_the_account),
		cmocka_unit_test(test_claims_are_not_accounts),
		cmocka_unit_test(test_local_injection_is_the_uid),
		cmocka_unit_test(test_no_line_of_qmail_smtpds),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_bare_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
