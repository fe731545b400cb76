#!/usr/bin/env bats
# One test per row of the README's table "When something breaks".

load lib
bats_require_minimum_version 1.5.0

setup() {
	T="$BATS_TEST_TMPDIR"
	printf 'alice s3cret-Horse-9\n' > "$T/users"
	export CHECKPW_USERS="$T/users"
}

ran() { [ -e "$T/ran" ]; }

@test "relaygate: rules database missing: exit 100, nothing runs" {
	run -100 env TCPREMOTEIP=127.0.0.1 "$RG_BIN/relaygate" -l stderr -x "$T/none.cdb" touch "$T/ran"
	! ran
}

@test "relaygate: rules database corrupt or truncated: exit 111, nothing runs" {
	echo '127.:allow,RELAYCLIENT=""' | "$RG_BIN/relaygate-rules" "$T/r.cdb" "$T/r.tmp"
	head -c 2100 "$T/r.cdb" > "$T/t.cdb"
	run -111 env TCPREMOTEIP=127.0.0.1 "$RG_BIN/relaygate" -l stderr -x "$T/t.cdb" touch "$T/ran"
	! ran
}

@test "relaygate: POP stamp directory unusable: not a relay client" {
	run -0 env TCPREMOTEIP=127.0.0.1 "$RG_BIN/relaygate" -l stderr -p "$T/none" \
	    sh -c 'echo "RC=${RELAYCLIENT-unset}"'
	[[ "$output" == *"RC=unset"* ]]
}

@test "rblskip: DNS server down: accept by default, 451 with -c" {
	run -0 env TCPREMOTEIP=127.0.0.2 "$RG_BIN/rblskip" -l stderr -n 127.53.0.250:53 -r z.test \
	    touch "$T/ran" < /dev/null
	ran
	run env TCPREMOTEIP=127.0.0.2 "$RG_BIN/rblskip" -l stderr -n 127.53.0.250:53 -c -t 0 -r z.test \
	    true < /dev/null
	[[ "$output" == *"451 temporary RBL lookup error"* ]]
}

@test "rblskip: DNS answers of garbage and 127.255.255.x are DNS errors, never listings" {
	"$TOOLS/udpsink" -g 127.0.0.1 0 > "$T/port" &
	sink=$!
	for ((i = 0; i < 100; i++)); do [ -s "$T/port" ] && break; sleep 0.05; done
	run env TCPREMOTEIP=127.0.0.2 "$RG_BIN/rblskip" -l stderr -n "127.0.0.1:$(cat "$T/port")" \
	    -T 1000 -r z.test touch "$T/ran" < /dev/null
	stop_pid "$sink"
	[[ "$output" == *"z.test=error("* ]]
	ran
	# the error code itself, classified
	run env CMOCKA_MESSAGE_OUTPUT=TAP "$TOP/build/tests/test_dnsbl"
	[[ "$output" == *"ok 6 - test_answers_rfc5782"* ]]
}

@test "rblskip: no client address: exit 111, nothing runs" {
	run -111 env -u TCPREMOTEIP "$RG_BIN/rblskip" -l stderr -r z.test touch "$T/ran" < /dev/null
	! ran
}

@test "authfirst: certificate unreadable: exit 111, no session" {
	run -111 env RBLLISTED="z: x" TCPREMOTEIP=127.0.0.2 "$RG_BIN/authfirst" -l stderr \
	    -c "$T/none.pem" -k "$T/none.key" touch "$T/ran" < /dev/null
	! ran
}

@test "authfirst: TLS handshake fails: the session and the backend end" {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" \
	    -out "$T/cert.pem" -days 2 -subj /CN=t 2>/dev/null
	printf 'EHLO plain text where TLS was due\r\n' > "$T/in"
	run env TCPREMOTEIP=127.0.0.2 STANDIN_PARENT="$T/parents" "$RG_BIN/authfirst" -l stderr \
	    -m always -s -c "$T/cert.pem" -k "$T/key.pem" "$TOOLS/qmail-smtpd-standin" < "$T/in"
	[[ "$output" == *"tls handshake failed"* ]]
	# no clear text went out, and no backend was started
	[[ "$output" != *"220 "* ]]
	[ ! -e "$T/parents" ]
}

@test "authfirst: backend cannot be started: the session ends" {
	run -127 env RBLLISTED="z: x" TCPREMOTEIP=127.0.0.2 "$RG_BIN/authfirst" -l stderr \
	    "$T/no-such-backend" < /dev/null
	[[ "$output" == *"backend exited"* ]]
}

guard() {	# guard PASSWORD OPTIONS... CHECKER: one login
	local p=$1
	shift
	printf 'alice\0%s\0\0' "$p" > "$T/fd3"
	TCPREMOTEIP=127.0.0.9 "$RG_BIN/authguard" -l stderr "$@" 3< "$T/fd3"
}

@test "authguard: state directory unusable: the checker still decides" {
	run -0 guard s3cret-Horse-9 -s "$T/none" "$TESTTOOLS/checkpw" true
	[[ "$output" == *"failures are not counted"* ]]
	run -1 guard wrong -s "$T/none" "$TESTTOOLS/checkpw" true
}

@test "authguard: state file corrupt: moved aside, counting starts again" {
	mkdir "$T/s"
	echo junk > "$T/s/failures"
	run -0 guard s3cret-Horse-9 -s "$T/s" "$TESTTOOLS/checkpw" true
	[ -f "$T/s/failures.corrupt" ]
}

@test "authguard: banned list missing: the built-in list still refuses" {
	printf 'alice letmein\n' > "$T/users"
	mkdir "$T/s"
	run -1 guard letmein -s "$T/s" -b "$T/none.cdb" "$TESTTOOLS/checkpw" true
	[[ "$output" == *"weak password refused (one of the most common passwords)"* ]]
}

@test "authguard: checker fails temporarily: 111 passed on" {
	mkdir "$T/s"
	run -111 guard s3cret-Horse-9 -s "$T/s" sh -c 'exit 111'
	[[ "$output" == *"checker failed with status 111"* ]]
}

@test "poplock: stamp cannot be written: the login goes on" {
	run -0 env TCPREMOTEIP=127.0.0.1 "$RG_BIN/poplock" -l stderr -p "$T/none" touch "$T/ran"
	ran
	[[ "$output" == *"unable to stamp"* ]]
}

@test "qtriage: a damaged queue file is reported and skipped" {
	printf 's@example.org\tr:a@example.net\t192.0.2.1\th\t-\ts\t5\t\ns@example.org\tr:b@example.net\t192.0.2.2\th\t-\ts\t5\t\n' |
	    "$TOOLS/mkqueue" "$T/q" 2>/dev/null
	f=$(find "$T/q/info" -type f | head -n 1)
	printf 'garbage' > "$f"
	run -0 "$RG_BIN/qtriage" -q "$T/q" top -n 1
	[[ "$output" == *"warning: damaged $f"* ]]
	[[ "$output" == *"1 of the 1 messages"* ]]
}

@test "relaygate-rules: a bad rule: exit 100, old database kept" {
	echo '127.:allow' | "$RG_BIN/relaygate-rules" "$T/r.cdb" "$T/r.tmp"
	cp "$T/r.cdb" "$T/old"
	run -100 "$RG_BIN/relaygate-rules" "$T/r.cdb" "$T/r.tmp" <<< '127.0.0.1/33:allow'
	cmp "$T/old" "$T/r.cdb"
}

@test "relaygate-gen: a bad definition: exit 100, nothing written" {
	mkdir "$T/d"
	printf 'port = 25\nbogus = 1\n' > "$T/d/x"
	run -100 "$RG_BIN/relaygate-gen" -d "$T/d" xinetd "$T/out"
	[ ! -e "$T/out" ]
}

@test "relaygate-gen: /etc/services unwritable: exit 111, file unchanged" {
	mkdir "$T/etc"
	cp /etc/services "$T/etc/services"
	chattr +i "$T/etc" 2>/dev/null || skip "chattr is not supported here"
	run "$RG_BIN/relaygate-gen" -d "$TOP/services.d" services "$T/etc/services"
	chattr -i "$T/etc"
	[ "$status" -eq 111 ]
	cmp /etc/services "$T/etc/services"
}
