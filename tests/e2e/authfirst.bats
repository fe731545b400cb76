#!/usr/bin/env bats
# authfirst behind rblskip -D, in front of the qmail-smtpd stand-in, with a
# real rbldnsd, under xinetd and tcpserver, driven by swaks.

load lib
bats_require_minimum_version 1.5.0

setup_file() {
	export Z
	Z=$(mktemp -d /tmp/rg-authfirst.XXXXXX)
	test_zones "$Z"
	echo "$RBLDNS_PID" > "$Z/rbldnsd.pidof"
	mkdir -p "$Z/control" "$Z/queue"
	chmod 755 "$Z/queue"
	echo example.test > "$Z/control/rcpthosts"
	echo mx.example.test > "$Z/control/me"
	printf 'test 12345\nalice s3cret-Horse\n' > "$Z/users"
	echo '127.0.0.3:allow,RELAYCLIENT=""' |
	    "$RG_BIN/relaygate-rules" "$Z/rules.cdb" "$Z/rules.tmp"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$Z/key.pem" \
	    -out "$Z/cert.pem" -days 2 -subj /CN=mx.example.test 2>/dev/null
	export STANDIN_CONTROL="$Z/control" STANDIN_QUEUE="$Z/queue"
	export CHECKPW_USERS="$Z/users" STANDIN_PARENT="$Z/parents"
	local gate="$RG_BIN/relaygate -x $Z/rules.cdb"
	local rbl="$RG_BIN/rblskip -D -n $RBLDNS_ADDR:53 -r listed.test"
	local backend="$TOOLS/qmail-smtpd-standin $TESTTOOLS/checkpw true"
	local env="STANDIN_CONTROL=$Z/control STANDIN_QUEUE=$Z/queue CHECKPW_USERS=$Z/users STANDIN_PARENT=$Z/parents"

	export LPORT APORT SPORT NPORT RPORT
	LPORT=$("$TOOLS/freeport")
	APORT=$("$TOOLS/freeport")
	SPORT=$("$TOOLS/freeport")
	{
		xinetd_defaults "$Z"
		# shellcheck disable=SC2086
		xinetd_service af-listed 127.0.0.1 "$LPORT" $gate $rbl \
		    "$RG_BIN/authfirst" -c "$Z/cert.pem" -k "$Z/key.pem" $backend
		# shellcheck disable=SC2086
		xinetd_service af-always 127.0.0.1 "$APORT" $gate \
		    "$RG_BIN/authfirst" -m always $backend
		# shellcheck disable=SC2086
		xinetd_service af-smtps 127.0.0.1 "$SPORT" $gate \
		    "$RG_BIN/authfirst" -m always -s -c "$Z/cert.pem" \
		    -k "$Z/key.pem" $backend
	} > "$Z/xinetd.conf"
	sed -i "s|^\tserver_args|\tenv\t\t= $env\n&|" "$Z/xinetd.conf"
	start_xinetd "$Z"
	echo "$XINETD_PID" > "$Z/xinetd.pidof"
	for p in "$LPORT" "$APORT" "$SPORT"; do wait_listen 127.0.0.1 "$p"; done

	# no certificate, a backend that offers STARTTLS; log on stderr
	NPORT=$("$TOOLS/freeport")
	# shellcheck disable=SC2086
	STANDIN_STARTTLS=1 tcpserver -RHl0 127.0.0.1 "$NPORT" $gate $rbl \
	    "$RG_BIN/authfirst" $backend 2> "$Z/nocert.log" &
	echo $! > "$Z/nocert.pidof"
	# a backend whose every input byte is kept
	RPORT=$("$TOOLS/freeport")
	# shellcheck disable=SC2086
	tcpserver -RHl0 127.0.0.1 "$RPORT" $gate $rbl "$RG_BIN/authfirst" \
	    "$TESTTOOLS/tee-backend" "$Z/received" $backend 2> "$Z/rec.log" &
	echo $! > "$Z/rec.pidof"
	wait_listen 127.0.0.1 "$NPORT"
	wait_listen 127.0.0.1 "$RPORT"
}

teardown_file() {
	for s in xinetd nocert rec rbldnsd; do stop_pid "$(cat "$Z/$s.pidof")"; done
	rm -rf "$Z"
}

setup() {
	T="$BATS_TEST_TMPDIR"
}

smtp() {	# smtp PORT SRC [swaks options]
	local port=$1 src=$2
	shift 2
	swaks --server 127.0.0.1 --port "$port" --local-interface "$src" \
	    --helo client.example --from someone@example.org "$@"
}

@test "a listed client without AUTH is refused at MAIL with the listing" {
	run smtp "$LPORT" 127.0.0.2 --to friend@elsewhere.test
	[ "$status" -ne 0 ]
	[[ "$output" == *"<** 451 4.7.1 listed.test: Listed at listed.test, see http://listed.test/127.0.0.2; authenticate first"* ]]
}

@test "a listed client relays once AUTH LOGIN succeeds" {
	run smtp "$LPORT" 127.0.0.2 --to friend@elsewhere.test --auth LOGIN \
	    --auth-user test --auth-password 12345
	[ "$status" -eq 0 ]
	[[ "$output" == *"<-  235 ok, go ahead"* ]]
	[[ "$output" == *"<-  250 ok "*" qp "* ]]
}

@test "a listed client relays once AUTH PLAIN succeeds, and not with a wrong password" {
	run smtp "$LPORT" 127.0.0.2 --to friend@elsewhere.test --auth PLAIN \
	    --auth-user alice --auth-password s3cret-Horse
	[ "$status" -eq 0 ]
	run smtp "$LPORT" 127.0.0.2 --to friend@elsewhere.test --auth PLAIN \
	    --auth-user alice --auth-password wrong
	[ "$status" -ne 0 ]
	[[ "$output" == *"<** 535 authentication failed"* ]]
}

@test "a clean client is exec'd straight through: qmail-smtpd's parent is xinetd" {
	: > "$Z/parents"
	run smtp "$LPORT" 127.0.0.1 --to postmaster@example.test
	[ "$status" -eq 0 ]
	[ "$(awk '{print $2}' "$Z/parents")" = xinetd ]
	: > "$Z/parents"
	run smtp "$LPORT" 127.0.0.2 --to postmaster@example.test --quit-after EHLO
	[ "$(awk '{print $2}' "$Z/parents")" = authfirst ]
}

@test "a relay client is not gated, even when listed" {
	run smtp "$LPORT" 127.0.0.3 --to friend@elsewhere.test
	[ "$status" -eq 0 ]
}

@test "-m always: MAIL before AUTH is refused for every client" {
	run smtp "$APORT" 127.0.0.1 --to postmaster@example.test
	[ "$status" -ne 0 ]
	[[ "$output" == *"<** 530 5.7.0 Authentication required"* ]]
	run smtp "$APORT" 127.0.0.1 --to friend@elsewhere.test --auth LOGIN \
	    --auth-user test --auth-password 12345
	[ "$status" -eq 0 ]
}

@test "STARTTLS: authfirst offers it, does it, and still gates" {
	run smtp "$LPORT" 127.0.0.2 --to friend@elsewhere.test --tls
	[ "$status" -ne 0 ]
	[[ "$output" == *"<-  220 2.0.0 Ready to start TLS"* ]]
	[[ "$output" == *"TLS started"* ]]
	[[ "$output" == *"<~* 451 4.7.1 listed.test"* ]]
	run smtp "$LPORT" 127.0.0.2 --to friend@elsewhere.test --tls \
	    --auth LOGIN --auth-user test --auth-password 12345
	[ "$status" -eq 0 ]
	[[ "$output" == *"TLS started"* ]]
	[[ "$output" == *"<~  235 ok, go ahead"* ]]
}

@test "implicit TLS (-s): swaks --tls-on-connect" {
	run smtp "$SPORT" 127.0.0.1 --to friend@elsewhere.test --tls-on-connect \
	    --auth PLAIN --auth-user alice --auth-password s3cret-Horse
	[ "$status" -eq 0 ]
	[[ "$output" == *"<~  220 mx.example.test ESMTP"* ]]
	[[ "$output" == *"<~  250 ok "*" qp "* ]]
}

@test "without a certificate a gated session is not offered STARTTLS; an ungated one is untouched" {
	run smtp "$NPORT" 127.0.0.2 --to x@example.test --quit-after EHLO
	[[ "$output" != *"STARTTLS"* ]]
	run smtp "$NPORT" 127.0.0.1 --to x@example.test --quit-after EHLO
	[[ "$output" == *"<-  250-STARTTLS"* ]]
}

@test "one log line per gated session: listing, AUTH user, never the password" {
	: > "$Z/nocert.log"
	run smtp "$NPORT" 127.0.0.2 --to friend@elsewhere.test
	run smtp "$NPORT" 127.0.0.2 --to friend@elsewhere.test --auth LOGIN \
	    --auth-user test --auth-password 12345
	[ "$status" -eq 0 ]
	wait_grep "$Z/nocert.log" '^authfirst: pid [0-9]+: 127\.0\.0\.2: gated: listed\.test: Listed at .*, auth none, 1 MAIL refused, [0-9]+ bytes in, [0-9]+ out, quit$'
	wait_grep "$Z/nocert.log" '^authfirst: pid [0-9]+: 127\.0\.0\.2: gated: .*, auth test, 0 MAIL refused, [0-9]+ bytes in, [0-9]+ out, (backend exited|client closed)$'
	! grep -q 12345 "$Z/nocert.log"
	! grep -q MTIzNDU "$Z/nocert.log"
}

session() {	# session FILE: a whole pipelined session after AUTH PLAIN
	local f=$1 body=$2
	{
		printf 'EHLO client.example\r\n'
		printf 'AUTH PLAIN %s\r\n' "$(printf '\0alice\0s3cret-Horse' | base64 -w0)"
		printf 'MAIL FROM:<a@example.org>\r\nRCPT TO:<b@elsewhere.test>\r\nRCPT TO:<c@example.test>\r\nDATA\r\n'
		cat "$body"
		printf '.\r\nQUIT\r\n'
	} > "$f"
}

@test "pipelining: replies in order, and the backend receives every byte as sent" {
	printf 'Subject: pipelined\r\n\r\nline one\r\n..leading dot\r\n' > "$T/body"
	session "$T/session" "$T/body"
	: > "$Z/received"
	run "$TOOLS/tcpcat" -s 127.0.0.2 127.0.0.1 "$RPORT" < "$T/session"
	codes=$(printf '%s\n' "$output" | tr -d '\r' | grep -v '^250-' | cut -c1-3 | tr '\n' ' ')
	[ "$codes" = "220 250 235 250 250 250 354 250 221 " ]
	cmp "$T/session" "$Z/received"
}

@test "pipelining before AUTH: our refusal and the backend's replies keep their order" {
	printf 'EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@elsewhere.test>\r\nNOOP\r\nMAIL FROM:<d@e>\r\nQUIT\r\n' > "$T/s"
	run "$TOOLS/tcpcat" -s 127.0.0.2 127.0.0.1 "$RPORT" < "$T/s"
	codes=$(printf '%s\n' "$output" | tr -d '\r' | grep -v '^250-' | cut -c1-3 | tr '\n' ' ')
	[ "$codes" = "220 250 451 503 250 451 221 " ]
}

@test "a 30 MB message arrives byte for byte" {
	head -c 22000000 /dev/urandom | base64 -w 76 | sed 's/$/\r/' > "$T/body"
	[ "$(stat -c %s "$T/body")" -gt 29000000 ]
	session "$T/session" "$T/body"
	: > "$Z/received"
	run "$TOOLS/tcpcat" -s 127.0.0.2 127.0.0.1 "$RPORT" < "$T/session"
	[[ "$output" == *"250 ok "* ]]
	cmp "$T/session" "$Z/received"
}

@test "a command line over 1000 bytes is refused, and a 1 MB one is not buffered" {
	{ printf 'EHLO c\r\n'; head -c 1500 /dev/zero | tr '\0' x; printf '\r\n'
	  head -c 1048576 /dev/zero | tr '\0' y; printf '\r\nNOOP\r\nQUIT\r\n'; } > "$T/s"
	run "$TOOLS/tcpcat" -s 127.0.0.2 127.0.0.1 "$RPORT" < "$T/s"
	codes=$(printf '%s\n' "$output" | tr -d '\r' | grep -v '^250-' | cut -c1-3 | tr '\n' ' ')
	[ "$codes" = "220 250 500 500 250 221 " ]
}

@test "a client that disconnects ends the backend: no orphans" {
	: > "$Z/parents"
	printf 'EHLO c\r\n' | "$TOOLS/tcpcat" -s 127.0.0.2 127.0.0.1 "$LPORT" > /dev/null
	pid=$(awk '{print $1}' "$Z/parents")
	[ -n "$pid" ]
	for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$pid" 2>/dev/null
}

# Started as root (as the shipped xinetd files start it), a gated authfirst
# parses the session as nobody, in an empty root; its backend, started
# before that, keeps root.  The backend looks at its parent, authfirst.
@test "least privilege: a gated authfirst runs as nobody in an empty root; its backend keeps root" {
	T="$BATS_TEST_TMPDIR"
	cat > "$T/backend" <<SH
#!/bin/sh
id -u > "$T/backend.uid"
grep '^Uid:' /proc/\$PPID/status > "$T/authfirst.uid"
grep '^Groups:' /proc/\$PPID/status > "$T/authfirst.groups"
readlink /proc/\$PPID/root > "$T/authfirst.root"
ls -a /proc/\$PPID/root/ > "$T/authfirst.ls" 2>&1
echo "220 standin"
read -r line
echo "221 bye"
SH
	chmod 755 "$T/backend"
	run env TCPREMOTEIP=127.0.0.2 "$RG_BIN/authfirst" -l stderr -m always "$T/backend" <<< "QUIT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"220 standin"* ]]
	[ "$(cat "$T/backend.uid")" = 0 ]
	nobody=$(id -u nobody)
	[ "$(awk '{ print $2, $3, $4, $5 }' "$T/authfirst.uid")" = "$nobody $nobody $nobody $nobody" ]
	[ "$(awk '{ print $2 }' "$T/authfirst.groups")" = "$(id -g nobody)" ]
	# the root it stands in is a removed directory: nothing in it, ever
	[[ "$(cat "$T/authfirst.root")" == "/tmp/authfirst."*" (deleted)" ]]
	[ "$(cat "$T/authfirst.ls")" = "" ] || [ "$(tr '\n' ' ' < "$T/authfirst.ls")" = ". .. " ]
	# -u names the user; a user that is not there stops it before any byte
	run env TCPREMOTEIP=127.0.0.2 "$RG_BIN/authfirst" -l stderr -m always -u no-such-user "$T/backend" <<< "QUIT"
	[ "$status" -eq 111 ]
	[[ "$output" == *"fatal: -u no-such-user: no such user"* ]]
	[[ "$output" != *"220 standin"* ]]
}
