#!/usr/bin/env bats
# Hostile input, faults and load through the whole chain under a real
# xinetd: nothing crashes, leaks descriptors or processes, or opens the
# relay; refusals use the documented exit codes.

load lib
bats_require_minimum_version 1.5.0

setup_file() {
	export Z PORT
	Z=$(mktemp -d /tmp/rg-hostile.XXXXXX)
	test_zones "$Z"
	echo "$RBLDNS_PID" > "$Z/rbldnsd.pidof"
	mkdir -p "$Z/control" "$Z/state"
	echo example.test > "$Z/control/rcpthosts"
	echo mx.example.test > "$Z/control/me"
	printf 'alice s3cret-Horse-9\n' > "$Z/users"
	"$TOOLS/mkqueue" "$Z/queue" < /dev/null 2>/dev/null
	chmod -R 777 "$Z/queue"
	PORT=$("$TOOLS/freeport")
	{
		xinetd_defaults "$Z"
		xinetd_service hostile 127.0.0.1 "$PORT" "$RG_BIN/relaygate" \
		    "$RG_BIN/rblskip" -D -n "$RBLDNS_ADDR:53" -r listed.test \
		    "$RG_BIN/authfirst" -t 5 "$TOOLS/qmail-smtpd-standin" \
		    "$RG_BIN/authguard" -s "$Z/state" "$TESTTOOLS/checkpw" true
	} > "$Z/xinetd.conf"
	sed -i -e "s|^\tserver_args|\tenv\t\t= STANDIN_CONTROL=$Z/control STANDIN_QUEUE=$Z/queue CHECKPW_USERS=$Z/users STANDIN_PARENT=$Z/parents\n&|" \
	    -e 's/instances\t= 100/instances\t= 600/; s/per_source\t= 100/per_source\t= 600/' "$Z/xinetd.conf"
	start_xinetd "$Z"
	echo "$XINETD_PID" > "$Z/xinetd.pidof"
	wait_listen 127.0.0.1 "$PORT"
}

teardown_file() {
	stop_pid "$(cat "$Z/xinetd.pidof")"
	stop_pid "$(cat "$Z/rbldnsd.pidof")"
	rm -rf "$Z"
}

setup() {
	T="$BATS_TEST_TMPDIR"
}

queued() { "$RG_BIN/qtriage" -q "$Z/queue" stat | sed -n 's/^messages in queue: //p'; }

# Every process the chain started is gone, within 5 seconds.
no_stragglers() {
	local i
	for ((i = 0; i < 100; i++)); do
		pgrep -f "qmail-smtpd-standin" > /dev/null || return 0
		sleep 0.05
	done
	pgrep -af "qmail-smtpd-standin" >&2
	return 1
}

@test "500 concurrent sessions through the whole chain all succeed" {
	before=$(queued)
	run "$TOOLS/smtpflood" -c 500 -n 500 -s 127.0.0.1 127.0.0.1 "$PORT"
	[ "$status" -eq 0 ]
	[[ "$output" == "500 ok, 0 failed,"* ]]
	[ "$(queued)" -eq $((before + 500)) ]
	no_stragglers
}

@test "500 concurrent listed clients are all refused at MAIL, none relays" {
	before=$(queued)
	run "$TOOLS/smtpflood" -c 500 -n 500 -s 127.0.0.2 127.0.0.1 "$PORT"
	[[ "$output" == "0 ok, 500 failed,"* ]]
	[ "$(queued)" -eq "$before" ]
	no_stragglers
}

@test "a 1 MB command line: refused, the session goes on" {
	for src in 127.0.0.1 127.0.0.2; do
		{ printf 'EHLO x\r\n'; head -c 1048576 /dev/zero | tr '\0' A; printf '\r\nNOOP\r\nQUIT\r\n'; } > "$T/s"
		run "$TOOLS/tcpcat" -s "$src" 127.0.0.1 "$PORT" < "$T/s"
		[[ "$output" == *"500 "* ]]
		[[ "$output" == *"221 mx.example.test"* ]]
	done
}

@test "NUL bytes and bare LF: no verb hides behind a NUL" {
	printf 'EHLO x\nMAIL\0 FROM:<a@example.org>\r\nMAIL FROM:<a@example.org>\nRCPT TO:<v@elsewhere.test>\nQUIT\n' > "$T/s"
	run "$TOOLS/tcpcat" -s 127.0.0.2 127.0.0.1 "$PORT" < "$T/s"
	[[ "$output" == *"500 5.5.2 NUL byte in command"* ]]
	[[ "$output" == *"451 4.7.1 listed.test"* ]]
	[[ "$output" != *"250 ok"$'\r\n'"250 ok"* ]]
}

@test "a client that sends one byte at a time is served" {
	run bash -c "for c in E H L O ' ' x \$'\\r' \$'\\n' Q U I T \$'\\r' \$'\\n'; do printf '%s' \"\$c\"; sleep 0.1; done |
	    '$TOOLS/tcpcat' -s 127.0.0.2 127.0.0.1 $PORT"
	[[ "$output" == *"250 SIZE 0"* ]]
	[[ "$output" == *"221 mx.example.test"* ]]
}

@test "an idle client is dropped after authfirst's timeout" {
	run bash -c "{ printf 'EHLO x\r\n'; sleep 8; } | '$TOOLS/tcpcat' -s 127.0.0.2 127.0.0.1 $PORT"
	[[ "$output" == *"421 4.4.2 Idle timeout"* ]]
	no_stragglers
}

@test "a client that vanishes mid-DATA: no message, no orphan" {
	before=$(queued)
	{
		printf 'EHLO x\r\nAUTH PLAIN %s\r\n' "$(printf '\0alice\0s3cret-Horse-9' | base64 -w0)"
		printf 'MAIL FROM:<a@example.org>\r\nRCPT TO:<b@elsewhere.test>\r\nDATA\r\nSubject: half\r\n\r\nhalf a mess'
	} > "$T/s"
	run "$TOOLS/tcpcat" -s 127.0.0.2 127.0.0.1 "$PORT" < "$T/s"
	[[ "$output" == *"354 go ahead"* ]]
	no_stragglers
	[ "$(queued)" -eq "$before" ]
}

@test "no descriptor leaks into qmail-smtpd, gated or not" {
	# a backend that says which descriptors it was given
	cat > "$T/fds.c" <<'C'
#include <dirent.h>
#include <stdio.h>
int main(void) { DIR *d = opendir("/proc/self/fd"); struct dirent *e;
	while ((e = readdir(d)) != NULL) if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d)) printf("%s ", e->d_name);
	printf("\n"); return 0; }
C
	cc -include stdlib.h -o "$T/fds" "$T/fds.c"
	# what this test itself hands down, without the chain
	base=$(printf '' | "$T/fds" | tr ' ' '\n' | sort -n | tr '\n' ' ')
	[[ "$base" == " 0 1 2 "* ]]
	for listed in "" "zen: x"; do
		out=$(printf '' | RBLLISTED="$listed" TCPREMOTEIP=127.0.0.2 \
		    "$RG_BIN/relaygate" -l stderr "$RG_BIN/rblskip" -l stderr \
		    "$RG_BIN/authfirst" -l stderr "$T/fds" 2>/dev/null)
		[ "$(echo "$out" | tr ' ' '\n' | sort -n | tr '\n' ' ')" = "$base" ]
	done
}

@test "a DNS server that answers garbage is a DNS error: open by default, 451 with -c" {
	"$TOOLS/udpsink" -g 127.0.0.1 0 > "$T/port" &
	sink=$!
	for ((i = 0; i < 100; i++)); do [ -s "$T/port" ] && break; sleep 0.05; done
	run env TCPREMOTEIP=127.0.0.2 "$RG_BIN/rblskip" -l stderr -n "127.0.0.1:$(cat "$T/port")" \
	    -T 1000 -r listed.test "$TESTTOOLS/envprint" < /dev/null
	open=$output
	run env TCPREMOTEIP=127.0.0.2 "$RG_BIN/rblskip" -l stderr -n "127.0.0.1:$(cat "$T/port")" \
	    -T 1000 -c -t 0 -r listed.test true < /dev/null
	stop_pid "$sink"
	[[ "$open" == *"listed.test=error("* ]]
	[[ "$open" == *"TCPREMOTEIP=127.0.0.2"* ]]
	[[ "$output" == *"451 temporary RBL lookup error"* ]]
}

@test "files vanishing while qtriage reads the queue: reported, never fatal" {
	spec=$(for i in $(seq 1 300); do printf 's@example.org\tr:r%d@example.net\t192.0.2.%d\th\t-\ts\t5\t\n' "$i" $((i % 250)); done)
	"$TOOLS/mkqueue" "$T/q" <<< "$spec" 2>/dev/null
	( for f in "$T"/q/mess/*/*; do rm -f "$f"; done ) &
	remover=$!
	for i in 1 2 3 4 5; do
		run "$RG_BIN/qtriage" -q "$T/q" top -n 1
		[ "$status" -eq 0 ]
	done
	wait "$remover"
	run "$RG_BIN/qtriage" -q "$T/q" top -n 1
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 of the 0 messages"* ]] || [[ "$output" == *"no message file"* ]]
}

@test "a read-only state directory: logins go on, failures are not counted" {
	mkdir "$T/ro"
	chattr +i "$T/ro" 2>/dev/null || skip "chattr is not supported here"
	printf 'alice\0s3cret-Horse-9\0\0' > "$T/fd3"
	run env CHECKPW_USERS="$Z/users" TCPREMOTEIP=127.0.0.9 "$RG_BIN/authguard" \
	    -l stderr -s "$T/ro" "$TESTTOOLS/checkpw" true 3< "$T/fd3"
	chattr -i "$T/ro"
	[ "$status" -eq 0 ]
	[[ "$output" == *"failures are not counted"* ]]
	[[ "$output" == *"ok from 127.0.0.9: user alice"* ]]
}

@test "a full disk: authguard still checks logins, relaygate-rules keeps the old database whole" {
	mkdir "$T/full"
	mount -t tmpfs -o size=64k tmpfs "$T/full" 2>/dev/null || skip "cannot mount a small tmpfs here"
	echo '127.:allow' | "$RG_BIN/relaygate-rules" "$T/full/r.cdb" "$T/full/r.tmp"
	cp "$T/full/r.cdb" "$T/old.cdb"
	dd if=/dev/zero of="$T/full/fill" bs=4k 2>/dev/null || true
	printf 'alice\0s3cret-Horse-9\0\0' > "$T/fd3"
	run env CHECKPW_USERS="$Z/users" TCPREMOTEIP=127.0.0.9 "$RG_BIN/authguard" \
	    -l stderr -s "$T/full" "$TESTTOOLS/checkpw" true 3< "$T/fd3"
	gstatus=$status
	goutput=$output
	seq 1 5000 | sed 's/.*/10.0.&.0\/24:allow,RELAYCLIENT=""/' > "$T/many"
	sed -i 's/^10\.0\.\([0-9]*\)\.0/10.\1.0.0/; s/^\(10\.[0-9]*\)\.0\.0\/24/\1.0.0\/16/' "$T/many"
	awk -F. '$2 < 256' "$T/many" > "$T/rules"
	run "$RG_BIN/relaygate-rules" "$T/full/r.cdb" "$T/full/r.tmp" < "$T/rules"
	rstatus=$status
	cmp "$T/old.cdb" "$T/full/r.cdb"
	[ ! -e "$T/full/r.tmp" ]
	umount "$T/full"
	[ "$gstatus" -eq 0 ]
	[[ "$goutput" == *"ok from 127.0.0.9: user alice"* ]]
	[ "$rstatus" -eq 111 ]
}
