#!/usr/bin/env bats
# qtriage over queues in qmail's exact on-disk format, written by the
# fixture builder (tests/tools/mkqueue) and by the qmail-smtpd stand-in.

load lib
bats_require_minimum_version 1.5.0

setup() {
	T="$BATS_TEST_TMPDIR"
	Q="$T/queue"
	# 758 is the story's count; a dozen will do here
	{
		for i in 1 2 3 4 5 6 7 8 9 10; do
			printf 'support@PayPal.Inc.com\tr:victim%d@yahoo.com\t86.107.221.138\tUser\ttest\tDispute Transaction\t%d\t\n' "$i" $((40 + i))
		done
		printf 'support@PayPal.Inc.com\tr:v11@yahoo.com,rd:v12@gmail.com\t86.107.221.138\tUser\ttest\tDispute Transaction\t90\tB\n'
		printf 'alice@example.test\tl:bob@example.test\t192.0.2.10\tpc.example.test\t-\tlunch\t3\t\n'
		printf 'root@mx.example.test\tl:postmaster@example.test\t-\t-\t-\tcron output\t1\t\n'
		printf 'carol@example.org\tr:dave@hotmail.com\t198.51.100.7\tcarol-pc\t-\tnew\t0\tT\n'
	} > "$T/spec"
	"$TOOLS/mkqueue" "$Q" < "$T/spec" 2>/dev/null
	QT=("$RG_BIN/qtriage" -q "$Q")
}

@test "stat: qmail-qstat's two lines, then age, local and remote, bouncing" {
	run "${QT[@]}" stat -R
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "messages in queue: 14" ]
	[ "${lines[1]}" = "messages in queue but not yet preprocessed: 1" ]
	[[ "$output" == *"  30 to 60 minutes   10"* ]]
	[[ "$output" == *"  1 to 6 hours       1"* ]]
	[[ "$output" == *"recipients still to do: 2 local, 11 remote"* ]]
	[[ "$output" == *"bouncing: 1"* ]]
}

@test "stat -o 30 -m 10: more than 10 messages older than 30 minutes exits 1" {
	run -1 "${QT[@]}" stat -o 30 -m 10
	[[ "$output" == *"ALERT: 11 messages"* ]]
	run -0 "${QT[@]}" stat -o 30 -m 11
}

@test "list: qmail-qread's format, done and bouncing included" {
	run "${QT[@]}" list -h User -o 60
	[[ "${lines[0]}" =~ ^[0-9]{1,2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9:]{8}\ GMT\ \ #[0-9]+\ \ [0-9]+\ \ \<support@PayPal.Inc.com\>\ \ bouncing$ ]]
	[ "${lines[1]}" = $'\tremote\tv11@yahoo.com' ]
	[ "${lines[2]}" = $'  done\tremote\tv12@gmail.com' ]
	[ "${#lines[@]}" -eq 3 ]
}

count() { "${QT[@]}" list "$@" | grep -c ' GMT  #' || true; }

@test "filters: sender, recipient, client, HELO, regex, age, uid" {
	[ "$(count -f paypal.inc.com)" -eq 11 ]
	[ "$(count -r hotmail.com)" -eq 1 ]
	[ "$(count -i 86.107.221.138)" -eq 11 ]
	[ "$(count -i 86.107.221.13)" -eq 0 ]
	[ "$(count -h user)" -eq 11 ]
	[ "$(count -p 'Dispute T[a-z]+')" -eq 11 ]
	[ "$(count -p 'body of a message from 192\.0\.2\.10')" -eq 1 ]
	[ "$(count -o 45)" -eq 7 ]
	[ "$(count -u 1000)" -eq 1 ]
	[ "$(count -f paypal -o 45 -r victim)" -eq 6 ]
}

@test "top: the client address, HELO, sender and account come first" {
	run "${QT[@]}" top
	[[ "${lines[0]}" = "14 of the 14 messages in the queue" ]]
	[[ "$output" == *"  86.107.221.138                               11"* ]]
	[[ "$output" == *"  User                                         11"* ]]
	[[ "$output" == *"  support@PayPal.Inc.com                       11"* ]]
	[[ "$output" == *"  test                                         11"* ]]
	[[ "$output" == *"  Dispute Transaction                          11"* ]]
	[[ "$output" == *"  yahoo.com                                    11"* ]]
}

@test "top -F tsv and -F json for scripts" {
	run "${QT[@]}" top -F tsv -n 1
	[[ "$output" == *$'client\t86.107.221.138\t11'* ]]
	[[ "$output" == *$'user\ttest\t11'* ]]
	[ "${#lines[@]}" -eq 9 ]
	run "${QT[@]}" top -F json -n 1 -i 86.107.221.138
	[[ "$output" == '{"messages":11,"total":14,"client":[{"value":"86.107.221.138","count":11}],'* ]]
	[[ "$output" == *'"user":[{"value":"test","count":11}]'* ]]
}

@test "who: the client addresses joined with AUTH log lines name the account" {
	cat > "$T/mail.log" <<'LOG'
Nov 28 10:00:01 mx authguard: pid 12: ok from 86.107.221.138: user test
Nov 28 10:00:02 mx authguard: pid 13: ok, weak password from 86.107.221.138 (one of the most common passwords): user test
Nov 28 10:00:03 mx authguard: pid 14: bad password from 192.0.2.10: user alice
Nov 28 10:00:05 mx authguard: pid 16: bad password from 192.0.2.10: user mallory from 86.107.221.138: ok
Nov 28 10:00:06 mx authguard: pid 17: ok from 2001:db8::7: user carol
Nov 28 10:00:04 mx authfirst: pid 15: 86.107.221.138: gated: zen: Listed, auth test, 0 MAIL refused, 1 bytes in, 2 out, quit
Jul 22 19:40:46 ulise smtp_auth: SMTP user test : /var/qmail/mailnames/example.com/test logged in from unknown [86.107.221.138]
LOG
	run "${QT[@]}" who "$T/mail.log"
	[[ "$output" == *"86.107.221.138: 11 messages"* ]]
	[[ "$output" == *"  logged in as test (2 times)"* ]]
	# a failed login whose user name forges an "ok" names nobody
	[[ "$output" != *"mallory"* ]]
	[[ "$output" == *"192.0.2.10: 1 messages"* ]]
	[[ "$output" == *"accounts named in the messages' Received lines:"* ]]
	[[ "$output" == *"  test: 11 messages"* ]]
}

@test "show and path: a message's files and headers, instead of find" {
	id=$("${QT[@]}" list -r dave@hotmail | sed -n 's/.*#\([0-9]*\) .*/\1/p')
	run "${QT[@]}" path "$id"
	[ "${lines[0]}" = "$Q/mess/$((id % 23))/$id" ]
	[ "${lines[1]}" = "$Q/todo/$id" ]
	[ "${lines[2]}" = "$Q/intd/$id" ]
	run "${QT[@]}" show "#$id"
	[[ "$output" == *"Received: from unknown (HELO carol-pc) (198.51.100.7)"* ]]
	[[ "$output" == *"Subject: new"* ]]
	run -100 "${QT[@]}" path 1
}

tree() { (cd "$Q" && find . -printf '%p %y %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort -k 2); }

@test "yank is a dry run by default; -y moves, restore puts back exactly" {
	tree > "$T/before"
	run "${QT[@]}" yank -p PayPal
	[[ "$output" == *"11 messages would be yanked into $Q/yanked"* ]]
	tree | diff "$T/before" -
	run "${QT[@]}" yank -p PayPal -y
	[[ "$output" == *"yanked 11 messages"* ]]
	[ "$(count)" -eq 3 ]
	[ "$(wc -l < "$Q/yanked/manifest")" -eq 34 ]
	run "${QT[@]}" restore
	[[ "$output" == *"restored 34 files"* ]]
	tree | diff "$T/before" -
}

@test "yank -y refuses while qmail-send holds lock/sendmutex" {
	# a stand-in for qmail-send: holds the lock until it is stopped
	(exec 9> "$Q/lock/sendmutex"; flock 9; exec sleep 20) &
	holder=$!
	for ((i = 0; i < 100; i++)); do
		flock -n "$Q/lock/sendmutex" true 2>/dev/null || break
		sleep 0.05
	done
	run -111 "${QT[@]}" yank -p PayPal -y
	stop_pid "$holder"
	[[ "$output" == *"qmail-send is running"* ]]
	[ "$(count)" -eq 14 ]
}

@test "check: a consistent queue, then each kind of damage reported" {
	run -0 "${QT[@]}" check
	[[ "$output" == *", 0 problems"* ]]
	id=$("${QT[@]}" list -r bob@ | sed -n 's/.*#\([0-9]*\) .*/\1/p')
	s=$((id % 23))
	w=$(((s + 1) % 23))
	mv "$Q/local/$s/$id" "$Q/local/$w/$id"
	cp "$Q/mess/$s/$id" "$Q/mess/$s/$((id + 23000))" 2>/dev/null || true
	echo junk > "$Q/remote/0/notanumber"
	run -1 "${QT[@]}" check
	[[ "$output" == *"local/$w/$id: in split $w, belongs in $s"* ]]
	[[ "$output" == *"name is not its inode"* ]]
	[[ "$output" == *"remote/0/notanumber: not a message file"* ]]
}

@test "damaged and unreadable files are reported, never fatal for the rest" {
	ids=$("${QT[@]}" list -f paypal | sed -n 's/.*#\([0-9]*\) .*/\1/p' | head -2)
	a=$(echo "$ids" | sed -n 1p)
	b=$(echo "$ids" | sed -n 2p)
	printf 'Xnot an info file' > "$Q/info/$((a % 23))/$a"
	rm "$Q/info/$((b % 23))/$b"
	mkdir "$Q/info/$((b % 23))/$b"	# unreadable as a file
	run "${QT[@]}" top -n 1
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: damaged $Q/info/$((a % 23))/$a"* ]]
	[[ "$output" == *"warning: unable to read $Q/info/$((b % 23))/$b"* ]]
	[[ "$output" == *"12 of the 12 messages in the queue"* ]]
}

@test "the big-todo layout: todo/ and intd/ split too" {
	"$TOOLS/mkqueue" -b "$T/big" < "$T/spec" 2>/dev/null
	run "$RG_BIN/qtriage" -q "$T/big" stat
	[ "${lines[1]}" = "messages in queue but not yet preprocessed: 1" ]
	id=$("$RG_BIN/qtriage" -q "$T/big" list -r dave | sed -n 's/.*#\([0-9]*\) .*/\1/p')
	run "$RG_BIN/qtriage" -q "$T/big" path "$id"
	[[ "$output" == *"$T/big/todo/$((id % 23))/$id"* ]]
	run -0 "$RG_BIN/qtriage" -q "$T/big" check
}

@test "not a queue: a clear error" {
	run -111 "$RG_BIN/qtriage" -q "$T/nowhere" stat
	[[ "$output" == *"$T/nowhere is not a qmail queue"* ]]
}

@test "an envelope with control bytes never reaches the terminal as such" {
	printf 'evil\033[31m@x.org\tr:a@b.net\t192.0.2.1\th\t-\ts\t5\t\n' | "$TOOLS/mkqueue" "$T/qe" 2>/dev/null
	run "$RG_BIN/qtriage" -q "$T/qe" top -n 1
	[[ "$output" == *"evil?[31m@x.org"* ]]
	[[ "$output" != *$'\033'* ]]
	run "$RG_BIN/qtriage" -q "$T/qe" list
	[[ "$output" == *"<evil_[31m@x.org>"* ]]
}
