#!/bin/sh
# Output that cannot fail silently: every command's standard output is
# checked at the end (a full device: one line on stderr, exit 74); a reader
# that goes away early (EPIPE) stops notspam quietly with status 141; files
# written on a full or read-only file system are reported with their path.
# Before: `records > /dev/full` said nothing and exited 1.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

TM="tmux -L notspam-output-$$ -f /dev/null"
MOUNTS=
cleanup() {
	$TM kill-server 2>/dev/null
	for m in $MOUNTS; do umount "$m" 2>/dev/null; done
	rm -rf "$T_TMP"
}
trap cleanup EXIT

SANLOG="$T_TMP/sanitizer.log"
: >"$SANLOG"
# sancheck ERRFILE LABEL: collect sanitizer reports of one run.
sancheck() {
	if grep -q 'Sanitizer\|runtime error' "$1"; then
		echo "$2" >>"$SANLOG"
		cat "$1" >>"$SANLOG"
	fi
}
no_sanitizer_report() {
	[ ! -s "$SANLOG" ] || { head -n 40 "$SANLOG"; return 1; }
}
MSG='^notspam: cannot write standard output: No space left on device$'
# one_msg FILE: the write error is said exactly once.
one_msg() { [ "$(grep -c "$MSG" "$1")" -eq 1 ]; }
# no_msg FILE: no word about writing standard output.
no_msg() { ! grep -q 'cannot write' "$1"; }

sb=$(sandbox out)
R="--resolver 127.0.0.1:9"	# nothing answers there: no waiting on the DNS

# --- standard output on a full device -------------------------------------
for cmd in "records" "--json records" "keys" "--json keys" \
    "status $R" "check $R" "--json check $R" "--help"; do
	RC=0
	# shellcheck disable=SC2086
	"$NOTSPAM" --root "$sb" $cmd >/dev/full 2>"$T_TMP/err" || RC=$?
	sancheck "$T_TMP/err" "$cmd >/dev/full"
	check "$cmd > /dev/full: exit 74 (got $RC)" [ "$RC" -eq 74 ]
	check "  says once: cannot write standard output: No space left on device" one_msg "$T_TMP/err"
done
# The same commands still succeed on a working stdout (the check is not
# a false alarm).
RC=0
"$NOTSPAM" --root "$sb" records >"$T_TMP/records.out" 2>"$T_TMP/err" || RC=$?
check "records to a file: the usual status 1 (site warnings), no write error (got $RC)" \
    sh -c "[ $RC -eq 1 ] && ! grep -q 'cannot write' '$T_TMP/err'"
full_size=$(wc -c <"$T_TMP/records.out")

# --- a reader that went away --------------------------------------------------
for cmd in "records" "--json records" "keys" "status $R" "--help"; do
	# The reader (true) is gone before notspam writes: EPIPE, always.
	# shellcheck disable=SC2086
	{ sleep 0.3; "$NOTSPAM" --root "$sb" $cmd 2>"$T_TMP/err"; echo $? >"$T_TMP/rc"; } | true
	sleep 0.1
	RC=$(cat "$T_TMP/rc")
	sancheck "$T_TMP/err" "$cmd | (closed)"
	check "$cmd into a closed pipe: quiet, status 141 (got $RC)" [ "$RC" -eq 141 ]
	check "  no error message" no_msg "$T_TMP/err"
done
RC=0
"$NOTSPAM" --root "$sb" records 2>"$T_TMP/err" | head -n 1 >"$T_TMP/head" || RC=$?
sancheck "$T_TMP/err" "records | head -1"
check "records | head -1: one line, no error message" \
    sh -c "[ \$(wc -l <'$T_TMP/head') -eq 1 ] && ! grep -q 'cannot write' '$T_TMP/err'"

# --- files on full and read-only file systems (tmpfs, needs root) ----------
if [ "$(id -u)" -ne 0 ]; then
	echo "ok - output to a full file system # SKIP not root: cannot mount a tmpfs"
	echo "ok - export to full and read-only file systems # SKIP not root: cannot mount a tmpfs"
	check "no sanitizer report in any run" no_sanitizer_report
	exit 0
fi
mkdir -p "$T_TMP/full" "$T_TMP/ro"
if ! mount -t tmpfs -o size=8k tmpfs "$T_TMP/full"; then
	not_ok "mount an 8k tmpfs"
	exit 1
fi
MOUNTS="$T_TMP/full"
RC=0
"$NOTSPAM" --root "$sb" records >"$T_TMP/full/records.zone" 2>"$T_TMP/err" || RC=$?
sancheck "$T_TMP/err" "records > full tmpfs"
got=$(wc -c <"$T_TMP/full/records.zone")
check "records > a file on a full file system ($got of $full_size bytes): exit 74 (got $RC)" [ "$RC" -eq 74 ]
check "  with the message" one_msg "$T_TMP/err"
rm -f "$T_TMP/full/records.zone"
# Fill it up for the export below.
head -c 8192 /dev/zero >"$T_TMP/full/filler" 2>/dev/null
mount -t tmpfs -o ro,size=8k tmpfs "$T_TMP/ro" && MOUNTS="$MOUNTS $T_TMP/ro"

# The export of the DNS screen, driven in the console (tmux).
screen() { $TM capture-pane -p -t c; }
wait_for() {
	_n=0
	while [ "$_n" -lt "${2:-50}" ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	screen >"$T_TMP/last-screen"
	cat "$T_TMP/last-screen" | sed 's/^/# /'
	return 1
}
$TM new-session -d -s keep "sleep 3600"
$TM new-session -d -s c -x 250 -y 30 \
    "cd $T_TMP && env TERM=xterm-256color LANG=C.UTF-8 $NOTSPAM --root $sb $R 2>>$T_TMP/console.err; echo \$? >$T_TMP/console.rc; sleep 30"
check "the console shows the dashboard" wait_for '^ example\.org '
# g: the first row, the mail host's; j: example.org.
$TM send-keys -t c g j Enter
check "  Enter opens the DNS screen" wait_for '^ example\.org +DNS records'
$TM send-keys -t c e
check "  e asks for a file name" wait_for 'export missing records to file:'
$TM send-keys -t c C-u "$T_TMP/full/x.zone" Enter
check "export to a full file system: the path and the reason" \
    wait_for "export failed: cannot write $T_TMP/full/x\.zone: No space left on device; the file system is full"
check "  nothing left behind" sh -c "! ls -a '$T_TMP/full' | grep -q 'x\.zone\|notspam-'"
if [ -n "$(mount | grep " $T_TMP/ro ")" ]; then
	$TM send-keys -t c e
	wait_for 'export missing records to file:' >/dev/null
	$TM send-keys -t c C-u "$T_TMP/ro/y.zone" Enter
	check "export to a read-only file system: the path and the reason" \
	    wait_for "export failed: cannot write $T_TMP/ro/y\.zone: Read-only file system; the file system is mounted read-only"
else
	not_ok "mount a read-only tmpfs"
fi
$TM send-keys -t c e
wait_for 'export missing records to file:' >/dev/null
$TM send-keys -t c C-u "$T_TMP/ok.zone" Enter
check "export to a working place still writes the file" wait_for "written to $T_TMP/ok\.zone"
check "  a zone-file snippet" grep -q '^; records example\.org still needs' "$T_TMP/ok.zone"
$TM send-keys -t c Escape
wait_for '^ Findings' >/dev/null
$TM send-keys -t c q
_n=0
while [ ! -s "$T_TMP/console.rc" ] && [ "$_n" -lt 50 ]; do sleep 0.1; _n=$((_n + 1)); done
check "the console exits 0 (got $(cat "$T_TMP/console.rc" 2>/dev/null))" [ "$(cat "$T_TMP/console.rc" 2>/dev/null)" = 0 ]
sancheck "$T_TMP/console.err" "console"
check "no sanitizer report in any run" no_sanitizer_report
exit 0
