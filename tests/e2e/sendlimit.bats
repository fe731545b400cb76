#!/usr/bin/env bats
# sendlimit in front of qmail-queue: under a real xinetd, with the chain
# relaygate -> qmail-smtpd (stand-in, QMAILQUEUE) -> sendlimit ->
# qmail-queue (stand-in), sending with swaks; and run as qmail-inject runs
# it, by a local user.

load lib
bats_require_minimum_version 1.5.0

setup() {
	Z=$(mktemp -d /tmp/rg-sendlimit.XXXXXX)
	chmod 755 "$Z"
	mkdir -p "$Z/control" "$Z/state"
	echo example.test > "$Z/control/rcpthosts"
	echo mx.example.test > "$Z/control/me"
	printf 'alice@example.test s3cret-Horse\nbob@example.test pw-Bob-9x\n' \
	    > "$Z/users"
	printf 'victim@example.test pw-Victim-7\n' >> "$Z/users"
	"$TOOLS/mkqueue" "$Z/q" < /dev/null 2> /dev/null
	# the hook: one line per alert
	printf '#!/bin/sh\necho "$*" >> %s/alerts\n' "$Z" > "$Z/hook"
	chmod 755 "$Z/hook"
	# 127.0.0.1 relays without a login, as a customer's web server would
	echo '127.0.0.1:allow,RELAYCLIENT=""' |
	    "$RG_BIN/relaygate-rules" "$Z/rules.cdb" "$Z/rules.tmp"
	SL=("$RG_BIN/sendlimit" -L stderr -l "$Z/limits.cdb" -d "$Z/state"
	    -q "$TOOLS/qmail-queue-standin" -x "$Z/hook" -n root)
}

teardown() {
	stop_pid "${XINETD_PID:-}"
	rm -rf "$Z"
}

limits() {	# limits TEXT: the limits database
	printf '%s\n' "$@" | "$RG_BIN/sendlimit" -m "$Z/limits.cdb" "$Z/limits.tmp"
}

# serve: the chain under xinetd on a free port of 127.0.0.1 (PORT);
# QMAILQUEUE names sendlimit itself, its settings in SENDLIMIT_CONF's file
serve() {
	PORT=$("$TOOLS/freeport")
	cat > "$Z/sendlimit.conf" <<CONF
# as /etc/relaygate/sendlimit.conf would hold them
SENDLIMIT_LIMITS = $Z/limits.cdb
SENDLIMIT_STATE = $Z/state
SENDLIMIT_QUEUE = $TOOLS/qmail-queue-standin
SENDLIMIT_HOOK = $Z/hook
SENDLIMIT_SMTPUSERS = root
CONF
	# fd 2 a file, not the socket: the log lines go there, not to syslog
	cat > "$Z/smtpd" <<SH
#!/bin/sh
exec 2>> "$Z/sendlimit.log"
exec env ${SMTPD_ENV:-} QMAILQUEUE="$RG_BIN/sendlimit" SENDLIMIT_CONF="$Z/sendlimit.conf" \\
    STANDIN_QUEUE="$Z/q" STANDIN_CONTROL="$Z/control" STANDIN_AUTHSLEEP=0 \\
    CHECKPW_USERS="$Z/users" SMTPAUTH=+cram \\
    "$TOOLS/qmail-smtpd-standin" "$TESTTOOLS/checkpw" true
SH
	chmod 755 "$Z/smtpd"
	{
		xinetd_defaults "$Z"
		xinetd_service smtp-sl 127.0.0.1 "$PORT" "$RG_BIN/relaygate" \
		    -x "$Z/rules.cdb" "$Z/smtpd"
	} > "$Z/xinetd.conf"
	start_xinetd "$Z"
	wait_listen 127.0.0.1 "$PORT" || { cat "$Z/xinetd.out" >&2; false; }
}

# send USER PASS [FROM-ADDRESS [swaks options]]: one message after AUTH
# PLAIN (USER "-": none); prints the server's reply to the message
send() {
	local user=$1 pass=$2 li=${3:-127.0.0.2}
	shift 3 || shift $#
	local auth=(--auth PLAIN --auth-user "$user" --auth-password "$pass")
	[ "$user" = - ] && auth=()
	swaks --server 127.0.0.1 --port "$PORT" --local-interface "$li" \
	    --timeout 20 --from sender@example.test --to p@elsewhere.test \
	    "${auth[@]}" "$@" 2>&1 |
	    grep -Eo '<[-~*]+ +(250 ok [0-9]+ qp [0-9]+|[45][0-9][0-9] .*)' |
	    tail -1 | sed -E 's/^<[-~*]+ +//'
}

queued() { find "$Z/q/mess" -type f | wc -l; }

@test "an account sends to its limit, then 451; another of its domain goes on to the domain's limit; the hook runs once for each" {
	limits 'mailbox * 3 unlimited' 'domain * 5 unlimited'
	serve
	for i in 1 2 3; do
		[[ "$(send alice@example.test s3cret-Horse)" == "250 ok "* ]]
	done
	[ "$(send alice@example.test s3cret-Horse)" = "451 mail server temporarily rejected message (#4.3.0)" ]
	[ "$(send alice@example.test s3cret-Horse)" = "451 mail server temporarily rejected message (#4.3.0)" ]
	for i in 1 2; do
		[[ "$(send bob@example.test pw-Bob-9x)" == "250 ok "* ]]
	done
	[ "$(send bob@example.test pw-Bob-9x)" = "451 mail server temporarily rejected message (#4.3.0)" ]
	# five queued, whole: message, envelope and todo each; nothing else
	[ "$(queued)" -eq 5 ]
	[ "$(find "$Z/q/intd" -type f | wc -l)" -eq 5 ]
	[ "$(find "$Z/q/todo" -type f | wc -l)" -eq 5 ]
	# one log line a refusal, naming the object, its count and limit
	[ "$(grep -c 'refused mailbox alice@example.test: 3/3 messages an hour' "$Z/sendlimit.log")" -eq 2 ]
	grep -q 'refused domain example.test: 5/5 messages an hour: alert' "$Z/sendlimit.log"
	# the alert ran once an object: not again for alice's second refusal
	wait_grep "$Z/alerts" '^domain example.test messages 5 5$'
	[ "$(sort "$Z/alerts")" = $'domain example.test messages 5 5\nmailbox alice@example.test messages 3 3' ]
	run -0 env SENDLIMIT_CONF="$Z/sendlimit.conf" "$RG_BIN/sendlimit" -s
	[[ "${lines[1]}" =~ ^mailbox\ +alice@example.test\ +3/3\ +3\ +2$ ]]
	[[ "$output" =~ domain\ +example.test\ +5/5\ +5\ +1 ]]
	[[ "$output" =~ mailbox\ +bob@example.test\ +2/3\ +2\ +0 ]]
	[ "${lines[-1]}" = "3 objects counted in the last hour, 3 messages refused" ]
}

@test "recipients count with their message: a message over the recipients' limit is refused, a smaller one then passes" {
	limits 'mailbox * unlimited 5'
	serve
	[[ "$(send alice@example.test s3cret-Horse 127.0.0.2 --to a@x.test,b@x.test,c@x.test)" == "250 ok "* ]]
	[ "$(send alice@example.test s3cret-Horse 127.0.0.2 --to a@x.test,b@x.test,c@x.test)" = "451 mail server temporarily rejected message (#4.3.0)" ]
	[[ "$(send alice@example.test s3cret-Horse 127.0.0.2 --to a@x.test,b@x.test)" == "250 ok "* ]]
	grep -q 'refused mailbox alice@example.test: 3/5 recipients an hour: alert' "$Z/sendlimit.log"
	[ "$(queued)" -eq 2 ]
}

@test "50 senders at once from one account against a limit of 30: exactly 30 queued" {
	limits 'mailbox alice@example.test 30 unlimited'
	serve
	local pids=() i
	for i in $(seq 1 50); do
		send alice@example.test s3cret-Horse > "$Z/out.$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	[ "$(cat "$Z"/out.* | grep -c '^250 ok ')" -eq 30 ]
	[ "$(cat "$Z"/out.* | grep -c '^451 mail server temporarily rejected')" -eq 20 ]
	[ "$(queued)" -eq 30 ]
	run -0 env SENDLIMIT_CONF="$Z/sendlimit.conf" "$RG_BIN/sendlimit" -s
	[[ "${lines[1]}" =~ ^mailbox\ +alice@example.test\ +30/30\ +30\ +20$ ]]
}

@test "what a client claims is no account: a forged ESMTPA line, an ident answer, MAIL's AUTH=" {
	# the victim may not send at all: taking a claim for it would refuse
	limits 'mailbox victim@example.test 0 0' 'address * 100 unlimited'
	# an ident answer, as tcp-env would pass it on
	SMTPD_ENV="TCPREMOTEINFO=victim@example.test" serve
	forged='Received: from pc (HELO pc) (victim@example.test@192.0.2.1)
  by mx.example.test with ESMTPA; 28 Nov 2026 10:00:00 -0000'
	[[ "$(send - - 127.0.0.1 --add-header "$forged")" == "250 ok "* ]]
	# MAIL's AUTH= parameter, from the client itself
	run -0 "$TOOLS/tcpcat" -s 127.0.0.1 127.0.0.1 "$PORT" < <(printf '%s\r\n' \
	    "EHLO pc" "MAIL FROM:<victim@example.test> AUTH=victim@example.test" \
	    "RCPT TO:<p@elsewhere.test>" DATA "Subject: s" "" body . QUIT)
	[[ "$output" == *"250 ok "*" qp "* ]]
	# each counted against the client's address, none against the victim
	run -0 env SENDLIMIT_CONF="$Z/sendlimit.conf" "$RG_BIN/sendlimit" -s
	[[ "$output" =~ address\ +127.0.0.1\ +2/100 ]]
	[[ "$output" != *victim* ]]
	! grep -q 'victim' "$Z/sendlimit.log"
	# and the victim's own login is refused, as its limit says
	[ "$(send victim@example.test pw-Victim-7)" = "451 mail server temporarily rejected message (#4.3.0)" ]
}

@test "mail from strangers to a local domain is not outgoing: not counted, never refused" {
	limits 'address * 0 0' 'mailbox * 0 0'
	serve
	for i in 1 2 3; do
		[[ "$(send - - 127.0.0.2 --to p@example.test)" == "250 ok "* ]]
	done
	[ "$(queued)" -eq 3 ]
	run -0 env SENDLIMIT_CONF="$Z/sendlimit.conf" "$RG_BIN/sendlimit" -s
	[ "${lines[-1]}" = "0 objects counted in the last hour, 0 messages refused" ]
}

# inject USER: qmail-inject (the stand-in) run by that user, its
# QMAILQUEUE sendlimit with the settings of $Z/local.conf; prints the
# exit code and what it said
inject() {
	local rc=0
	setpriv --reuid="$1" --regid=nogroup --clear-groups -- \
	    env STANDIN_QUEUE="$Z/q" TCPREMOTEINFO=alice@example.test RELAYCLIENT= \
	    QMAILQUEUE="$RG_BIN/sendlimit" SENDLIMIT_CONF="$Z/local.conf" \
	    "$TOOLS/qmail-inject-standin" -f me@example.test p@elsewhere.test \
	    < "$Z/msg" 2>> "$Z/inject.err" || rc=$?
	echo "$rc"
}

@test "a local user's qmail-inject is counted under the uid the kernel reports, whatever the message and environment say" {
	limits 'user nobody 2 unlimited' 'mailbox * 100 unlimited'
	chown nobody "$Z/state"
	printf 'SENDLIMIT_LIMITS = %s\nSENDLIMIT_STATE = %s\nSENDLIMIT_QUEUE = %s\nSENDLIMIT_SMTPUSERS = root\n' \
	    "$Z/limits.cdb" "$Z/state" "$TOOLS/qmail-queue-standin" > "$Z/local.conf"
	chmod -R a+rwX "$Z/q"
	printf 'Received: from pc (HELO pc) (alice@example.test@192.0.2.1)\n  by mx.example.test with ESMTPA; 28 Nov 2026 10:00:00 -0000\nSubject: x\n\nbody\n' > "$Z/msg"
	[ "$(inject nobody)" = 0 ]
	[ "$(inject nobody)" = 0 ]
	[ "$(inject nobody)" = 111 ]
	grep -q '^qmail-inject: fatal: mail server temporarily rejected message (#4.3.0)$' "$Z/inject.err"
	grep -q 'refused user nobody: 2/2 messages an hour' "$Z/inject.err"
	[ "$(queued)" -eq 2 ]
	# "invoked by uid 65534": qmail-queue saw the caller, not sendlimit's owner
	grep -l 'invoked by uid 65534' "$Z"/q/mess/*/* | wc -l | grep -qx 2
	run -0 "$RG_BIN/sendlimit" -s -l "$Z/limits.cdb" -d "$Z/state"
	[[ "$output" != *alice* ]]
}

@test "accepted messages reach the queue byte for byte; refused ones leave nothing; a queue failure gives the count back" {
	limits 'mailbox * 2 unlimited'
	{
		printf 'Received: from pc (HELO pc) (alice@example.test@192.0.2.1)\n  by mx.example.test with ESMTPA; 28 Nov 2026 10:00:00 -0000\n'
		head -c 3000000 /dev/urandom | base64 -w 76
	} > "$Z/msg"
	printf 'Fa@example.test\0Tp@elsewhere.test\0\0' > "$Z/env"
	q() { env STANDIN_QUEUE="$Z/q" "$@" 1< "$Z/env" 2>> "$Z/sendlimit.log"; }
	# through a pipe, and from a file
	cat "$Z/msg" | q "${SL[@]}"
	q "${SL[@]}" < "$Z/msg"
	for f in "$Z"/q/mess/*/*; do
		cmp <(tail -n +2 "$f") "$Z/msg"
	done
	[ "$(queued)" -eq 2 ]
	before=$(find "$Z/q" -type f | wc -l)
	run -71 q "${SL[@]}" < "$Z/msg"
	[ "$(find "$Z/q" -type f | wc -l)" -eq "$before" ]
	# a queue that fails: its code is the answer, the count comes back
	limits 'mailbox * 3 unlimited'
	printf '#!/bin/sh\ncat > /dev/null; exit 53\n' > "$Z/badqq"
	chmod 755 "$Z/badqq"
	run -53 q "$RG_BIN/sendlimit" -L stderr -l "$Z/limits.cdb" -d "$Z/state" -n root -q "$Z/badqq" < "$Z/msg"
	run -0 q "${SL[@]}" < "$Z/msg"
	grep -q 'qq failed mailbox alice@example.test 2/3' "$Z/sendlimit.log"
}

@test "a broken state: unusable refuses for now and says so; corrupt is kept aside and counting starts again" {
	limits 'mailbox * 5 unlimited'
	printf 'Received: from pc (HELO pc) (alice@example.test@192.0.2.1)\n  by mx.example.test with ESMTPA; 28 Nov 2026 10:00:00 -0000\n\nbody\n' > "$Z/msg"
	printf 'Fa@example.test\0Tp@elsewhere.test\0\0' > "$Z/env"
	q() { env STANDIN_QUEUE="$Z/q" "${SL[@]}" < "$Z/msg" 1< "$Z/env" 2>> "$Z/sendlimit.log"; }
	rm -rf "$Z/state"
	echo not a directory > "$Z/state"
	run -53 q
	grep -q 'fatal: not sent: state unusable: .*state/counts' "$Z/sendlimit.log"
	[ "$(queued)" -eq 0 ]
	rm "$Z/state"
	mkdir "$Z/state"
	head -c 5000 /dev/urandom > "$Z/state/counts"
	run -0 q
	grep -q 'counts was corrupt: moved to .*counts.corrupt: counts start again' "$Z/sendlimit.log"
	[ -f "$Z/state/counts.corrupt" ]
	[ "$(queued)" -eq 1 ]
}

@test "set-user-id, it takes no option; the limits file is checked whole before it replaces the old one" {
	cp "$RG_BIN/sendlimit" "$Z/sendlimit-suid"
	chown daemon "$Z/sendlimit-suid"
	chmod 4755 "$Z/sendlimit-suid"
	run -55 setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
	    "$Z/sendlimit-suid" -d /tmp -q /bin/true < /dev/null
	[[ "$output" == *"run set-user-id: no options taken"* ]]
	limits 'mailbox * 3 unlimited'
	cp "$Z/limits.cdb" "$Z/before"
	run -100 limits 'mailbox * 3 unlimited' 'mailbox bob@ 4 4' 'domain x 1'
	[[ "$output" == *"stdin:2:"* ]]
	[[ "$output" == *"bad limits: $Z/limits.cdb left unchanged"* ]]
	cmp "$Z/before" "$Z/limits.cdb"
	[ ! -e "$Z/limits.tmp" ]
}

@test "a long HELO hides no login: counted under the account up to 64 KB of first line, refused beyond" {
	limits 'mailbox alice@example.test 1 unlimited' 'address * 100 unlimited'
	serve
	helo() {	# helo LENGTH: a session after AUTH with a HELO that long
		local h
		h=$(head -c "$1" /dev/zero | tr '\0' h)
		printf '%s\r\n' "EHLO $h" "AUTH PLAIN $(printf '\0alice@example.test\0s3cret-Horse' | base64)" \
		    "MAIL FROM:<a@example.test>" "RCPT TO:<p@elsewhere.test>" DATA "Subject: s" "" body . QUIT |
		    "$TOOLS/tcpcat" -s 127.0.0.2 127.0.0.1 "$PORT"
	}
	run -0 helo 5000
	[[ "$output" == *"250 ok "*" qp "* ]]
	run -0 helo 5000
	[[ "$output" == *"451 mail server temporarily rejected message"* ]]
	run -0 helo 70000
	[[ "$output" == *"451 mail server temporarily rejected message"* ]]
	grep -q 'refused: the first header is over 65536 bytes' "$Z/sendlimit.log"
	[ "$(queued)" -eq 1 ]
}

@test "a queue that stops reading a large message early: its answer at once, the writer never blocked" {
	limits 'mailbox * 5 unlimited'
	{
		printf 'Received: from pc (HELO pc) (alice@example.test@192.0.2.1)\n  by mx.example.test with ESMTPA; 28 Nov 2026 10:00:00 -0000\n\n'
		head -c 20000000 /dev/zero | tr '\0' x | fold -w 76
	} > "$Z/big"
	printf 'Fa@example.test\0Tp@elsewhere.test\0\0' > "$Z/env"
	printf '#!/bin/sh\nexit 53\n' > "$Z/quit"
	chmod 755 "$Z/quit"
	run -53 timeout 30 sh -c 'cat "$1" | "$2" -L stderr -n root -l "$3" -d "$4" -q "$5" 1< "$6"' - \
	    "$Z/big" "$RG_BIN/sendlimit" "$Z/limits.cdb" "$Z/state" "$Z/quit" "$Z/env"
}

@test "settings: options over environment over the file; a bad line in the file is a temporary refusal; set-user-id reads only the built-in file" {
	limits 'mailbox * 1 unlimited'
	printf 'Received: from pc (HELO pc) (alice@example.test@192.0.2.1)\n  by mx.example.test with ESMTPA; 28 Nov 2026 10:00:00 -0000\n\nbody\n' > "$Z/msg"
	printf 'Fa@example.test\0Tp@elsewhere.test\0\0' > "$Z/env"
	printf 'SENDLIMIT_LIMITS = %s\nSENDLIMIT_STATE = %s/nowhere\nSENDLIMIT_QUEUE = %s\nSENDLIMIT_SMTPUSERS = root\n' \
	    "$Z/limits.cdb" "$Z" "$TOOLS/qmail-queue-standin" > "$Z/conf"
	q() { env SENDLIMIT_CONF="$Z/conf" STANDIN_QUEUE="$Z/q" "$@" < "$Z/msg" 1< "$Z/env"; }
	# the file's state directory is not there: 53
	run -53 q "$RG_BIN/sendlimit" -L stderr
	[[ "$output" == *"$Z/nowhere/counts"* ]]
	# the environment over the file, an option over the environment
	run -0 q env SENDLIMIT_STATE="$Z/state" "$RG_BIN/sendlimit" -L stderr
	[[ "$output" == *"ok mailbox alice@example.test 1/1"* ]]
	run -53 q env SENDLIMIT_STATE="$Z/nowhere" "$RG_BIN/sendlimit" -L stderr -d "$Z/state2"
	[[ "$output" == *"$Z/state2/counts"* ]]
	mkdir "$Z/state2"
	run -0 q env SENDLIMIT_STATE="$Z/nowhere" "$RG_BIN/sendlimit" -L stderr -d "$Z/state2"
	[[ "$output" == *"ok mailbox alice@example.test 1/1"* ]]
	# in qmail-queue's place, the queue it runs must not be itself
	run -55 q "$RG_BIN/sendlimit" -L stderr -d "$Z/state" -q "$RG_BIN/sendlimit"
	[[ "$output" == *"$RG_BIN/sendlimit is sendlimit itself"* ]]
	# a setting it does not know stops it: a limit ignored would not be there
	echo 'SENDLIMIT_LIMIT = /tmp/x' >> "$Z/conf"
	run -55 q "$RG_BIN/sendlimit" -L stderr -d "$Z/state"
	[[ "$output" == *"$Z/conf:5: SENDLIMIT_LIMIT: unknown setting"* ]]
	# set-user-id: SENDLIMIT_CONF and SENDLIMIT_* are the caller's, not taken
	cp "$RG_BIN/sendlimit" "$Z/sendlimit-suid"
	chown daemon "$Z/sendlimit-suid"
	chmod 4755 "$Z/sendlimit-suid"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups -- env \
	    SENDLIMIT_CONF="$Z/conf" SENDLIMIT_STATE=/tmp "$Z/sendlimit-suid" -s
	[ "$status" -eq 55 ]
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- env \
	    SENDLIMIT_CONF="$Z/conf" SENDLIMIT_STATE="$Z" SENDLIMIT_QUEUE=/bin/true \
	    "$Z/sendlimit-suid" < "$Z/msg" 1< "$Z/env" 2> "$Z/suid.log" || true
	# the built-in paths, none of the caller's
	grep -q '/etc/relaygate/limits.cdb: no limits: not counted' "$Z/suid.log"
	! grep -q "$Z" "$Z/suid.log"
}

@test "sagredo-dev's qmail, whose line leaves the client out: a login is its account, a relay client its address from qmail-smtpd's environment" {
	limits 'mailbox * 1 unlimited' 'address * 1 unlimited'
	printf 'Fa@example.test\0Tp@elsewhere.test\0\0' > "$Z/env"
	q() { env STANDIN_QUEUE="$Z/q" "$@" "${SL[@]}" < "$Z/msg" 1< "$Z/env"; }
	printf 'Received: (HELO pc) (alice@example.test)\n  by mx.example.test with ESMTPA; 28 Nov 2026 10:00:00 +0000\n\nbody\n' > "$Z/msg"
	run -0 q RELAYCLIENT= TCPREMOTEIP=192.0.2.5
	[[ "$output" == *"ok mailbox alice@example.test 1/1"* ]]
	run -71 q RELAYCLIENT= TCPREMOTEIP=192.0.2.5
	printf 'Received: (HELO pc) ()\n  by mx.example.test with SMTP; 28 Nov 2026 10:00:00 +0000\n\nbody\n' > "$Z/msg"
	run -0 q RELAYCLIENT= TCPREMOTEIP=192.0.2.5
	[[ "$output" == *"ok address 192.0.2.5 1/1"* ]]
	run -71 q RELAYCLIENT= TCPREMOTEIP=192.0.2.5
	[[ "$output" == *"refused address 192.0.2.5: 1/1 messages an hour"* ]]
	# without RELAYCLIENT it is mail from outside: not counted
	run -0 q TCPREMOTEIP=192.0.2.5
	[[ "$output" != *"address"* ]]
}

@test "a local user's limit: its login name's line, else its uid's, else the default" {
	chown nobody "$Z/state"
	chmod -R a+rwX "$Z/q"
	printf 'SENDLIMIT_LIMITS = %s\nSENDLIMIT_STATE = %s\nSENDLIMIT_QUEUE = %s\nSENDLIMIT_SMTPUSERS = root\n' \
	    "$Z/limits.cdb" "$Z/state" "$TOOLS/qmail-queue-standin" > "$Z/local.conf"
	printf 'Subject: x\n\nbody\n' > "$Z/msg"
	limits 'user * 5 unlimited' 'user 65534 1 unlimited'
	[ "$(inject nobody)" = 0 ]
	[ "$(inject nobody)" = 111 ]
	grep -q 'refused user nobody: 1/1 messages an hour' "$Z/inject.err"
	rm "$Z/state/counts"
	limits 'user * 5 unlimited' 'user 65534 1 unlimited' 'user nobody 2 unlimited'
	[ "$(inject nobody)" = 0 ]
	[ "$(inject nobody)" = 0 ]
	[ "$(inject nobody)" = 111 ]
	grep -q 'refused user nobody: 2/2 messages an hour' "$Z/inject.err"
}
