#!/usr/bin/env bats
# The project's own ground: make deps on a mail server, a checkout that
# holds no binary, the build without the test libraries.

load lib
bats_require_minimum_version 1.5.0

setup() {
	T="$BATS_TEST_TMPDIR"
	mkdir -p "$T/fake"
	# dpkg-query: every package is there but those in FAKE_MISSING
	cat > "$T/fake/dpkg-query" <<'SH'
#!/bin/sh
for p; do :; done
case " $FAKE_MISSING " in *" $p "*) echo not-installed ;; *) echo installed ;; esac
SH
	for c in apt-get service update-rc.d systemctl; do
		printf '#!/bin/sh\necho "%s $*" >> "%s/calls"\n' "$c" "$T" > "$T/fake/$c"
	done
	chmod 755 "$T/fake/"*
}

teardown() {
	if [ -n "${XPID:-}" ]; then
		stop_pid "$XPID"
		rm -f /run/xinetd.pid
	fi
}

# xinetd started as Debian's package starts it (its pid file in /run),
# serving a port, as on a Plesk host where it serves port 25.
@test "make deps leaves a daemon that was installed and running before running" {
	[ "$(id -u)" -eq 0 ] || skip "make deps installs as root"
	[ ! -e /run/xinetd.pid ] || skip "this machine's own xinetd is running"
	port=$("$TOOLS/freeport")
	{ xinetd_defaults "$T"; xinetd_service mailish 127.0.0.1 "$port" /bin/echo hello; } > "$T/xinetd.conf"
	xinetd -f "$T/xinetd.conf" -pidfile /run/xinetd.pid
	wait_listen 127.0.0.1 "$port"
	XPID=$(cat /run/xinetd.pid)
	# a package is missing, not xinetd
	run env PATH="$T/fake:$PATH" FAKE_MISSING=swaks "$TOP/bin/relaygate-deps"
	[ "$status" -eq 0 ]
	[[ "$output" == *"installing: swaks"* ]]
	[[ "$output" != *"stopped"* ]]
	kill -0 "$XPID"
	wait_listen 127.0.0.1 "$port"
	grep -q '^apt-get install' "$T/calls"
	run grep -Eq '^(service|update-rc.d|systemctl) ' "$T/calls"
	[ "$status" -eq 1 ]
	# xinetd itself missing: the one it installs is the one it stops
	run env PATH="$T/fake:$PATH" FAKE_MISSING="xinetd swaks" "$TOP/bin/relaygate-deps"
	[[ "$output" == *"stopped and disabled xinetd, which it has just installed"* ]]
	grep -q '^service xinetd stop' "$T/calls"
	run grep -Eq 'rbldnsd|fail2ban' "$T/calls"
	[ "$status" -eq 1 ]
}

@test "the repository holds no binary" {
	cd "$TOP"
	git rev-parse --git-dir > /dev/null 2>&1 || skip "not a git checkout"
	bad=$(git ls-files -z | xargs -0 -n 200 sh -c 'for f; do [ -f "$f" ] && [ "$(head -c 4 "$f" | od -An -c | tr -d " ")" = "177ELF" ] && echo "$f"; done' _ || true)
	[ -z "$bad" ] || { echo "binaries: $bad"; false; }
}

@test "make builds the programs only: no test library, and install needs nothing else" {
	# every command make would run for a fresh build of all
	make -s -C "$TOP" -n -B all > "$T/all" 2>&1
	grep -q 'bin/relaygate ' "$T/all"
	run grep -Ec 'cmocka|tests/unit|tests/tools|tests/fuzz|tests/bench' "$T/all"
	[ "$output" = 0 ]
	# install depends on the programs alone
	make -s -C "$TOP" -n -B install DESTDIR="$T/root" > "$T/install" 2>&1
	run grep -Ec 'cmocka|tests/' "$T/install"
	[ "$output" = 0 ]
}

@test "header dependencies are the compiler's: a changed header rebuilds what includes it, not everything" {
	mkdir "$T/tree"
	cp -a "$TOP/Makefile" "$TOP/src" "$T/tree/"
	objs="build/lib/stamp.o build/lib/gate.o build/lib/session.o"
	make -s -C "$T/tree" $objs > /dev/null
	touch "$T/tree/src/lib/stamp.h"
	run make -C "$T/tree" $objs
	[[ "$output" == *"CC	build/lib/stamp.o"* ]]
	[[ "$output" == *"CC	build/lib/gate.o"* ]]
	[[ "$output" != *"CC	build/lib/session.o"* ]]
}
