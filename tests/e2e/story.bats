#!/usr/bin/env bats
# The story end to end: a guessed account relays spam through the chain
# into a queue in qmail's format; qtriage names the client and the account.

load lib

setup_file() {
	export Z PORT
	Z=$(mktemp -d /tmp/rg-story.XXXXXX)
	mkdir -p "$Z/control" "$Z/state"
	echo example.test > "$Z/control/rcpthosts"
	printf 'test 12345\nalice s3cret-Horse-9\n' > "$Z/users"
	"$TOOLS/mkqueue" "$Z/queue" < /dev/null 2>/dev/null
	export STANDIN_CONTROL="$Z/control" STANDIN_QUEUE="$Z/queue" CHECKPW_USERS="$Z/users"
	PORT=$("$TOOLS/freeport")
	# authguard only watches here (-w): the server before the fix
	tcpserver -RHl0 127.0.0.1 "$PORT" "$RG_BIN/relaygate" \
	    "$RG_BIN/authfirst" -m always "$TOOLS/qmail-smtpd-standin" \
	    "$RG_BIN/authguard" -w -s "$Z/state" "$TESTTOOLS/checkpw" true 2> "$Z/mail.log" &
	echo $! > "$Z/tcpserver.pidof"
	wait_listen 127.0.0.1 "$PORT"
	for i in $(seq 1 12); do
		swaks --server 127.0.0.1 --port "$PORT" --local-interface 127.0.0.2 \
		    --helo User --from support@PayPal.Inc.com --to "victim$i@yahoo.com" \
		    --header 'Subject: Dispute Transaction' --auth LOGIN \
		    --auth-user test --auth-password 12345 > /dev/null 2>&1
	done
	for i in 1 2; do
		swaks --server 127.0.0.1 --port "$PORT" --local-interface 127.0.0.1 \
		    --helo pc.example.test --from alice@example.test --to bob@example.test \
		    --auth PLAIN --auth-user alice --auth-password s3cret-Horse-9 > /dev/null 2>&1
	done
	wait_grep "$Z/mail.log" 'ok from 127\.0\.0\.1: user alice'
}

teardown_file() {
	stop_pid "$(cat "$Z/tcpserver.pidof")"
	rm -rf "$Z"
}

@test "the spam is in the queue in qmail's format" {
	run "$RG_BIN/qtriage" -q "$Z/queue" stat
	[ "${lines[0]}" = "messages in queue: 14" ]
	run "$RG_BIN/qtriage" -q "$Z/queue" check
	[ "$status" -eq 0 ]
}

@test "qtriage top names the client address, HELO, sender and account first" {
	run "$RG_BIN/qtriage" -q "$Z/queue" top -n 1 -F tsv
	[[ "$output" == *$'client\t127.0.0.2\t12'* ]]
	[[ "$output" == *$'helo\tUser\t12'* ]]
	[[ "$output" == *$'sender\tsupport@PayPal.Inc.com\t12'* ]]
	[[ "$output" == *$'user\ttest\t12'* ]]
	[[ "$output" == *$'subject\tDispute Transaction\t12'* ]]
	[[ "$output" == *$'domain\tyahoo.com\t12'* ]]
}

@test "qtriage who joins the queue with the AUTH log lines and names the account" {
	run "$RG_BIN/qtriage" -q "$Z/queue" who "$Z/mail.log"
	[[ "$output" == *"127.0.0.2: 12 messages"* ]]
	[[ "$output" == *"  logged in as test (12 times)"* ]]
	[[ "$output" == *"127.0.0.1: 2 messages"* ]]
	[[ "$output" == *"  logged in as alice"* ]]
}

@test "yank takes the spam out, restore would put it back" {
	run "$RG_BIN/qtriage" -q "$Z/queue" yank -i 127.0.0.2 -y
	[[ "$output" == *"yanked 12 messages"* ]]
	run "$RG_BIN/qtriage" -q "$Z/queue" stat
	[ "${lines[0]}" = "messages in queue: 2" ]
}
