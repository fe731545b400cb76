#!/usr/bin/env bats
# The qmail-smtpd stand-in at the end of the chain, driven by swaks:
# rcpthosts, RELAYCLIENT and AUTH as qmail with the AUTH patch does them.

load lib

setup_file() {
	export D="$BATS_FILE_TMPDIR"
	mkdir -p "$D/control" "$D/queue"
	echo example.test > "$D/control/rcpthosts"
	printf 'test 12345\nalice s3cret-Horse\n' > "$D/users"
	echo '127.0.0.1:allow,RELAYCLIENT=""' |
	    "$RG_BIN/relaygate-rules" "$D/rules.cdb" "$D/rules.tmp"
	export STANDIN_CONTROL="$D/control" STANDIN_QUEUE="$D/queue"
	export CHECKPW_USERS="$D/users" PORT
	PORT=$("$TOOLS/freeport")
	tcpserver -RHl0 127.0.0.1 "$PORT" "$RG_BIN/relaygate" \
	    -x "$D/rules.cdb" "$TOOLS/qmail-smtpd-standin" \
	    "$TESTTOOLS/checkpw" true 2> "$D/tcpserver.log" &
	echo $! > "$D/tcpserver.pidof"
	wait_listen 127.0.0.1 "$PORT"
}

teardown_file() {
	stop_pid "$(cat "$D/tcpserver.pidof")"
}

smtp() {	# smtp SRC [swaks options]
	local src=$1
	shift
	swaks --server 127.0.0.1 --port "$PORT" --local-interface "$src" \
	    --helo tester.example --from sender@example.org "$@"
}

newest() {
	find "$D/queue" -name 'msg.*' -newer "$D/mark" -type f | head -n 1
}

@test "EHLO advertises AUTH LOGIN PLAIN CRAM-MD5 and PIPELINING" {
	run smtp 127.0.0.2 --to x@example.test --quit-after EHLO
	[[ "$output" == *"250-AUTH LOGIN PLAIN CRAM-MD5"* ]]
	[[ "$output" == *"250-AUTH=LOGIN PLAIN CRAM-MD5"* ]]
	[[ "$output" == *"250-PIPELINING"* ]]
}

@test "a stranger may not relay: 553 for a domain outside rcpthosts" {
	run smtp 127.0.0.2 --to victim@elsewhere.test
	[ "$status" -ne 0 ]
	[[ "$output" == *"<** 553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"* ]]
}

@test "a stranger may deliver to a domain in rcpthosts; the message is stored" {
	touch "$D/mark"
	run smtp 127.0.0.2 --to postmaster@example.test --header "Subject: hello-local"
	[ "$status" -eq 0 ]
	f=$(newest)
	[ -n "$f" ]
	grep -qx 'Fsender@example.org' "$f"
	grep -qx 'Tpostmaster@example.test' "$f"
	grep -q '^Received: from unknown (HELO tester.example) (127.0.0.2)$' "$f"
	grep -q '^Subject: hello-local' "$f"
}

@test "RELAYCLIENT from the relay rules lets 127.0.0.1 relay" {
	run smtp 127.0.0.1 --to someone@elsewhere.test
	[ "$status" -eq 0 ]
	[[ "$output" == *"<-  250 ok "*" qp "* ]]
}

@test "AUTH LOGIN with the right password relays and names the user" {
	touch "$D/mark"
	run smtp 127.0.0.2 --to someone@elsewhere.test --auth LOGIN \
	    --auth-user test --auth-password 12345
	[ "$status" -eq 0 ]
	[[ "$output" == *"<-  235 ok, go ahead (#2.0.0)"* ]]
	grep -q '^Received: from unknown (HELO tester.example) (test@127.0.0.2)$' "$(newest)"
}

@test "AUTH PLAIN with the right password relays" {
	run smtp 127.0.0.2 --to someone@elsewhere.test --auth PLAIN \
	    --auth-user alice --auth-password s3cret-Horse
	[ "$status" -eq 0 ]
	[[ "$output" == *"235 ok, go ahead"* ]]
}

@test "AUTH CRAM-MD5 passes user, challenge and digest to checkpassword" {
	run smtp 127.0.0.2 --to someone@elsewhere.test --auth CRAM-MD5 \
	    --auth-user alice --auth-password s3cret-Horse
	[ "$status" -eq 0 ]
	[[ "$output" == *"235 ok, go ahead"* ]]
	run smtp 127.0.0.2 --to someone@elsewhere.test --auth CRAM-MD5 \
	    --auth-user alice --auth-password wrong
	[ "$status" -ne 0 ]
	[[ "$output" == *"535 authorization failed"* ]]
}

@test "a wrong password is refused with 535 and does not relay" {
	run smtp 127.0.0.2 --to someone@elsewhere.test --auth LOGIN \
	    --auth-user test --auth-password 54321
	[ "$status" -ne 0 ]
	[[ "$output" == *"<** 535 authorization failed (#5.7.0)"* ]]
}
