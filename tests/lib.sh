# tests/lib.sh: TAP helpers for the shell suites (sourced, not a suite).
# NOTSPAM is the binary under test, NOTSPAM_TOP the repository root.
: "${NOTSPAM_TOP:=$(pwd)}"
: "${NOTSPAM:=$NOTSPAM_TOP/notspam}"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
T_N=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/notspam-t.XXXXXX")
chmod 755 "$T_TMP"
trap 'rm -rf "$T_TMP"' EXIT

ok() { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
not_ok() { T_N=$((T_N + 1)); echo "not ok $T_N - $*"; }

# check DESC COMMAND...: ok when the command succeeds.
check() {
	_check_desc=$1; shift
	if "$@"; then ok "$_check_desc"; else not_ok "$_check_desc"; fi
}

# run ARGS...: run notspam, leaving stdout in $T_TMP/out, stderr in
# $T_TMP/err and the exit status in $RC.
run() {
	RC=0
	"$NOTSPAM" "$@" >"$T_TMP/out" 2>"$T_TMP/err" || RC=$?
}

# has FILE REGEX: grep -E quietly.
has() { grep -Eq -- "$2" "$1"; }

# diag TEXT: a TAP comment.
diag() { echo "# $*"; }

# sandbox NAME: a copy of the demo root with its keys, in $T_TMP/NAME.
sandbox() {
	rm -rf "$T_TMP/$1"
	cp -a "$NOTSPAM_TOP/share/demo" "$T_TMP/$1"
	echo "$T_TMP/$1"
}

# free_port: a loopback port nothing listens on now (UDP and TCP).
free_port() {
	"$PY" -c '
import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p)); break
    except OSError:
        pass
print(p)'
}
