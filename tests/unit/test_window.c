/* window.c: sliding windows that no key choice, race or growth defeats. */
#include <sys/stat.h>
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

static char	dir[] = "/tmp/rg-window.XXXXXX";
static char	why[1200];

static int
setup(void **state)
{
	strcpy(dir, "/tmp/rg-window.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	cmd[100];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* One attempt at one user name: the result of the atomic step. */
static enum win_take
take1(struct win *w, const char *kind, const char *name, unsigned int limit,
    time_t now, int *count)
{
	struct win_key	k = { .kind = kind, .name = name, .limit = limit };
	enum win_take	t = win_take(w, &k, 1, now, 900, why, sizeof(why));

	if (count)
		*count = k.count;
	return t;
}

static int
count1(struct win *w, const char *kind, const char *name, time_t now)
{
	int	n;

	/* a limit of 1 admits nothing once there is an event: a pure read */
	if (take1(w, kind, name, 1, now, &n) == WIN_ADMITTED) {
		struct win_key k = { .kind = kind, .name = name, .limit = 1 };

		k.hash = win_hash(w->key, kind, name);
		win_give(w, &k, 1, now);
	}
	return n;
}

static void
test_counts_up_to_the_limit_and_no_further(void **state)
{
	struct win	w;
	int		i, n;

	assert_int_equal(win_open(&w, dir, why, sizeof(why)), 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(take1(&w, "u", "alice", 5, 1000 + i, &n),
		    WIN_ADMITTED);
		assert_int_equal(n, i);
	}
	assert_int_equal(take1(&w, "u", "alice", 5, 1010, &n), WIN_LIMITED);
	assert_int_equal(n, 5);
	/* the count is case-blind and per kind */
	assert_int_equal(take1(&w, "u", "ALICE", 5, 1010, &n), WIN_LIMITED);
	assert_int_equal(take1(&w, "i", "alice", 5, 1010, &n), WIN_ADMITTED);
	win_close(&w);
}

static void
test_events_leave_the_window(void **state)
{
	struct win	w;
	int		n;

	assert_int_equal(win_open(&w, dir, why, sizeof(why)), 0);
	assert_int_equal(take1(&w, "u", "bob", 2, 1000, NULL), WIN_ADMITTED);
	assert_int_equal(take1(&w, "u", "bob", 2, 1500, NULL), WIN_ADMITTED);
	assert_int_equal(take1(&w, "u", "bob", 2, 1899, &n), WIN_LIMITED);
	assert_int_equal(n, 2);
	/* (now - 900, now]: the event at 1000 is out at 1900 */
	assert_int_equal(take1(&w, "u", "bob", 2, 1900, &n), WIN_ADMITTED);
	assert_int_equal(n, 1);
	win_close(&w);
}

static void
test_give_takes_back_one_provisional_event(void **state)
{
	struct win	w;
	struct win_key	k[2] = { { .kind = "u", .name = "carol", .limit = 3 },
			    { .kind = "i", .name = "192.0.2.1/32", .limit = 3 } };

	assert_int_equal(win_open(&w, dir, why, sizeof(why)), 0);
	assert_int_equal(win_take(&w, k, 2, 1000, 900, why, sizeof(why)),
	    WIN_ADMITTED);
	assert_int_equal(win_take(&w, k, 2, 1000, 900, why, sizeof(why)),
	    WIN_ADMITTED);
	assert_int_equal(win_give(&w, k, 2, 1000), 0);
	assert_int_equal(count1(&w, "u", "carol", 1001), 1);
	assert_int_equal(count1(&w, "i", "192.0.2.1/32", 1001), 1);
	win_close(&w);
}

/* Any limit holds across one step: a key at its limit adds to none. */
static void
test_a_limited_key_adds_nothing_to_the_others(void **state)
{
	struct win	w;
	struct win_key	k[2] = { { .kind = "u", .name = "dave", .limit = 1 },
			    { .kind = "i", .name = "192.0.2.2/32", .limit = 9 } };

	assert_int_equal(win_open(&w, dir, why, sizeof(why)), 0);
	assert_int_equal(win_take(&w, k, 2, 1000, 900, why, sizeof(why)),
	    WIN_ADMITTED);
	assert_int_equal(win_take(&w, k, 2, 1001, 900, why, sizeof(why)),
	    WIN_LIMITED);
	assert_int_equal(count1(&w, "i", "192.0.2.2/32", 1002), 1);
	win_close(&w);
}

/*
 * 20,000 other live keys, as a guesser would add them: the table grows
 * and the victim's count is still all there.
 */
static void
test_no_live_key_is_ever_dropped_for_room(void **state)
{
	struct win	w;
	char		name[32];
	uint32_t	live;
	int		i;

	assert_int_equal(win_open(&w, dir, why, sizeof(why)), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(take1(&w, "u", "victim", 5, 1000, NULL),
		    WIN_ADMITTED);
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "guess%d", i);
		assert_int_equal(take1(&w, "u", name, 5, 1001, NULL),
		    WIN_ADMITTED);
	}
	assert_int_equal(count1(&w, "u", "victim", 1002), 3);
	assert_int_equal(win_live(&w, 1002, 900, &live), 0);
	assert_int_equal(live, 20001);
	assert_true(w.nslots >= 2 * 20001);
	win_close(&w);
}

/*
 * Two new keys in one step may find the same free slot: the second must
 * go on to the next, or the first is lost.  1,700 such pairs in one
 * table of 4,096 slots, filled to 83%, make it happen many times.
 */
static void
test_two_new_keys_in_one_step_both_stay(void **state)
{
	struct win	w;
	struct win_key	k[2];
	char		a[32], b[32];
	int		i;

	assert_int_equal(win_open(&w, dir, why, sizeof(why)), 0);
	w.maxslots = WIN_SLOTSMIN;
	for (i = 0; i < 1700; i++) {
		snprintf(a, sizeof(a), "a%d", i);
		snprintf(b, sizeof(b), "b%d", i);
		k[0] = (struct win_key){ .kind = "u", .name = a, .limit = 5 };
		k[1] = (struct win_key){ .kind = "i", .name = b, .limit = 5 };
		assert_int_equal(win_take(&w, k, 2, 1000, 900, why,
		    sizeof(why)), WIN_ADMITTED);
	}
	for (i = 0; i < 1700; i++) {
		snprintf(a, sizeof(a), "a%d", i);
		snprintf(b, sizeof(b), "b%d", i);
		assert_int_equal(count1(&w, "u", a, 1000), 1);
		assert_int_equal(count1(&w, "i", b, 1000), 1);
	}
	win_close(&w);
}

/* When even the largest table is full of live keys, new keys are
 * refused and the old ones kept; once they expire, there is room. */
static void
test_full_refuses_new_keys_and_keeps_old_ones(void **state)
{
	struct win	w;
	char		name[32];
	int		i;

	assert_int_equal(win_open(&w, dir, why, sizeof(why)), 0);
	w.maxslots = WIN_SLOTSMIN;		/* 3584 live keys at most */
	for (i = 0; i < (int)(WIN_SLOTSMIN / 8 * 7); i++) {
		snprintf(name, sizeof(name), "k%d", i);
		assert_int_equal(take1(&w, "u", name, 5, 1000, NULL),
		    WIN_ADMITTED);
	}
	assert_int_equal(take1(&w, "u", "one-more", 5, 1000, NULL), WIN_FULL);
	assert_int_equal(take1(&w, "u", "k0", 5, 1000, NULL), WIN_ADMITTED);
	assert_int_equal(count1(&w, "u", "k0", 1000), 2);
	assert_int_equal(count1(&w, "u", "k3583", 1000), 1);
	/* the window has passed: the dead keys make room */
	assert_int_equal(take1(&w, "u", "one-more", 5, 1900, NULL),
	    WIN_ADMITTED);
	win_close(&w);
}

/* A process that opened the table before it was rebuilt finds the new
 * one, with everything counted in it. */
static void
test_a_rebuild_is_seen_by_other_openers(void **state)
{
	struct win	a, b;
	char		name[32];
	int		i, n;

	assert_int_equal(win_open(&a, dir, why, sizeof(why)), 0);
	assert_int_equal(win_open(&b, dir, why, sizeof(why)), 0);
	for (i = 0; i < 5000; i++) {	/* grows past 4096 slots */
		snprintf(name, sizeof(name), "g%d", i);
		assert_int_equal(take1(&a, "u", name, 5, 1000, NULL),
		    WIN_ADMITTED);
	}
	assert_true(a.nslots > WIN_SLOTSMIN);
	assert_int_equal(take1(&b, "u", "g4999", 2, 1000, &n), WIN_ADMITTED);
	assert_int_equal(n, 1);
	assert_int_equal(b.nslots, a.nslots);
	win_close(&a);
	win_close(&b);
}

/* 60 processes at once at a limit of 5: exactly 5 are admitted. */
static void
test_parallel_takes_are_counted_exactly(void **state)
{
	struct win	w;
	pid_t		pids[60];
	int		i, st, admitted = 0;

	assert_int_equal(win_open(&w, dir, why, sizeof(why)), 0);
	win_close(&w);
	for (i = 0; i < 60; i++) {
		if ((pids[i] = fork()) == 0) {
			struct win	c;

			if (win_open(&c, dir, why, sizeof(why)) != 0)
				_exit(2);
			_exit(take1(&c, "u", "erin", 5, 1000, NULL) ==
			    WIN_ADMITTED ? 0 : 1);
		}
		assert_true(pids[i] > 0);
	}
	for (i = 0; i < 60; i++) {
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) <= 1);
		admitted += WEXITSTATUS(st) == 0;
	}
	assert_int_equal(admitted, 5);
}

static void
test_a_corrupt_file_is_moved_aside(void **state)
{
	struct win	w;
	char		path[100], aside[120];
	FILE		*f;
	struct stat	st;

	snprintf(path, sizeof(path), "%s/failures", dir);
	snprintf(aside, sizeof(aside), "%s/failures.corrupt", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("not a table", f);
	fclose(f);
	assert_int_equal(win_open(&w, dir, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "was corrupt: moved to"));
	assert_int_equal(stat(aside, &st), 0);
	assert_int_equal(take1(&w, "u", "frank", 5, 1000, NULL), WIN_ADMITTED);
	win_close(&w);
}

/* The state file holds a secret: nobody else may read it. */
static void
test_the_file_is_private_and_keyed(void **state)
{
	struct win	a;
	char		path[100];
	struct stat	st;
	static const unsigned char zero[WIN_KEYLEN];

	assert_int_equal(win_open(&a, dir, why, sizeof(why)), 0);
	snprintf(path, sizeof(path), "%s/failures", dir);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(take1(&a, "u", "gina", 5, 1000, NULL), WIN_ADMITTED);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(memcmp(a.key, zero, sizeof(zero)) != 0);
	assert_true(win_hash(a.key, "u", "gina") != win_hash(zero, "u", "gina"));
	win_close(&a);
}

static void
test_unusable_directory(void **state)
{
	struct win	w;

	assert_int_equal(win_open(&w, "/nonexistent/state", why, sizeof(why)),
	    -1);
	assert_string_equal(why,
	    "/nonexistent/state/failures: No such file or directory");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_counts_up_to_the_limit_and_no_further, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_leave_the_window,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_give_takes_back_one_provisional_event, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_limited_key_adds_nothing_to_the_others, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_no_live_key_is_ever_dropped_for_room, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_two_new_keys_in_one_step_both_stay, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_full_refuses_new_keys_and_keeps_old_ones, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_rebuild_is_seen_by_other_openers, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_parallel_takes_are_counted_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_corrupt_file_is_moved_aside,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_the_file_is_private_and_keyed, setup, teardown),
		cmocka_unit_test(test_unusable_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
