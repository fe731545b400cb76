#!/usr/bin/env bats
# relaygate, relaygate-rules and poplock run by hand, as an admin would.

load lib
bats_require_minimum_version 1.5.0

setup() {
	T="$BATS_TEST_TMPDIR"
}

compile() {
	"$RG_BIN/relaygate-rules" "$T/rules.cdb" "$T/rules.tmp"
}

@test "relaygate-rules: a bad line leaves the old database in place" {
	echo '127.:allow,RELAYCLIENT=""' | compile
	before=$(sha256sum < "$T/rules.cdb")
	run compile <<< $'10.0.0.0/8:allow\n10.1.2.3/8:deny\n'
	[ "$status" -eq 100 ]
	[[ "$output" == *"stdin:2: 10.1.2.3/8: bits set past the prefix length (did you mean 10.0.0.0/8?)"* ]]
	[[ "$output" == *"rules.cdb left unchanged"* ]]
	[ "$(sha256sum < "$T/rules.cdb")" = "$before" ]
	[ ! -e "$T/rules.tmp" ]
}

@test "relaygate-rules: an existing tcp.smtp compiles unchanged" {
	cat > "$T/tcp.smtp" <<'RULES'
127.0.0.1:allow,RELAYCLIENT=""
192.168.1.:allow,RELAYCLIENT=""
10.0.0.37-53:deny
=mail.example.com:allow,RELAYCLIENT=""
:allow
RULES
	run compile < "$T/tcp.smtp"
	[ "$status" -eq 0 ]
	[[ "$output" == *"stdin:4: warning: =mail.example.com: host name and TCPREMOTEINFO rules need DNS or ident lookups, which relaygate does not make: rule ignored"* ]]
	run "$RG_BIN/relaygate-rules" -d "$T/rules.cdb"
	[ "${lines[0]}" = '127.0.0.1/32:allow,RELAYCLIENT=""' ]
	[ "${lines[1]}" = '192.168.1.0/24:allow,RELAYCLIENT=""' ]
	[ "${lines[2]}" = '10.0.0.37/32:deny' ]
	[ "${lines[18]}" = '10.0.0.53/32:deny' ]
	[ "${lines[19]}" = '0.0.0.0/0:allow' ]
	[ "${lines[20]}" = '::/0:allow' ]
	[ "${#lines[@]}" -eq 21 ]
}

@test "relaygate-rules: -d output compiles back to the same rules" {
	printf '%s\n' '2001:db8::/32:allow,RELAYCLIENT="",X="a b"' \
	    '127.:deny' | compile
	"$RG_BIN/relaygate-rules" -d "$T/rules.cdb" > "$T/dump1"
	"$RG_BIN/relaygate-rules" "$T/two.cdb" "$T/two.tmp" < "$T/dump1"
	"$RG_BIN/relaygate-rules" -d "$T/two.cdb" > "$T/dump2"
	cmp "$T/dump1" "$T/dump2"
}

@test "relaygate-rules: usage error exits 100" {
	run "$RG_BIN/relaygate-rules" only-one-arg
	[ "$status" -eq 100 ]
	[[ "$output" == "usage: relaygate-rules rules.cdb rules.tmp < rules.txt"* ]]
	run "$RG_BIN/relaygate-rules" -h
	[ "$status" -eq 0 ]
}

@test "relaygate: no socket and no TCPREMOTEIP is a temporary failure" {
	run env -u TCPREMOTEIP "$RG_BIN/relaygate" -l stderr true < /dev/null
	[ "$status" -eq 111 ]
	[[ "$output" == *"fatal: no client address: fd 0 is not a TCP socket and TCPREMOTEIP is unset or invalid"* ]]
	TCPREMOTEIP=../../etc run "$RG_BIN/relaygate" -l stderr true < /dev/null
	[ "$status" -eq 111 ]
}

@test "relaygate: a missing rules file exits 100 and runs nothing" {
	TCPREMOTEIP=127.0.0.1 run "$RG_BIN/relaygate" -x "$T/none.cdb" \
	    touch "$T/ran" < /dev/null
	[ "$status" -eq 100 ]
	[[ "$output" == *"unable to open $T/none.cdb: No such file or directory"* ]]
	[ ! -e "$T/ran" ]
}

@test "relaygate: a corrupt or truncated cdb exits 111, never allows" {
	echo '127.:allow,RELAYCLIENT=""' | compile
	head -c 2100 "$T/rules.cdb" > "$T/trunc.cdb"
	: > "$T/empty.cdb"
	head -c 4096 /dev/urandom > "$T/random.cdb"
	for db in trunc empty random; do
		TCPREMOTEIP=127.0.0.1 run "$RG_BIN/relaygate" -x "$T/$db.cdb" \
		    touch "$T/ran" < /dev/null
		[ "$status" -eq 111 ]
		[ ! -e "$T/ran" ]
	done
}

@test "relaygate: takes TCP variables from the environment without a socket, IPv4-mapped made plain" {
	echo '127.0.0.0/8:allow,RELAYCLIENT=""' | compile
	TCPREMOTEIP=::ffff:127.0.0.9 TCPREMOTEPORT=5000 TCPLOCALIP=127.0.0.1 \
	    TCPLOCALPORT=25 run "$RG_BIN/relaygate" -x "$T/rules.cdb" \
	    -l stderr sh -c 'echo "RC=${RELAYCLIENT-unset} IP=$TCPREMOTEIP"' \
	    < /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"RC= IP=127.0.0.9"* ]]
	[[ "$output" == *"127.0.0.9:5000 -> 127.0.0.1:25: relay (rule 127.0.0.0/8)"* ]]
}

@test "relaygate: argv passes through untouched, options after prog are its own" {
	TCPREMOTEIP=127.0.0.1 run "$RG_BIN/relaygate" -l stderr \
	    "$BATS_TEST_DIRNAME/../tools/argv" -x "a b" '' -p < /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *$'[-x]\n[a b]\n[]\n[-p]'* ]]
}

@test "relaygate: a program that cannot be found exits 127" {
	TCPREMOTEIP=127.0.0.1 run -127 "$RG_BIN/relaygate" -l stderr \
	    /nonexistent/qmail-smtpd < /dev/null
	[ "$status" -eq 127 ]
}

@test "relaygate: bad options exit 100 with the usage" {
	run "$RG_BIN/relaygate" -e 0 true
	[ "$status" -eq 100 ]
	run "$RG_BIN/relaygate" -l nowhere true
	[ "$status" -eq 100 ]
	run "$RG_BIN/relaygate" -l stderr
	[ "$status" -eq 100 ]
	[[ "$output" == *"usage: relaygate [-x rules.cdb]"* ]]
}

@test "poplock -c removes expired stamps and nothing else" {
	mkdir "$T/pop"
	touch "$T/pop/192.0.2.1" "$T/pop/2001:db8::1" "$T/pop/README"
	touch -d '-1 hour' "$T/pop/192.0.2.2" "$T/pop/2001:db8::2" \
	    "$T/pop/old-notes"
	run "$RG_BIN/poplock" -l stderr -p "$T/pop" -e 1800 -c
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed 2 expired stamps, kept 2"* ]]
	run ls "$T/pop"
	[ "$output" = $'192.0.2.1\n2001:db8::1\nREADME\nold-notes' ]
}

@test "poplock: an unwritable stamp directory does not stop the login" {
	TCPREMOTEIP=127.0.0.1 run "$RG_BIN/poplock" -l stderr -p "$T/missing" \
	    echo logged-in < /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: unable to stamp 127.0.0.1 in $T/missing"* ]]
	[[ "$output" == *logged-in* ]]
}

# The stamp directory belongs to the mailbox user poplock runs as (nobody
# here, popuser on Plesk); daemon stands for any other local account.
@test "POP-before-SMTP: a stamp forged by another local account does not relay" {
	P=$(mktemp -d /tmp/rgpop.XXXXXX)
	chmod 755 "$P"
	mkdir "$P/pop"
	chown nobody "$P/pop"
	as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$@"; }
	gate() { env TCPREMOTEIP="$1" "$RG_BIN/relaygate" -l stderr -p "$P/pop" "$TESTTOOLS/envprint" < /dev/null; }
	# the mailbox user's login stamps the address, and it relays
	TCPREMOTEIP=127.0.0.21 as nobody "$RG_BIN/poplock" -l stderr -p "$P/pop" true < /dev/null
	run gate 127.0.0.21
	[[ "$output" == *$'RELAYCLIENT=\n'* ]]
	# another account cannot write there
	run as daemon touch "$P/pop/127.0.0.22"
	[ "$status" -ne 0 ]
	[ ! -e "$P/pop/127.0.0.22" ]
	# a directory opened to every mail user: the forged stamp is written,
	# and no stamp in it counts, not even the real one
	chmod 1777 "$P/pop"
	as daemon touch "$P/pop/127.0.0.22"
	run gate 127.0.0.22
	[[ "$output" == *"RELAYCLIENT unset"* ]]
	[[ "$output" == *"norelay (no rule, pop stamps ignored: directory writable by group or others)"* ]]
	run gate 127.0.0.21
	[[ "$output" == *"RELAYCLIENT unset"* ]]
	# and poplock says so instead of stamping
	TCPREMOTEIP=127.0.0.23 run as nobody "$RG_BIN/poplock" -l stderr -p "$P/pop" true < /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"127.0.0.23 not stamped: $P/pop is writable by group or others"* ]]
	# closed again: the stamp the other account left behind is not its owner's
	chmod 755 "$P/pop"
	run gate 127.0.0.22
	[[ "$output" == *"RELAYCLIENT unset"* ]]
	[[ "$output" == *"pop stamp ignored: owned by uid $(id -u daemon), not the directory's owner"* ]]
	run gate 127.0.0.21
	[[ "$output" == *$'RELAYCLIENT=\n'* ]]
	rm -rf "$P"
}

@test "a usage error prints the usage as written, every line, and exits 100" {
	run -100 "$RG_BIN/poplock"
	[ "${lines[0]}" = "usage: poplock -p dir [-l syslog|stderr] prog [args ...]" ]
	[ "${lines[1]}" = "       poplock -p dir [-e seconds] -c" ]
	# a fatal line says "fatal:" once, and the reason after the colon
	run -127 env TCPREMOTEIP=192.0.2.1 "$RG_BIN/relaygate" -l stderr /nonexistent/prog
	[[ "$output" == *"relaygate: pid "*": fatal: unable to run /nonexistent/prog: No such file or directory"* ]]
	[[ "$output" != *"fatal: fatal:"* ]]
}
