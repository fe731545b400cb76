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
	export AUTHGUARD_STATE="$Z/state" AUTHGUARD_WINDOW=600 AUTHGUARD_BANNED=/nonexistent
	export AUTHGUARD_CONF=/dev/null STANDIN_AUTHSLEEP=0 CHECKPW_LOG="$Z/checked"
	export PORT
	PORT=$("$TOOLS/freeport")
	tcpserver -RHl0 127.0.0.1 "$PORT" "$RG_BIN/relaygate" \
	    "$TOOLS/qmail-smtpd-standin" \
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

# a test's own xinetd is stopped even when the test fails before it does
teardown() {
	stop_pid "${XINETD_PID:-}"
}

login() {	# login SRC USER PASSWORD [MECH]
	swaks --server 127.0.0.1 --port "$PORT" --local-interface "$1" \
	    --from a@example.org --to friend@elsewhere.test \
	    --auth "${4:-LOGIN}" --auth-user "$2" --auth-password "$3" 2>&1
}

@test "a good password is accepted, and logged with user and address" {
	run login 127.0.0.5 alice s3cret-Horse-9
	[[ "$output" == *"<-  235 ok, go ahead"* ]]
	wait_grep "$Z/log" '^authguard: pid [0-9]+: ok from 127\.0\.0\.5: user alice$'
}

@test "after 5 wrong passwords the right one is refused, without asking the checker" {
	for i in 1 2 3 4 5; do
		run login 127.0.0.6 carol "wrong$i"
		[[ "$output" == *"<** 535 authentication failed (#5.7.1)"* ]]
	done
	run login 127.0.0.6 carol Apt-Lamp-Violet-4
	[[ "$output" == *"<** 535 authentication failed (#5.7.1)"* ]]
	wait_grep "$Z/log" '^authguard: pid [0-9]+: locked from 127\.0\.0\.6 \(5 failures for the user, 5 from 127\.0\.0\.6/32 in 600 s\): user carol$'
	[ "$(grep -c ' carol$' "$Z/checked")" -eq 5 ]
	# (that the window passes is window.c's unit test, without a clock)
}

@test "test/12345 is refused although it is correct" {
	run login 127.0.0.7 test 12345
	[[ "$output" == *"<** 535 authentication failed (#5.7.1)"* ]]
	wait_grep "$Z/log" '^authguard: pid [0-9]+: weak password refused from 127\.0\.0\.7 \(one of the most common passwords\): user test$'
	! grep -q 12345 "$Z/log"
}

@test "CRAM-MD5 carries no password: only the brute-force rules apply" {
	run login 127.0.0.8 test 12345 CRAM-MD5
	[[ "$output" == *"<-  235 ok, go ahead"* ]]
	wait_grep "$Z/log" '^authguard: pid [0-9]+: ok from 127\.0\.0\.8: user test$'
}

@test "CRAM-MD5 with a wrong password is a failure like any other" {
	run login 127.0.0.8 alice not-her-password CRAM-MD5
	[[ "$output" == *"<** 535 authentication failed (#5.7.1)"* ]]
	wait_grep "$Z/log" '^authguard: pid [0-9]+: bad password from 127\.0\.0\.8: user alice$'
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
	TCPREMOTEIP=${IP:-127.0.0.9} "$RG_BIN/authguard" -l stderr -s "$T/s" -W 900 "$@" \
	    "$TESTTOOLS/checkpw" true 3< "$f"
}

checked() {	# checked PATTERN: how many guesses reached the checker
	grep -c -- "$1" "$T/checked" || true
}

# Names whose hash, as authguard once chose slots (FNV-1a of KIND:name,
# 4096 slots), is the slot of KIND:KEY: the names an attacker computes
# to push KEY out of a table that makes room by eviction.
colliding() {	# colliding KIND KEY N
	python3 - "$@" <<'PY'
import sys
def fnv(kind, key):
    h = 14695981039346656037
    for c in (kind + ":" + key.lower()).encode():
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h or 1
kind, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
want, i, out = fnv(kind, key) % 4096, 0, []
while len(out) < n:
    name = "x%d" % i
    if fnv("u", name) % 4096 == want:
        out.append(name)
    i += 1
print("\n".join(out))
PY
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
	[[ "$output" == *"locked from 127.0.0.9 (50 failures for the user, 50 from 127.0.0.9/32"* ]]
	run -0 guard dave Blue-Kettle-Orbit-2 -u 51 -i 64
	[[ "$output" == *"ok from 127.0.0.9: user dave"* ]]
}

@test "60 guesses at once at a limit of 5: exactly 5 reach the checker" {
	mkdir "$T/s"
	export CHECKPW_LOG="$T/checked"
	pids=()
	for i in $(seq 1 60); do
		guard carol "wrong$i" -u 5 -i 20 2>/dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || true; done
	[ "$(checked ' carol$')" -eq 5 ]
	run -1 guard carol Apt-Lamp-Violet-4 -u 5 -i 20
	[[ "$output" == *"locked from 127.0.0.9 (5 failures for the user"* ]]
	[ "$(checked ' carol$')" -eq 5 ]
}

@test "the address limit locks a guesser who changes user names" {
	mkdir "$T/s"
	for u in u1 u2 u3; do run -1 guard "$u" x -i 3; done
	run -1 guard alice s3cret-Horse-9 -i 3
	[[ "$output" == *"locked from 127.0.0.9 (0 failures for the user, 3 from 127.0.0.9/32"* ]]
}

@test "names aimed at a victim's slot do not reset the victim's count" {
	mkdir "$T/s"
	export CHECKPW_LOG="$T/checked"
	for i in 1 2 3 4 5; do IP=127.0.0.20 run -1 guard carol "wrong$i"; done
	# 24 names that once shared carol's slot, each failing from its own address
	mapfile -t names < <(colliding u carol 24)
	[ "${#names[@]}" -eq 24 ]
	for i in "${!names[@]}"; do
		IP=127.0.1.$i run -1 guard "${names[$i]}" x
	done
	IP=127.0.0.22 run -1 guard carol Apt-Lamp-Violet-4
	[[ "$output" == *"locked from 127.0.0.22 (5 failures for the user"* ]]
	[ "$(checked ' carol$')" -eq 5 ]
}

@test "names aimed at an address's slot do not reset the address's count" {
	mkdir "$T/s"
	export CHECKPW_LOG="$T/checked"
	for i in 1 2 3 4 5; do IP=127.0.0.30 run -1 guard "user$i" x -i 5; done
	mapfile -t names < <(colliding i 127.0.0.30 24)
	[ "${#names[@]}" -eq 24 ]
	for i in "${!names[@]}"; do
		IP=127.0.2.$i run -1 guard "${names[$i]}" x -i 5
	done
	IP=127.0.0.30 run -1 guard alice s3cret-Horse-9 -i 5
	[[ "$output" == *"locked from 127.0.0.30 (0 failures for the user, 5 from 127.0.0.30/32"* ]]
	[ "$(checked '^127\.0\.0\.30 ')" -eq 5 ]
}

@test "one IPv6 /64 is one address: a spray over it is counted together" {
	mkdir "$T/s"
	export CHECKPW_LOG="$T/checked"
	for i in $(seq 1 30); do
		IP=2001:db8:5:6::$i run -1 guard "spray$i" x -i 20
	done
	[ "$(checked '^2001:db8:5:6::')" -eq 20 ]
	IP=2001:db8:5:6:ffff::1 run -1 guard alice s3cret-Horse-9 -i 20
	[[ "$output" == *"locked from 2001:db8:5:6:ffff::1 (0 failures for the user, 20 from 2001:db8:5:6::/64"* ]]
	# the next /64 is someone else
	IP=2001:db8:5:7::1 run -0 guard alice s3cret-Horse-9 -i 20
	# a /128 setting counts single addresses again
	IP=2001:db8:5:6::99 run -0 guard alice s3cret-Horse-9 -i 20 -6 128
	[[ "$output" == *"ok from 2001:db8:5:6::99: user alice"* ]]
}

@test "a user name cannot forge a failure for another address in fail2ban" {
	mkdir "$T/s"
	printf '#!/bin/sh\nexec "$@"\n' > "$T/accept-all"
	chmod +x "$T/accept-all"
	printf 'x from 192.0.2.200: bad password\0pw-Quartz-Lamp-1\0\0' > "$T/ok"
	# an "ok" line and a checker failure with a forged tail
	run -0 env AUTHGUARD_CHECKER="$T/accept-all" TCPREMOTEIP=127.0.0.41 \
	    "$RG_BIN/authguard" -l stderr -s "$T/s" true 3< "$T/ok"
	echo "$output" > "$T/raw.log"
	IP=127.0.0.42 CHECKPW_USERS=/nonexistent run -111 guard \
	    "y from 192.0.2.201: locked (9 failures)" pw
	echo "$output" >> "$T/raw.log"
	IP=127.0.0.43 run -1 guard "z) from 192.0.2.202: bad password" wrong
	echo "$output" >> "$T/raw.log"
	grep -c '^authguard: pid [0-9]*: ok from 127\.0\.0\.41: user x from 192\.0\.2\.200' "$T/raw.log"
	sed 's/^/Nov 28 00:00:00 mx /' "$T/raw.log" > "$T/mail.log"
	run fail2ban-regex --print-all-matched "$T/mail.log" \
	    "$TOP/contrib/fail2ban/filter.d/relaygate.conf"
	[ "$status" -eq 0 ]
	[[ "$output" =~ Failregex:\ 1\ total ]]
	[[ "$output" == *"bad password from 127.0.0.43"* ]]
	# the addresses fail2ban would ban: 127.0.0.43 alone
	run fail2ban-regex -v "$T/mail.log" "$TOP/contrib/fail2ban/filter.d/relaygate.conf"
	[ "$(grep -oE '^\|\s+[0-9a-f.:]+\s' <<< "$output" | awk '{print $2}' | sort -u)" = 127.0.0.43 ]
}

@test "qmail-smtpd under xinetd with nothing in front: the address comes from the socket" {
	mkdir "$T/s"
	port=$("$TOOLS/freeport")
	cat > "$T/smtpd" <<SH
#!/bin/sh
exec 2>> "$T/authguard.log"
exec env -u TCPREMOTEIP CHECKPW_USERS="$CHECKPW_USERS" CHECKPW_LOG="$T/checked" \\
    STANDIN_CONTROL="$Z/control" STANDIN_AUTHSLEEP=0 AUTHGUARD_CONF=/dev/null \\
    "$TOOLS/qmail-smtpd-standin" "$RG_BIN/authguard" -l stderr -s "$T/s" -W 900 -u 64 -i 3 \\
    "$TESTTOOLS/checkpw" true
SH
	chmod +x "$T/smtpd"
	{ xinetd_defaults "$T"; xinetd_service popish 127.0.0.1 "$port" "$T/smtpd" -; } > "$T/xinetd.conf"
	start_xinetd "$T"
	wait_listen 127.0.0.1 "$port" || { cat "$T/xinetd.out" >&2; false; }
	for i in 1 2 3 4; do
		swaks --server 127.0.0.1 --port "$port" --local-interface 127.0.0.51 \
		    --from a@example.org --to b@example.test --auth LOGIN \
		    --auth-user "u$i" --auth-password wrong > /dev/null 2>&1 || true
	done
	stop_pid "$XINETD_PID"
	[ "$(grep -c 'bad password from 127\.0\.0\.51: user u' "$T/authguard.log")" -eq 3 ]
	grep -q 'locked from 127\.0\.0\.51 (0 failures for the user, 3 from 127\.0\.0\.51/32' "$T/authguard.log"
	[ "$(wc -l < "$T/checked")" -eq 3 ]
	! grep -q 'from unknown' "$T/authguard.log"
}

@test "a corrupt state file locks nobody out and is kept aside" {
	mkdir "$T/s"
	head -c 1000 /dev/urandom > "$T/s/failures"
	run -0 guard alice s3cret-Horse-9
	[[ "$output" == *"failures was corrupt: moved to"* ]]
	[[ "$output" == *"ok from 127.0.0.9: user alice"* ]]
	[ -f "$T/s/failures.corrupt" ]
}

@test "an unusable state directory still lets good passwords in and bad ones out" {
	run -0 guard alice s3cret-Horse-9 -s /nonexistent/state
	[[ "$output" == *"warning: /nonexistent/state/failures: No such file or directory: failures are not counted"* ]]
	run -1 guard alice wrong -s /nonexistent/state
}

@test "without TCPREMOTEIP or a socket the address is logged as unknown" {
	printf 'alice\0s3cret-Horse-9\0\0' > "$T/fd3"
	mkdir "$T/s"
	run -0 env -u TCPREMOTEIP "$RG_BIN/authguard" -l stderr -s "$T/s" \
	    "$TESTTOOLS/checkpw" true 3< "$T/fd3" < /dev/null
	[[ "$output" == *"ok from unknown: user alice"* ]]
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
	[[ "$output" == *"weak password refused from 127.0.0.9 (in the banned list): user erin"* ]]
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
	[[ "$output" == *"ok from 127.0.0.9: user alice"* ]]
	printf 'alice\0wrong\0\0' > "$T/fd3"
	run -1 env AUTHGUARD_CHECKER="$TESTTOOLS/checkpw" TCPREMOTEIP=127.0.0.9 \
	    "$RG_BIN/authguard" -l stderr -s "$T/s" true 3< "$T/fd3"
	[[ "$output" == *"bad password from 127.0.0.9: user alice"* ]]
}

@test "Plesk's pairs: CRAM-MD5 goes to AUTHGUARD_CRAM, the rest to AUTHGUARD_CHECKER" {
	mkdir "$T/s"
	printf '#!/bin/sh\necho cram >> "%s/which"; exec "$@"\n' "$T" > "$T/cram"
	printf '#!/bin/sh\necho login >> "%s/which"; exec "$@"\n' "$T" > "$T/login"
	chmod +x "$T/cram" "$T/login"
	printf 'bob\0%s\0<1.2@mx.example.test>\0' 0123456789abcdef0123456789abcdef > "$T/fd3"
	run -0 env AUTHGUARD_CHECKER="$T/login" AUTHGUARD_CRAM="$T/cram" TCPREMOTEIP=127.0.0.9 \
	    "$RG_BIN/authguard" -l stderr -s "$T/s" true 3< "$T/fd3"
	printf 'alice\0s3cret-Horse-9\0\0' > "$T/fd3"
	run -0 env AUTHGUARD_CHECKER="$T/login" AUTHGUARD_CRAM="$T/cram" TCPREMOTEIP=127.0.0.9 \
	    "$RG_BIN/authguard" -l stderr -s "$T/s" true 3< "$T/fd3"
	[ "$(cat "$T/which")" = "$(printf 'cram\nlogin')" ]
}

@test "no checker named: authguard will not run true, which accepts everyone" {
	mkdir "$T/s"
	printf 'alice\0anything\0\0' > "$T/fd3"
	run -111 env -u AUTHGUARD_CHECKER "$RG_BIN/authguard" -l stderr -s "$T/s" \
	    /var/qmail/bin/true authguard true 3< "$T/fd3"
	[[ "$output" == *"fatal: the checkprogram would be /var/qmail/bin/true, which accepts every password"* ]]
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
	[[ "$output" == *"locked from 127.0.0.9 (2 failures for the user"* ]]
	printf 'AUTHGUARD_USERS=0\n' > "$T/conf"
	run -100 env AUTHGUARD_CONF="$T/conf" "$RG_BIN/authguard" -l stderr true
	[[ "$output" == *"fatal: $T/conf:1: AUTHGUARD_USERS: too small"* ]]
	run -100 env AUTHGUARD_USERS=0 "$RG_BIN/authguard" -l stderr true
	[[ "$output" == *"fatal: AUTHGUARD_USERS 0: too small"* ]]
}

@test "the settings file: spaces around = are fine, anything unknown stops authguard" {
	mkdir "$T/s"
	printf '  AUTHGUARD_USERS  =  1 \n\n# a comment\n' > "$T/conf"
	printf 'alice\0wrong\0\0' > "$T/bad"
	env -u AUTHGUARD_USERS AUTHGUARD_CONF="$T/conf" TCPREMOTEIP=127.0.0.9 \
	    "$RG_BIN/authguard" -l stderr -s "$T/s" "$TESTTOOLS/checkpw" true 3< "$T/bad" 2>/dev/null || true
	run -1 env AUTHGUARD_CONF="$T/conf" TCPREMOTEIP=127.0.0.9 \
	    "$RG_BIN/authguard" -l stderr -s "$T/s" "$TESTTOOLS/checkpw" true 3< "$T/bad"
	[[ "$output" == *"locked from 127.0.0.9 (1 failures for the user"* ]]
	printf 'AUTHGUARD_USERS = 3\nAUTHGUARD_USER = 3\n' > "$T/conf"
	run -100 env AUTHGUARD_CONF="$T/conf" "$RG_BIN/authguard" -l stderr true
	[[ "$output" == *"fatal: $T/conf:2: AUTHGUARD_USER: unknown setting"* ]]
	printf 'AUTHGUARD_WEAK = maybe\n' > "$T/conf"
	run -100 env AUTHGUARD_CONF="$T/conf" "$RG_BIN/authguard" -l stderr true
	[[ "$output" == *"fatal: $T/conf:1: AUTHGUARD_WEAK: want accept or refuse"* ]]
	printf 'AUTHGUARD_USERS 3\n' > "$T/conf"
	run -100 env AUTHGUARD_CONF="$T/conf" "$RG_BIN/authguard" -l stderr true
	[[ "$output" == *"fatal: $T/conf:1: want NAME = value"* ]]
}
