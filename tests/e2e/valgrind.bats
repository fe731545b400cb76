#!/usr/bin/env bats
# valgrind on one whole session through the chain: relaygate, rblskip
# against a real rbldnsd, authfirst, the qmail-smtpd stand-in, authguard.
# No invalid read or write, no use of uninitialised memory, no leak.

load lib

setup_file() {
	export Z
	Z=$(mktemp -d /tmp/rg-valgrind.XXXXXX)
	test_zones "$Z"
	echo "$RBLDNS_PID" > "$Z/rbldnsd.pidof"
}

teardown_file() {
	stop_pid "$(cat "$Z/rbldnsd.pidof")"
	rm -rf "$Z"
}

@test "one full session through the chain is clean under valgrind" {
	if [ "${SANITIZE:-}" = 1 ]; then
		skip "ASan and valgrind do not mix; this build is checked by ASan"
	fi
	T="$BATS_TEST_TMPDIR"
	D="$TOP/build/dyn"
	printf 'alice s3cret-Horse-9\n' > "$T/users"
	"$TOOLS/mkqueue" "$T/q" < /dev/null 2>/dev/null
	echo '127.0.0.3:allow,RELAYCLIENT=""' | "$D/relaygate-rules" "$T/r.cdb" "$T/r.tmp"
	{
		printf 'EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n'
		printf 'AUTH PLAIN %s\r\n' "$(printf '\0alice\0s3cret-Horse-9' | base64 -w0)"
		printf 'MAIL FROM:<a@example.org>\r\nRCPT TO:<b@elsewhere.test>\r\nDATA\r\n'
		printf 'Subject: valgrind\r\n\r\nhello\r\n.\r\nQUIT\r\n'
	} > "$T/session"
	CHECKPW_USERS="$T/users" STANDIN_QUEUE="$T/q" TCPREMOTEIP=127.0.0.2 \
	    valgrind -q --vgdb=no --trace-children=yes \
	    --trace-children-skip='/usr/*,/bin/*,*checkpw*' \
	    --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
	    "$D/relaygate" -l stderr -x "$T/r.cdb" \
	    "$D/rblskip" -l stderr -D -n "$RBLDNS_ADDR:53" -r listed.test \
	    "$D/authfirst" -l stderr "$TOOLS/qmail-smtpd-standin" \
	    "$D/authguard" -l stderr -s "$T" "$TESTTOOLS/checkpw" true \
	    < "$T/session" > "$T/out" 2> "$T/err" || status=$?
	cat "$T/err" >&2
	[ "${status:-0}" -eq 0 ]
	grep -q '^451 4.7.1 listed.test' "$T/out"
	grep -q '^235 ' "$T/out"
	grep -q '^250 ok .* qp ' "$T/out"
	grep -q 'rblskip: pid [0-9]*: 127.0.0.2: defer 451' "$T/err"
	grep -q 'authguard: pid [0-9]*: ok from 127.0.0.2: user alice$' "$T/err"
	! grep -q '^==[0-9]*==' "$T/err"
}
