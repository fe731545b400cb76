# Helpers for the end-to-end tests: real servers on loopback, started by
# the test, stopped by their PID.  Sourced by the .bats files.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
RG_BIN=$TOP/bin
TOOLS=$TOP/build/tools
TESTTOOLS=$TOP/tests/tools
export TOP RG_BIN TOOLS TESTTOOLS

# Wait until something listens on ADDR PORT; at most 100 tries over 5 s.
wait_listen() {
	local addr=$1 port=$2 i
	for ((i = 0; i < 100; i++)); do
		if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.05
	done
	echo "nothing listens on $addr port $port" >&2
	return 1
}

# Stop a server by PID and reap it; bounded.
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# start_xinetd DIR: run xinetd on DIR/xinetd.conf in the foreground,
# in the background of the test; sets XINETD_PID.
start_xinetd() {
	local dir=$1
	xinetd -dontfork -f "$dir/xinetd.conf" -pidfile "$dir/xinetd.pid" \
	    >"$dir/xinetd.out" 2>&1 &
	# shellcheck disable=SC2034  # read by the caller
	XINETD_PID=$!
}

# xinetd_service NAME ADDR PORT SERVER ARGS...: one service block.
# Every limit is written out: xinetd's default cps would switch the
# service off under a fast test.
xinetd_service() {
	local name=$1 addr=$2 port=$3 server=$4 flags=
	shift 4
	case $addr in *:*) flags="flags = IPv6" ;; esac
	cat <<CONF
service $name
{
	type		= UNLISTED
	socket_type	= stream
	protocol	= tcp
	wait		= no
	user		= root
	bind		= $addr
	port		= $port
	$flags
	server		= $server
	${*:+server_args	= $*}
	instances	= 100
	per_source	= 100
	cps		= 1000 1
	log_on_success	=
	log_on_failure	=
}
CONF
}

xinetd_defaults() {
	cat <<CONF
defaults
{
	log_type	= FILE $1/xinetd.log
	instances	= 100
}
CONF
}

# start_rbldnsd DIR ZONESPEC...: rbldnsd on port 53 of the first free
# address among 127.53.0.1-20 (rblsmtpd can only ask port 53); sets
# RBLDNS_ADDR and RBLDNS_PID.  Zone files in DIR must be world-readable:
# rbldnsd runs as the rbldns user.
start_rbldnsd() {
	local dir=$1 i j addr
	shift
	for ((i = 1; i <= 20; i++)); do
		addr=127.53.0.$i
		ss -Hlnu "sport = :53" 2>/dev/null | grep -q "$addr:53" && continue
		rbldnsd -n -u rbldns -b "$addr/53" -w "$dir" "$@" \
		    >"$dir/rbldnsd.$i.log" 2>&1 &
		RBLDNS_PID=$!
		for ((j = 0; j < 100; j++)); do
			if ss -Hlnu "sport = :53" 2>/dev/null | grep -q "$addr:53"; then
				RBLDNS_ADDR=$addr
				export RBLDNS_ADDR RBLDNS_PID
				return 0
			fi
			kill -0 "$RBLDNS_PID" 2>/dev/null || break
			sleep 0.05
		done
		stop_pid "$RBLDNS_PID"
	done
	echo "no address in 127.53.0.1-20 lets rbldnsd listen on port 53" >&2
	return 1
}

# test_zones DIR: the test DNS lists, served by rbldnsd from DIR.
#   listed.test  127.0.0.2, .3 (TXT), .20 (code 127.0.0.3), .30 (long TXT)
#   aonly.test   127.0.0.2, A record only
#   v6.test      ::1
#   broken.test  answers 127.255.255.254 (an error code) for 127/8
#   allow.test   127.0.0.2, as an allow list
test_zones() {
	local z=$1 long
	chmod 755 "$z"
	long=$(printf 'x%.0s' $(seq 1 300))
	cat > "$z/listed" <<ZONE
:127.0.0.2:Listed at listed.test, see http://listed.test/\$
127.0.0.2
127.0.0.3
127.0.0.20 :127.0.0.3:Dynamic address
127.0.0.30 :127.0.0.2:$long
ZONE
	printf ':127.0.0.2:\n127.0.0.2\n' > "$z/aonly"
	printf '::1 :127.0.0.2:IPv6 client listed\n' > "$z/v6"
	printf ':127.255.255.254:query refused: open resolver\n127.0.0.0/8\n' > "$z/broken"
	printf ':127.0.0.2:\n127.0.0.2\n' > "$z/allow"
	chmod 644 "$z"/*
	start_rbldnsd "$z" listed.test:ip4set:listed aonly.test:ip4set:aonly \
	    v6.test:ip6trie:v6 broken.test:ip4set:broken allow.test:ip4set:allow
}

# wait_grep FILE ERE: wait until a line of FILE matches (a program logs
# after its client has gone); at most 100 tries over 5 s.
wait_grep() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "no line matching $2 in $1" >&2
	return 1
}

# start_redis DIR [ARGS...]: a redis-server of our own on a free loopback
# port, nothing saved to disk; sets REDIS_PORT and REDIS_PID.
start_redis() {
	local dir=$1
	shift
	REDIS_PORT=$("$TOOLS/freeport")
	redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
	    --appendonly no --dir "$dir" "$@" > "$dir/redis.$REDIS_PORT.log" 2>&1 &
	REDIS_PID=$!
	wait_listen 127.0.0.1 "$REDIS_PORT"
	export REDIS_PORT REDIS_PID
}
