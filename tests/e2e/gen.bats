#!/usr/bin/env bats
# relaygate-gen: golden files for every format, refusals, /etc/services
# merging on copies of real files, derive on the how-to's smtp_psa, and
# the generated xinetd files served by a real xinetd.

load lib
bats_require_minimum_version 1.5.0

setup() {
	T="$BATS_TEST_TMPDIR"
	cd "$TOP"
	GEN="$RG_BIN/relaygate-gen"
}

# the servers a test started are stopped even when it fails
teardown() {
	stop_pid "${XINETD_PID:-}"
	stop_pid "${RBLDNS_PID:-}"
}

@test "golden: every output format matches tests/golden/gen" {
	for f in xinetd systemd daemontools runit; do
		"$GEN" -d tests/fixtures/services.d "$f" "$T/$f" > /dev/null
		diff -r tests/golden/gen/"$f" "$T/$f"
	done
	[ -x "$T/daemontools/mx/run" ]
	[ -x "$T/runit/mx/log/run" ]
}

@test "xinetd.d/ is what relaygate-gen makes of services.d/ (not stale)" {
	"$GEN" xinetd "$T/x" > /dev/null
	diff -r xinetd.d "$T/x"
}

@test "the chain is composed in the one right order" {
	run "$GEN" -d tests/fixtures/services.d chain mx
	[ "$output" = "/opt/relaygate/bin/relaygate -x /etc/relaygate/mx.cdb -p /var/lib/relaygate/pop -e 600 /opt/relaygate/bin/rblskip -D -n 127.0.0.1:5353 -T 2000 -a allow.example -r zen.example -r list2.example=127.0.0.2,127.0.0.4-11 /opt/relaygate/bin/authfirst /opt/qmail/bin/qmail-smtpd mx.example.com /opt/relaygate/bin/authguard /opt/qmail/bin/checkpw /opt/qmail/bin/true" ]
	run "$GEN" chain smtp-alt
	[ "$output" = "/var/qmail/bin/relaygate -x /etc/relaygate/smtp.cdb -p /var/lib/relaygate/pop /var/qmail/bin/authfirst -m always /var/qmail/bin/qmail-smtpd /var/qmail/bin/authguard /var/qmail/bin/true /var/qmail/bin/authguard /var/qmail/bin/true" ]
}

@test "systemd-analyze verify accepts the generated units" {
	command -v systemd-analyze > /dev/null || skip "systemd-analyze is not on this machine"
	"$GEN" -d tests/fixtures/services.d systemd "$T/u" > /dev/null
	cd "$T/u"
	for u in *.socket *@.service; do
		run systemd-analyze verify "$PWD/$u"
		[ "$status" -eq 0 ]
		[[ "$output" != *"ignoring"* ]]
		[[ "$output" != *"Unknown"* ]]
	done
}

@test "a second run changes nothing" {
	"$GEN" -d tests/fixtures/services.d xinetd "$T/x" > /dev/null
	touch -d '2001-01-01' "$T/x"/*
	run "$GEN" -d tests/fixtures/services.d xinetd "$T/x"
	[ "$output" = "$T/x: up to date" ]
	[ -z "$(find "$T/x" -type f -newer "$TOP/Makefile")" ]
}

refused() {	# refused WANT: the definitions in $T/d are refused, nothing written
	run "$GEN" -d "$T/d" xinetd "$T/out"
	[ "$status" -eq 100 ]
	[[ "$output" == *"$1"* ]]
	[[ "$output" == *"nothing written"* ]]
	[ ! -e "$T/out" ]
}

@test "refused before anything is written: unknown key, named with file and line" {
	mkdir "$T/d"
	printf 'port = 25\nrelay_rulez = /x.cdb\n' > "$T/d/smtp"
	refused "$T/d/smtp:2: unknown key \"relay_rulez\""
}

@test "refused: white space xinetd cannot quote" {
	mkdir "$T/d"
	printf 'port = 25\nrelay_rules = /etc/relay gate/x.cdb\n' > "$T/d/smtp"
	refused "relay_rules: \"/etc/relay gate/x.cdb\" contains white space, which xinetd cannot quote"
}

@test "refused: two services on one port, or with one name" {
	mkdir "$T/d"
	printf 'port = 25\n' > "$T/d/a"
	printf 'port = 25\n' > "$T/d/b"
	refused "$T/d/b: port 25 is also $T/d/a's"
	printf 'port = 26\nname = a\n' > "$T/d/b"
	refused "name a is also"
}

@test "refused: server_args over xinetd's limit" {
	mkdir "$T/d"
	zones=$(for i in $(seq 1 300); do printf 'zone%d.a-rather-long-name-for-a-dns-blocklist.example ' "$i"; done)
	printf 'port = 25\nrbl = %s\n' "$zones" > "$T/d/smtp"
	refused "xinetd drops a service whose server_args exceed about 16 KB"
}

@test "refused: a definition that cannot work" {
	mkdir "$T/d"
	printf 'port = 25\nlisted = auth\ncheckpassword = checkpw true\n' > "$T/d/smtp"
	refused "listed = auth needs rbl zones"
	printf 'port = 25\ntls = starttls\ncheckpassword = checkpw true\n' > "$T/d/smtp"
	refused "tls = starttls needs tls_cert and tls_key"
	printf 'port = 25\nauth = required\n' > "$T/d/smtp"
	refused "checkpassword is missing"
	printf 'port = 70000\n' > "$T/d/smtp"
	refused "port: \"70000\" is not a number from 1 to 65535"
	printf 'port = 25\nname = smtp.alt\n' > "$T/d/smtp"
	refused "xinetd skips file names with a dot"
	printf 'port = 25\nlisted = maybe\n' > "$T/d/smtp"
	refused "listed: \"maybe\" is not one of refuse|auth"
}

@test "refused with -c: a program of the chain is missing" {
	mkdir "$T/d"
	printf 'port = 25\nqmail_bin = %s\nrelaygate_bin = %s\n' "$T/nowhere" "$RG_BIN" > "$T/d/smtp"
	run "$GEN" -c -d "$T/d" xinetd "$T/out"
	[ "$status" -eq 100 ]
	[[ "$output" == *"$T/nowhere/qmail-smtpd: No such file or directory"* ]]
	[ ! -e "$T/out" ]
	printf 'backend = %s\n' "$TOOLS/qmail-smtpd-standin" >> "$T/d/smtp"
	run "$GEN" -c -d "$T/d" xinetd "$T/out"
	[ "$status" -eq 0 ]
}

# /etc/services ------------------------------------------------------------

netbase() {	# a copy of this machine's /etc/services, from Debian's netbase
	dpkg -S /etc/services | grep -q '^netbase:'
	cp /etc/services "$1"
}

@test "services: Debian's netbase file gains smtp-alt only, and loses it again byte for byte" {
	netbase "$T/services"
	cp "$T/services" "$T/orig"
	run "$GEN" services "$T/services"
	[ "$status" -eq 0 ]
	diff "$T/orig" "$T/services" > "$T/diff" || true
	[ "$(grep -c '^>' "$T/diff")" -eq 1 ]
	grep -q $'^> smtp-alt\t1025/tcp\t\t# added by relaygate-gen$' "$T/diff"
	# the original is kept once
	cmp "$T/orig" "$T/services.relaygate-orig"
	run "$GEN" services "$T/services"
	[[ "$output" == *"up to date"* ]]
	"$GEN" services -u "$T/services"
	cmp "$T/orig" "$T/services"
}

@test "services: a name already there at another port is reported and never overwritten" {
	printf 'smtp\t25/tcp\nsmtp-alt\t2025/tcp\n' > "$T/services"
	cp "$T/services" "$T/orig"
	run "$GEN" services "$T/services"
	[ "$status" -eq 100 ]
	[[ "$output" == *"$T/services:2: smtp-alt is already port 2025/tcp, not 1025: not changed"* ]]
	cmp "$T/orig" "$T/services"
}

@test "services: a port taken by another name is reported and never overwritten" {
	printf 'smtp\t25/tcp\nblackjack\t1025/tcp\t# network blackjack\n' > "$T/services"
	cp "$T/services" "$T/orig"
	run "$GEN" services "$T/services"
	[ "$status" -eq 100 ]
	[[ "$output" == *"port 1025/tcp is already blackjack, not smtp-alt"* ]]
	cmp "$T/orig" "$T/services"
}

@test "services: a file without a final newline comes back byte-identical" {
	printf '# local\nsmtp\t25/tcp\tmail\nsubmission\t587/tcp\nsubmissions\t465/tcp ssmtp smtps' > "$T/services"
	cp "$T/services" "$T/orig"
	"$GEN" services "$T/services"
	[ "$(tail -n 1 "$T/services")" = $'smtp-alt\t1025/tcp\t\t# added by relaygate-gen, newline added' ]
	head -c "$(stat -c %s "$T/orig")" "$T/services" | cmp - "$T/orig"
	"$GEN" services -u "$T/services"
	cmp "$T/orig" "$T/services"
}

@test "services: a read-only file is replaced atomically with its mode and owner kept" {
	netbase "$T/services"
	chmod 0444 "$T/services"
	chown 1:1 "$T/services"
	"$GEN" services "$T/services"
	[ "$(stat -c '%a %u %g' "$T/services")" = "444 1 1" ]
	grep -q '^smtp-alt' "$T/services"
	[ -z "$(find "$T" -name '.services.tmp*')" ]
}

@test "services: an unwritable directory leaves the file as it was" {
	mkdir "$T/ro"
	netbase "$T/ro/services"
	cp "$T/ro/services" "$T/orig"
	chattr +i "$T/ro" 2>/dev/null || skip "chattr is not supported here"
	run "$GEN" services "$T/ro/services"
	chattr -i "$T/ro"
	[ "$status" -eq 111 ]
	cmp "$T/orig" "$T/ro/services"
}

# derive -------------------------------------------------------------------

normal() {	# config lines only, white space collapsed
	grep -v '^[[:space:]]*#' "$1" | tr -s ' \t' ' ' | sed 's/^ //; s/ $//' | grep -v '^$'
}

@test "derive: the how-to's smtp_psa gives exactly the how-to's smtp_alt_psa" {
	run --separate-stderr "$GEN" derive -n smtp-alt -p 1025 tests/fixtures/smtp_psa
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" > "$T/alt"
	diff <(normal tests/fixtures/smtp_alt_psa.howto) <(normal "$T/alt")
	[[ "$stderr" == *$'add to /etc/services: smtp-alt\t1025/tcp'* ]]
}

@test "derive -u: type UNLISTED and the port, no /etc/services line needed" {
	"$GEN" derive -n smtp-alt -p 1025 -u tests/fixtures/smtp_psa > "$T/alt" 2> /dev/null
	grep -Eq '^[[:space:]]+type[[:space:]]+= UNLISTED$' "$T/alt"
	grep -Eq '^[[:space:]]+port[[:space:]]+= 1025$' "$T/alt"
}

@test "derive -D: rblskip in defer mode and authfirst instead of removing the check" {
	"$GEN" derive -n smtp-alt -p 1025 -D tests/fixtures/smtp_psa > "$T/alt" 2> /dev/null
	grep -q "server_args     = -Rt0 $RG_BIN/rblskip -D -r sbl-xbl.spamhaus.org /var/qmail/bin/relaylock $RG_BIN/authfirst /var/qmail/bin/qmail-smtpd /var/qmail/bin/smtp_auth" "$T/alt"
}

@test "derive: later Plesk chains, extra spaces and other rblsmtpd options" {
	cat > "$T/later" <<'XI'
service smtp
{
   socket_type  =   stream
   protocol = tcp
   wait = no
   user = root
   instances = UNLIMITED
   server = /var/qmail/bin/tcp-env
   server_args  =  -Rt0   /usr/sbin/rblsmtpd  -b -C -t 5 -a allow.example -rbl.example -r zen.spamhaus.org  /var/qmail/bin/relaylock  /var/qmail/bin/qmail-smtpd /var/qmail/bin/smtp_auth /var/qmail/bin/true /var/qmail/bin/cmd5checkpw /var/qmail/bin/true
}
XI
	"$GEN" derive -n smtp-alt -p 1025 "$T/later" > "$T/alt" 2> /dev/null
	grep -q '^   server_args  =  -Rt0 /var/qmail/bin/relaylock /var/qmail/bin/qmail-smtpd /var/qmail/bin/smtp_auth /var/qmail/bin/true /var/qmail/bin/cmd5checkpw /var/qmail/bin/true$' "$T/alt"
	grep -q '^service smtp-alt$' "$T/alt"
	# rblsmtpd as the server itself
	sed 's|server = /var/qmail/bin/tcp-env|server = /usr/sbin/rblsmtpd|; s|-Rt0 *||; s|/usr/sbin/rblsmtpd  ||' "$T/later" > "$T/server"
	"$GEN" derive -n smtp-alt -p 1025 "$T/server" > "$T/alt" 2> /dev/null
	grep -q '^   server = /var/qmail/bin/relaylock$' "$T/alt"
	grep -q '^   server_args  =  /var/qmail/bin/qmail-smtpd /var/qmail/bin/smtp_auth' "$T/alt"
}

# psa_with WORDS: Plesk's smtp_psa with another server_args line
psa_with() {
	sed "s|^\tserver_args.*|\tserver_args     = $*|" tests/fixtures/smtp_psa
}

@test "derive -D: a wrapper named qmail-smtpd-something gets authfirst in front of it" {
	psa_with -Rt0 /usr/sbin/rblsmtpd -r zen.example /var/qmail/bin/qmail-smtpd-inetd /var/qmail/bin/checkpw /bin/true > "$T/in"
	run -0 "$GEN" derive -n smtp-alt -p 1025 -D "$T/in"
	[[ "$output" == *"$RG_BIN/rblskip -D -r zen.example $RG_BIN/authfirst /var/qmail/bin/qmail-smtpd-inetd /var/qmail/bin/checkpw"* ]]
}

@test "derive -D: no SMTP program to put authfirst before is refused, never an RBL-free door" {
	psa_with -Rt0 /usr/sbin/rblsmtpd -r zen.example /usr/local/bin/smtp-front /var/qmail/bin/checkpw /bin/true > "$T/in"
	run -100 "$GEN" derive -n smtp-alt -p 1025 -D "$T/in"
	[[ "$output" == *"no qmail-smtpd after rblsmtpd, so authfirst has no place and rblskip -D would let every listed client in: name the SMTP program with -S"* ]]
	[[ "$output" != *"rblskip -D"*"server_args"* ]]
	run -0 "$GEN" derive -n smtp-alt -p 1025 -D -S smtp-front "$T/in"
	[[ "$output" == *"$RG_BIN/rblskip -D -r zen.example $RG_BIN/authfirst /usr/local/bin/smtp-front"* ]]
	run -100 "$GEN" derive -n smtp-alt -p 1025 -D -S /usr/local/bin/smtp-front "$T/in"
	[[ "$output" == *"-S /usr/local/bin/smtp-front: a program's name, not a path"* ]]
}

@test "derive: rblsmtpd options it does not take are refused, not passed on" {
	psa_with -Rt0 /usr/sbin/rblsmtpd -p rblid:zen.example /var/qmail/bin/qmail-smtpd > "$T/in"
	run -100 "$GEN" derive -n smtp-alt -p 1025 -D "$T/in"
	[[ "$output" == *"rblsmtpd option -p: not one rblsmtpd takes"* ]]
	psa_with -Rt0 /usr/sbin/rblsmtpd -r "zen.example:Listed" /var/qmail/bin/qmail-smtpd > "$T/in"
	run -100 "$GEN" derive -n smtp-alt -p 1025 -D "$T/in"
	[[ "$output" == *"rblsmtpd -r zen.example:Listed: a zone with a text after ':' is a patched rblsmtpd's"* ]]
	# rblsmtpd's own forms: flags together, values attached, --
	psa_with -Rt0 /usr/sbin/rblsmtpd -bC -t5 -rzen.example -- /var/qmail/bin/qmail-smtpd > "$T/in"
	run -0 "$GEN" derive -n smtp-alt -p 1025 -D "$T/in"
	[[ "$output" == *"$RG_BIN/rblskip -D -bC -t5 -rzen.example -- $RG_BIN/authfirst /var/qmail/bin/qmail-smtpd"* ]]
}

@test "derive: a brace in a comment does not end the block; CRLF stays CRLF" {
	sed 's|^{$|{\n\t# } not the end: a comment|' tests/fixtures/smtp_psa > "$T/in"
	run -0 "$GEN" derive -n smtp-alt -p 1025 -D "$T/in"
	[[ "$output" == *"# } not the end: a comment"* ]]
	[[ "$output" == *"$RG_BIN/rblskip -D -r sbl-xbl.spamhaus.org"* ]]
	sed 's/$/\r/' tests/fixtures/smtp_psa > "$T/crlf"
	"$GEN" derive -n smtp-alt -p 1025 -u -D "$T/crlf" > "$T/out" 2> /dev/null
	# every line ends in CRLF, the written ones too
	[ "$(grep -c $'\r$' "$T/out")" -eq "$(wc -l < "$T/out")" ]
	grep -q $'^\tport\t\t= 1025\r$' "$T/out"
}

@test "derive: a file with two service blocks is refused" {
	{ cat tests/fixtures/smtp_psa; sed 's/^service smtp$/service smtps/' tests/fixtures/smtp_psa; } > "$T/two"
	run -100 "$GEN" derive -n smtp-alt -p 1025 "$T/two"
	[[ "$output" == *"2 service blocks: derive takes a file with one"* ]]
}

@test "derive: -n takes only names /etc/services and xinetd can hold" {
	for bad in 'smtp#alt' 'smtp{alt' '-x' 'Smtp' 'a.b' ''; do
		run -100 "$GEN" derive -n "$bad" -p 1025 tests/fixtures/smtp_psa
		[[ "$output" == *"not a service name"* ]]
	done
	run -0 "$GEN" derive -n smtp-alt2 -p 1025 tests/fixtures/smtp_psa
}

@test "derive: long command lines are never cut: kept whole, or refused over xinetd's limit" {
	# 400 words, 9 KB: over the old 256 words and 8 KB
	words=$(for i in $(seq 1 400); do printf '/var/qmail/bin/arg%05d ' "$i"; done)
	psa_with -Rt0 /usr/sbin/rblsmtpd -r zen.example /var/qmail/bin/qmail-smtpd $words > "$T/in"
	run -0 "$GEN" derive -n smtp-alt -p 1025 -D "$T/in"
	[[ "$output" == *"/var/qmail/bin/arg00001 "*"/var/qmail/bin/arg00400"$'\n'* ]]
	# 800 words, 18 KB: xinetd would drop it
	words=$(for i in $(seq 1 800); do printf '/var/qmail/bin/arg%05d ' "$i"; done)
	psa_with -Rt0 /usr/sbin/rblsmtpd -r zen.example /var/qmail/bin/qmail-smtpd $words > "$T/in"
	run -100 "$GEN" derive -n smtp-alt -p 1025 -D "$T/in"
	[[ "$output" == *"xinetd drops a service whose server_args exceed about 16 KB"* ]]
}

@test "derive: a file without rblsmtpd is refused" {
	printf 'service smtp\n{\n server = /var/qmail/bin/qmail-smtpd\n}\n' > "$T/plain"
	run -100 "$GEN" derive -n smtp-alt -p 1025 "$T/plain"
	[[ "$output" == *"no rblsmtpd in the server's command line"* ]]
}

# served by a real xinetd ------------------------------------------------

@test "generated xinetd files are loaded by a real xinetd and serve swaks" {
	mkdir -p "$T/d" "$T/x" "$T/control"
	echo example.test > "$T/control/rcpthosts"
	echo '127.0.0.1:allow,RELAYCLIENT=""' |
	    "$RG_BIN/relaygate-rules" "$T/rules.cdb" "$T/rules.tmp"
	port=$("$TOOLS/freeport")
	cat > "$T/d/mx" <<DEF
port		= $port
bind		= 127.0.0.1
relay_rules	= $T/rules.cdb
relaygate_bin	= $RG_BIN
backend		= $TOOLS/qmail-smtpd-standin
env		= STANDIN_CONTROL=$T/control
DEF
	"$GEN" -c -d "$T/d" xinetd "$T/x"
	{ xinetd_defaults "$T"; echo "includedir $T/x"; } > "$T/xinetd.conf"
	start_xinetd "$T"
	wait_listen 127.0.0.1 "$port"
	run swaks --server 127.0.0.1 --port "$port" --from a@example.org --to friend@elsewhere.test
	r1=$status
	run2=$(swaks --server 127.0.0.1 --port "$port" --local-interface 127.0.0.2 \
	    --from a@example.org --to friend@elsewhere.test 2>&1 || true)
	stop_pid "$XINETD_PID"
	[ "$r1" -eq 0 ]
	[[ "$output" == *"<-  250 ok "* ]]
	[[ "$run2" == *"<** 553 sorry, that domain isn't in my list of allowed rcpthosts"* ]]
}

# daemontools and runit start the run script as root: no value from a
# definition may be run by the shell, whatever check lets through.
@test "daemontools/runit: hostile values in a definition reach tcpserver as words, never run" {
	mkdir -p "$T/d" "$T/fake"
	cp services.d/defaults "$T/d/"
	# no white space (check refuses it), every other shell character
	cat > "$T/d/evil" <<DEF
port = 2526
env = A=\$(>$T/pwned1) B='q' C=\`>$T/pwned2\` D=x;>$T/pwned3
qmail_bin = /x;>$T/pwned4
log_dir = $T/log\$(>$T/pwned5)|&
DEF
	printf '%s\n' '#!/bin/sh' 'printf "[%s]\n" "$@"; echo "A=$A B=$B C=$C D=$D"' > "$T/fake/tcpserver"
	printf '%s\n' '#!/bin/sh' 'printf "[%s]\n" "$@"' > "$T/fake/multilog"
	cp "$T/fake/multilog" "$T/fake/svlogd"
	chmod +x "$T/fake/"*
	"$GEN" -d "$T/d" check
	for f in daemontools runit; do
		"$GEN" -d "$T/d" "$f" "$T/$f" > /dev/null
		run env PATH="$T/fake:$PATH" sh "$T/$f/evil/run"
		[ "$status" -eq 0 ]
		[[ "$output" == *"[/x;>$T/pwned4/qmail-smtpd]"* ]]
		[[ "$output" == *"A=\$(>$T/pwned1) B='q' C=\`>$T/pwned2\` D=x;>$T/pwned3"* ]]
		(cd "$T" && PATH="$T/fake:$PATH" sh "$T/$f/evil/log/run") > "$T/log.out"
		grep -qF "[$T/log\$(>$T/pwned5)|&]" "$T/log.out"
		rm -rf "$T/log\$(>$T/pwned5)|&"
	done
	# a user name that is no user: the script stops before tcpserver
	sed -i "1a user = mail\$(>$T/pwned6)" "$T/d/evil"
	"$GEN" -d "$T/d" check
	"$GEN" -d "$T/d" daemontools "$T/dt2" > /dev/null
	run env PATH="$T/fake:$PATH" sh "$T/dt2/evil/run"
	[ "$status" -eq 111 ]
	[[ "$output" != *"[-u]"* ]]
	for n in 1 2 3 4 5 6; do [ ! -e "$T/pwned$n" ]; done
}

@test "services: CentOS 7's file: port 1025 is blackjack, refused with a way past; -s adds smtp-alt as a second name and -u takes it out to the byte" {
	cp tests/fixtures/services.centos7 "$T/services"
	run "$GEN" services "$T/services"
	[ "$status" -eq 100 ]
	[[ "$output" == *"services:21: port 1025/tcp is already blackjack, not smtp-alt: not changed"* ]]
	[[ "$output" == *"give the service another port in its definition, or run services -s"* ]]
	cmp tests/fixtures/services.centos7 "$T/services"
	run "$GEN" services -s "$T/services"
	[ "$status" -eq 0 ]
	[[ "$output" == *"services:21: port 1025/tcp is also blackjack: smtp-alt added as a second name for it"* ]]
	# smtps (an alias of urd) and submission are there already: one line added
	diff tests/fixtures/services.centos7 "$T/services" | grep '^>' > "$T/added" || true
	[ "$(cat "$T/added")" = $'> smtp-alt\t1025/tcp\t\t# added by relaygate-gen' ]
	"$GEN" services -u "$T/services"
	cmp tests/fixtures/services.centos7 "$T/services"
}

@test "services -u: takes out exactly the lines it adds, never an admin's line that mentions it" {
	netbase "$T/services"
	cat >> "$T/services" <<'LINES'
smtp-alt2	2025/tcp		# added by relaygate-gen, then kept by the admin
# added by relaygate-gen
legacy	3025/tcp	# note: added by relaygate-gen in 2025
LINES
	cp "$T/services" "$T/orig"
	"$GEN" services "$T/services"
	grep -c 'added by relaygate-gen' "$T/services" | grep -qx 4
	"$GEN" services -u "$T/services"
	cmp "$T/orig" "$T/services"
}

# derive, end to end: a Plesk-shaped smtp_psa with this machine's paths
# (relaygate in tcp-env's place, which Debian does not package, to set
# TCPREMOTEIP; ucspi-tcp's rblsmtpd; the stand-in as qmail-smtpd behind a
# wrapper's name), derived, loaded by a real xinetd, served to swaks.
@test "derive: the derived files served by a real xinetd: the how-to's door, and -D closing it" {
	mkdir -p "$T/z" "$T/control" "$T/qbin" "$T/x"
	test_zones "$T/z"
	echo example.test > "$T/control/rcpthosts"
	echo mx.example.test > "$T/control/me"
	printf 'customer Tr0ub4dor-and-3\n' > "$T/users"
	ln -s "$TOOLS/qmail-smtpd-standin" "$T/qbin/qmail-smtpd-inetd"
	cat > "$T/smtp_psa" <<XI
service smtp
{
	socket_type     = stream
	protocol        = tcp
	wait            = no
	disable         = no
	user            = root
	instances       = UNLIMITED
	bind            = 127.0.0.1
	env             = STANDIN_CONTROL=$T/control CHECKPW_USERS=$T/users STANDIN_AUTHSLEEP=0 DNSCACHEIP=$RBLDNS_ADDR
	server          = $RG_BIN/relaygate
	server_args     = /usr/bin/rblsmtpd -r listed.test $T/qbin/qmail-smtpd-inetd $TESTTOOLS/checkpw /bin/true
}
XI
	p1=$("$TOOLS/freeport")
	p2=$("$TOOLS/freeport")
	"$GEN" derive -n smtp-howto -p "$p1" -u "$T/smtp_psa" > "$T/x/smtp-howto"
	"$GEN" derive -n smtp-defer -p "$p2" -u -D "$T/smtp_psa" > "$T/x/smtp-defer"
	{ xinetd_defaults "$T"; echo "includedir $T/x"; } > "$T/xinetd.conf"
	start_xinetd "$T"
	wait_listen 127.0.0.1 "$p1"
	wait_listen 127.0.0.1 "$p2"
	sw() { swaks --server 127.0.0.1 --from a@example.org --quit-after RCPT --timeout 10 "$@" 2>&1 || true; }
	# the how-to's port: a listed client is in, no AUTH asked (the door)
	out=$(sw --port "$p1" --local-interface 127.0.0.2 --to postmaster@example.test)
	[[ "$out" == *"<-  250 ok"* ]]
	# -D: the same client is asked to authenticate, with the list's text
	out=$(sw --port "$p2" --local-interface 127.0.0.2 --to postmaster@example.test)
	[[ "$out" == *"<** 451 4.7.1 listed.test: Listed at listed.test"*"authenticate first"* ]]
	[[ "$out" != *"RCPT TO"*"<-  250"* ]]
	# and once it has, it relays
	out=$(sw --port "$p2" --local-interface 127.0.0.2 --to friend@elsewhere.test \
	    --auth LOGIN --auth-user customer --auth-password Tr0ub4dor-and-3)
	[[ "$out" == *"<-  235"* ]]
	[[ "$out" == *"RCPT TO:<friend@elsewhere.test>"*"<-  250 ok"* ]]
	# a client on no list goes straight through
	out=$(sw --port "$p2" --local-interface 127.0.0.1 --to postmaster@example.test)
	[[ "$out" == *"RCPT TO:<postmaster@example.test>"*"<-  250 ok"* ]]
	stop_pid "$XINETD_PID"
	stop_pid "$RBLDNS_PID"
}

@test "derive -D: the programs it names must be there; by default beside relaygate-gen" {
	run -0 "$GEN" derive -n smtp-alt -p 1025 -D tests/fixtures/smtp_psa
	[[ "$output" == *"$RG_BIN/rblskip -D"* ]]
	run -100 "$GEN" derive -n smtp-alt -p 1025 -D -b /nonexistent/bin tests/fixtures/smtp_psa
	[[ "$output" == *"/nonexistent/bin/rblskip: No such file or directory: the derived file would run it"* ]]
	[[ "$output" != *"service smtp-alt"* ]]
}

@test "derive: the name and port are checked against /etc/services (CentOS's blackjack 1025)" {
	run -0 --separate-stderr "$GEN" derive -n smtp-alt -p 1025 -f tests/fixtures/services.centos7 tests/fixtures/smtp_psa
	[[ "$stderr" == *"services.centos7:21: port 1025/tcp is blackjack there: add smtp-alt as a second name for it"* ]]
	# a name that is another port there: xinetd would serve the wrong port
	printf 'smtp-alt\t2025/tcp\n' > "$T/services"
	run -100 "$GEN" derive -n smtp-alt -p 1025 -f "$T/services" tests/fixtures/smtp_psa
	[[ "$output" == *"smtp-alt is port 2025/tcp there, so xinetd would serve it on 2025, not 1025"* ]]
	# UNLISTED carries its port: no question of /etc/services
	run -0 "$GEN" derive -n smtp-alt -p 1025 -u -f "$T/services" tests/fixtures/smtp_psa
}

@test "sendlimit = yes: QMAILQUEUE names sendlimit in every format; with QMAILQUEUE in env too it is refused; -c wants the program" {
	mkdir "$T/d"
	cp tests/fixtures/services.d/* "$T/d/"
	f=$(grep -l '^port' "$T"/d/* | head -1)
	echo 'sendlimit = yes' >> "$f"
	bin=$(sed -n 's/^relaygate_bin[[:space:]]*=[[:space:]]*//p' "$T/d/defaults")
	bin=${bin:-$(sed -n 's/^qmail_bin[[:space:]]*=[[:space:]]*//p' "$T/d/defaults")}
	bin=${bin:-/var/qmail/bin}
	for fmt in xinetd systemd daemontools; do
		"$GEN" -d "$T/d" "$fmt" "$T/$fmt" > /dev/null
	done
	name=$(basename "$f")
	grep -rq "env.*= QMAILQUEUE=$bin/sendlimit" "$T/xinetd"
	grep -rqx "Environment=QMAILQUEUE=$bin/sendlimit" "$T/systemd"
	grep -rqx "export QMAILQUEUE=$bin/sendlimit" "$T/daemontools"
	# only the service that says so
	[ "$(grep -rl QMAILQUEUE "$T/xinetd" | wc -l)" -eq 1 ]
	cp "$f" "$T/keep"
	if grep -q '^env' "$f"; then
		sed -i 's|^env[[:space:]]*=[[:space:]]*|&QMAILQUEUE=/var/qmail/bin/qmail-queue |' "$f"
	else
		echo 'env = QMAILQUEUE=/var/qmail/bin/qmail-queue' >> "$f"
	fi
	run -100 "$GEN" -d "$T/d" xinetd "$T/x2"
	[[ "$output" == *"sendlimit = yes and QMAILQUEUE in env: one queue program"* ]]
	cp "$T/keep" "$f"
	sed -i "s|^relaygate_bin.*||; \$a relaygate_bin = $T/nobin" "$f"
	run "$GEN" -c -d "$T/d" xinetd "$T/x3"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$T/nobin/sendlimit"* ]]
}

@test "redis = host:port sets AUTHGUARD_REDIS and SENDLIMIT_REDIS for the chain, beside QMAILQUEUE" {
	mkdir "$T/d"
	cp tests/fixtures/services.d/* "$T/d/"
	printf 'sendlimit = yes\nredis = 127.0.0.1:6379\n' >> "$T/d/defaults"
	"$GEN" -d "$T/d" xinetd "$T/x" > /dev/null
	for f in "$T"/x/*; do
		grep -Eq "^[[:space:]]*env[[:space:]]*= QMAILQUEUE=[^ ]*/sendlimit.* AUTHGUARD_REDIS=127.0.0.1:6379 SENDLIMIT_REDIS=127.0.0.1:6379\$" "$f"
	done
	"$GEN" -d "$T/d" systemd "$T/s" > /dev/null
	grep -rqx 'Environment=SENDLIMIT_REDIS=127.0.0.1:6379' "$T/s"
}
