#!/bin/sh
# Services: a real OpenDKIM started from a temporary directory is reported
# running (pid file and /proc), then stopped once it is killed.  The live
# system is probed (no --root); the settings file points notspam at the
# temporary opendkim.conf, nothing under /etc is written.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
OD=
cleanup() {
	[ -n "$OD" ] && kill -KILL "$OD" 2>/dev/null
	rm -rf "$T_TMP"
}
trap cleanup EXIT

port=$(free_port)
cat >"$T_TMP/opendkim.conf" <<CONF
Socket			inet:$port@127.0.0.1
PidFile			$T_TMP/opendkim.pid
Mode			v
Syslog			no
CONF
cat >"$T_TMP/notspam.conf" <<CONF
opendkim_conf = $T_TMP/opendkim.conf
domains = example.org
public_ipv4 = 192.0.2.25
CONF
setsid opendkim -f -x "$T_TMP/opendkim.conf" </dev/null >"$T_TMP/od.log" 2>&1 &
OD=$!
n=0
while [ ! -s "$T_TMP/opendkim.pid" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
check "opendkim started and wrote its pid file" [ -s "$T_TMP/opendkim.pid" ]
pid=$(tr -d ' \n' <"$T_TMP/opendkim.pid")

# A closed port as the resolver: the checks end at once (unknown).
run --config "$T_TMP/notspam.conf" --resolver 127.0.0.1:1 status
check "status names opendkim running with its pid" has "$T_TMP/out" \
    "^service +opendkim +running +pid $pid from $T_TMP/opendkim.pid"
check "status shows the socket it listens on as the signing path" has "$T_TMP/out" \
    "^path +opendkim listens on inet:$port@127.0.0.1 +idle: nothing hands it mail$"
# No query gets a reply from the closed port: status exits 75, as check
# does (man page, EXIT STATUS), after printing the whole report.
src=$RC
check "status ran to its end: a findings line" has "$T_TMP/out" \
    '^findings [0-9]+ \(and [0-9]+ unknown: the resolver did not answer\)$'
run --config "$T_TMP/notspam.conf" --resolver 127.0.0.1:1 check
check "status exits 75 with the resolver closed, as check does (got $src, check $RC)" \
    [ "$src:$RC" = "75:75" ]

kill -KILL "$pid" "$OD" 2>/dev/null
wait "$OD" 2>/dev/null
OD=
run --config "$T_TMP/notspam.conf" --resolver 127.0.0.1:1 status
check "after kill: opendkim stopped, the stale pid file named" has "$T_TMP/out" \
    "^service +opendkim +stopped +no live process behind $T_TMP/opendkim.pid"
