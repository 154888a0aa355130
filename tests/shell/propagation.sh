#!/bin/sh
# Propagation: two authoritative nameservers that disagree with each other
# and a resolver holding the old data.  A record one nameserver already
# publishes is "not yet visible", not missing; the view of each server is
# shown.  Three unbound instances: ns1 127.0.0.2 and ns2 127.0.0.3 on one
# port (check --ns-port), the resolver on 127.0.0.1.  Three more
# nameservers that cannot tell: ns3 127.0.0.4 never answers (fauxdns.py
# silent: a timeout), ns4 127.0.0.5 answers REFUSED, nothing listens on
# ns5 127.0.0.6 (connection refused): "unreachable" or "unknown" with the
# reason, never a difference.  Then the console at 80x24 in tmux.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
. "$NOTSPAM_TOP/tests/stack/unbound.sh"
cd "$NOTSPAM_TOP" || exit 1
TM="tmux -L notspam-prop-$$ -f /dev/null"
PIDS=
cleanup() {
	$TM kill-server 2>/dev/null
	unbound_stop "$T_TMP/ns1"
	unbound_stop "$T_TMP/ns2"
	unbound_stop "$T_TMP/res"
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# faux ADDR MODE: fauxdns.py on ADDR and the nameservers' port.
faux() {
	"$PY" tests/stack/fauxdns.py --addr "$1" --port "$PA" --mode "$2" \
	    --pidfile "$T_TMP/faux-$1.pid" >"$T_TMP/faux-$1.log" 2>&1 &
	PIDS="$PIDS $!"
	_i=0
	while [ ! -s "$T_TMP/faux-$1.pid" ] && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ -s "$T_TMP/faux-$1.pid" ]
}

root=$(sandbox site)
run --root "$root" --json records
check "records of the demo sandbox: exit 1, the demo's warnings (got $RC)" [ "$RC" -eq 1 ]
cp "$T_TMP/out" "$T_TMP/records.json"
NS="--ns ns1.example.org=127.0.0.2 --ns ns2.example.org=127.0.0.3
    --ns ns3.example.org=127.0.0.4 --ns ns4.example.org=127.0.0.5
    --ns ns5.example.org=127.0.0.6"
"$PY" tests/stack/zones.py "$T_TMP/records.json" "$T_TMP/new" $NS >/dev/null
# The old zone: the DKIM key of selector mail not yet published.
"$PY" tests/stack/zones.py "$T_TMP/records.json" "$T_TMP/old" $NS \
    --drop dkim:mail@example.org >/dev/null
PA=$(free_port)
PR=$(free_port)
check "ns1 (127.0.0.2) serves the new zones" env UNBOUND_ADDRS=127.0.0.2 \
    sh -c ". tests/stack/unbound.sh; unbound_start '$T_TMP/ns1' $PA $T_TMP/new/*.zone"
check "ns2 (127.0.0.3) serves the old zones" env UNBOUND_ADDRS=127.0.0.3 \
    sh -c ". tests/stack/unbound.sh; unbound_start '$T_TMP/ns2' $PA $T_TMP/old/*.zone"
check "the resolver (127.0.0.1) has the old data" unbound_start "$T_TMP/res" "$PR" "$T_TMP"/old/*.zone
check "ns3 (127.0.0.4) never answers" faux 127.0.0.4 silent
check "ns4 (127.0.0.5) answers REFUSED" faux 127.0.0.5 refused

run --root "$root" --resolver "127.0.0.1:$PR" --json check --ns-port "$PA" \
    example.org
cp "$T_TMP/out" "$T_TMP/check.json"
check "the check ran (exit 1: warnings only; got $RC)" [ "$RC" -eq 1 ]
cat >"$T_TMP/q.py" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))["domains"][0]
c = {x["id"]: x for x in d["checks"]}
what = sys.argv[2]
if what == "authority":
    print("\n".join(d["authority"]))
else:
    print(c[what][sys.argv[3]])
PYEOF
q() { "$PY" "$T_TMP/q.py" "$T_TMP/check.json" "$@"; }
check "dkim:mail published on ns1 only: warn, not fail" [ "$(q dkim:mail status)" = warn ]
check "  the detail says where it is published" sh -c "$PY $T_TMP/q.py $T_TMP/check.json dkim:mail detail | grep 'ns1.example.org' >/dev/null"
check "  the authority lines show ns1's view" sh -c "$PY $T_TMP/q.py $T_TMP/check.json authority | grep '^ns1.example.org 127.0.0.2' >/dev/null"
check "  and ns2's" sh -c "$PY $T_TMP/q.py $T_TMP/check.json authority | grep '^ns2.example.org 127.0.0.3' >/dev/null"
check "  and that the nameservers disagree" sh -c "$PY $T_TMP/q.py $T_TMP/check.json authority | grep 'disagree' >/dev/null"
check "records every server has stay ok (spf)" [ "$(q spf status)" = ok ]
check "  the silent ns3 is unreachable (timeout), not a difference" sh -c \
    "q() { $PY $T_TMP/q.py $T_TMP/check.json \"\$@\"; }; q authority | grep '^ns3.example.org 127.0.0.4 (zone example.org): unreachable (timeout), asked for dkim:mail$' >/dev/null"
check "  ns4 could not tell: REFUSED" sh -c \
    "$PY $T_TMP/q.py $T_TMP/check.json authority | grep '^ns4.example.org 127.0.0.5 (zone example.org): dkim:mail unknown (REFUSED)$' >/dev/null"
check "  ns5, where nothing listens, is unreachable (connection refused)" sh -c \
    "$PY $T_TMP/q.py $T_TMP/check.json authority | grep '^ns5.example.org 127.0.0.6 (zone example.org): unreachable (connection refused), asked for dkim:mail$' >/dev/null"
check "  only ns1 and ns2 disagree: no line pairs a server that cannot tell" sh -c \
    "d=\$($PY $T_TMP/q.py $T_TMP/check.json authority | grep disagree); [ -n \"\$d\" ] && ! echo \"\$d\" | grep -q 'ns[345]'"
check "  the detail names them with the reason" sh -c \
    "$PY $T_TMP/q.py $T_TMP/check.json dkim:mail detail | grep 'ns3.example.org (127.0.0.4) did not answer: timeout' | grep 'ns4.example.org (127.0.0.5) could not tell: REFUSED' >/dev/null"
run --root "$root" --resolver "127.0.0.1:$PR" check --ns-port "$PA" example.org
check "check (text): the authority lines say unreachable and why" sh -c \
    "grep -q 'ns3.example.org 127.0.0.4 (zone example.org): unreachable (timeout)' '$T_TMP/out' && grep -q 'dkim:mail unknown (REFUSED)' '$T_TMP/out'"

# Both nameservers that answer now hold the old data, as the resolver
# does: they agree with it; only ns3-ns5 cannot tell.  The console (80x24)
# shows that under the DKIM record when a is pressed, where the cursor is.
unbound_stop "$T_TMP/ns1"
check "ns1 restarted with the old zones" env UNBOUND_ADDRS=127.0.0.2 \
    sh -c ". tests/stack/unbound.sh; unbound_start '$T_TMP/ns1' $PA $T_TMP/old/*.zone"
run --root "$root" --resolver "127.0.0.1:$PR" --json check --ns-port "$PA" \
    example.org
cp "$T_TMP/out" "$T_TMP/check.json"
check "missing everywhere it can be asked: dkim:mail fails" [ "$(q dkim:mail status)" = fail ]
check "  no two nameservers disagree" sh -c \
    "! $PY $T_TMP/q.py $T_TMP/check.json authority | grep disagree >/dev/null"
screen() { $TM capture-pane -p -t c; }
wait_for() {
	_n=0
	while [ "$_n" -lt "${2:-50}" ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	screen >"$T_TMP/last-screen"
	sed 's/^/# /' "$T_TMP/last-screen"
	return 1
}
# row REGEX: the first screen row (0-based) that matches.
row() { screen | grep -nE -- "$1" | head -n 1 | cut -d: -f1; }
$TM new-session -d -s keep "sleep 3600"
$TM new-session -d -s c -x 80 -y 24 "cd $T_TMP && env TERM=xterm-256color LANG=C.UTF-8 $NOTSPAM --root $root --resolver 127.0.0.1:$PR --ns-port $PA 2>>$T_TMP/stderr; echo EXITED \$?; sleep 30"
check "console: the dashboard shows example.org" wait_for '^ example\.org '
check "  the check ends" wait_for 'last check'
$TM send-keys -t c Enter
check "  Enter opens example.org's records" wait_for '^ example\.org +DNS records'
check "  the title counts the nameservers that cannot tell, no \"differ\"" \
    wait_for 'DNS records +a: (nameservers|NS): 2 unreachable, 1 unknown'
check "  and never says they differ" sh -c "! $TM capture-pane -p -t c | grep -q differ"
# j to the DKIM record mail (the third: mx, spf, dkim:mail, dkim:ed202611,
# dmarc, the domain blocklist; the mail host's records are on the host's
# own screen).
$TM send-keys -t c j j
check "  j to the DKIM record of selector mail" wait_for 'record 3/6'
before=$(row '^ TXT +mail\._domainkey\.example\.org\.')
$TM send-keys -t c a
check "  a: ns3 unreachable, with the reason" wait_for '^ +(ns: +)?ns3\.example\.org 127\.0\.0\.4 +unreachable: timeout'
check "  ns4 unknown: REFUSED" wait_for '^ +(ns: +)?ns4\.example\.org 127\.0\.0\.5 +unknown: REFUSED'
check "  ns5 unreachable: connection refused" wait_for '^ +(ns: +)?ns5\.example\.org 127\.0\.0\.6 +unreachable: connection refused'
check "  ns1 and ns2 have it missing, as the resolver" wait_for '^ +(ns: +)?ns1\.example\.org 127\.0\.0\.2 +missing, as through the resolver'
after=$(row '^ TXT +mail\._domainkey\.example\.org\.')
check "  the record stays on its row ($before, then $after)" [ -n "$before" ] && [ "$before" = "$after" ]
nsrow=$(row 'ns3\.example\.org 127\.0\.0\.4')
check "  the views are right under it (row $nsrow)" [ -n "$nsrow" ] && [ "$nsrow" -gt "$after" ] && [ "$nsrow" -le $((after + 5)) ]
$TM send-keys -t c a
check "  a again hides them" sh -c "sleep 0.3; ! $TM capture-pane -p -t c | grep -q 'ns3\.example\.org 127'"
$TM send-keys -t c Escape q
check "  q quits" wait_for '^EXITED 0'
check "  nothing on stderr" [ ! -s "$T_TMP/stderr" ]

# Once both nameservers and the resolver have it, it is ok.
unbound_stop "$T_TMP/ns1"
check "ns1 restarted with the new zones" env UNBOUND_ADDRS=127.0.0.2 \
    sh -c ". tests/stack/unbound.sh; unbound_start '$T_TMP/ns1' $PA $T_TMP/new/*.zone"
unbound_stop "$T_TMP/ns2"
check "ns2 restarted with the new zones" env UNBOUND_ADDRS=127.0.0.3 \
    sh -c ". tests/stack/unbound.sh; unbound_start '$T_TMP/ns2' $PA $T_TMP/new/*.zone"
unbound_stop "$T_TMP/res"
check "the resolver restarted with the new data" unbound_start "$T_TMP/res" "$PR" "$T_TMP"/new/*.zone
run --root "$root" --resolver "127.0.0.1:$PR" --json check --ns-port "$PA" \
    example.org
cp "$T_TMP/out" "$T_TMP/check.json"
check "after propagation: dkim:mail ok" [ "$(q dkim:mail status)" = ok ]
