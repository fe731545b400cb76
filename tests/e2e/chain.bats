#!/usr/bin/env bats
# The port-25 chain relaygate -> rblskip -> qmail-smtpd (stand-in) under
# a real tcpserver and a real xinetd, with a real rbldnsd, driven by swaks.

load lib

setup_file() {
	export Z PORT XPORT X6PORT
	Z=$(mktemp -d /tmp/rg-chain.XXXXXX)
	test_zones "$Z"
	echo "$RBLDNS_PID" > "$Z/rbldnsd.pidof"
	mkdir -p "$Z/control" "$Z/queue"
	chmod 755 "$Z/queue"
	echo example.test > "$Z/control/rcpthosts"
	echo mx.example.test > "$Z/control/me"
	export STANDIN_CONTROL="$Z/control" STANDIN_QUEUE="$Z/queue"
	# 127.0.0.3 is ours (and happens to be listed)
	echo '127.0.0.3:allow,RELAYCLIENT=""' |
	    "$RG_BIN/relaygate-rules" "$Z/rules.cdb" "$Z/rules.tmp"

	PORT=$("$TOOLS/freeport")
	tcpserver -RHl0 127.0.0.1 "$PORT" "$RG_BIN/relaygate" -x "$Z/rules.cdb" \
	    "$RG_BIN/rblskip" -n "$RBLDNS_ADDR:53" -r listed.test \
	    "$TOOLS/qmail-smtpd-standin" 2> "$Z/tcpserver.log" &
	echo $! > "$Z/tcpserver.pidof"
	wait_listen 127.0.0.1 "$PORT"

	XPORT=$("$TOOLS/freeport")
	X6PORT=$("$TOOLS/freeport" ::1)
	{
		xinetd_defaults "$Z"
		xinetd_service smtp-chain 127.0.0.1 "$XPORT" "$RG_BIN/relaygate" \
		    -x "$Z/rules.cdb" "$RG_BIN/rblskip" -n "$RBLDNS_ADDR:53" \
		    -r listed.test "$TOOLS/qmail-smtpd-standin"
		xinetd_service smtp-chain6 ::1 "$X6PORT" "$RG_BIN/relaygate" \
		    -x "$Z/rules.cdb" "$RG_BIN/rblskip" -n "$RBLDNS_ADDR:53" \
		    -r v6.test "$TOOLS/qmail-smtpd-standin"
	} > "$Z/xinetd.conf"
	start_xinetd "$Z"
	echo "$XINETD_PID" > "$Z/xinetd.pidof"
	wait_listen 127.0.0.1 "$XPORT"
	wait_listen ::1 "$X6PORT"
}

teardown_file() {
	stop_pid "$(cat "$Z/xinetd.pidof")"
	stop_pid "$(cat "$Z/tcpserver.pidof")"
	stop_pid "$(cat "$Z/rbldnsd.pidof")"
	rm -rf "$Z"
}

smtp() {	# smtp SERVER PORT SRC TO
	swaks --server "$1" --port "$2" --local-interface "$3" \
	    --helo client.example --from someone@example.org --to "$4"
}

@test "tcpserver: a listed client is refused at RCPT with the list's text" {
	run smtp 127.0.0.1 "$PORT" 127.0.0.2 postmaster@example.test
	[ "$status" -ne 0 ]
	[[ "$output" == *"<-  220 rblskip.local"* ]]
	[[ "$output" == *"<** 451 Listed at listed.test, see http://listed.test/127.0.0.2"* ]]
	grep -q '127.0.0.2: refuse 451 in [0-9]* ms: listed.test=listed(127.0.0.2)' "$Z/tcpserver.log"
}

@test "tcpserver: a clean client reaches qmail-smtpd" {
	run smtp 127.0.0.1 "$PORT" 127.0.0.1 postmaster@example.test
	[ "$status" -eq 0 ]
	[[ "$output" == *"<-  220 mx.example.test ESMTP"* ]]
	[[ "$output" == *"<-  250 ok "*" qp "* ]]
	grep -q '127.0.0.1: accept in [0-9]* ms: listed.test=clean' "$Z/tcpserver.log"
}

@test "tcpserver: a relay client is never RBL-blocked, and no lookup is made" {
	run smtp 127.0.0.1 "$PORT" 127.0.0.3 friend@elsewhere.test
	[ "$status" -eq 0 ]
	[[ "$output" == *"<-  250 ok "*" qp "* ]]
	grep -q '127.0.0.3: accept (RELAYCLIENT set, no lookups)' "$Z/tcpserver.log"
	! grep -q '127.0.0.3: .*listed.test' "$Z/tcpserver.log"
}

@test "xinetd: a listed client is refused, a clean one accepted" {
	run smtp 127.0.0.1 "$XPORT" 127.0.0.2 postmaster@example.test
	[ "$status" -ne 0 ]
	[[ "$output" == *"<** 451 Listed at listed.test"* ]]
	run smtp 127.0.0.1 "$XPORT" 127.0.0.1 postmaster@example.test
	[ "$status" -eq 0 ]
	[[ "$output" == *"<-  250 ok "*" qp "* ]]
}

@test "xinetd: a listed relay client may relay" {
	run smtp 127.0.0.1 "$XPORT" 127.0.0.3 friend@elsewhere.test
	[ "$status" -eq 0 ]
}

@test "xinetd: an IPv6 client listed in an ip6trie zone is refused" {
	run smtp ::1 "$X6PORT" ::1 postmaster@example.test
	[ "$status" -ne 0 ]
	[[ "$output" == *"<** 451 IPv6 client listed"* ]]
}
