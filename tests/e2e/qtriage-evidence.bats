#!/usr/bin/env bats
# qtriage's evidence against the people it is meant to catch (forged
# headers, planted links, hostile bytes) and against qmail's own
# transient queue states.  Queues in qmail's format, from mkqueue.

load lib
bats_require_minimum_version 1.5.0

setup() {
	T="$BATS_TEST_TMPDIR"
	Q="$T/queue"
	QT=("$RG_BIN/qtriage" -q "$Q")
}

mk() {	# mk < spec: the queue
	"$TOOLS/mkqueue" "$Q" 2>/dev/null
}

messfile() {	# messfile SUBJECT: the mess file of the message
	grep -l "^Subject: $1\$" "$Q"/mess/*/* | head -n 1
}

# insert_after FILE N TEXT: TEXT after line N, in place (the file keeps
# its inode, which is its name in the queue)
insert_after() {
	local content
	content=$(head -n "$2" "$1"; printf '%s\n' "$3"; tail -n +"$(($2 + 1))" "$1")
	printf '%s\n' "$content" > "$1"
}

@test "a local message that forges qmail-smtpd's Received line is local and names no account" {
	printf 'spam@x.test\tr:v@yahoo.com\t-\t-\t-\tforged\t1\t\nalice@example.test\tl:bob@example.test\t192.0.2.10\tpc\t-\tlunch\t1\t\n' | mk
	insert_after "$(messfile forged)" 1 $'Received: from x (HELO x) (alice@192.0.2.10)\n  by mx.example.test with ESMTPA; 28 Nov 2026 10:00:00 -0000'
	run "${QT[@]}" top -F tsv -n 5
	[[ "$output" == *$'client\t(local)\t1'* ]]
	[[ "$output" == *$'client\t192.0.2.10\t1'* ]]
	[[ "$output" != *$'user\talice'* ]]
	[[ "$output" != *$'client\t192.0.2.10\t2'* ]]
	run "${QT[@]}" list -i 192.0.2.10
	[ "$(grep -c 'GMT  #' <<< "$output")" -eq 1 ]
	[[ "$output" == *"<alice@example.test>"* ]]
}

@test "a HELO over 2,048 bytes does not let the client's own Received line win" {
	helo=$(head -c 3000 /dev/zero | tr '\0' A)
	printf 'spam@x.test\tr:v@yahoo.com\t198.51.100.77\t%s\t-\tlonghelo\t1\t\n' "$helo" | mk
	insert_after "$(messfile longhelo)" 3 $'Received: from evil (HELO evil) (mallory@203.0.113.5)\n  by mx.example.test with ESMTPA; 28 Nov 2026 10:00:00 -0000'
	run "${QT[@]}" top -F tsv -n 5
	[[ "$output" == *$'client\t198.51.100.77\t1'* ]]
	[[ "$output" != *mallory* ]]
	[[ "$output" != *203.0.113.5* ]]
}

@test "remote info (ident, MAIL's AUTH=) is labelled unverified, never an account" {
	printf 'a@x.test\tr:v@yahoo.com\t192.0.2.20\tpc\tbob\tclaimed\t1\tR\nc@x.test\tr:w@yahoo.com\t192.0.2.21\tpc2\tcarol\tlogged in\t1\t\n' | mk
	run "${QT[@]}" top -F tsv -n 5
	[[ "$output" == *$'rinfo\tbob\t1'* ]]
	[[ "$output" == *$'user\tcarol\t1'* ]]
	[[ "$output" != *$'user\tbob'* ]]
	run "${QT[@]}" top
	[[ "$output" == *"remote info (unverified: ident or AUTH=)"* ]]
}

@test "C1 control bytes in a subject never reach the terminal; UTF-8 text does" {
	printf 'a@x.test\tr:v@yahoo.com\t192.0.2.22\tpc\t-\tx\xc2\x9b2J\xe9\x9bR\xc3\xa9sum\xc3\xa9\t1\t\n' | mk
	run "${QT[@]}" top
	[ "$(LC_ALL=C grep -c $'\x9b' <<< "$output")" -eq 0 ]
	[[ "$output" == *$'x?2J??R\xc3\xa9sum\xc3\xa9'* ]]
	run "${QT[@]}" who /dev/null
	[ "$(LC_ALL=C grep -c $'\x9b' <<< "$output")" -eq 0 ]
}

@test "show does not follow a link planted in the queue" {
	printf 'a@x.test\tr:v@yahoo.com\t192.0.2.23\tpc\t-\tplanted\t1\t\n' | mk
	f=$(messfile planted)
	echo 'root-only SECRET' > "$T/secret"
	chmod 600 "$T/secret"
	rm "$f"
	ln -s "$T/secret" "$f"
	run "${QT[@]}" show "${f##*/}"
	[ "$status" -eq 111 ]
	[[ "$output" != *SECRET* ]]
}

@test "restore does not take files through a link swapped into the yank directory" {
	printf 'a@x.test\tr:v@yahoo.com\t192.0.2.24\tpc\t-\tyanked\t1\t\n' | mk
	: > "$Q/lock/sendmutex"
	run -0 "${QT[@]}" yank -y -i 192.0.2.24
	mkdir "$T/evil"
	mv "$Q/yanked/mess" "$T/evil/mess"
	ln -s "$T/evil/mess" "$Q/yanked/mess"
	run -111 "${QT[@]}" restore
	[[ "$output" == *"unable to put mess/"* ]]
	[ "$(find "$T/evil/mess" -type f | wc -l)" -eq 1 ]
	[ "$(find "$Q/mess" -type f | wc -l)" -eq 0 ]
}

@test "a yank directory that is not ours is refused" {
	printf 'a@x.test\tr:v@yahoo.com\t192.0.2.25\tpc\t-\ts\t1\t\n' | mk
	: > "$Q/lock/sendmutex"
	mkdir -m 777 "$T/open"
	run -111 "${QT[@]}" yank -y -d "$T/open" -i 192.0.2.25
	[[ "$output" == *"$T/open is not ours (owner 0, mode 777): refused"* ]]
	[ "$(find "$T/open" | wc -l)" -eq 1 ]
	[ "$(find "$Q/mess" -type f | wc -l)" -eq 1 ]
}

# arrive: a message as qmail-queue leaves it before todo/: mess/ only
arrive() {
	local ino
	printf 'Received: (qmail 1 invoked from network); now\n\nbody\n' > "$Q/pid/arriving"
	ino=$(stat -c %i "$Q/pid/arriving")
	ln "$Q/pid/arriving" "$Q/mess/$((ino % 23))/$ino"
	rm "$Q/pid/arriving"
	echo "$Q/mess/$((ino % 23))/$ino"
}

@test "a message still arriving is counted as qmail-qstat counts it, and is no damage" {
	printf 'a@x.test\tr:v@yahoo.com\t192.0.2.26\tpc\t-\ts\t1\t\n' | mk
	f=$(arrive)
	run -0 "${QT[@]}" stat
	[ "${lines[0]}" = "messages in queue: 2" ]
	[ "${lines[1]}" = "messages in queue but not yet preprocessed: 0" ]
	run -0 "${QT[@]}" check
	[ "${lines[-1]}" = "4 files, 0 problems (1 messages still arriving)" ]
	# 36 hours without todo/: qmail-queue died, qmail-send would clean it
	touch -a -d '2 days ago' "$f"
	run -1 "${QT[@]}" check
	[[ "$output" == *"$f: left by a qmail-queue that died"* ]]
}

@test "a message qmail-send is sorting (todo/ and info/ both) is listed once" {
	printf 'a@x.test\tr:v@yahoo.com\t192.0.2.27\tpc\t-\tsorting\t1\t\n' | mk
	f=$(messfile sorting)
	id=${f##*/}
	printf 'u0\0p1\0Fa@x.test\0Tv@yahoo.com\0' > "$Q/intd/$id"
	ln "$Q/intd/$id" "$Q/todo/$id"
	run -0 "${QT[@]}" list
	[ "$(grep -c "#$id " <<< "$output")" -eq 1 ]
	run -0 "${QT[@]}" stat
	[ "${lines[0]}" = "messages in queue: 1" ]
}

@test "an address of 893 bytes is listed whole and found by -f" {
	long=$(head -c 880 /dev/zero | tr '\0' a)@example.test
	printf '%s\tr:v@yahoo.com\t192.0.2.28\tpc\t-\tlong\t1\t\n' "$long" | mk
	run -0 "${QT[@]}" list
	[[ "$output" == *"<$long>"* ]]
	run -0 "${QT[@]}" list -f "aaaa@example.test"
	[ "$(grep -c 'GMT  #' <<< "$output")" -eq 1 ]
}

@test "list -Q shows what qmail-qread shows: no message in todo/" {
	printf 'a@x.test\tr:v@yahoo.com\t192.0.2.29\tpc\t-\tdone\t1\t\nb@x.test\tr:w@yahoo.com\t192.0.2.30\tpc\t-\tnew\t0\tT\n' | mk
	run -0 "${QT[@]}" list
	[ "$(grep -c 'GMT  #' <<< "$output")" -eq 2 ]
	[[ "$output" == *"<b@x.test>  (not yet preprocessed)"* ]]
	run -0 "${QT[@]}" list -Q
	[ "$(grep -c 'GMT  #' <<< "$output")" -eq 1 ]
	[[ "$output" == *"<a@x.test> "$'\n'$'\tremote\tv@yahoo.com'* ]]
}

@test "a web script's spam: grouped by local user and PHP script; who names them; -u takes a name" {
	{
		for i in 1 2 3 4 5; do
			printf 'wp@example.test\tr:v%d@yahoo.com\t-\t-\t-\tscript spam\t2\tP\n' "$i"
		done
		printf 'cron@example.test\tl:root@example.test\t-\t-\t-\tcron\t2\t\n'
	} | MKQUEUE_UID=0 mk
	run -0 "${QT[@]}" top -n 3
	[[ "$output" =~ $'\n'"  root (uid 0, home /root) "+" 6"$'\n' ]]
	[[ "$output" =~ $'\n'"  0:mailer.php "+" 5"$'\n' ]]
	run -0 "${QT[@]}" who /dev/null
	[[ "$output" == *"injected locally (sendmail, qmail-inject) by:"$'\n'"  root (uid 0, home /root): 6 messages"* ]]
	[[ "$output" == *"  0:mailer.php: 5 messages"* ]]
	run -0 "${QT[@]}" list -u root
	[ "$(grep -c 'GMT  #' <<< "$output")" -eq 6 ]
	run -100 "${QT[@]}" list -u no-such-user-here
	[[ "$output" == *"-u no-such-user-here: no such user"* ]]
}

@test "a PHP script header on mail from the network counts for nothing" {
	printf 'a@x.test\tr:v@yahoo.com\t192.0.2.31\tpc\t-\tfake script\t1\t\n' | mk
	insert_after "$(messfile 'fake script')" 3 'X-PHP-Originating-Script: 0:framed.php'
	run -0 "${QT[@]}" top -F tsv
	[[ "$output" != *framed* ]]
}

@test "stat's alert is one whole line" {
	for i in 1 2 3; do printf 'a@x.test\tr:v@yahoo.com\t192.0.2.32\tpc\t-\ts\t40\t\n'; done | mk
	run -1 "${QT[@]}" stat -o 30 -m 2
	[ "${lines[-1]}" = "ALERT: 3 messages older than 30 minutes, more than 2" ]
	run -1 "${QT[@]}" stat -m 2
	[ "${lines[-1]}" = "ALERT: 3 messages, more than 2" ]
}

@test "sagredo-dev's line without the client still names the account; a client's own such line does not" {
	printf 'spam@x.test\tr:v@yahoo.com\t192.0.2.30\tpc\t-\tbare\t1\t\n' | mk
	f=$(messfile bare)
	# qmail-smtpd's line replaced by the form that leaves the client out
	sed -i '2,3d' "$f"
	insert_after "$f" 1 $'Received: (HELO pc) (dave@example.test)\n  by mx.example.test with ESMTPA; 28 Nov 2026 10:00:00 +0000'
	insert_after "$f" 4 $'Received: (HELO evil) (mallory@example.test)\n  by mx.example.test with ESMTPA; 28 Nov 2026 10:00:00 +0000'
	run "${QT[@]}" top -F tsv -n 5
	[[ "$output" == *$'user\tdave@example.test\t1'* ]]
	[[ "$output" != *mallory* ]]
}
