#!/usr/bin/env bats
# One test per row of the README's table "When something breaks".

load lib
bats_require_minimum_version 1.5.0

setup() {
	T="$BATS_TEST_TMPDIR"
	printf 'alice s3cret-Horse-9\n' > "$T/users"
	export CHECKPW_USERS="$T/users" AUTHGUARD_CONF=/dev/null
}

ran() { [ -e "$T/ran" ]; }

@test "relaygate: rules database missing: exit 100, nothing runs" {
	run -100 env TCPREMOTEIP=127.0.0.1 "$RG_BIN/relaygate" -l stderr -x "$T/none.cdb" touch "$T/ran"
	! ran
}

@test "relaygate: rules database corrupt or truncated: exit 111, nothing runs" {
	echo '127.:allow,RELAYCLIENT=""' | "$RG_BIN/relaygate-rules" "$T/r.cdb" "$T/r.tmp"
	head -c 2100 "$T/r.cdb" > "$T/t.cdb"
	run -111 env TCPREMOTEIP=127.0.0.1 "$RG_BIN/relaygate" -l stderr -x "$T/t.cdb" touch "$T/ran"
	! ran
}

@test "relaygate: POP stamp directory unusable: not a relay client" {
	run -0 env TCPREMOTEIP=127.0.0.1 "$RG_BIN/relaygate" -l stderr -p "$T/none" \
	    sh -c 'echo "RC=${RELAYCLIENT-unset}"'
	[[ "$output" == *"RC=unset"* ]]
}

@test "rblskip: DNS server down: accept by default, 451 with -c" {
	run -0 env TCPREMOTEIP=127.0.0.2 "$RG_BIN/rblskip" -l stderr -n 127.53.0.250:53 -r z.test \
	    touch "$T/ran" < /dev/null
	ran
	run env TCPREMOTEIP=127.0.0.2 "$RG_BIN/rblskip" -l stderr -n 127.53.0.250:53 -c -t 0 -r z.test \
	    true < /dev/null
	[[ "$output" == *"451 temporary RBL lookup error"* ]]
}

@test "rblskip: DNS answers of garbage and 127.255.255.x are DNS errors, never listings" {
	"$TOOLS/udpsink" -g 127.0.0.1 0 > "$T/port" &
	sink=$!
	for ((i = 0; i < 100; i++)); do [ -s "$T/port" ] && break; sleep 0.05; done
	run env TCPREMOTEIP=127.0.0.2 "$RG_BIN/rblskip" -l stderr -n "127.0.0.1:$(cat "$T/port")" \
	    -T 1000 -r z.test touch "$T/ran" < /dev/null
	stop_pid "$sink"
	[[ "$output" == *"z.test=error("* ]]
	ran
	# the error code itself, classified
	run env CMOCKA_MESSAGE_OUTPUT=TAP "$TOP/build/tests/test_dnsbl"
	[[ "$output" == *"ok 6 - test_answers_rfc5782"* ]]
}

@test "rblskip: no client address: exit 111, nothing runs" {
	run -111 env -u TCPREMOTEIP "$RG_BIN/rblskip" -l stderr -r z.test touch "$T/ran" < /dev/null
	! ran
}

@test "authfirst: certificate unreadable: exit 111, no session" {
	run -111 env RBLLISTED="z: x" TCPREMOTEIP=127.0.0.2 "$RG_BIN/authfirst" -l stderr \
	    -c "$T/none.pem" -k "$T/none.key" touch "$T/ran" < /dev/null
	! ran
}

@test "authfirst: TLS handshake fails: the session and the backend end" {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" \
	    -out "$T/cert.pem" -days 2 -subj /CN=t 2>/dev/null
	printf 'EHLO plain text where TLS was due\r\n' > "$T/in"
	run env TCPREMOTEIP=127.0.0.2 STANDIN_PARENT="$T/parents" "$RG_BIN/authfirst" -l stderr \
	    -m always -s -c "$T/cert.pem" -k "$T/key.pem" "$TOOLS/qmail-smtpd-standin" < "$T/in"
	[[ "$output" == *"tls handshake failed"* ]]
	# no clear text went out, and no backend was started
	[[ "$output" != *"220 "* ]]
	[ ! -e "$T/parents" ]
}

@test "authfirst: backend cannot be started: the session ends, and the log says why" {
	run -127 env RBLLISTED="z: x" TCPREMOTEIP=127.0.0.2 "$RG_BIN/authfirst" -l stderr \
	    "$T/no-such-backend" < /dev/null
	[[ "$output" == *"fatal: unable to run $T/no-such-backend: No such file or directory"* ]]
	: > "$T/not-executable"
	run -126 env RBLLISTED="z: x" TCPREMOTEIP=127.0.0.2 "$RG_BIN/authfirst" -l stderr -m always \
	    "$T/not-executable" < /dev/null
	[[ "$output" == *"fatal: unable to run $T/not-executable: Permission denied"* ]]
}

guard() {	# guard PASSWORD OPTIONS... CHECKER: one login
	local p=$1
	shift
	printf 'alice\0%s\0\0' "$p" > "$T/fd3"
	TCPREMOTEIP=127.0.0.9 "$RG_BIN/authguard" -l stderr "$@" 3< "$T/fd3"
}

@test "authguard: state directory unusable: the checker still decides" {
	run -0 guard s3cret-Horse-9 -s "$T/none" "$TESTTOOLS/checkpw" true
	[[ "$output" == *"failures are not counted"* ]]
	run -1 guard wrong -s "$T/none" "$TESTTOOLS/checkpw" true
}

@test "authguard: state file corrupt: moved aside, counting starts again" {
	mkdir "$T/s"
	echo junk > "$T/s/failures"
	run -0 guard s3cret-Horse-9 -s "$T/s" "$TESTTOOLS/checkpw" true
	[ -f "$T/s/failures.corrupt" ]
}

@test "authguard: banned list missing: the built-in list still refuses" {
	printf 'alice letmein\n' > "$T/users"
	mkdir "$T/s"
	run -1 guard letmein -s "$T/s" -b "$T/none.cdb" "$TESTTOOLS/checkpw" true
	[[ "$output" == *"weak password refused from 127.0.0.9 (one of the most common passwords): user alice"* ]]
}

@test "authguard: state full: a new key is refused, a known one still counted" {
	mkdir "$T/s"
	# a table at its largest, every entry live: one for alice, the rest
	# for others (the key is all zeros, as the test wrote the file)
	python3 - "$T/s/failures" "$(date +%s)" <<'PY'
import hashlib, hmac, struct, sys
path, now = sys.argv[1], int(sys.argv[2])
n = 1 << 19
key = bytes(32)
def h(kind, name):
    d = hmac.new(key, (kind + ":" + name).encode(), hashlib.sha256).digest()
    return struct.unpack("<Q", d[:8])[0] or 1
slot = struct.Struct("<QII" + "I" * 64)
table = bytearray(n * slot.size)
alice = h("u", "alice")
for i in range(n):
    slot.pack_into(table, i * slot.size, (i * 2 + 3) if i != alice & (n - 1) else alice,
                   now, 1, now, *([0] * 63))
with open(path, "wb") as f:
    f.write(b"RGWIN001" + struct.pack("<II", n, n) + key + bytes(128 - 48))
    f.write(table)
PY
	chmod 600 "$T/s/failures"
	printf 'alice s3cret-Horse-9\nbob Blue-Kettle-Orbit-2\n' > "$T/users"
	printf 'bob\0Blue-Kettle-Orbit-2\0\0' > "$T/fd3"
	run -1 env TCPREMOTEIP=127.0.0.9 "$RG_BIN/authguard" -l stderr -s "$T/s" \
	    "$TESTTOOLS/checkpw" true 3< "$T/fd3"
	[[ "$output" == *"refused, state full from 127.0.0.9 (no room for a new key: 458752 live keys at most): user bob"* ]]
	# alice has one failure on file; without an address key she needs no room
	run -0 env -u TCPREMOTEIP CHECKPW_USERS="$T/users" "$RG_BIN/authguard" -l stderr \
	    -s "$T/s" -u 2 "$TESTTOOLS/checkpw" true 3< <(printf 'alice\0s3cret-Horse-9\0\0') < /dev/null
	[[ "$output" == *"ok from unknown: user alice"* ]]
	run -1 env -u TCPREMOTEIP "$RG_BIN/authguard" -l stderr -s "$T/s" -u 1 \
	    "$TESTTOOLS/checkpw" true 3< <(printf 'alice\0s3cret-Horse-9\0\0') < /dev/null
	[[ "$output" == *"locked from unknown (1 failures for the user, 0 from unknown"* ]]
}

@test "authguard: checker fails temporarily: 111 passed on, and the client gets 535" {
	mkdir "$T/s"
	run -111 guard s3cret-Horse-9 -s "$T/s" sh -c 'exit 111'
	[[ "$output" == *"checker failed from 127.0.0.9 (status 111): user alice"* ]]
	# through the stand-in, which answers as the AUTH patch does
	run bash -c "printf 'EHLO x\r\nAUTH PLAIN %s\r\nQUIT\r\n' \$(printf '\\0alice\\0s3cret-Horse-9' | base64) |
	    STANDIN_AUTHSLEEP=0 AUTHGUARD_CONF=/dev/null TCPREMOTEIP=127.0.0.9 \
	    '$TOOLS/qmail-smtpd-standin' '$RG_BIN/authguard' -l stderr -s '$T/s' sh -c 'exit 111'"
	[[ "$output" == *"535 authentication failed (#5.7.1)"* ]]
	[[ "$output" == *"checker failed from 127.0.0.9 (status 111)"* ]]
}

@test "authguard: no checker named in Plesk's pairs: never runs true" {
	mkdir "$T/s"
	run -111 guard anything -s "$T/s" /var/qmail/bin/true authguard true
	[[ "$output" == *"which accepts every password: set AUTHGUARD_CHECKER"* ]]
}

@test "poplock: stamp cannot be written: the login goes on" {
	run -0 env TCPREMOTEIP=127.0.0.1 "$RG_BIN/poplock" -l stderr -p "$T/none" touch "$T/ran"
	ran
	[[ "$output" == *"unable to stamp"* ]]
}

@test "qtriage: a damaged queue file is reported and skipped" {
	printf 's@example.org\tr:a@example.net\t192.0.2.1\th\t-\ts\t5\t\ns@example.org\tr:b@example.net\t192.0.2.2\th\t-\ts\t5\t\n' |
	    "$TOOLS/mkqueue" "$T/q" 2>/dev/null
	f=$(find "$T/q/info" -type f | head -n 1)
	printf 'garbage' > "$f"
	run -0 "$RG_BIN/qtriage" -q "$T/q" top -n 1
	[[ "$output" == *"warning: damaged $f"* ]]
	[[ "$output" == *"1 of the 1 messages"* ]]
}

@test "relaygate-rules: a bad rule: exit 100, old database kept" {
	echo '127.:allow' | "$RG_BIN/relaygate-rules" "$T/r.cdb" "$T/r.tmp"
	cp "$T/r.cdb" "$T/old"
	run -100 "$RG_BIN/relaygate-rules" "$T/r.cdb" "$T/r.tmp" <<< '127.0.0.1/33:allow'
	cmp "$T/old" "$T/r.cdb"
}

@test "relaygate-gen: a bad definition: exit 100, nothing written" {
	mkdir "$T/d"
	printf 'port = 25\nbogus = 1\n' > "$T/d/x"
	run -100 "$RG_BIN/relaygate-gen" -d "$T/d" xinetd "$T/out"
	[ ! -e "$T/out" ]
}

@test "relaygate-gen: /etc/services unwritable: exit 111, file unchanged" {
	mkdir "$T/etc"
	cp /etc/services "$T/etc/services"
	chattr +i "$T/etc" 2>/dev/null || skip "chattr is not supported here"
	run "$RG_BIN/relaygate-gen" -d "$TOP/services.d" services "$T/etc/services"
	chattr -i "$T/etc"
	[ "$status" -eq 111 ]
	cmp /etc/services "$T/etc/services"
}

@test "relaygate: stamp directory writable by group or others: no stamp in it counts" {
	mkdir -m 1777 "$T/pop"
	touch "$T/pop/127.0.0.1"
	run -0 env TCPREMOTEIP=127.0.0.1 "$RG_BIN/relaygate" -l stderr -p "$T/pop" \
	    sh -c 'echo "RC=${RELAYCLIENT-unset}"'
	[[ "$output" == *"RC=unset"* ]]
	[[ "$output" == *"pop stamps ignored: directory writable by group or others"* ]]
}

install_root() {	# a staging root with qmail's programs and a certificate
	mkdir -p "$T/root/etc/relaygate/tls" "$T/root/var/qmail/bin"
	cp /etc/services "$T/root/etc/services"
	for p in qmail-smtpd true smtp_auth cmd5checkpw; do ln -s /bin/true "$T/root/var/qmail/bin/$p"; done
	touch "$T/root/etc/relaygate/tls/cert.pem" "$T/root/etc/relaygate/tls/key.pem"
	(cd "$T/root" && find . -printf '%p %m %s %l\n' | sort) > "$T/before"
}

@test "relaygate-install: a check fails: exit 100, nothing written" {
	install_root
	printf 'blackjack\t1025/tcp\n' >> "$T/root/etc/services"
	(cd "$T/root" && find . -printf '%p %m %s %l\n' | sort) > "$T/before"
	run -100 "$TOP/bin/relaygate-install" --root "$T/root"
	(cd "$T/root" && find . -printf '%p %m %s %l\n' | sort) | diff "$T/before" -
}

@test "relaygate-install: a step of the writes fails: exit 111, every file put back" {
	install_root
	RELAYGATE_INSTALL_FAILAT=8 run -111 "$TOP/bin/relaygate-install" --root "$T/root"
	(cd "$T/root" && find . -printf '%p %m %s %l\n' | sort) | diff "$T/before" -
	cmp /etc/services "$T/root/etc/services"
}

# sendlimit: one message of alice's, as qmail-smtpd hands it on
sl() {
	printf 'Received: from pc (HELO pc) (alice@example.test@192.0.2.1)\n  by mx.example.test with ESMTPA; 28 Nov 2026 10:00:00 -0000\n\nbody\n' > "$T/msg"
	printf 'Fa@example.test\0Tp@elsewhere.test\0\0' > "$T/env"
	[ -d "$T/q" ] || "$TOOLS/mkqueue" "$T/q" < /dev/null 2> /dev/null
	env STANDIN_QUEUE="$T/q" "$RG_BIN/sendlimit" -L stderr -n root \
	    -l "$T/limits.cdb" -d "$T/state" -q "$TOOLS/qmail-queue-standin" \
	    "$@" < "$T/msg" 1< "$T/env"
}
limits() { printf '%s\n' "$@" | "$RG_BIN/sendlimit" -m "$T/limits.cdb" "$T/limits.tmp"; }
queued() { find "$T/q/mess" -type f | wc -l; }

@test "sendlimit: counts unusable: exit 53 (451), logged, nothing queued" {
	limits 'mailbox * 5 unlimited'
	touch "$T/state"
	run -53 sl
	[[ "$output" == *"fatal: not sent: state unusable: $T/state/counts: Not a directory"* ]]
	[ "$(queued)" -eq 0 ]
}

@test "sendlimit: counts file corrupt: moved aside, counting starts again" {
	limits 'mailbox * 5 unlimited'
	mkdir "$T/state"
	head -c 3000 /dev/urandom > "$T/state/counts"
	run -0 sl
	[[ "$output" == *"counts was corrupt: moved to $T/state/counts.corrupt: counts start again"* ]]
	[[ "$output" == *"ok mailbox alice@example.test 1/5"* ]]
}

@test "sendlimit: counts full: a new object is refused, known ones counted (unit test)" {
	run -0 "$TOP/build/tests/test_counts"
	[[ "$output" == *"[       OK ] test_full_refuses_new_objects"* ]]
}

@test "sendlimit: limits file missing: nothing counted, logged" {
	run -0 sl
	[[ "$output" == *"$T/limits.cdb: no limits: not counted"* ]]
	[ "$(queued)" -eq 1 ]
	[ ! -e "$T/state/counts" ]
}

@test "sendlimit: limits file corrupt or unreadable: exit 55 (451), nothing queued" {
	limits 'mailbox * 5 unlimited'
	head -c 100 "$T/limits.cdb" > "$T/t.cdb"
	mv "$T/t.cdb" "$T/limits.cdb"
	run -55 sl
	[[ "$output" == *"not a limits database"* ]]
	rm "$T/limits.cdb"
	mkdir "$T/limits.cdb"
	run -55 sl
	[ "$(queued)" -eq 0 ]
}

@test "sendlimit: qmail-queue fails or cannot run: its code is the answer, not counted" {
	limits 'mailbox * 1 unlimited'
	mkdir "$T/state"
	run -120 sl -q "$T/no-such-queue"
	printf '#!/bin/sh\ncat > /dev/null; exit 53\n' > "$T/bad"
	chmod 755 "$T/bad"
	run -53 sl -q "$T/bad"
	# neither counted: the one message alice may send still goes
	run -0 sl
	[ "$(queued)" -eq 1 ]
	run -71 sl
}
