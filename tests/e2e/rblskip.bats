#!/usr/bin/env bats
# rblskip against a real rbldnsd, alone, in a chain under tcpserver and
# xinetd driven by swaks, and side by side with the real rblsmtpd.

load lib
bats_require_minimum_version 1.5.0

setup_file() {
	export Z
	Z=$(mktemp -d /tmp/rblskip-zones.XXXXXX)
	test_zones "$Z"
	echo "$RBLDNS_PID" > "$Z/rbldnsd.pidof"
	export DNS="$RBLDNS_ADDR"
	# an address where no DNS server runs at all
	export DEAD=127.53.0.250
}

teardown_file() {
	stop_pid "$(cat "$Z/rbldnsd.pidof")"
	rm -rf "$Z"
}

setup() {
	T="$BATS_TEST_TMPDIR"
}

# One SMTP conversation on stdin/stdout with the stand-in qmail-smtpd as
# the program behind; prints the reply codes, one a line.
SCRIPT=$'EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nSubject: t\r\n\r\nhello\r\n.\r\nQUIT\r\n'
converse() {	# converse IP PROGRAM ARGS...
	local ip=$1
	shift
	printf '%s' "$SCRIPT" | TCPREMOTEIP=$ip timeout 60 "$@" \
	    "$TOOLS/qmail-smtpd-standin" 2>/dev/null |
	    tr -d '\r' | cut -c1-3
}

# Run the same case through rblsmtpd and rblskip; both must give the
# same reply codes, and the codes must include WANT.
differ() {	# differ WANT IP [VAR=value ...] -- OPTIONS...
	local want=$1 ip=$2 a b
	shift 2
	local -a envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	a=$(env "${envs[@]}" bash -c "$(declare -f converse); SCRIPT=\$1; shift; converse \"\$@\"" _ "$SCRIPT" "$ip" rblsmtpd "$@")
	b=$(env "${envs[@]}" bash -c "$(declare -f converse); SCRIPT=\$1; shift; converse \"\$@\"" _ "$SCRIPT" "$ip" "$RG_BIN/rblskip" -l stderr "$@")
	echo "rblsmtpd: $(echo $a)"
	echo "rblskip:  $(echo $b)"
	[ "$a" = "$b" ]
	grep -qx "$want" <<< "$b"
}

@test "differential: listed client, same replies as rblsmtpd (451 at RCPT)" {
	differ 451 127.0.0.2 DNSCACHEIP="$DNS" -- -r listed.test
}

@test "differential: clean client reaches qmail-smtpd as under rblsmtpd" {
	differ 354 127.0.0.1 DNSCACHEIP="$DNS" -- -r listed.test
}

@test "differential: allow-listed client (-a) is let through" {
	differ 354 127.0.0.2 DNSCACHEIP="$DNS" -- -a allow.test -r listed.test
}

@test "differential: RBLSMTPD empty skips the lookups" {
	differ 354 127.0.0.2 DNSCACHEIP="$DNS" RBLSMTPD= -- -r listed.test
}

@test "differential: RBLSMTPD=-text refuses with 553" {
	differ 553 127.0.0.1 DNSCACHEIP="$DNS" "RBLSMTPD=-go away" -- -r listed.test
}

@test "differential: RBLSMTPD=text refuses with 451" {
	differ 451 127.0.0.1 DNSCACHEIP="$DNS" "RBLSMTPD=come back later" -- -r listed.test
}

@test "differential: -b refuses with 553, -B with 451" {
	differ 553 127.0.0.2 DNSCACHEIP="$DNS" -- -b -r listed.test
	differ 451 127.0.0.2 DNSCACHEIP="$DNS" -- -b -B -r listed.test
	# an option counts from where it is given, as in rblsmtpd
	differ 451 127.0.0.2 DNSCACHEIP="$DNS" -- -r listed.test -b
}

@test "differential: -t 0 sends only the error line" {
	differ 451 127.0.0.2 DNSCACHEIP="$DNS" -- -t 0 -r listed.test
}

@test "differential: DNS server down, fail open (-C) lets the client in" {
	differ 354 127.0.0.2 DNSCACHEIP="$DEAD" -- -r listed.test
}

@test "differential: DNS server down, fail closed (-c) refuses with 451" {
	differ 451 127.0.0.2 DNSCACHEIP="$DEAD" -- -c -r listed.test
}

rblskip() {	# rblskip IP OPTIONS...: one refusal-or-exec, logging to stderr
	local ip=$1
	shift
	printf 'HELO x\r\nRCPT TO:<a@b>\r\nQUIT\r\n' | TCPREMOTEIP=$ip \
	    "$RG_BIN/rblskip" -l stderr -n "$DNS:53" "$@" "$TESTTOOLS/envprint"
}

@test "A-only list: a listing without TXT still lists (RFC 5782)" {
	run rblskip 127.0.0.2 -r aonly.test
	[[ "$output" == *"451 listed in aonly.test"* ]]
	[[ "$output" == *"aonly.test=listed(127.0.0.2)"* ]]
}

@test "an answer in 127.255.255.0/24 is a DNS error, never a listing" {
	run rblskip 127.0.0.2 -r broken.test
	[[ "$output" == *"broken.test=error(answer 127.255.255.254 is an error code)"* ]]
	[[ "$output" == *"TCPREMOTEIP=127.0.0.2"* ]]
	run rblskip 127.0.0.2 -c -r broken.test
	[[ "$output" == *"451 temporary RBL lookup error"* ]]
}

@test "IPv6 clients are checked in nibble format" {
	run rblskip ::1 -r v6.test
	[[ "$output" == *"451 IPv6 client listed"* ]]
	run rblskip ::1 -r listed.test
	[[ "$output" == *"TCPREMOTEIP=::1"* ]]
}

@test "-r zone=codes lists only the return codes picked" {
	run rblskip 127.0.0.20 -r listed.test=127.0.0.3
	[[ "$output" == *"451 Dynamic address"* ]]
	run rblskip 127.0.0.2 -r listed.test=127.0.0.3-11
	[[ "$output" == *"listed.test=clean"* ]]
	[[ "$output" == *"TCPREMOTEIP=127.0.0.2"* ]]
}

@test "the refusal text is capped at 200 bytes" {
	run rblskip 127.0.0.30 -t 0 -r listed.test
	line=$(printf '%s\n' "$output" | grep '^451 ' | tr -d '\r')
	[ "${#line}" -eq 204 ]
}

@test "the decision follows the order of the options" {
	run rblskip 127.0.0.2 -r aonly.test -r v6.test
	[[ "$output" == *"451 listed in aonly.test"* ]]
	run rblskip 127.0.0.2 -a allow.test -r listed.test
	[[ "$output" == *"accept"* ]]
	[[ "$output" == *"TCPREMOTEIP=127.0.0.2"* ]]
	run rblskip 127.0.0.2 -r listed.test -a allow.test
	[[ "$output" == *"451 Listed at listed.test"* ]]
}

@test "RELAYCLIENT skips every lookup" {
	# no DNS server at all: a lookup would fail, and -c would refuse
	TCPREMOTEIP=127.0.0.2 RELAYCLIENT= run "$RG_BIN/rblskip" -l stderr -n "$DEAD:53" -c \
	    -r listed.test "$TESTTOOLS/envprint" <<< '' 
	[[ "$output" == *"accept (RELAYCLIENT set, no lookups)"* ]]
	[[ "$output" == *"RELAYCLIENT="* ]]
}

@test "defer mode (-D) hands the listing on in RBLLISTED instead of refusing" {
	run rblskip 127.0.0.2 -D -r listed.test
	[[ "$output" == *"RBLLISTED=listed.test: Listed at listed.test, see http://listed.test/127.0.0.2"* ]]
	[[ "$output" == *"RBLLISTED_CODE=451"* ]]
	[[ "$output" == *"defer 451"* ]]
	run rblskip 127.0.0.2 -D -b -r listed.test
	[[ "$output" == *"RBLLISTED_CODE=553"* ]]
	run rblskip 127.0.0.1 -D -r listed.test
	[[ "$output" == *"RBLLISTED unset"* ]]
}

@test "an unresponsive DNS server costs the deadline, then fails open or closed" {
	"$TOOLS/udpsink" 127.0.0.1 0 > "$T/port" &
	sink=$!
	for ((i = 0; i < 100; i++)); do [ -s "$T/port" ] && break; sleep 0.05; done
	port=$(cat "$T/port")
	TCPREMOTEIP=127.0.0.2 run "$RG_BIN/rblskip" -l stderr \
	    -n "127.0.0.1:$port" -T 300 -r listed.test -r aonly.test "$TESTTOOLS/envprint" < /dev/null
	open_out=$output
	TCPREMOTEIP=127.0.0.2 run "$RG_BIN/rblskip" -l stderr \
	    -n "127.0.0.1:$port" -T 300 -c -t 0 -r listed.test "$TESTTOOLS/envprint" < /dev/null
	stop_pid "$sink"
	[[ "$open_out" == *"listed.test=error(no answer in 300 ms) aonly.test=error(no answer in 300 ms)"* ]]
	[[ "$open_out" == *"PROTO"* ]]
	[[ "$output" == *"451 temporary RBL lookup error"* ]]
}

@test "one log line per decision: client, zones, milliseconds, decision" {
	run rblskip 127.0.0.20 -a allow.test -r listed.test
	n=$(printf '%s\n' "$output" | grep -c '^rblskip: pid')
	[ "$n" -eq 1 ]
	printf '%s\n' "$output" | grep -Eqx 'rblskip: pid [0-9]+: 127\.0\.0\.20: refuse 451 in [0-9]+ ms: allow:allow\.test=clean listed\.test=listed\(127\.0\.0\.3\): Dynamic address'
}

@test "no client address is an error, not a pass" {
	run -111 env -u TCPREMOTEIP "$RG_BIN/rblskip" -l stderr -r listed.test true < /dev/null
	[[ "$output" == *"fatal: no client address"* ]]
}

@test "bad options exit 100" {
	run -100 "$RG_BIN/rblskip" -r 'bad zone' true
	run -100 "$RG_BIN/rblskip" -r 'z=10.0.0.1' true
	run -100 "$RG_BIN/rblskip" -T 0 -r z true
	run -100 "$RG_BIN/rblskip" -r z
}
