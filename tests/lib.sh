# tests/lib.sh: TAP helpers for the shell suites (sourced, not a suite).
# NOTSPAM is the binary under test, NOTSPAM_TOP the repository root.
: "${NOTSPAM_TOP:=$(pwd)}"
: "${NOTSPAM:=$NOTSPAM_TOP/notspam}"
# The sanitizers' own exit statuses (see tests/run.sh), also when a suite
# runs alone.
case ${ASAN_OPTIONS:-} in *exitcode=*) ;; *)
	export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}:exitcode=99" ;;
esac
case ${UBSAN_OPTIONS:-} in *exitcode=*) ;; *)
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}:exitcode=98" ;;
esac
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
T_N=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/notspam-t.XXXXXX")
chmod 755 "$T_TMP"
trap 'rm -rf "$T_TMP"' EXIT

ok() { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
not_ok() { T_N=$((T_N + 1)); echo "not ok $T_N - $*"; }
# skip DESC REASON: a check that could not run here, as a TAP skip.
skip() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"; }

# check DESC COMMAND...: ok when the command succeeds.
check() {
	_check_desc=$1; shift
	if "$@"; then ok "$_check_desc"; else not_ok "$_check_desc"; fi
}

# run ARGS...: run notspam, leaving stdout in $T_TMP/out, stderr in
# $T_TMP/err and the exit status in $RC.  A sanitizer report in stderr is
# a failed check of its own, whatever the status (the report is quoted as
# TAP comments).
run() {
	RC=0
	"$NOTSPAM" "$@" >"$T_TMP/out" 2>"$T_TMP/err" || RC=$?
	sanitizer_check "$T_TMP/err" "notspam $*"
}

# sanitizer_check FILE WHAT: not ok, with the report, when FILE holds a
# sanitizer report; silent otherwise.
sanitizer_check() {
	grep -Eq 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$1" ||
	    return 0
	not_ok "sanitizer report from $2"
	grep -E -A 12 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$1" |
	    head -n 40 | sed 's/^/# /'
	return 1
}

# has FILE REGEX: grep -E quietly.
has() { grep -Eq -- "$2" "$1"; }

# jget FILE EXPR: EXPR evaluated in Python on the JSON document of FILE,
# bound to d (and j), printed.
jget() {
	"$PY" -c 'import json,sys; d=j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

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
