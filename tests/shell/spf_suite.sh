#!/bin/sh
# spf_suite.sh: the RFC 7208 test suite (openspf.org, release 2014.04, as
# Debian's python3-spf ships it) against "notspam spf".
#
# tests/spf/suite_server.py serves every scenario's zone on its own loopback
# port (one process); each test case runs the binary under test once, eight
# at a time, and the server script judges the JSON answers: one TAP line per
# case and "# rfc7208 suite: N passed, N failed".
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

YML=${SPF_SUITE_YML:-/usr/share/doc/python3-spf/rfc7208-tests.yml.gz}
JOBS=${SPF_SUITE_JOBS:-8}
SRV=tests/spf/suite_server.py
srv_pid=

cleanup() {
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null
		wait "$srv_pid" 2>/dev/null
	fi
	rm -rf "$T_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ ! -r "$YML" ]; then
	not_ok "rfc7208 suite: $YML is missing (apt-get install python3-spf)"
	exit 0
fi

"$PY" "$SRV" serve "$YML" "$T_TMP/ports" >"$T_TMP/server.log" 2>&1 &
srv_pid=$!
i=0
while [ ! -s "$T_TMP/ports" ] && [ $i -lt 100 ]; do
	kill -0 "$srv_pid" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
if [ ! -s "$T_TMP/ports" ]; then
	not_ok "rfc7208 suite: the DNS server did not start"
	sed 's/^/# /' "$T_TMP/server.log"
	exit 0
fi

"$PY" "$SRV" cases "$YML" "$T_TMP/ports" >"$T_TMP/cases" || exit 1
mkdir "$T_TMP/out"
US=$(printf '\037')
pids=
k=0
while [ $k -lt "$JOBS" ]; do
	awk -v n="$JOBS" -v k="$k" '(NR - 1) % n == k' "$T_TMP/cases" \
	    >"$T_TMP/cases.$k"
	(
		while IFS=$US read -r id port domain ip sender helo; do
			o="$T_TMP/out/$id"
			"$NOTSPAM" --resolver "127.0.0.1:$port" --json spf \
			    "$domain" "$ip" "$sender" --helo "$helo" \
			    >"$o.json" 2>"$o.err"
			echo $? >"$o.rc"
		done <"$T_TMP/cases.$k"
	) &
	pids="$pids $!"
	k=$((k + 1))
done
for p in $pids; do
	wait "$p"
done

"$PY" "$SRV" verdict "$YML" "$T_TMP/out"
# Each case's stderr: a sanitizer report fails, whatever the verdict.
n=0
for e in "$T_TMP"/out/*.err; do
	sanitizer_check "$e" "notspam spf, case $(basename "$e" .err)" ||
	    n=$((n + 1))
done
check "no sanitizer report in the runs of the suite ($n with one)" [ "$n" -eq 0 ]
