#!/bin/sh
# apply (writing) under --root: on temporary copies of share/demo and of the
# stock Debian fixtures (tests/fixtures/plan), every changed file gets the
# planned bytes (the dry run's diffs applied to another copy), the backup
# and its manifest exist (0700), a second apply plans nothing, restore
# returns the exact bytes; a file changed after the plan is refused, a
# checker that refuses (postconf -n warns) leaves every file byte-identical;
# the question on a terminal, --yes, exit 64 without either.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
FIX=tests/fixtures/plan
PJ="$PY tests/shell/plan_json.py"
PTY="$PY tests/shell/apply_pty.py"

# copy NAME FROM: a copy of directory FROM in $T_TMP/NAME.
copy() {
	rm -rf "${T_TMP:?}/$1"
	cp -a "$2" "$T_TMP/$1"
	echo "$T_TMP/$1"
}

# same A B FILES...: every file is byte-identical under roots A and B
# (or missing from both).
same() {
	_a=$1; _b=$2; shift 2
	for _f in "$@"; do
		[ ! -e "$_a$_f" ] && [ ! -e "$_b$_f" ] && continue
		cmp -s "$_a$_f" "$_b$_f" || { diag "differs: $_f"; return 1; }
	done
}

# mode PATH: its permission bits in octal.
mode() { stat -c %a "$1"; }

# suite NAME ROOT ZONES: apply --yes on ROOT and everything that follows.
suite() {
	_n=$1; _r=$2; _z=$3
	run --root "$_r" --zones "$_z" --json apply --dry-run
	cp "$T_TMP/out" "$T_TMP/$_n.plan.json"
	$PJ files "$T_TMP/$_n.plan.json" >"$T_TMP/$_n.files"
	check "$_n: the plan changes files ($(wc -l <"$T_TMP/$_n.files"))" \
	    [ -s "$T_TMP/$_n.files" ]
	_orig=$(copy "$_n.orig" "$_r")
	_want=$(copy "$_n.want" "$_r")
	$PJ write "$T_TMP/$_n.plan.json" "$_want"
	_t0=$(date +%s%N)
	run --root "$_r" --zones "$_z" apply --yes
	_t1=$(date +%s%N)
	diag "$_n: apply --yes took $(( (_t1 - _t0) / 1000000 )) ms"
	check "$_n: apply --yes: 0 (got $RC)" [ "$RC" -eq 0 ]
	[ "$RC" -eq 0 ] || sed 's/^/# /' "$T_TMP/err" "$T_TMP/out" | tail -n 20
	check "  $_n: says what it wrote" has "$T_TMP/out" \
	    "^applied: $(wc -l <"$T_TMP/$_n.files") files? written"
	check "  $_n: names the checkers it skips under --root" has \
	    "$T_TMP/out" '^skipped  .*outside --root'
	check "  $_n: and the one it ran" has "$T_TMP/out" \
	    '^checked  /usr/sbin/postconf -c /etc/postfix -n'
	# shellcheck disable=SC2046
	check "  $_n: every changed file has the planned bytes" \
	    same "$_r" "$_want" $(cat "$T_TMP/$_n.files")
	_stamp=$(sed -n 's/^applied: .*`notspam restore \([0-9TZ]*\)`.*/\1/p' \
	    "$T_TMP/out")
	_b=$_r/var/backups/notspam
	check "  $_n: the backup base and $_stamp are 0700" \
	    [ -n "$_stamp" -a "$(mode "$_b")" = 700 -a \
	    "$(mode "$_b/$_stamp")" = 700 ]
	check "  $_n: with its manifest" [ -s "$_b/$_stamp/manifest" ]
	run --root "$_r" backups
	check "  $_n: backups lists it as done" has "$T_TMP/out" \
	    "$_stamp.*done"
	run --root "$_r" --zones "$_z" apply --yes
	check "$_n: a second apply: 0, nothing to do (got $RC)" [ "$RC" -eq 0 ]
	check "  $_n: says so" has "$T_TMP/out" '^nothing to do'
	check "  $_n: and makes no backup" [ "$(ls "$_b" | grep -c T)" -eq 1 ]
	run --root "$_r" --zones "$_z" apply --dry-run
	check "  $_n: the dry run agrees: 0 (got $RC)" [ "$RC" -eq 0 ]
	run --root "$_r" restore "$_stamp"
	check "$_n: restore: 0 (got $RC)" [ "$RC" -eq 0 ]
	[ "$RC" -eq 0 ] || sed 's/^/# /' "$T_TMP/err" | head -n 5
	# shellcheck disable=SC2046
	check "  $_n: every file has its bytes from before the apply again" \
	    same "$_r" "$_orig" $(grep -v '^$' "$T_TMP/$_n.files")
}

### 1. The demo root.
r=$(copy demo share/demo)
suite demo "$r" share/demo-zones

### 2. Stock Debian: Postfix + OpenDKIM, with a key.
r=$(copy deb12 "$FIX/deb12-opendkim")
run --root "$r" keygen example.com
check "deb12: keygen example.com (got $RC)" [ "$RC" -eq 0 ]
suite deb12 "$r" "$FIX/zones"
check "  deb12: the new tables were removed again by the restore" \
    [ ! -e "$r/etc/opendkim/key.table" -a ! -e "$r/etc/opendkim/signing.table" ]

### 3. A checker that refuses: every file stays as it is.
r=$(copy refuse "$FIX/deb12-opendkim")
run --root "$r" keygen example.com
echo "notspam_bogus_parameter = 1" >>"$r/etc/postfix/main.cf"
o=$(copy refuse.orig "$r")
run --root "$r" --zones "$FIX/zones" apply --yes
check "postconf -n warns: refused, 2 (got $RC)" [ "$RC" -eq 2 ]
check "  with the checker's own output" has "$T_TMP/out" \
    'unused parameter: notspam_bogus_parameter=1'
check "  the checker named as the one that refused" has "$T_TMP/out" \
    '^refused  /usr/sbin/postconf -c /etc/postfix -n'
check "  every file byte-identical (diff -r)" diff -r "$o" "$r"

### 4. A file changed after the plan, on a terminal.
r=$(copy changed "$FIX/deb12-opendkim")
run --root "$r" keygen example.com
RC=0
$PTY y "$r/etc/postfix/main.cf" "$NOTSPAM" --root "$r" --zones "$FIX/zones" \
    apply >"$T_TMP/out" 2>&1 || RC=$?
check "a terminal: apply shows the plan and asks" has "$T_TMP/out" \
    'Write these [0-9]+ files, then reload\? \[y/N\]'
check "main.cf changed after the plan: refused, 2 (got $RC)" [ "$RC" -eq 2 ]
check "  naming the file" has "$T_TMP/out" '/etc/postfix/main.cf'
check "  nothing written: opendkim.conf as it was" \
    cmp -s "$r/etc/opendkim.conf" "$FIX/deb12-opendkim/etc/opendkim.conf"
check "  and no key table made" [ ! -e "$r/etc/opendkim/key.table" ]

### 5. The question answered no; neither a terminal nor --yes.
r=$(copy no "$FIX/deb12-opendkim")
run --root "$r" keygen example.com
o=$(copy no.orig "$r")
RC=0
$PTY n - "$NOTSPAM" --root "$r" --zones "$FIX/zones" apply \
    >"$T_TMP/out" 2>&1 || RC=$?
check "answered no: 1 (got $RC)" [ "$RC" -eq 1 ]
check "  nothing written" diff -r "$o" "$r"
run --root "$r" --zones "$FIX/zones" apply </dev/null
check "no terminal and no --yes: 64 (got $RC)" [ "$RC" -eq 64 ]
check "  in one line" [ "$(wc -l <"$T_TMP/err")" -eq 1 ]
check "  nothing written" diff -r "$o" "$r"

### 6. --json reports the transaction.
r=$(copy json "$FIX/deb12-opendkim")
run --root "$r" keygen example.com
run --root "$r" --zones "$FIX/zones" --json apply --yes
check "--json apply --yes: 0 (got $RC)" [ "$RC" -eq 0 ]
check "  the transaction: applied, stamp, written, checks, skipped" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["applied"] is True and d["stamp"] and d["written"] == 5, d
assert any(c["command"].startswith("/usr/sbin/postconf") for c in d["checks"]), d
assert d["skipped"] and d["reload_skipped"] is True, d
' "$T_TMP/out"

echo "1..$T_N"
