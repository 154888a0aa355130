#!/bin/sh
# tests/run.sh BINARY UNIT_TEST...: run every suite, count TAP results, and
# end with exactly one line "N passed, N failed".  Exit 1 on any failure.
# Shell suites are tests/shell/*.sh; each gets NOTSPAM (the binary under test)
# and prints TAP lines ("ok - ...", "not ok - ...").
bin=$1; shift
top=$(pwd)
log=${TMPDIR:-/tmp}/notspam-check.$$
mkdir -p "$log"
pass=0; fail=0

export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export NOTSPAM="$top/$bin"
export NOTSPAM_TOP="$top"

# count FILE STATUS NAME: add the TAP results of one suite's output.
count() {
	p=$(grep -c '^ok ' "$1")
	f=$(grep -c '^not ok ' "$1")
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		# The suite died or failed outside a test case: that is a failure.
		f=1
		echo "not ok - $3 exited with status $2" >>"$1"
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $3 ran no test" >>"$1"
	fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -gt 0 ]; then
		echo "== $3: $p passed, $f failed"
		grep -v '^ok ' "$1" | tail -n 60
	else
		echo "== $3: $p passed"
	fi
}

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
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
