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

@test "EHLO answers as the AUTH patch does: PIPELINING, 8BITMIME, AUTH, SIZE" {
	run smtp 127.0.0.2 --to x@example.test --quit-after EHLO
	[[ "$output" == *"250-PIPELINING"*"250-8BITMIME"*"250-AUTH LOGIN PLAIN CRAM-MD5"*"250 SIZE 0"* ]]
	[[ "$output" != *"AUTH="* ]]
}

# A scripted session straight into the stand-in, with a checker that
# keeps its descriptor 3 in $T/fd3 and exits with $CODE (or is killed).
session() {	# session SMTPAUTH LINES...
	local auth=$1
	shift
	cat > "$T/dump" <<SH
#!/bin/sh
cat <&3 > "$T/fd3"
[ "\$CODE" = kill ] && kill -9 \$\$
exit "\$CODE"
SH
	chmod +x "$T/dump"
	printf '%s\r\n' EHLO\ x "$@" QUIT |
	    env SMTPAUTH="$auth" STANDIN_AUTHSLEEP=0 "$TOOLS/qmail-smtpd-standin" "$T/dump" true
}

b64() { printf "$1" | base64 -w0; }

@test "fd 3 holds what the AUTH patch writes: LOGIN and PLAIN, CRAM-MD5 on and off" {
	T=$BATS_TEST_TMPDIR
	CODE=0 run session +cram "AUTH LOGIN" "$(b64 alice)" "$(b64 pw-1)"
	[[ "$output" == *"235 ok, go ahead (#2.0.0)"* ]]
	[ "$(od -An -c "$T/fd3" | tr -s ' ')" = " a l i c e \0 p w - 1 \0 \0" ]
	CODE=0 run session "" "AUTH PLAIN $(b64 '\0alice\0pw-2')"
	[[ "$output" == *"235 ok, go ahead (#2.0.0)"* ]]
	[ "$(od -An -c "$T/fd3" | tr -s ' ')" = " a l i c e \0 p w - 2 \0" ]
	[[ "$output" == *"250-AUTH LOGIN PLAIN"$'\r'* ]]
}

@test "fd 3 for CRAM-MD5 is user, digest, challenge" {
	T=$BATS_TEST_TMPDIR
	CODE=0 run session +cram "AUTH CRAM-MD5" "$(b64 'alice 0123456789abcdef0123456789abcdef')"
	[[ "$output" == *"235 ok, go ahead (#2.0.0)"* ]]
	tr '\0' '|' < "$T/fd3" > "$T/fields"
	grep -Eqx 'alice\|0123456789abcdef0123456789abcdef\|<[0-9]+\.[0-9]+@[^>]+>\|' "$T/fields"
}

@test "any non-zero exit is 535, a killed checker 454, as in the patch" {
	T=$BATS_TEST_TMPDIR
	for code in 1 2 111; do
		CODE=$code run session +cram "AUTH PLAIN $(b64 '\0alice\0pw')"
		[[ "$output" == *"535 authentication failed (#5.7.1)"* ]]
	done
	CODE=kill run session +cram "AUTH PLAIN $(b64 '\0alice\0pw')"
	[[ "$output" == *"454 oops, problem with child and I can't auth (#4.3.0)"* ]]
}

@test "SMTPAUTH: none, CRAM-MD5 only, and required before MAIL" {
	T=$BATS_TEST_TMPDIR
	CODE=0 run session - "AUTH PLAIN $(b64 '\0alice\0pw')"
	[[ "$output" == *"503 auth not available (#5.3.3)"* ]]
	[[ "$output" != *"AUTH "* ]]
	CODE=0 run session cram "AUTH PLAIN $(b64 '\0alice\0pw')"
	[[ "$output" == *"250-AUTH CRAM-MD5"* ]]
	[[ "$output" == *"504 auth type unimplemented (#5.5.1)"* ]]
	CODE=0 run session '!' "MAIL FROM:<a@example.org>"
	[[ "$output" == *"530 Authorization required (#5.7.1)"* ]]
	CODE=0 run session '!' "AUTH PLAIN $(b64 '\0alice\0pw')" "MAIL FROM:<a@example.org>"
	[[ "$output" == *"235 ok"*"250 ok"* ]]
	CODE=0 run session +cram "AUTH LOGIN" "*"
	[[ "$output" == *"501 auth exchange canceled (#5.0.0)"* ]]
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
	[[ "$output" == *"535 authentication failed"* ]]
}

@test "a wrong password is refused with 535 and does not relay" {
	run smtp 127.0.0.2 --to someone@elsewhere.test --auth LOGIN \
	    --auth-user test --auth-password 54321
	[ "$status" -ne 0 ]
	[[ "$output" == *"<** 535 authentication failed (#5.7.1)"* ]]
}

# queued SMTPAUTH ENV... -- LINES...: a session straight into the stand-in
# with a qmail queue; prints the first message's headers.
queued() {
	local q=$BATS_TEST_TMPDIR/q envs=()
	rm -rf "$q"
	"$TOOLS/mkqueue" "$q" < /dev/null 2>/dev/null
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	printf '%s\r\n' "$@" QUIT |
	    env SMTPAUTH=+cram STANDIN_AUTHSLEEP=0 STANDIN_QUEUE="$q" \
	    CHECKPW_USERS="$D/users" TCPREMOTEIP=192.0.2.9 "${envs[@]}" \
	    "$TOOLS/qmail-smtpd-standin" "$TESTTOOLS/checkpw" true > /dev/null
	sed -n '1,/^$/p' "$q"/mess/*/* | head -n 3
}

mail_lines() {	# the envelope and a one-line message
	printf '%s\n' "MAIL FROM:<a@example.org>$1" "RCPT TO:<p@example.test>" \
	    DATA "Subject: s" "" body .
}

@test "Received as qmail-smtpd writes it: remote host, HELO left out when equal, ? for unsafe bytes" {
	mapfile -t m < <(mail_lines "")
	run queued TCPREMOTEHOST=pc.example.net TCPLOCALHOST=mx.example.test -- \
	    "HELO PC.example.net" "${m[@]}"
	[[ "${lines[0]}" =~ ^Received:\ \(qmail\ [0-9]+\ invoked\ from\ network\)\;\  ]]
	[ "${lines[1]}" = "Received: from pc.example.net (192.0.2.9)" ]
	[[ "${lines[2]}" =~ ^\ \ by\ mx.example.test\ with\ SMTP\;\  ]]
	run queued TCPLOCALIP=192.0.2.1 -- "HELO x (a@b) y" "${m[@]}"
	[ "${lines[1]}" = "Received: from unknown (HELO x??a@b??y) (192.0.2.9)" ]
	[[ "${lines[2]}" =~ ^\ \ by\ 192.0.2.1\ with\ SMTP\;\  ]]
}

@test "Received after a login says ESMTPA and names the account; ident and AUTH= only as remote info" {
	mapfile -t m < <(mail_lines "")
	run queued -- "EHLO pc" "AUTH PLAIN $(printf '\0alice\0s3cret-Horse' | base64)" "${m[@]}"
	[ "${lines[1]}" = "Received: from unknown (HELO pc) (alice@192.0.2.9)" ]
	[[ "${lines[2]}" == *" with ESMTPA; "* ]]
	mapfile -t m < <(mail_lines " AUTH=bob+2Bx@example.org")
	run queued -- "EHLO pc" "${m[@]}"
	[ "${lines[1]}" = "Received: from unknown (HELO pc) (bob+x@example.org@192.0.2.9)" ]
	[[ "${lines[2]}" == *" with SMTP; "* ]]
	mapfile -t m < <(mail_lines "")
	run queued TCPREMOTEINFO=identuser -- "EHLO pc" "${m[@]}"
	[ "${lines[1]}" = "Received: from unknown (HELO pc) (identuser@192.0.2.9)" ]
	[[ "${lines[2]}" == *" with SMTP; "* ]]
}

# QMAILQUEUE, as netqmail's and notqmail's qmail.c honour it: the queue
# program gets the message on fd 0, the envelope on fd 1, and its exit
# code is the reply.
qq_session() {	# qq_session QMAILQUEUE: one message into a fresh queue; the replies
	local q=$BATS_TEST_TMPDIR/q
	rm -rf "$q"
	"$TOOLS/mkqueue" "$q" < /dev/null 2>/dev/null
	mapfile -t m < <(mail_lines "")
	printf '%s\r\n' "EHLO pc" "AUTH PLAIN $(printf '\0alice\0s3cret-Horse' | base64)" \
	    "${m[@]}" QUIT |
	    env SMTPAUTH=+cram STANDIN_AUTHSLEEP=0 STANDIN_QUEUE="$q" \
	    CHECKPW_USERS="$D/users" TCPREMOTEIP=192.0.2.9 QMAILQUEUE="$1" \
	    "$TOOLS/qmail-smtpd-standin" "$TESTTOOLS/checkpw" true
}

@test "QMAILQUEUE: the queue program gets message and envelope; its exit code is the reply, as qmail_close() says" {
	T=$BATS_TEST_TMPDIR
	run qq_session "$TOOLS/qmail-queue-standin"
	[[ "$output" == *"250 ok "*" qp "* ]]
	q=$T/q
	# qmail-queue's line on top, then qmail-smtpd's; not preprocessed yet
	f=$(find "$q/mess" -type f)
	[ -n "$f" ]
	[[ "$(sed -n 1p "$f")" =~ ^Received:\ \(qmail\ [0-9]+\ invoked\ from\ network\)\;\  ]]
	[ "$(sed -n 2p "$f")" = "Received: from unknown (HELO pc) (alice@192.0.2.9)" ]
	[ "$(grep -c '^Received: (qmail' "$f")" -eq 1 ]
	id=$(basename "$f")
	[ -e "$q/todo/$id" ]
	[ "$(tr '\0' '\n' < "$q/intd/$id" | grep -v '^[up]')" = $'Fa@example.org\nTp@example.test' ]
	# a queue program's refusal, temporary and permanent, and one that is not there
	for c in "71 451 mail server temporarily rejected message (#4.3.0)" \
	    "31 554 mail server permanently rejected message (#5.3.0)" \
	    "53 451 qq write error or disk full (#4.3.0)"; do
		printf '#!/bin/sh\ncat > /dev/null; cat <&1 > /dev/null 2>&1; exit %s\n' "${c%% *}" > "$T/qq"
		chmod +x "$T/qq"
		run qq_session "$T/qq"
		[[ "$output" == *"${c#* }"* ]]
	done
	run qq_session "$T/no-such-qq"
	[[ "$output" == *"451 unable to exec qq (#4.3.0)"* ]]
}

@test "qmail-queue stand-in: exit codes as qmail-queue.c's: 91 not an envelope, 54 cut short, 11 an address of 1,003 bytes; nothing left queued" {
	T=$BATS_TEST_TMPDIR
	"$TOOLS/mkqueue" "$T/q" < /dev/null 2>/dev/null
	before=$(find "$T/q" -type f | wc -l)
	printf 'Subject: x\n\nbody\n' > "$T/msg"
	qq() { printf "$1" > "$T/env"; env STANDIN_QUEUE="$T/q" ${2:+STANDIN_QMAILD=$2} "$TOOLS/qmail-queue-standin" < "$T/msg" 1< "$T/env"; }
	run qq 'Fa@b\0Xc@d\0\0'
	[ "$status" -eq 91 ]
	run qq 'Xa@b\0\0'
	[ "$status" -eq 91 ]
	# no final \0: what a caller that closes the envelope early gives
	run qq 'Fa@b\0Tc@d\0'
	[ "$status" -eq 54 ]
	run qq ''
	[ "$status" -eq 54 ]
	a1002=$(head -c 1000 /dev/zero | tr '\0' x)@d
	run qq "Fa@b\\0T${a1002}x\\0\\0"
	[ "$status" -eq 11 ]
	[ "$(find "$T/q" -type f | wc -l)" -eq "$before" ]
	# 1,002 bytes is an address; no recipient at all is queued too
	run qq "Fa@b\\0T${a1002}\\0\\0"
	[ "$status" -eq 0 ]
	run qq 'Fa@b\0\0'
	[ "$status" -eq 0 ]
	# invoked by a local user: "invoked by uid N", and u<uid> in intd
	run qq 'Fa@b\0Tc@d\0\0' daemon
	[ "$status" -eq 0 ]
	grep -q "^Received: (qmail [0-9]* invoked by uid 0); " "$T"/q/mess/*/*
	grep -qa "^u0" "$T"/q/intd/*
}
