#!/usr/bin/env bats
# Every program has a man page, and pages and scripts are lint-clean.

load lib

@test "every program has a man page that mandoc -Tlint passes" {
	mandoc -Tlint -W warning "$TOP/src/relaygate-gen.5"
	mandoc -Tlint -W warning "$TOP/src/relaygate-install.8"
	for c in "$TOP"/src/*.c; do
		grep -Eq '^main\(' "$c" || continue
		[ -f "${c%.c}.8" ]
		mandoc -Tlint -W warning "${c%.c}.8"
	done
}

@test "shell scripts are shellcheck-clean" {
	cd "$TOP"
	# shellcheck disable=SC2046
	shellcheck -S warning $(make -s scripts)
	shellcheck -S warning -s bash tests/e2e/lib.bash
}

@test "make install puts programs and man pages under DESTDIR and PREFIX" {
	d="$BATS_TEST_TMPDIR/root"
	make -s -C "$TOP" install PREFIX=/opt/rg DESTDIR="$d" >/dev/null
	[ -x "$d/opt/rg/bin/relaygate" ]
	[ -x "$d/opt/rg/bin/relaygate-rules" ]
	[ -x "$d/opt/rg/bin/poplock" ]
	[ -f "$d/opt/rg/share/man/man8/relaygate.8" ]
	[ -f "$d/opt/rg/share/man/man8/poplock.8" ]
}

@test "make scripts lists every shell script in the tree, and only those" {
	cd "$TOP"
	git rev-parse --git-dir > /dev/null 2>&1 || skip "not a git checkout"
	found=$(git ls-files | while read -r f; do
		case $f in *.bats|tests/fuzz/*|tests/golden/*) continue ;; esac
		head -n 1 "$f" | grep -Eq '^#!(/bin/sh|/bin/bash|/usr/bin/env (ba)?sh)' && echo "$f"
	done | sort)
	listed=$(make -s scripts | tr ' ' '\n' | sort)
	[ "$found" = "$listed" ] || { diff <(echo "$found") <(echo "$listed"); false; }
}

# The README's synopsis of each program (its lines before the indented
# text) names every option its man page's SYNOPSIS does.
@test "the README's synopses carry every option of the man pages' SYNOPSIS" {
	cd "$TOP"
	for m in src/*.8; do
		p=$(basename "$m" .8)
		syn=$(awk -v p="$p" '
		    $1 == p || $1 == "bin/" p { on = 1 }
		    on && /^ +\[/ { print; next }
		    on && /^    / { on = 0 }
		    on { print }' README)
		[ -n "$syn" ] || { echo "$p: no synopsis in README"; false; }
		for f in $(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$m" |
		    grep -o 'Fl [A-Za-z0-9]*' | cut -c4- | grep -o .); do
			grep -q -- "-[A-Za-z0-9]*$f" <<< "$syn" ||
			    { echo "$p: -$f is not in the README's synopsis"; false; }
		done
	done
}
