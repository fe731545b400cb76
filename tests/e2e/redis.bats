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
	[ "$ttl" -gt 0 ] && [ "$ttl" -le 900 ]
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
