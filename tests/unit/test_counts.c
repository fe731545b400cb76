/* window.c's counts tables: an hour of messages and recipients per
 * object, checked and counted in one step, as sendlimit uses them. */
#include <sys/wait.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/window.h"

static char	dir[] = "/tmp/rg-counts.XXXXXX";
static char	why[1200];

#define T0	1794999960	/* a minute's start */

static int
setup(void **state)
{
	strcpy(dir, "/tmp/rg-counts.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	cmd[100];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct cnt_key
key(unsigned int kind, const char *name, uint32_t msgs, uint32_t rcpts)
{
	return (struct cnt_key){ .kind = kind, .name = name, .max_msgs = msgs,
	    .max_rcpts = rcpts };
}

static enum win_take
send1(struct win *w, struct cnt_key *k, size_t n, time_t now, uint32_t r)
{
	return cnt_take(w, k, n, now, r, why, sizeof(why));
}

/* A message counts for 60 to 61 minutes: never less than an hour. */
static void
test_an_hour_in_minutes(void **state)
{
	struct win	w;
	struct cnt_key	k = key(0, "alice@example.test", 10, UINT32_MAX);
	int		i;

	assert_int_equal(cnt_open(&w, dir, why, sizeof(why)), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(send1(&w, &k, 1, T0 + i, 1), WIN_ADMITTED);
	assert_int_equal(k.msgs, 9);
	assert_int_equal(send1(&w, &k, 1, T0 + 30, 1), WIN_LIMITED);
	assert_true(k.over);
	assert_true(k.alert);			/* the first refusal */
	assert_int_equal(k.msgs, 10);
	assert_int_equal(send1(&w, &k, 1, T0 + 31, 1), WIN_LIMITED);
	assert_false(k.alert);			/* once, not every time */
	/* 59 minutes 59 seconds after the last: still counted */
	assert_int_equal(send1(&w, &k, 1, T0 + 9 + 3599, 1), WIN_LIMITED);
	/* an hour and a minute after the first minute: gone */
	assert_int_equal(send1(&w, &k, 1, T0 + 61 * 60, 1), WIN_ADMITTED);
	assert_int_equal(k.msgs, 0);
	win_close(&w);
}

/* Recipients are counted with their message; a refused message adds
 * nothing to any object. */
static void
test_recipients_and_refusals(void **state)
{
	struct win	w;
	struct cnt_key	k[2] = { key(0, "bob@example.test", 100, 100),
	    key(1, "example.test", 1000, 1000) };

	assert_int_equal(cnt_open(&w, dir, why, sizeof(why)), 0);
	assert_int_equal(send1(&w, k, 2, T0, 60), WIN_ADMITTED);
	assert_int_equal(send1(&w, k, 2, T0 + 1, 41), WIN_LIMITED);
	assert_true(k[0].over);
	assert_false(k[1].over);
	assert_int_equal(send1(&w, k, 2, T0 + 2, 40), WIN_ADMITTED);
	assert_int_equal(k[0].rcpts, 60);	/* the 41 were not added */
	assert_int_equal(k[1].rcpts, 60);
	assert_int_equal(k[1].msgs, 1);
	assert_int_equal(send1(&w, k, 2, T0 + 3, 1), WIN_LIMITED);
	assert_int_equal(k[0].rcpts, 100);
	win_close(&w);
}

/* Two mailboxes of one domain: each to its own limit, both to the
 * domain's; the domain's refusal names the domain. */
static void
test_a_domain_caps_its_mailboxes(void **state)
{
	struct win	w;
	struct cnt_key	a[2] = { key(0, "a@example.test", 5, UINT32_MAX),
	    key(1, "example.test", 8, UINT32_MAX) };
	struct cnt_key	b[2] = { key(0, "b@example.test", 5, UINT32_MAX),
	    key(1, "example.test", 8, UINT32_MAX) };
	int		i;

	assert_int_equal(cnt_open(&w, dir, why, sizeof(why)), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(send1(&w, a, 2, T0 + i, 1), WIN_ADMITTED);
	assert_int_equal(send1(&w, a, 2, T0 + 5, 1), WIN_LIMITED);
	assert_true(a[0].over && !a[1].over);
	for (i = 0; i < 3; i++)
		assert_int_equal(send1(&w, b, 2, T0 + 10 + i, 1), WIN_ADMITTED);
	assert_int_equal(send1(&w, b, 2, T0 + 20, 1), WIN_LIMITED);
	assert_true(!b[0].over && b[1].over);
	assert_int_equal(b[0].msgs, 3);
	assert_int_equal(b[1].msgs, 8);
	win_close(&w);
}

/* 0 may not send; no limit counts on; the same name of another kind is
 * another object; a name's case is its own (canonical names come in). */
static void
test_zero_unlimited_and_kinds(void **state)
{
	struct win	w;
	struct cnt_key	z = key(2, "1000", 0, 0);
	struct cnt_key	u = key(0, "1000", UINT32_MAX, UINT32_MAX);
	int		i;

	assert_int_equal(cnt_open(&w, dir, why, sizeof(why)), 0);
	assert_int_equal(send1(&w, &z, 1, T0, 1), WIN_LIMITED);
	assert_true(z.over && z.alert);
	for (i = 0; i < 20000; i++)
		assert_int_equal(send1(&w, &u, 1, T0 + i / 10, 3),
		    WIN_ADMITTED);
	assert_int_equal(u.msgs, 19999);
	assert_int_equal(u.rcpts, 3 * 19999);
	win_close(&w);
}

/* A message the queue did not take is given back. */
static void
test_give_back(void **state)
{
	struct win	w;
	struct cnt_key	k = key(0, "carol@example.test", 2, 10);

	assert_int_equal(cnt_open(&w, dir, why, sizeof(why)), 0);
	assert_int_equal(send1(&w, &k, 1, T0, 5), WIN_ADMITTED);
	assert_int_equal(send1(&w, &k, 1, T0 + 70, 5), WIN_ADMITTED);
	assert_int_equal(cnt_give(&w, &k, 1, T0 + 70, 5), 0);
	assert_int_equal(send1(&w, &k, 1, T0 + 80, 5), WIN_ADMITTED);
	assert_int_equal(k.msgs, 1);
	assert_int_equal(k.rcpts, 5);
	win_close(&w);
}

static int
collect(const struct cnt_slot *s, uint32_t m, uint32_t r, uint32_t ref,
    void *arg)
{
	char	*out = arg;
	size_t	 len = strlen(out);

	snprintf(out + len, 1000 - len, "%u %s %u %u %u\n", s->kind, s->name,
	    m, r, ref);
	return 0;
}

/* The table lists what it counts, by name, live keys only. */
static void
test_list(void **state)
{
	struct win	w;
	struct cnt_key	k = key(0, "dave@example.test", 1, UINT32_MAX);
	struct cnt_key	o = key(3, "192.0.2.1", 9, 9);
	char		out[1000] = "";

	assert_int_equal(cnt_open(&w, dir, why, sizeof(why)), 0);
	assert_int_equal(send1(&w, &o, 1, T0 - 3700, 1), WIN_ADMITTED);
	assert_int_equal(send1(&w, &k, 1, T0, 4), WIN_ADMITTED);
	assert_int_equal(send1(&w, &k, 1, T0 + 1, 4), WIN_LIMITED);
	assert_int_equal(cnt_list(&w, T0 + 2, collect, out), 0);
	assert_string_equal(out, "0 dave@example.test 1 4 1\n");
	win_close(&w);
}

/* Thousands of objects grow the table and lose no count. */
static void
test_growth_keeps_counts(void **state)
{
	struct win	w;
	struct cnt_key	k;
	char		name[40];
	int		i;

	assert_int_equal(cnt_open(&w, dir, why, sizeof(why)), 0);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "u%d@example.test", i);
		k = key(0, name, 2, UINT32_MAX);
		assert_int_equal(send1(&w, &k, 1, T0 + i / 100, 1),
		    WIN_ADMITTED);
	}
	assert_true(w.nslots > 4096);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "u%d@example.test", i);
		k = key(0, name, 2, UINT32_MAX);
		assert_int_equal(send1(&w, &k, 1, T0 + 60, 1), WIN_ADMITTED);
		assert_int_equal(k.msgs, 1);
		assert_int_equal(send1(&w, &k, 1, T0 + 60, 1), WIN_LIMITED);
	}
	win_close(&w);
}

/* A table at its most live objects refuses a new one, never drops one
 * (that would reset its count), and still counts the known ones. */
static void
test_full_refuses_new_objects(void **state)
{
	struct win	w;
	struct cnt_key	k;
	char		name[40];
	uint32_t	i, most;

	assert_int_equal(cnt_open(&w, dir, why, sizeof(why)), 0);
	w.maxslots = 4096;
	most = w.maxslots / 8 * 7;
	for (i = 0; i < most; i++) {
		snprintf(name, sizeof(name), "u%u@example.test", i);
		k = key(0, name, 2, UINT32_MAX);
		assert_int_equal(send1(&w, &k, 1, T0, 1), WIN_ADMITTED);
	}
	k = key(0, "new@example.test", 2, UINT32_MAX);
	assert_int_equal(send1(&w, &k, 1, T0 + 1, 1), WIN_FULL);
	k = key(0, "u7@example.test", 2, UINT32_MAX);
	assert_int_equal(send1(&w, &k, 1, T0 + 1, 1), WIN_ADMITTED);
	assert_int_equal(send1(&w, &k, 1, T0 + 1, 1), WIN_LIMITED);
	/* an hour and a minute later they are gone and there is room */
	k = key(0, "new@example.test", 2, UINT32_MAX);
	assert_int_equal(send1(&w, &k, 1, T0 + CNT_WINDOW + 60, 1),
	    WIN_ADMITTED);
	win_close(&w);
}

/* SipHash-2-4 as its paper's test vector has it; kinds kept apart, case
 * not, and another file key another hash. */
static void
test_keyed_hash(void **state)
{
	unsigned char	key[WIN_KEYLEN], msg[15];
	uint64_t	h;
	size_t		i;

	for (i = 0; i < 16; i++)
		key[i] = (unsigned char)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	assert_true(win_siphash(key, msg, sizeof(msg)) ==
	    0xa129ca6149be45e5ULL);
	assert_true(cnt_hash(key, 0, "Alice@Example.TEST") ==
	    cnt_hash(key, 0, "alice@example.test"));
	assert_true(cnt_hash(key, 0, "x") != cnt_hash(key, 2, "x"));
	h = cnt_hash(key, 0, "x");
	key[15] ^= 0x80;
	assert_true(h != cnt_hash(key, 0, "x"));
}

/* Twenty processes at once, 300 messages against a limit of 150: exactly
 * 150 are taken. */
static void
test_parallel_is_exact(void **state)
{
	struct win	w;
	struct cnt_key	k;
	pid_t		pid[20];
	int		i, j, st, taken = 0;

	for (i = 0; i < 20; i++) {
		if ((pid[i] = fork()) == 0) {
			int n = 0;

			if (cnt_open(&w, dir, why, sizeof(why)) == -1)
				_exit(255);
			for (j = 0; j < 15; j++) {
				k = key(0, "eve@example.test", 150, UINT32_MAX);
				if (send1(&w, &k, 1, T0, 1) == WIN_ADMITTED)
					n++;
			}
			_exit(n);
		}
		assert_true(pid[i] > 0);
	}
	for (i = 0; i < 20; i++) {
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) <= 15);
		taken += WEXITSTATUS(st);
	}
	assert_int_equal(taken, 150);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_an_hour_in_minutes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recipients_and_refusals,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_domain_caps_its_mailboxes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_unlimited_and_kinds,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_give_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_growth_keeps_counts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_full_refuses_new_objects,
		    setup, teardown),
		cmocka_unit_test(test_keyed_hash),
		cmocka_unit_test_setup_teardown(test_parallel_is_exact, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
