#!/usr/bin/env bats
# authguard's failures and sendlimit's counts on one real redis-server
# shared by two "hosts" (two state directories), started and stopped by
# PID here: counted as on one host, and locally while Redis is away.

load lib
bats_require_minimum_version 1.5.0

setup() {
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/h1" "$T/h2"
	printf 'alice s3cret-Horse-9\n' > "$T/users"
	export CHECKPW_USERS="$T/users" AUTHGUARD_CONF=/dev/null
	start_redis "$T"
	export AUTHGUARD_REDIS=127.0.0.1:$REDIS_PORT AUTHGUARD_REDIS_PREFIX=test:
	# what is tested is counting, not outages: a loaded machine (the
	# sanitizer build, 100 processes at once) must not reach the timeout
	export AUTHGUARD_REDIS_TIMEOUT=10000 SENDLIMIT_REDIS_TIMEOUT=10000
}

teardown() {
	stop_pid "${REDIS_PID:-}"
}

guard() {	# guard HOST USER PASSWORD [ADDRESS]: one login on host h1 or h2
	local f
	f=$(mktemp "$T/fd3.XXXXXX")
	printf '%s\0%s\0\0' "$2" "$3" > "$f"
	TCPREMOTEIP=${4:-127.0.0.9} "$RG_BIN/authguard" -l stderr -s "$T/$1" -W 900 \
	    -u 5 -i 64 "$TESTTOOLS/checkpw" true 3< "$f"
}

@test "authguard: failures spread over two hosts lock the user at exactly the limit" {
	for i in 1 2 3 4 5; do
		h=h$((i % 2 + 1))
		run -1 guard "$h" alice "wrong$i"
		[[ "$output" == *"bad password from 127.0.0.9"* ]]
	done
	# the sixth guess, on either host, is locked without asking the checker
	run -1 guard h1 alice s3cret-Horse-9
	[[ "$output" == *"locked from 127.0.0.9 (5 failures for the user"* ]]
	run -1 guard h2 alice s3cret-Horse-9
	[[ "$output" == *"locked from 127.0.0.9 (5 failures for the user"* ]]
	# nothing went to the local files
	[ ! -e "$T/h1/failures" ]
	[ ! -e "$T/h2/failures" ]
	# the key expires with its window
	ttl=$(redis-cli -p "$REDIS_PORT" TTL test:u:alice)
	[ "$ttl" -gt 0 ]
	[ "$ttl" -le 900 ]
}

@test "authguard: 100 parallel wrong logins over two hosts are counted exactly" {
	local pids=() i
	for i in $(seq 1 100); do
		guard "h$((i % 2 + 1))" "user$((i % 4))" wrong 127.0.0.$((i % 50 + 10)) > /dev/null 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || true; done
	# 4 users, 25 attempts each, limit 5: exactly 5 counted for each
	for u in 0 1 2 3; do
		[ "$(redis-cli -p "$REDIS_PORT" ZCARD "test:u:user$u")" -eq 5 ]
	done
}

@test "authguard: Redis killed, then back: logins go on locally, the outage logged once, counting resumes on Redis" {
	run -1 guard h1 alice wrong1
	[ "$(redis-cli -p "$REDIS_PORT" ZCARD test:u:alice)" -eq 1 ]
	stop_pid "$REDIS_PID"
	for i in 2 3; do
		run -1 guard h1 alice "wrong$i"
		echo "$output" >> "$T/out"
	done
	run -0 guard h1 alice s3cret-Horse-9
	echo "$output" >> "$T/out"
	[ "$(grep -c 'counting locally until it answers' "$T/out")" -eq 1 ]
	grep -q 'ok from 127.0.0.9: user alice' "$T/out"
	[ -e "$T/h1/failures" ]
	redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
	    --dir "$T" > "$T/redis2.log" 2>&1 &
	REDIS_PID=$!
	wait_listen 127.0.0.1 "$REDIS_PORT"
	run -1 guard h1 alice wrong4
	[[ "$output" == *"answers again: counting there"* ]]
	[ "$(redis-cli -p "$REDIS_PORT" ZCARD test:u:alice)" -eq 1 ]
	# a good login gives back the event it was counted with
	run -0 guard h1 alice s3cret-Horse-9
	[ "$(redis-cli -p "$REDIS_PORT" ZCARD test:u:alice)" -eq 1 ]
}

@test "authguard: a Redis that does not answer costs at most the timeout" {
	# a listener that never answers: nc keeps the connection, says nothing
	port=$("$TOOLS/freeport")
	python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$port" &
	silent=$!
	wait_listen 127.0.0.1 "$port"
	s=$(date +%s%N)
	AUTHGUARD_REDIS=127.0.0.1:$port AUTHGUARD_REDIS_TIMEOUT=200 run -1 guard h1 alice wrong
	e=$(date +%s%N)
	stop_pid "$silent"
	[[ "$output" == *"redis EVAL: "*"counting locally"* ]]
	[[ "$output" == *"bad password"* ]]
	echo "took $(((e - s) / 1000000)) ms" >&3
}

# sendlimit, as qmail-smtpd runs it, on host h1 or h2
sl_setup() {
	printf '%s\n' "$@" | "$RG_BIN/sendlimit" -m "$T/limits.cdb" "$T/limits.tmp"
	"$TOOLS/mkqueue" "$T/q" < /dev/null 2> /dev/null
	printf 'Received: from pc (HELO pc) (alice@example.test@192.0.2.1)\n  by mx.example.test with ESMTPA; 28 Nov 2026 10:00:00 -0000\n\nbody\n' > "$T/msg"
	printf 'Fa@example.test\0Tp@elsewhere.test\0\0' > "$T/env"
	printf '#!/bin/sh\necho "$*" >> %s/alerts\n' "$T" > "$T/hook"
	chmod 755 "$T/hook"
	export SENDLIMIT_REDIS=127.0.0.1:$REDIS_PORT SENDLIMIT_REDIS_PREFIX=test: SENDLIMIT_CONF=/dev/null
}
sl() {	# sl HOST: one message of alice's
	STANDIN_QUEUE="$T/q" "$RG_BIN/sendlimit" -L stderr -n root -l "$T/limits.cdb" \
	    -d "$T/$1" -q "$TOOLS/qmail-queue-standin" -x "$T/hook" < "$T/msg" 1< "$T/env"
}
queued() { find "$T/q/mess" -type f | wc -l; }

@test "sendlimit: messages over two hosts stop at exactly the limit, the alert runs once" {
	sl_setup 'mailbox * 4 unlimited'
	for i in 1 2 3 4; do run -0 sl "h$((i % 2 + 1))"; done
	run -71 sl h1
	[[ "$output" == *"refused mailbox alice@example.test: 4/4 messages an hour: alert"* ]]
	run -71 sl h2
	[[ "$output" == *"refused mailbox alice@example.test: 4/4 messages an hour;"* ]]
	[ "$(queued)" -eq 4 ]
	[ ! -e "$T/h1/counts" ]
	[ ! -e "$T/h2/counts" ]
	# sendlimit -s lists what the hosts share
	run -0 "$RG_BIN/sendlimit" -s -l "$T/limits.cdb" -d "$T/h1"
	[[ "${lines[1]}" =~ ^mailbox\ +alice@example.test\ +4/4\ +4\ +2$ ]]
	wait_grep "$T/alerts" '^mailbox alice@example.test messages 4 4$'
	[ "$(wc -l < "$T/alerts")" -eq 1 ]
	ttl=$(redis-cli -p "$REDIS_PORT" TTL test:c0:alice@example.test)
	[ "$ttl" -gt 0 ]
	[ "$ttl" -le 3720 ]
}

@test "sendlimit: 100 messages at once over two hosts against a limit of 30: exactly 30 queued" {
	sl_setup 'mailbox * 30 unlimited'
	local pids=() i ok=0 refused=0
	for i in $(seq 1 100); do
		( r=0; sl "h$((i % 2 + 1))" > /dev/null 2>&1 || r=$?; echo "$r" > "$T/rc.$i" ) &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	ok=$(cat "$T"/rc.* | grep -cx 0)
	refused=$(cat "$T"/rc.* | grep -cx 71)
	[ "$ok" -eq 30 ]
	[ "$refused" -eq 70 ]
	[ "$(queued)" -eq 30 ]
}

@test "sendlimit: Redis killed, then back: mail goes on locally, the outage logged once, counting resumes on Redis" {
	sl_setup 'mailbox * 10 unlimited'
	run -0 sl h1
	stop_pid "$REDIS_PID"
	for i in 1 2 3; do run -0 sl h1; echo "$output" >> "$T/out"; done
	[ "$(grep -c 'counting locally until it answers' "$T/out")" -eq 1 ]
	[ -e "$T/h1/counts" ]
	redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
	    --dir "$T" > "$T/redis2.log" 2>&1 &
	REDIS_PID=$!
	wait_listen 127.0.0.1 "$REDIS_PORT"
	run -0 sl h1
	[[ "$output" == *"answers again: counting there"* ]]
	[[ "$output" == *"ok mailbox alice@example.test 1/10"* ]]
	[ "$(queued)" -eq 5 ]
}

@test "an ACL user: with its password it counts on Redis; with a wrong one, locally, and says why" {
	stop_pid "$REDIS_PID"
	printf 'user default off\nuser relay on >Relay-Pass-7 ~test:* &* +@all\n' > "$T/users.acl"
	start_redis "$T" --aclfile "$T/users.acl"
	sl_setup 'mailbox * 10 unlimited'
	export SENDLIMIT_REDIS=127.0.0.1:$REDIS_PORT SENDLIMIT_REDIS_USER=relay SENDLIMIT_REDIS_PASSWORD=Relay-Pass-7
	run -0 sl h1
	[[ "$output" != *"counting locally"* ]]
	[ "$(redis-cli -p "$REDIS_PORT" --user relay --pass Relay-Pass-7 --no-auth-warning HGET test:c0:alice@example.test a)" = "" ]
	[ "$(redis-cli -p "$REDIS_PORT" --user relay --pass Relay-Pass-7 --no-auth-warning EXISTS test:c0:alice@example.test)" -eq 1 ]
	SENDLIMIT_REDIS_PASSWORD=wrong run -0 sl h2
	[[ "$output" == *"redis AUTH: WRONGPASS"*"counting locally until it answers"* ]]
	# authguard the same way
	export AUTHGUARD_REDIS=127.0.0.1:$REDIS_PORT AUTHGUARD_REDIS_USER=relay AUTHGUARD_REDIS_PASSWORD=Relay-Pass-7
	run -1 guard h1 alice wrong
	[[ "$output" != *"counting locally"* ]]
	[ "$(redis-cli -p "$REDIS_PORT" --user relay --pass Relay-Pass-7 --no-auth-warning ZCARD test:u:alice)" -eq 1 ]
}

@test "a hostile user name is one key, byte for byte: no command in it reaches Redis" {
	redis-cli -p "$REDIS_PORT" SET test:keep 1 > /dev/null
	name=$'x\r\nFLUSHALL\r\n*1\r\n$8\r\nFLUSHALL'
	run -1 guard h1 "$name" wrong
	[ "$(redis-cli -p "$REDIS_PORT" GET test:keep)" = 1 ]
	[ "$(redis-cli -p "$REDIS_PORT" --scan --pattern 'test:u:*' | wc -l)" -ge 1 ]
	run -1 guard h1 "$name" wrong
	# one key, the name's bytes (without case) after the prefix
	redis-cli -p "$REDIS_PORT" --raw --scan --pattern 'test:u:x*' > "$T/keys"
	printf 'test:u:x\r\nflushall\r\n*1\r\n$8\r\nflushall\n' | cmp - "$T/keys"
	[ "$(redis-cli -p "$REDIS_PORT" ZCARD "$(printf 'test:u:x\r\nflushall\r\n*1\r\n$8\r\nflushall')")" -eq 2 ]
}

@test "Redis by name is refused with why (a static program looks up no names); by socket path it works" {
	AUTHGUARD_REDIS=localhost:$REDIS_PORT run -1 guard h1 alice wrong
	[[ "$output" == *"want an IP address and a port, or a socket's path: counting locally"* ]]
	stop_pid "$REDIS_PID"
	redis-server --port 0 --unixsocket "$T/redis.sock" --save "" --appendonly no \
	    --dir "$T" > "$T/redis-unix.log" 2>&1 &
	REDIS_PID=$!
	for ((i = 0; i < 100; i++)); do [ -S "$T/redis.sock" ] && break; sleep 0.05; done
	AUTHGUARD_REDIS=$T/redis.sock run -1 guard h2 alice wrong
	[[ "$output" != *"counting locally"* ]]
	[ "$(redis-cli -s "$T/redis.sock" ZCARD test:u:alice)" -eq 1 ]
}
