#!/bin/sh
# Zone-file mode (--zones): `check --zones` gives the verdicts unbound gives
# serving the same zone files; every zone file used passes named-checkzone;
# the demo (its own zones, share/demo-zones.sh) runs with no network at all
# (unshare -n) and shows a mix of ok, warn and fail, none of it caused by the
# missing network.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
. "$NOTSPAM_TOP/tests/stack/unbound.sh"
cd "$NOTSPAM_TOP" || exit 1

TM="tmux -L notspam-zones-$$ -f /dev/null"
UBS=""
cleanup() {
	trap '' INT TERM HUP
	$TM kill-server 2>/dev/null
	for d in $UBS; do unbound_stop "$d"; done
	rm -rf "$T_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# verdicts JSON: "domain id status" lines, sorted; the mail host's checks
# as "host id status".
cat >"$T_TMP/verdicts.py" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
rows = []
host = doc["mail_host"]
for d in doc["domains"] + ([dict(host, domain="host")] if host else []):
    for c in d["checks"]:
        rows.append("%s %s %s" % (d["domain"], c["id"], c["status"]))
print("\n".join(sorted(rows)))
PYEOF
verdicts() { "$PY" "$T_TMP/verdicts.py" "$1"; }
# count FILE STATUS: how many checks have that status.
count() { awk -v s="$2" '$3 == s' "$1" | wc -l | tr -d ' '; }

root=$(sandbox site)
# No domain blocklist: zone-file mode asks only the lists the files hold,
# and none answers through the unbound compared with (their own suite:
# tests/shell/dnsbl.sh, which compares the two for the lists it serves).
echo "domain_blocklists = none" >>"$root/etc/notspam/notspam.conf"

# ---- the zones: the demo's, and some made from records --json ---------
run --root "$root" --json records
cp "$T_TMP/out" "$T_TMP/records.json"
check "demo-zones.sh makes the demo's zones" \
    sh share/demo-zones.sh "$NOTSPAM" share/demo "$T_TMP/demo-zones"
other=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
    openssl pkey -pubout -outform DER 2>/dev/null | base64 -w0)
"$PY" tests/stack/zones.py "$T_TMP/records.json" "$T_TMP/made" \
    --drop spf@example.net --drop ptr:192.0.2.25@host \
    --set "dkim:obsd@example.com=v=DKIM1; k=rsa; p=$other" \
    --set "dmarc@lists.example.com=v=DMARC1; p=none" >/dev/null
check "zones.py makes zones from records --json" ls "$T_TMP"/made/example.org.zone
# The same records published through wildcards (RFC 4592): example.net's
# DMARC record only as *.example.net; an SPF record for the HELO name only
# as *.example.org, which the existing mail.example.org (its A record)
# never takes.  And (dname) example.com's DKIM key behind
# _domainkey.example.com DNAME _domainkey.example.net (RFC 6672).
dmarc="v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.org"
wild="--drop dmarc@example.net --drop spf-helo@host"
# shellcheck disable=SC2086
"$PY" tests/stack/zones.py "$T_TMP/records.json" "$T_TMP/wild" $wild \
    --add "*.example.net. 300 IN TXT \"$dmarc\"" \
    --add '*.example.org. 300 IN TXT "v=spf1 ip4:192.0.2.25 ip6:2001:db8::25 -all"' \
    >/dev/null
# shellcheck disable=SC2086
"$PY" tests/stack/zones.py "$T_TMP/records.json" "$T_TMP/dname" $wild \
    --add "*.example.net. 300 IN TXT \"$dmarc\"" \
    --add '*.example.org. 300 IN TXT "v=spf1 ip4:192.0.2.25 ip6:2001:db8::25 -all"' \
    --move dkim:obsd@example.com=obsd._domainkey.example.net \
    --add '_domainkey.example.com. 300 IN DNAME _domainkey.example.net.' \
    >/dev/null
check "zones.py makes zones with wildcards and a DNAME" \
    sh -c "grep -q '^\*\.example\.net\. 300 IN TXT' '$T_TMP/wild/example.net.zone' &&
    grep -q '^_domainkey.example.com. 300 IN DNAME' '$T_TMP/dname/example.com.zone'"

# ---- named-checkzone on every zone file used ---------------------------
if command -v named-checkzone >/dev/null 2>&1; then
	for f in "$T_TMP"/demo-zones/*.zone "$T_TMP"/made/*.zone \
	    "$T_TMP"/dname/*.zone tests/fixtures/zones/wild/*.zone; do
		z=$(_unbound_origin "$f")
		check "named-checkzone accepts $(basename "$(dirname "$f")")/$(basename "$f")" \
		    named-checkzone -q "$z" "$f"
	done
	# And it refuses what notspam refuses.
	printf '$TTL 1\n@ SOA a b 1 2 3 4 5\n@ NS a\na A 1.2.3\n' >"$T_TMP/bad.zone"
	if named-checkzone -q bad "$T_TMP/bad.zone"; then
		not_ok "named-checkzone refuses a bad A record"
	else
		ok "named-checkzone refuses a bad A record"
	fi
	run --root "$root" --zones "$T_TMP/bad.zone" check
	check "notspam refuses it too, naming file:line (exit $RC)" \
	    has "$T_TMP/err" 'bad\.zone:4: "1\.2\.3" is not an IPv4 address'
else
	skip "named-checkzone accepts every zone file used" \
	    "named-checkzone missing (bind9-utils: sh share/deps.sh --tests)"
fi

# ---- options ------------------------------------------------------------
run --root "$root" --zones "$T_TMP/made" --resolver 127.0.0.1 check
check "--zones with --resolver is a usage error (exit $RC)" [ "$RC" -eq 64 ]
check "  and says why" has "$T_TMP/err" 'exclude each other'
run --root "$root" --zones "$T_TMP/nonexistent" check
check "--zones on a missing path: exit 66 naming it (got $RC)" \
    sh -c "[ $RC -eq 66 ] && grep -q 'nonexistent: No such file' '$T_TMP/err'"

# ---- check --zones gives the verdicts unbound gives ----------------------
# compare NAME DIR: the same check --json statuses through both.
compare() {
	run --root "$root" --json --zones "$2" check
	check "$1: check --zones answers (exit $RC)" [ "$RC" -le 2 ]
	verdicts "$T_TMP/out" >"$T_TMP/$1.zones"
	port=$(free_port)
	UBS="$UBS $T_TMP/ub-$1"
	if ! unbound_start "$T_TMP/ub-$1" "$port" "$2"/*.zone; then
		not_ok "$1: unbound starts"
		return
	fi
	run --root "$root" --json --resolver "127.0.0.1:$port" check \
	    --ns-port "$port"
	verdicts "$T_TMP/out" >"$T_TMP/$1.unbound"
	unbound_stop "$T_TMP/ub-$1"
	n=$(wc -l <"$T_TMP/$1.zones" | tr -d ' ')
	if cmp -s "$T_TMP/$1.zones" "$T_TMP/$1.unbound" && [ "$n" -gt 0 ]; then
		ok "$1: the $n verdicts are unbound's ($(count "$T_TMP/$1.zones" ok) ok, $(count "$T_TMP/$1.zones" warn) warn, $(count "$T_TMP/$1.zones" fail) fail)"
	else
		not_ok "$1: verdicts differ from unbound's (zones / unbound):"
		diff "$T_TMP/$1.zones" "$T_TMP/$1.unbound" | sed 's/^/# /'
	fi
}
if command -v unbound >/dev/null 2>&1; then
	compare made "$T_TMP/made"
	# The demo's nameservers (192.0.2.53) moved onto unbound's loopback
	# address, so that both sides can ask them (zone mode answers them
	# from the zones; unbound is asked on --ns-port).
	mkdir "$T_TMP/demo-lo"
	for f in "$T_TMP"/demo-zones/*.zone; do
		sed 's/192\.0\.2\.53$/127.0.0.1/' "$f" >"$T_TMP/demo-lo/${f##*/}"
	done
	compare demo "$T_TMP/demo-lo"
	compare wild "$T_TMP/wild"
else
	skip "check --zones gives unbound's verdicts" "unbound missing"
fi
# The DNAME through unbound would not tell: serving the zones as their
# authoritative server, unbound hands back the DNAME and the CNAME it
# synthesizes and, as an authoritative server does, leaves following it to
# the resolver, which c-ares is not.  Zone mode is a resolver: the key is
# found behind the DNAME (the answers themselves are compared with
# unbound's below, in wild.expect).
run --root "$root" --json --zones "$T_TMP/dname" check
verdicts "$T_TMP/out" >"$T_TMP/dname.verdicts"
for v in 'example.com dkim:obsd ok' 'example.net dmarc ok' \
    'host spf-helo fail'; do
	check "through the wildcards and the DNAME: $v" \
	    grep -qx "$v" "$T_TMP/dname.verdicts"
done

# ---- wildcards and DNAME, answer by answer ---------------------------------
# tests/fixtures/zones/wild.expect holds the answers RFC 4592 and RFC 6672
# want from the zones of tests/fixtures/zones/wild; test_zone.c holds
# notspam's to it, this unbound's (asked as a stub resolver asks, by
# tests/stack/zoneask.py), so the two give the same.  A "#unbound" line
# there is an answer unbound gives instead, said as a TAP comment.
if ! command -v unbound >/dev/null 2>&1; then
	skip "unbound answers as wild.expect says" "unbound missing"
elif ! "$PY" -c 'import dns.message' 2>/dev/null; then
	skip "unbound answers as wild.expect says" "dnspython missing (python3-dnspython)"
else
	port=$(free_port)
	UBS="$UBS $T_TMP/ub-wildx"
	if unbound_start "$T_TMP/ub-wildx" "$port" tests/fixtures/zones/wild/*.zone; then
		"$PY" tests/stack/zoneask.py 127.0.0.1 "$port" \
		    tests/fixtures/zones/wild.expect >"$T_TMP/wildx" 2>&1
		unbound_stop "$T_TMP/ub-wildx"
		"$PY" - tests/fixtures/zones/wild.expect "$T_TMP/wildx" <<'PYEOF2' >"$T_TMP/wildx.res"
import sys
want, alt = [], {}
for line in open(sys.argv[1]):
    f = line.split()
    if not f:
        continue
    if f[0] == "#unbound":
        alt.setdefault(tuple(f[1:3]), []).append(" ".join(f[1:]))
    elif not f[0].startswith("#"):
        want.append(" ".join(f))
got = [l.strip() for l in open(sys.argv[2])]
bad = 0
for i, w in enumerate(want):
    g = got[i] if i < len(got) else "(nothing)"
    if g == w:
        continue
    if g in alt.get(tuple(w.split()[:2]), []):
        print("# unbound differs as wild.expect says: " + g)
        continue
    print("# want " + w + "\n# got  " + g)
    bad += 1
print("bad %d of %d" % (bad, len(want)))
PYEOF2
		sed -n '/^#/p' "$T_TMP/wildx.res"
		check "unbound answers the $(grep -c '^[a-z*]' tests/fixtures/zones/wild.expect) queries of wild.expect as it says" \
		    grep -qx 'bad 0 of [0-9]*' "$T_TMP/wildx.res"
	else
		not_ok "unbound serves tests/fixtures/zones/wild"
	fi
fi

# One file: the zone a user is about to publish; other names are unknown
# to notspam, so missing (never "unknown").
run --root "$root" --json --zones "$T_TMP/made/example.org.zone" check example.org
verdicts "$T_TMP/out" >"$T_TMP/one"
check "one zone file: example.org judged, ptr missing as wanted (fail)" \
    grep -q '^host ptr:192.0.2.25 fail$' "$T_TMP/one"
check "  and no check is unknown" [ "$(count "$T_TMP/one" unknown)" -eq 0 ]

# ---- the demo's mail host: its records once ------------------------------
# 2001:db8::25 has no PTR: status says so once, on the mail host's line and
# in one finding named by the host, not once per domain.
run --root "$root" --zones "$T_TMP/demo-zones" status
check "demo status: exit 2, failures (got $RC)" [ "$RC" -eq 2 ]
check "demo status: the mail host's line under its labels, once" \
    sh -c "[ \$(grep -Ec '^mail host +IPv4 A\+PTR +IPv6 AAAA\+PTR +HELO SPF +Blocklists *\$' '$T_TMP/out') -eq 1 ] &&
    grep -Eq '^mail\.example\.org +ok +FAIL +ok +- *\$' '$T_TMP/out'"
check "demo status: the domain table has MX SPF DKIM DMARC Blocklists" \
    has "$T_TMP/out" '^domain +MX +SPF +DKIM +DMARC +Blocklists *$'
check "demo status: the IPv6 PTR finding once, named by the host" \
    sh -c "[ \$(grep -c 'ptr:2001:db8::25' '$T_TMP/out') -eq 1 ] &&
    grep -q '^FAIL    mail\.example\.org ptr:2001:db8::25: no PTR record' '$T_TMP/out'"
check "demo status: the tables fit 80 columns" sh -c "
    sed -n '/^mail host /,/^findings /p' '$T_TMP/out' | awk 'length > 80 { bad = 1 } END { exit bad }'"
run --root "$root" --zones "$T_TMP/demo-zones" --json status
check "demo status --json: mail_host once, the PTR finding once" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
h = d["mail_host"]
assert h == {"name": "mail.example.org", "status": {"ipv4_a_ptr": "ok",
    "ipv6_aaaa_ptr": "fail", "helo_spf": "ok", "blocklists": None}}, h
assert all(set(x["status"]) == {"mx", "spf", "dkim", "dmarc", "blocklists"}
    for x in d["domains"])
f = [x for x in d["findings"] if x["id"].startswith(("ptr:", "host-", "spf-helo"))]
assert len(f) == 1 and f[0]["domain"] is None and f[0]["mail_host"] == "mail.example.org", f
' "$T_TMP/out"
run --root "$root" --zones "$T_TMP/demo-zones" --json check
check "demo check --json: the host's checks in mail_host only" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
ids = [c["id"] for x in d["domains"] for c in x["checks"]]
assert not [i for i in ids if i.startswith(("ptr:", "host-", "spf-helo"))], ids
st = {c["id"]: c["status"] for c in d["mail_host"]["checks"]}
assert st == {"host-a": "ok", "host-aaaa": "ok", "ptr:192.0.2.25": "ok",
    "ptr:2001:db8::25": "fail", "spf-helo": "ok"}, st
assert d["summary"]["fail"] == sum(c["status"] == "fail" for x in d["domains"] + [d["mail_host"]] for c in x["checks"])
' "$T_TMP/out"

# ---- the demo with no network at all -------------------------------------
if [ "$(id -u)" -ne 0 ] || ! unshare -n true 2>/dev/null; then
	skip "the demo with no network (unshare -n)" "needs root and unshare -n"
	exit 0
fi
RC=0
unshare -n "$NOTSPAM" --root "$root" --zones "$T_TMP/demo-zones" --json \
    check >"$T_TMP/out" 2>"$T_TMP/err" || RC=$?
sanitizer_check "$T_TMP/err" "the offline demo check"
verdicts "$T_TMP/out" >"$T_TMP/offline"
check "offline demo: check answers, failures found (exit $RC)" [ "$RC" -eq 2 ]
check "offline demo: a mix: $(count "$T_TMP/offline" ok) ok, $(count "$T_TMP/offline" warn) warn, $(count "$T_TMP/offline" fail) fail" \
    sh -c "[ $(count "$T_TMP/offline" ok) -gt 0 ] && [ $(count "$T_TMP/offline" warn) -gt 0 ] && [ $(count "$T_TMP/offline" fail) -gt 0 ]"
check "offline demo: nothing unknown" [ "$(count "$T_TMP/offline" unknown)" -eq 0 ]
if [ -f "$T_TMP/demo.zones" ]; then
	check "offline demo: the same verdicts as with unbound" \
	    cmp -s "$T_TMP/offline" "$T_TMP/demo.zones"
fi
for story in 'host ptr:2001:db8::25 fail' 'example.net spf warn' \
    'example.net dkim:202611 warn' 'lists.example.com dmarc fail' \
    'example.org dkim:mail ok'; do
	check "offline demo story: $story" grep -qx "$story" "$T_TMP/offline"
done
check "offline demo: no message about a resolver or timeout" \
    sh -c "! grep -Eq 'timeout|did not answer|unreachable|SERVFAIL' '$T_TMP/out'"

# The console itself, offline, in tmux: the title says it is the zones.
if ! command -v tmux >/dev/null 2>&1; then
	skip "the offline demo console" "tmux missing"
	exit 0
fi
$TM new-session -d -s keep "sleep 3600"
$TM new-session -d -s c -x 120 -y 40 "env TERM=xterm-256color LANG=C.UTF-8 unshare -n $NOTSPAM --root $root --zones $T_TMP/demo-zones 2>>$T_TMP/stderr; sleep 30"
seen=0
i=0
while [ $i -lt 100 ]; do
	$TM capture-pane -p -t c >"$T_TMP/screen" 2>/dev/null
	if has "$T_TMP/screen" '^ lists\.example\.com ' &&
	    ! has "$T_TMP/screen" '\.\.\.|checking'; then
		seen=1
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
check "offline console: the domains are shown" [ "$seen" -eq 1 ]
check "offline console: the title says zones:demo-zones" has "$T_TMP/screen" 'zones:demo-zones'
check "offline console: example.org ok" has "$T_TMP/screen" '^ example\.org .*ok'
check "offline console: FAIL and warn findings are shown" \
    sh -c "grep -Eq '^ FAIL +lists\.example\.com dmarc' '$T_TMP/screen' && grep -Eq '^ warn +example.net spf' '$T_TMP/screen'"
check "offline console: the missing IPv6 PTR once, named by the mail host" \
    sh -c "[ \$(grep -c 'ptr:2001:db8::25' '$T_TMP/screen') -eq 1 ] &&
    grep -Eq '^ FAIL +mail\.example\.org ptr:2001:db8::25' '$T_TMP/screen'"
check "offline console: no resolver message, no unknown finding" \
    sh -c "! grep -Eq 'no resolver|did not answer|timeout|^ unknown ' '$T_TMP/screen'"
$TM send-keys -t c q
sleep 0.3
sanitizer_check "$T_TMP/stderr" "the offline console"
if [ -n "${ZONES_SCREEN:-}" ]; then sed 's/^/# /' "$T_TMP/screen"; fi
