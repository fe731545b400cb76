#!/usr/bin/env bats
# authguard in front of a test checkpassword, called by the qmail-smtpd
# stand-in as the qmail AUTH patch calls it, driven by swaks.

load lib
bats_require_minimum_version 1.5.0

setup_file() {
	export Z
	Z=$(mktemp -d /tmp/rg-authguard.XXXXXX)
	mkdir -p "$Z/state" "$Z/control"
	echo example.test > "$Z/control/rcpthosts"
	printf 'test 12345\nalice s3cret-Horse-9\ncarol Apt-Lamp-Violet-4\n' > "$Z/users"
	# a single word in front of the checker: settings from the environment
	export CHECKPW_USERS="$Z/users" STANDIN_CONTROL="$Z/control"
	export AUTHGUARD_STATE="$Z/state" AUTHGUARD_WINDOW=2 AUTHGUARD_BANNED=/nonexistent
	export PORT
	PORT=$("$TOOLS/freeport")
	tcpserver -RHl0 127.0.0.1 "$PORT" "$RG_BIN/relaygate" \
	    "$TOOLS/qmail-smtpd-standin" mx.example.test \
	    "$RG_BIN/authguard" "$TESTTOOLS/checkpw" true 2> "$Z/log" &
	echo $! > "$Z/tcpserver.pidof"
	wait_listen 127.0.0.1 "$PORT"
}

teardown_file() {
	stop_pid "$(cat "$Z/tcpserver.pidof")"
	rm -rf "$Z"
}

setup() {
	T="$BATS_TEST_TMPDIR"
}

login() {	# login SRC USER PASSWORD [MECH]
	swaks --server 127.0.0.1 --port "$PORT" --local-interface "$1" \
	    --from a@example.org --to friend@elsewhere.test \
	    --auth "${4:-LOGIN}" --auth-user "$2" --auth-password "$3" 2>&1
}

@test "a good password is accepted, and logged with user and address" {
	run login 127.0.0.5 alice s3cret-Horse-9
	[[ "$output" == *"<-  235 ok, go ahead"* ]]
	wait_grep "$Z/log" '^authguard: pid [0-9]+: alice from 127\.0\.0\.5: ok$'
}

@test "after 5 wrong passwords the right one is refused, until the window has passed" {
	for i in 1 2 3 4 5; do
		run login 127.0.0.6 carol "wrong$i"
		[[ "$output" == *"<** 535 authorization failed"* ]]
	done
	run login 127.0.0.6 carol Apt-Lamp-Violet-4
	[[ "$output" == *"<** 535 authorization failed"* ]]
	wait_grep "$Z/log" '^authguard: pid [0-9]+: carol from 127\.0\.0\.6: locked \(5 failures for the user'
	# the window is 2 seconds: let it pass
	sleep 2.2
	run login 127.0.0.6 carol Apt-Lamp-Violet-4
	[[ "$output" == *"<-  235 ok, go ahead"* ]]
}

@test "test/12345 is refused although it is correct" {
	run login 127.0.0.7 test 12345
	[[ "$output" == *"<** 535 authorization failed"* ]]
	wait_grep "$Z/log" '^authguard: pid [0-9]+: test from 127\.0\.0\.7: weak password refused \(one of the most common passwords\)$'
	! grep -q 12345 "$Z/log"
}

@test "CRAM-MD5 carries no password: only the brute-force rules apply" {
	run login 127.0.0.8 test 12345 CRAM-MD5
	[[ "$output" == *"<-  235 ok, go ahead"* ]]
}

@test "fail2ban-regex matches the failures and not the successes" {
	wait_grep "$Z/log" 'bad password'
	grep '^authguard:' "$Z/log" | sed 's/^/Nov 28 00:00:00 mx /' > "$T/mail.log"
	want=$(grep -cE 'bad password|locked|weak password refused' "$T/mail.log")
	[ "$want" -ge 7 ]
	run fail2ban-regex "$T/mail.log" "$TOP/contrib/fail2ban/filter.d/relaygate.conf"
	[ "$status" -eq 0 ]
	[[ "$output" =~ Failregex:\ $want\ total ]]
	[[ "$output" == *"127.0.0.6"* ]] || [[ "$output" =~ Lines:\ [0-9]+\ lines,\ 0\ ignored,\ $want\ matched ]]
}

guard() {	# guard USER PASSWORD OPTIONS...: one attempt, directly
	local u=$1 p=$2 f
	shift 2
	f=$(mktemp "$T/fd3.XXXXXX")
	printf '%s\0%s\0\0' "$u" "$p" > "$f"
	TCPREMOTEIP=127.0.0.9 "$RG_BIN/authguard" -l stderr -s "$T/s" "$@" \
	    "$TESTTOOLS/checkpw" true 3< "$f"
}

@test "50 parallel wrong attempts are all counted" {
	mkdir "$T/s"
	pids=()
	for i in $(seq 1 50); do
		guard dave "wrong$i" -u 64 -i 64 2>/dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || true; done
	printf 'dave Blue-Kettle-Orbit-2\n' >> "$CHECKPW_USERS"
	# exactly 50: locked at a limit of 50, not at 51
	run -1 guard dave Blue-Kettle-Orbit-2 -u 50 -i 64
	[[ "$output" == *"locked (50 failures for the user, 50 from the address"* ]]
	run -0 guard dave Blue-Kettle-Orbit-2 -u 51 -i 64
	[[ "$output" == *"dave from 127.0.0.9: ok"* ]]
}

@test "the address limit locks a guesser who changes user names" {
	mkdir "$T/s"
	for u in u1 u2 u3; do run -1 guard "$u" x -i 3; done
	run -1 guard alice s3cret-Horse-9 -i 3
	[[ "$output" == *"locked (0 failures for the user, 3 from the address"* ]]
}

@test "a corrupt state file locks nobody out and is kept aside" {
	mkdir "$T/s"
	head -c 1000 /dev/urandom > "$T/s/failures"
	run -0 guard alice s3cret-Horse-9
	[[ "$output" == *"failures was corrupt: moved to"* ]]
	[[ "$output" == *"alice from 127.0.0.9: ok"* ]]
	[ -f "$T/s/failures.corrupt" ]
}

@test "an unusable state directory still lets good passwords in and bad ones out" {
	run -0 guard alice s3cret-Horse-9 -s /nonexistent/state
	[[ "$output" == *"warning: /nonexistent/state/failures: No such file or directory: failures are not counted"* ]]
	run -1 guard alice wrong -s /nonexistent/state
}

@test "without TCPREMOTEIP the address is logged as unknown" {
	printf 'alice\0s3cret-Horse-9\0\0' > "$T/fd3"
	mkdir "$T/s"
	run -0 env -u TCPREMOTEIP "$RG_BIN/authguard" -l stderr -s "$T/s" \
	    "$TESTTOOLS/checkpw" true 3< "$T/fd3"
	[[ "$output" == *"alice from unknown: ok"* ]]
}

@test "fd 3 over 512 bytes, or without its NUL bytes, is misuse (exit 2)" {
	head -c 600 /dev/zero | tr '\0' a > "$T/fd3"
	run -2 "$RG_BIN/authguard" -l stderr -s "$T" "$TESTTOOLS/checkpw" true 3< "$T/fd3"
	[[ "$output" == *"more than 512 bytes on fd 3"* ]]
	printf 'alice' > "$T/fd3"
	run -2 "$RG_BIN/authguard" -l stderr -s "$T" "$TESTTOOLS/checkpw" true 3< "$T/fd3"
}

@test "a banned list built from a word list refuses a dictionary word" {
	printf 'zebra\nQuartz\n# comment\n' | "$RG_BIN/authguard" -l stderr -m "$T/b.cdb" "$T/b.tmp"
	printf 'erin quartz\n' >> "$CHECKPW_USERS"
	mkdir "$T/s"
	run -1 guard erin quartz -b "$T/b.cdb"
	[[ "$output" == *"weak password refused (in the banned list)"* ]]
}

@test "audit lists weak accounts and why, never a password" {
	printf '+---------+---------+\n| address | password |\n| test@example.com | 12345 |\n| bob@example.com | bob |\n| carol@example.com | Apt-Lamp-Violet-4 |\n' > "$T/accounts"
	run "$RG_BIN/authguard" -a -b /nonexistent < "$T/accounts"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "test@example.com: weak: one of the most common passwords" ]
	[ "${lines[1]}" = "bob@example.com: weak: equal to the mailbox name" ]
	[ "${lines[2]}" = "3 accounts, 2 with weak passwords" ]
	[[ "$output" != *12345* ]]
	[[ "$output" != *Apt-Lamp* ]]
}

@test "Plesk's pairs: authguard in the checker's place, the checker from AUTHGUARD_CHECKER" {
	mkdir "$T/s"
	printf 'alice\0s3cret-Horse-9\0\0' > "$T/fd3"
	run -0 env AUTHGUARD_CHECKER="$TESTTOOLS/checkpw" TCPREMOTEIP=127.0.0.9 \
	    "$RG_BIN/authguard" -l stderr -s "$T/s" true 3< "$T/fd3"
	[[ "$output" == *"alice from 127.0.0.9: ok"* ]]
	printf 'alice\0wrong\0\0' > "$T/fd3"
	run -1 env AUTHGUARD_CHECKER="$TESTTOOLS/checkpw" TCPREMOTEIP=127.0.0.9 \
	    "$RG_BIN/authguard" -l stderr -s "$T/s" true 3< "$T/fd3"
	[[ "$output" == *"alice from 127.0.0.9: bad password"* ]]
}

@test "settings from a file are checked as strictly as options" {
	mkdir "$T/s"
	printf '# authguard.conf\nAUTHGUARD_STATE=%s\nAUTHGUARD_USERS=2\n' "$T/s" > "$T/conf"
	printf 'alice\0wrong\0\0' > "$T/bad"
	for i in 1 2; do
		env -u AUTHGUARD_STATE -u AUTHGUARD_WINDOW AUTHGUARD_CONF="$T/conf" TCPREMOTEIP=127.0.0.9 \
		    "$RG_BIN/authguard" -l stderr "$TESTTOOLS/checkpw" true 3< "$T/bad" 2>/dev/null || true
	done
	printf 'alice\0s3cret-Horse-9\0\0' > "$T/good"
	run -1 env -u AUTHGUARD_STATE -u AUTHGUARD_WINDOW AUTHGUARD_CONF="$T/conf" TCPREMOTEIP=127.0.0.9 \
	    "$RG_BIN/authguard" -l stderr "$TESTTOOLS/checkpw" true 3< "$T/good"
	[[ "$output" == *"locked (2 failures for the user"* ]]
	printf 'AUTHGUARD_USERS=0\n' > "$T/conf"
	run -100 env AUTHGUARD_CONF="$T/conf" "$RG_BIN/authguard" -l stderr true
	[[ "$output" == *"fatal: AUTHGUARD_USERS 0: too small"* ]]
}
