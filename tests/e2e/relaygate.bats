#!/usr/bin/env bats
# relaygate under a real xinetd and a real tcpserver, on loopback.

load lib

setup_file() {
	export D="$BATS_FILE_TMPDIR"
	mkdir -p "$D/pop" "$D/marks"
	cat > "$D/rules.txt" <<'RULES'
# relay clients
127.0.0.1:allow,RELAYCLIENT="",RBLSMTPD=""
127.0.0.3:deny
127.0.0.0/8:allow,RBLSMTPD="-go away"
::1:allow,RELAYCLIENT=""
RULES
	"$RG_BIN/relaygate-rules" "$D/rules.cdb" "$D/rules.tmp" < "$D/rules.txt"

	export XPORT X6PORT TPORT PPORT
	XPORT=$("$TOOLS/freeport")
	X6PORT=$("$TOOLS/freeport" ::1)
	{
		xinetd_defaults "$D"
		xinetd_service rg-test 127.0.0.1 "$XPORT" "$RG_BIN/relaygate" \
		    -x "$D/rules.cdb" -p "$D/pop" "$TESTTOOLS/envprint" "$D/marks"
		xinetd_service rg-test6 ::1 "$X6PORT" "$RG_BIN/relaygate" \
		    -x "$D/rules.cdb" "$TESTTOOLS/envprint" "$D/marks"
	} > "$D/xinetd.conf"
	start_xinetd "$D"
	echo "$XINETD_PID" > "$D/xinetd.pidof"
	wait_listen 127.0.0.1 "$XPORT"
	wait_listen ::1 "$X6PORT"

	TPORT=$("$TOOLS/freeport")
	tcpserver -v -RHl0 127.0.0.1 "$TPORT" "$RG_BIN/relaygate" \
	    -x "$D/rules.cdb" -p "$D/pop" "$TESTTOOLS/envprint" "$D/marks" \
	    2> "$D/tcpserver.log" &
	echo $! > "$D/tcpserver.pidof"
	wait_listen 127.0.0.1 "$TPORT"

	# a POP3 login chain that stamps the client for POP-before-SMTP
	PPORT=$("$TOOLS/freeport")
	tcpserver -RHl0 127.0.0.1 "$PPORT" "$RG_BIN/poplock" -p "$D/pop" \
	    "$TESTTOOLS/envprint" 2> "$D/pop.log" &
	echo $! > "$D/pop.pidof"
	wait_listen 127.0.0.1 "$PPORT"
}

# a test's own xinetd is stopped even when the test fails before it does
teardown() {
	stop_pid "${XINETD_PID:-}"
}

teardown_file() {
	stop_pid "$(cat "$D/xinetd.pidof")"
	stop_pid "$(cat "$D/tcpserver.pidof")"
	stop_pid "$(cat "$D/pop.pidof")"
}

from() {	# from SRC HOST PORT: connect and print what the server says
	"$TOOLS/tcpcat" -s "$1" "$2" "$3" < /dev/null
}

marks() {
	find "$D/marks" -name 'ran.*' | wc -l
}

@test "xinetd: relay client gets RELAYCLIENT and RBLSMTPD from its rule" {
	run from 127.0.0.1 127.0.0.1 "$XPORT"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'RELAYCLIENT=\n'* ]]
	[[ "$output" == *$'RBLSMTPD=\n'* ]]
	[[ "$output" == *"RELAYGATE_RULE=127.0.0.1/32"* ]]
}

@test "xinetd: TCP variables come from the socket" {
	run from 127.0.0.2 127.0.0.1 "$XPORT"
	[[ "$output" == *"PROTO=TCP"* ]]
	[[ "$output" == *"TCPREMOTEIP=127.0.0.2"* ]]
	[[ "$output" == *"TCPLOCALIP=127.0.0.1"* ]]
	[[ "$output" == *"TCPLOCALPORT=$XPORT"* ]]
	[[ "$output" =~ TCPREMOTEPORT=[1-9][0-9]* ]]
}

@test "xinetd: stranger gets no RELAYCLIENT and its rule's RBLSMTPD" {
	run from 127.0.0.2 127.0.0.1 "$XPORT"
	[[ "$output" == *"RELAYCLIENT unset"* ]]
	[[ "$output" == *"RBLSMTPD=-go away"* ]]
	[[ "$output" == *"RELAYGATE_RULE=127.0.0.0/8"* ]]
}

@test "xinetd: the client receives the program's bytes and nothing else" {
	run from 127.0.0.2 127.0.0.1 "$XPORT"
	# exactly the ten lines envprint writes: no log line on fd 2
	[ "${#lines[@]}" -eq 10 ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -cv -e '=' -e ' unset$')" -eq 0 ]
	[[ "$output" != *relaygate* ]]
}

@test "xinetd: deny closes the connection without running the program" {
	before=$(marks)
	run from 127.0.0.3 127.0.0.1 "$XPORT"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(marks)" -eq "$before" ]
}

@test "xinetd: IPv6 client ::1 gets its IPv6 address and rule" {
	run from ::1 ::1 "$X6PORT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"TCPREMOTEIP=::1"* ]]
	[[ "$output" == *"TCPLOCALIP=::1"* ]]
	[[ "$output" == *$'RELAYCLIENT=\n'* ]]
	[[ "$output" == *"RELAYGATE_RULE=::1/128"* ]]
}

@test "xinetd: IPv4-mapped client on an IPv6 socket is reported as IPv4" {
	# free on :: (every address), not only on 127.0.0.1
	port=$("$TOOLS/freeport" ::)
	conf="$BATS_TEST_TMPDIR"
	{
		xinetd_defaults "$conf"
		xinetd_service rg-mapped :: "$port" "$RG_BIN/relaygate" \
		    -x "$D/rules.cdb" "$TESTTOOLS/envprint"
	} > "$conf/xinetd.conf"
	# bind = :: takes IPv4 too; only loopback clients connect to it
	start_xinetd "$conf"
	wait_listen 127.0.0.1 "$port" || { cat "$conf/xinetd.out" >&2; false; }
	run from 127.0.0.2 127.0.0.1 "$port"
	stop_pid "$XINETD_PID"
	[[ "$output" == *"TCPREMOTEIP=127.0.0.2"* ]]
	[[ "$output" == *"RBLSMTPD=-go away"* ]]
}

@test "tcpserver: rules give the same environment as under xinetd" {
	run from 127.0.0.1 127.0.0.1 "$TPORT"
	[[ "$output" == *$'RELAYCLIENT=\n'* ]]
	[[ "$output" == *"TCPREMOTEIP=127.0.0.1"* ]]
	run from 127.0.0.2 127.0.0.1 "$TPORT"
	[[ "$output" == *"RELAYCLIENT unset"* ]]
	[[ "$output" == *"RBLSMTPD=-go away"* ]]
}

@test "tcpserver: one log line per connection on stderr" {
	run from 127.0.0.2 127.0.0.1 "$TPORT"
	grep -E "^relaygate: pid [0-9]+: 127\.0\.0\.2:[0-9]+ -> 127\.0\.0\.1:$TPORT: norelay \(rule 127\.0\.0\.0/8\)$" "$D/tcpserver.log"
}

@test "tcpserver: deny exits 100 without running the program" {
	before=$(marks)
	run from 127.0.0.3 127.0.0.1 "$TPORT"
	[ -z "$output" ]
	[ "$(marks)" -eq "$before" ]
	grep -q "127.0.0.3:[0-9]* -> 127.0.0.1:$TPORT: deny" "$D/tcpserver.log"
	# tcpserver -v logs the raw wait status: exit 100 is 25600
	grep -q "status 25600" "$D/tcpserver.log"
}

@test "POP-before-SMTP: a POP login stamps the client, which may then relay" {
	run from 127.0.0.5 127.0.0.1 "$TPORT"
	[[ "$output" == *"RELAYCLIENT unset"* ]]
	run from 127.0.0.5 127.0.0.1 "$PPORT"
	[ -f "$D/pop/127.0.0.5" ]
	run from 127.0.0.5 127.0.0.1 "$TPORT"
	[[ "$output" == *$'RELAYCLIENT=\n'* ]]
	[[ "$output" == *$'RBLSMTPD=\n'* ]]
	grep -q "127.0.0.5:[0-9]* -> .*: relay (rule 127.0.0.0/8, pop stamp [0-9]*s old)" "$D/tcpserver.log"
}

@test "POP-before-SMTP: an expired stamp does not relay" {
	touch -d '-2 hours' "$D/pop/127.0.0.6"
	run from 127.0.0.6 127.0.0.1 "$TPORT"
	[[ "$output" == *"RELAYCLIENT unset"* ]]
}
