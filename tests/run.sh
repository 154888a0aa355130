#!/bin/sh
# tests/run.sh BINARY UNIT_TEST...: run every suite, count TAP results, and
# end with exactly one line "N passed, N failed", followed by ", N skipped"
# when some test was skipped.  Exit 1 on any failure.
# Shell suites are tests/shell/*.sh; each gets NOTSPAM (the binary under test)
# and prints TAP lines ("ok - ...", "not ok - ...", "ok - ... # SKIP why").
#
# The sanitizers exit with statuses of their own, 99 (AddressSanitizer and
# LeakSanitizer) and 98 (UndefinedBehaviorSanitizer), which no status of the
# program (0, 1, 2, 64-78) can be mistaken for.  With
# -fno-sanitize-recover=undefined every UBSan report is fatal whatever
# halt_on_error says; UBSan takes its exitcode from UBSAN_OPTIONS, ASan and
# LSan from ASAN_OPTIONS.  A sanitizer report in a suite's output fails the
# suite whatever its status and its TAP lines say.
bin=$1; shift
top=$(pwd)
log=${TMPDIR:-/tmp}/notspam-check.$$
mkdir -p "$log"
pass=0; fail=0; skip=0

export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}:exitcode=99"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}:exitcode=98"
export NOTSPAM="$top/$bin"
export NOTSPAM_TOP="$top"

# The report lines of the sanitizers (TAP comments, "# ...", are quotes of
# reports a suite already failed for, or names of checks: not reports).
SANITIZER_RE='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:'

# classify FILE STATUS NAME: the TAP results of one suite's output in
# c_pass, c_fail, c_skip; failures found outside the TAP lines (a status
# other than 0, a sanitizer report, no test at all) are appended to FILE as
# "not ok" lines and counted.
classify() {
	c_skip=$(grep -Eic '^(not )?ok\b.*# *skip' "$1")
	c_pass=$(grep -E '^ok\b' "$1" | grep -Eicv '# *skip')
	c_fail=$(grep -E '^not ok\b' "$1" | grep -Eicv '# *skip')
	if grep -v '^#' "$1" | grep -Eq "$SANITIZER_RE"; then
		c_fail=$((c_fail + 1))
		echo "not ok - $3: a sanitizer report (see above)" >>"$1"
	fi
	if [ "$2" -ne 0 ] && [ "$c_fail" -eq 0 ]; then
		# The suite died or failed outside a test case: that is a failure.
		c_fail=1
		echo "not ok - $3 exited with status $2" >>"$1"
	fi
	if [ "$c_pass" -eq 0 ] && [ "$c_fail" -eq 0 ] && [ "$c_skip" -eq 0 ]; then
		c_fail=1
		echo "not ok - $3 ran no test" >>"$1"
	fi
}

# count FILE STATUS NAME: add the results of one suite to the totals.
count() {
	classify "$@"
	pass=$((pass + c_pass)); fail=$((fail + c_fail)); skip=$((skip + c_skip))
	_sk=
	[ "$c_skip" -gt 0 ] && _sk=", $c_skip skipped"
	if [ "$c_fail" -gt 0 ]; then
		echo "== $3: $c_pass passed, $c_fail failed$_sk"
		grep -Eiv '^ok\b' "$1" | tail -n 60
	elif [ "$c_pass" -eq 0 ]; then
		# Only skips: not a failure, not a pass either.
		echo "== $3: nothing ran, $c_skip skipped"
		grep -Ei '# *skip' "$1" | head -n 5
	else
		echo "== $3: $c_pass passed$_sk"
		grep -Ei '# *skip' "$1" | head -n 5
	fi
}

# selfcheck: classify() on outputs made to look like suites, among them
# real processes that exit as the sanitizers do: a report or status 99 must
# count as a failure even when every TAP line says ok.
selfcheck() {
	_d=$log/selfcheck
	mkdir -p "$_d"
	_n=0
	# sc DESC WANT_PASS WANT_FAIL WANT_SKIP COMMAND...: run COMMAND as a
	# suite is run, classify, compare.
	sc() {
		_desc=$1 _wp=$2 _wf=$3 _ws=$4
		shift 4
		_n=$((_n + 1))
		"$@" >"$_d/$_n.out" 2>&1
		classify "$_d/$_n.out" $? "case $_n"
		if [ "$c_pass $c_fail $c_skip" = "$_wp $_wf $_ws" ]; then
			echo "ok $_n - $_desc"
		else
			echo "not ok $_n - $_desc (got $c_pass passed, $c_fail failed, $c_skip skipped)"
		fi
	}
	sc "a clean suite passes" 2 0 0 \
	    sh -c 'echo "ok 1 - a"; echo "ok 2 - b"'
	sc "an AddressSanitizer report fails a suite whose checks all passed" 1 1 0 \
	    sh -c 'echo "ok 1 - looks fine"; echo "==42==ERROR: AddressSanitizer: heap-use-after-free" >&2'
	sc "a UBSan report fails it too" 1 1 0 \
	    sh -c 'echo "ok 1 - looks fine"; echo "core/x.c:3:9: runtime error: signed integer overflow" >&2'
	sc "a leak report fails it too" 1 1 0 \
	    sh -c 'echo "ok 1 - looks fine"; echo "==42==ERROR: LeakSanitizer: detected memory leaks" >&2'
	sc "a process that exits 99 (the ASan status) is a failure" 1 1 0 \
	    sh -c 'echo "ok 1 - looks fine"; exit 99'
	sc "a report quoted in a TAP comment is not counted twice" 0 1 0 \
	    sh -c 'echo "not ok 1 - run: a sanitizer report"; echo "# ==42==ERROR: AddressSanitizer: x"'
	sc "skips are counted apart, cmocka's skip line (not ok N, then the directive) too" 1 0 2 \
	    sh -c 'echo "ok 1 - a"; echo "ok 2 - b # SKIP no unbound"; echo "not ok 3 # SKIP test_x"'
	sc "a suite of skips only is not ran no test" 0 0 1 \
	    sh -c 'echo "ok 1 - b # SKIP not root"'
	sc "a suite with no TAP line fails" 0 1 0 \
	    sh -c 'echo hello'
	# Real sanitizer reports, from programs built as the ASan build is,
	# under the options exported above: each exits with its own status.
	if printf '%s\n' '#include <stdlib.h>' \
	    'int main(int c, char **v) { int *p = malloc(8);' \
	    '  if (v[1][0] == 117) return c + 0x7ffffffe;' \
	    '  free(p); return p[0]; }' |
	    ${CC:-cc} -x c -O0 -g -fsanitize=address,undefined \
	    -fno-sanitize-recover=undefined -o "$_d/crash" - 2>"$_d/cc.err"; then
		"$_d/crash" a >/dev/null 2>&1
		_st=$?
		_n=$((_n + 1))
		if [ "$_st" -eq 99 ]; then
			echo "ok $_n - a use after free exits 99 (ASAN_OPTIONS exitcode)"
		else
			echo "not ok $_n - a use after free exits 99 (got $_st)"
		fi
		"$_d/crash" u >/dev/null 2>&1
		_st=$?
		_n=$((_n + 1))
		if [ "$_st" -eq 98 ]; then
			echo "ok $_n - a signed overflow exits 98 (UBSAN_OPTIONS exitcode)"
		else
			echo "not ok $_n - a signed overflow exits 98 (got $_st)"
		fi
		sc "that use after free, run as a suite printing ok, fails" 1 1 0 \
		    sh -c 'echo "ok 1 - looks fine"; "$1" a' sh "$_d/crash"
		sc "that overflow, run as a suite printing ok, fails" 1 1 0 \
		    sh -c 'echo "ok 1 - looks fine"; "$1" u' sh "$_d/crash"
	else
		_n=$((_n + 1))
		echo "ok $_n - real sanitizer reports # SKIP no compiler: $(head -n 1 "$_d/cc.err")"
	fi
	rm -rf "$_d"
}

selfcheck >"$log/selfcheck.out" 2>&1
count "$log/selfcheck.out" 0 run.sh-selfcheck

for t in "$@"; do
	name=$(basename "$t")
	"$t" >"$log/$name.out" 2>&1
	count "$log/$name.out" $? "$name"
done
for t in tests/shell/*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	sh "$t" >"$log/$name.out" 2>&1
	count "$log/$name.out" $? "$name"
done
rm -rf "$log"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
