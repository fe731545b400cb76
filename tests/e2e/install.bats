#!/usr/bin/env bats
# bin/relaygate-install inside a --root staging directory.

load lib
bats_require_minimum_version 1.5.0

setup() {
	R="$BATS_TEST_TMPDIR/root"
	mkdir -p "$R/etc"
	cp /etc/services "$R/etc/services"
	INSTALL="$TOP/bin/relaygate-install"
}

tree() {	# every path with its type, mode, size, mtime and checksum
	(cd "$R" && find . -printf '%p %y %m %s %T@\n' | sort
	 find . -type f -exec sha256sum {} + | sort -k 2)
}

contents() {	# every path with its type, mode, owner, size and checksum
	(cd "$R" && find . -printf '%p %y %m %u %g %s\n' | sort
	 find . -type f -exec sha256sum {} + | sort -k 2)
}

@test "install twice: the second run changes nothing" {
	run "$INSTALL" --root "$R"
	[ "$status" -eq 0 ]
	[[ "$output" == *"installed $R/usr/local/bin/relaygate"* ]]
	[[ "$output" == *"installed $R/etc/xinetd.d/smtp-alt"* ]]
	[[ "$output" == *"added relaygate's lines to $R/etc/services"* ]]
	[ -x "$R/usr/local/bin/rblskip" ]
	grep -q $'^smtp-alt\t1025/tcp' "$R/etc/services"
	# the installed xinetd file runs the installed programs
	grep -q 'server		= /usr/local/bin/relaygate' "$R/etc/xinetd.d/smtp"
	grep -q "from $R/etc/relaygate/services.d/smtp;" "$R/etc/xinetd.d/smtp"
	tree > "$BATS_TEST_TMPDIR/one"
	run "$INSTALL" --root "$R"
	[ "$output" = "relaygate-install: done" ]
	tree > "$BATS_TEST_TMPDIR/two"
	diff "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/two"
}

@test "install, install, uninstall: the tree is as it was, /etc/services byte for byte" {
	contents > "$BATS_TEST_TMPDIR/before"
	"$INSTALL" --root "$R" > /dev/null
	"$INSTALL" --root "$R" > /dev/null
	"$INSTALL" --root "$R" --uninstall > /dev/null
	cmp /etc/services "$R/etc/services"
	# (mtimes move: /etc/services was rewritten, twice)
	contents > "$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	[ "$(cd "$R" && find . | sort)" = "$(printf '.\n./etc\n./etc/services')" ]
}

@test "--dry-run prints the change as a diff and changes nothing" {
	tree > "$BATS_TEST_TMPDIR/before"
	run "$INSTALL" --root "$R" --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"+smtp-alt	1025/tcp		# added by relaygate-gen"* ]]
	[[ "$output" == *"+++ after/etc/xinetd.d/smtp"* ]]
	tree > "$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
}

@test "an admin's edited definition is never overwritten" {
	"$INSTALL" --root "$R" > /dev/null
	sed -i 's/^port.*/port = 2025/' "$R/etc/relaygate/services.d/smtp-alt"
	"$INSTALL" --root "$R" > /dev/null 2>&1 || true
	grep -q '^port = 2025' "$R/etc/relaygate/services.d/smtp-alt"
}

@test "an xinetd file that is not ours on the same service is refused, nothing written" {
	mkdir -p "$R/etc/xinetd.d"
	cp "$TOP/tests/fixtures/smtp_psa" "$R/etc/xinetd.d/smtp_psa"
	tree > "$BATS_TEST_TMPDIR/before"
	run -100 "$INSTALL" --root "$R"
	[[ "$output" == *"smtp_psa already defines service smtp or port 25: disable it first"* ]]
	tree > "$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	# the other services can go in on their own
	"$INSTALL" --root "$R" --only "smtp-alt submission" > /dev/null
	[ -e "$R/etc/xinetd.d/smtp-alt" ]
	[ ! -e "$R/etc/xinetd.d/smtp" ]
}

@test "an unwritable /etc/services fails the install and is left as it was" {
	chattr +i "$R/etc/services" 2>/dev/null || skip "chattr is not supported here"
	run "$INSTALL" --root "$R"
	chattr -i "$R/etc/services"
	[ "$status" -ne 0 ]
	cmp /etc/services "$R/etc/services"
}
