#!/bin/sh
# Propagation: two authoritative nameservers that disagree with each other
# and a resolver holding the old data.  A record one nameserver already
# publishes is "not yet visible", not missing; the view of each server is
# shown.  Three unbound instances: ns1 127.0.0.2 and ns2 127.0.0.3 on one
# port (check --ns-port), the resolver on 127.0.0.1.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
. "$NOTSPAM_TOP/tests/stack/unbound.sh"
cd "$NOTSPAM_TOP" || exit 1
cleanup() {
	unbound_stop "$T_TMP/ns1"
	unbound_stop "$T_TMP/ns2"
	unbound_stop "$T_TMP/res"
	rm -rf "$T_TMP"
}
trap cleanup EXIT

root=$(sandbox site)
run --root "$root" --json records
check "records of the demo sandbox: exit 1, the demo's warnings (got $RC)" [ "$RC" -eq 1 ]
cp "$T_TMP/out" "$T_TMP/records.json"
NS="--ns ns1.example.org=127.0.0.2 --ns ns2.example.org=127.0.0.3"
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

# Once both nameservers and the resolver have it, it is ok.
unbound_stop "$T_TMP/ns2"
check "ns2 restarted with the new zones" env UNBOUND_ADDRS=127.0.0.3 \
    sh -c ". tests/stack/unbound.sh; unbound_start '$T_TMP/ns2' $PA $T_TMP/new/*.zone"
unbound_stop "$T_TMP/res"
check "the resolver restarted with the new data" unbound_start "$T_TMP/res" "$PR" "$T_TMP"/new/*.zone
run --root "$root" --resolver "127.0.0.1:$PR" --json check --ns-port "$PA" \
    example.org
cp "$T_TMP/out" "$T_TMP/check.json"
check "after propagation: dkim:mail ok" [ "$(q dkim:mail status)" = ok ]
