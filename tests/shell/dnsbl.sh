#!/bin/sh
# Blocklists (DNSBLs): every public address of the server on the IP lists,
# every hosted domain and the HELO name on the domain lists, asked of a DNS
# server on loopback (tests/stack/tabledns.py) that serves each kind of
# answer and writes down every query it gets; the same data as zone files
# (--zones); a DQS key never shown; the settings refused; status, JSON and
# the dashboard's Blocklists column.  Every server started is stopped by
# PID on exit.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

PIDS=""
TM="tmux -L notspam-dnsbl-$$ -f /dev/null"
cleanup() {
	trap '' INT TERM HUP	# a signal now must not cut the cleanup short
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	$TM kill-server 2>/dev/null
	rm -rf "$T_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! "$PY" -c 'import dns.message' 2>/dev/null; then
	skip "blocklists against a DNS server on loopback" \
	    "python3-dnspython missing"
	exit 0
fi

# serve NAME TABLE: tabledns.py on a free port (PORT), its queries in
# $T_TMP/NAME.log.
serve() {
	PORT=$(free_port)
	: >"$T_TMP/$1.log"
	"$PY" tests/stack/tabledns.py --port "$PORT" --table "$2" \
	    --log "$T_TMP/$1.log" --pidfile "$T_TMP/$1.pid" \
	    >"$T_TMP/$1.err" 2>&1 &
	PIDS="$PIDS $!"
	_i=0
	while [ ! -s "$T_TMP/$1.pid" ] && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ -s "$T_TMP/$1.pid" ]
}

# q FILE DOMAIN ID FIELD: one field of one check of check --json ("found"
# joined by newlines); DOMAIN "host" for the mail host's; "absent" when
# there is no such check.
cat >"$T_TMP/q.py" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
host = doc.get("mail_host")
for d in doc["domains"] + ([dict(host, domain="host")] if host else []):
    if d["domain"] != sys.argv[2]:
        continue
    for c in d["checks"]:
        if c["id"] == sys.argv[3]:
            v = c[sys.argv[4]]
            print("\n".join(v) if isinstance(v, list) else v)
            sys.exit(0)
print("absent")
PYEOF
q() { "$PY" "$T_TMP/q.py" "$T_TMP/net.json" "$@"; }
st() { q "$1" "$2" status; }
det() { q "$1" "$2" detail; }
# asked NAME TYPE: how many times the server was asked (NAME TYPE).
asked() { grep -cxF "$1 $2" "$T_TMP/net.log"; }

# ---- the site: four public addresses, two documentation ones ----------
V6=2a0b:4e07:1::25
N6=5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.7.0.e.4.b.0.a.2
D6=5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2
root=$(sandbox site)
conf=$root/etc/notspam/notspam.conf
grep -v '^public_ipv' "$NOTSPAM_TOP/share/demo/etc/notspam/notspam.conf" \
    >"$conf"
cat >>"$conf" <<EOF
public_ipv4 = 192.0.2.25 1.2.3.4 5.6.7.8 9.9.9.25
public_ipv6 = 2001:db8::25 $V6
domains = abused.test
blocklists = zen.spamhaus.org b.barracudacentral.org bl.spamcop.net all.test blind.test slow.test six.test+ipv6
EOF

# What the lists answer.  Every test entry (2.0.0.127, dbltest.com) is
# listed but blind.test's; all.test lists everything, 127.0.0.1 too.
cat >"$T_TMP/table" <<EOF
2.0.0.127.zen.spamhaus.org A 127.0.0.2 127.0.0.4 127.0.0.10
4.3.2.1.zen.spamhaus.org A 127.0.0.4 127.0.0.10
4.3.2.1.zen.spamhaus.org TXT "https://check.spamhaus.org/query/ip/1.2.3.4 \\027[2J\\007"
8.7.6.5.zen.spamhaus.org A 127.255.255.254
25.9.9.9.zen.spamhaus.org A 203.0.113.7
$N6.zen.spamhaus.org A 127.0.0.3
2.0.0.127.b.barracudacentral.org A 127.0.0.2
4.3.2.1.b.barracudacentral.org A 127.0.0.2
2.0.0.127.bl.spamcop.net A 127.0.0.2
8.7.6.5.bl.spamcop.net SERVFAIL
25.9.9.9.bl.spamcop.net A 127.0.0.2
25.9.9.9.bl.spamcop.net TXT "Blocked - see https://www.spamcop.net/bl.shtml?9.9.9.25"
*.all.test A 127.0.0.2
2.0.0.127.slow.test A 127.0.0.2
4.3.2.1.slow.test DROP
2.0.0.127.six.test A 127.0.0.2
dbltest.com.dbl.spamhaus.org A 127.0.1.2
example.net.dbl.spamhaus.org A 127.0.1.2
example.com.dbl.spamhaus.org A 127.0.1.4
example.com.dbl.spamhaus.org TXT "https://check.spamhaus.org/results?query=example.com"
lists.example.com.dbl.spamhaus.org A 127.0.1.255
abused.test.dbl.spamhaus.org A 127.0.1.102
EOF
check "the loopback DNS server starts" serve net "$T_TMP/table"
NET=$PORT

run --root "$root" --resolver "127.0.0.1:$NET" --json check
cp "$T_TMP/out" "$T_TMP/net.json"
check "check --json: exit 2, listings are failures (got $RC)" [ "$RC" -eq 2 ]
check "check --json: valid JSON" "$PY" -m json.tool "$T_TMP/net.json" \
    /dev/null

# is ACTUAL WANTED: an equality check's command; holds TEXT PART: a
# substring check's.
is() { [ "$1" = "$2" ] || { diag "got: $1"; return 1; }; }
holds() { case $1 in *"$2"*) return 0 ;; esac; diag "got: $1"; return 1; }

# Listed: the list, each code's meaning, the TXT escaped, the way off.
Z=dnsbl:zen.spamhaus.org
check "ZEN lists 1.2.3.4: fail" is "$(st host $Z:1.2.3.4)" fail
d=$(det host $Z:1.2.3.4)
check "  the list named, XBL with its meaning" holds "$d" \
    "1.2.3.4 is listed on Spamhaus ZEN (zen.spamhaus.org): 127.0.0.4 XBL: an exploited host"
check "  PBL with its meaning" holds "$d" \
    "; 127.0.0.10 PBL: the address's provider says"
check "  the TXT record quoted, its escapes escaped" holds "$d" \
    'TXT "https://check.spamhaus.org/query/ip/1.2.3.4 \x1b[2J\x07"'
check "  the delisting page in the fix" is "$(q host $Z:1.2.3.4 fix)" \
    "find and stop what the listing names, then ask Spamhaus to remove the listing: https://check.spamhaus.org/"
f=$(q host $Z:1.2.3.4 found)
check "  found: the codes" holds "$f" "127.0.0.4
127.0.0.10"
check "  found: the TXT text, escaped" holds "$f" \
    'https://check.spamhaus.org/query/ip/1.2.3.4 \x1b[2J\x07'
check "ZEN lists the IPv6 address as CSS: fail" is "$(st host $Z:$V6)" fail
check "  127.0.0.3 CSS named" holds "$(det host $Z:$V6)" "127.0.0.3 CSS"
check "  the item's name: the name asked" is "$(q host $Z:$V6 name)" \
    "$N6.zen.spamhaus.org"
B=dnsbl:b.barracudacentral.org
check "Barracuda lists 1.2.3.4: fail" is "$(st host $B:1.2.3.4)" fail
check "  its removal page" holds "$(q host $B:1.2.3.4 fix)" \
    "https://www.barracudacentral.org/lookups"
S=dnsbl:bl.spamcop.net
check "SpamCop lists 9.9.9.25: fail" is "$(st host $S:9.9.9.25)" fail
check "  its TXT quoted" holds "$(det host $S:9.9.9.25)" \
    'TXT "Blocked - see https://www.spamcop.net/bl.shtml?9.9.9.25"'
check "  no removal form: the listing ends 24 hours after" holds \
    "$(q host $S:9.9.9.25 fix)" "24 hours after the last report"

# Not listed (NXDOMAIN, the test entry listed): ok.
check "not on Barracuda: 5.6.7.8 ok" is "$(st host $B:5.6.7.8)" ok
check "  said so" is "$(det host $B:5.6.7.8)" \
    "5.6.7.8 is not listed on Barracuda BRBL (b.barracudacentral.org)"
check "  no fix when ok" is "$(q host $B:5.6.7.8 fix)" None
check "not on SpamCop: 1.2.3.4 ok" is "$(st host $S:1.2.3.4)" ok
check "six.test+ipv6: the IPv6 address asked, ok" is \
    "$(st host dnsbl:six.test:$V6)" ok
check "no IPv6 check on the lists that do not serve IPv6" sh -c "
    [ \"\$1\" = absent ] && [ \"\$2\" = absent ]" sh \
    "$(st host $B:$V6)" "$(st host $S:$V6)"

# Not listings: unknown, with the reason, never fail.
check "ZEN 127.255.255.254: unknown, not listed" is "$(st host $Z:5.6.7.8)" \
    unknown
check "  the reason: a public or open resolver" holds \
    "$(det host $Z:5.6.7.8)" "could not tell whether 5.6.7.8 is listed on Spamhaus ZEN (zen.spamhaus.org): 127.255.255.254: the query came through a public or open resolver"
check "  the fix: a resolver of one's own, or a DQS key" holds \
    "$(q host $Z:5.6.7.8 fix)" "DQS key"
check "an answer outside 127/8: unknown" is "$(st host $Z:9.9.9.25)" unknown
check "  the reason names the answer" holds "$(det host $Z:9.9.9.25)" \
    "203.0.113.7: an answer outside 127.0.0.0/8"
check "SERVFAIL: unknown" is "$(st host $S:5.6.7.8)" unknown
check "  said so" holds "$(det host $S:5.6.7.8)" "no answer: SERVFAIL"
check "a timeout: unknown" is "$(st host dnsbl:slow.test:1.2.3.4)" unknown
check "  said so" holds "$(det host dnsbl:slow.test:1.2.3.4)" \
    "no answer: timeout"
check "  the same list, another address: ok" is \
    "$(st host dnsbl:slow.test:5.6.7.8)" ok
check "a list whose test entry is not listed: unknown, not ok" is \
    "$(st host dnsbl:blind.test:5.6.7.8)" unknown
check "  said so" holds "$(det host dnsbl:blind.test:5.6.7.8)" \
    "blind.test does not list its test entry 127.0.0.2 through the resolver (NXDOMAIN)"
check "a list that lists everything (127.0.0.1 too): unknown, not fail" is \
    "$(st host dnsbl:all.test:1.2.3.4)" unknown
check "  said so" holds "$(det host dnsbl:all.test:1.2.3.4)" \
    "all.test lists everything, even 127.0.0.1"

# The domain list: each hosted domain and the HELO name.
D=dnsbl:dbl.spamhaus.org
check "DBL: example.org not listed: ok" is "$(st example.org $D)" ok
check "DBL: the HELO name not listed: ok" is "$(det host $D)" \
    "mail.example.org is not listed on Spamhaus DBL (dbl.spamhaus.org)"
check "DBL 127.0.1.2: a spam domain, fail" is "$(st example.net $D)" fail
check "  its meaning" holds "$(det example.net $D)" \
    "127.0.1.2 DBL: a low-reputation domain"
check "DBL 127.0.1.4: phishing, its TXT" holds "$(det example.com $D)" \
    'example.com is listed on Spamhaus DBL (dbl.spamhaus.org): 127.0.1.4 DBL: a phishing domain; TXT "https://check.spamhaus.org/results?query=example.com"'
check "DBL 127.0.1.102: an abused legitimate domain" holds \
    "$(det abused.test $D)" "abused legitimate domain"
check "DBL 127.0.1.255: unknown, not fail" is "$(st lists.example.com $D)" \
    unknown
check "  said so" holds "$(det lists.example.com $D)" \
    "an address was asked of a domain list"
check "blocklists are not asked of the domains' nameservers" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
bad = [c["id"] for x in d["domains"] for c in x["checks"]
       if c["id"].startswith("dnsbl:") and c.get("ns")]
sys.exit(1 if bad else 0)' "$T_TMP/net.json"

# What was asked, exactly.
check "the IPv6 address asked as 32 nibbles, once" is \
    "$(asked "$N6.zen.spamhaus.org" A)" 1
check "  not of Barracuda, SpamCop or the others without +ipv6" sh -c "
    ! grep -E '^$N6\\.(b\\.barracudacentral\\.org|bl\\.spamcop\\.net|blind\\.test|slow\\.test|all\\.test) ' '$T_TMP/net.log'"
check "  of six.test, named with +ipv6" is "$(asked "$N6.six.test" A)" 1
check "documentation addresses never asked of a list" sh -c "
    ! grep -E '^(25\\.2\\.0\\.192|$D6)\\.' '$T_TMP/net.log' |
    grep -v '\\.arpa ' | grep -q ."
check "each test entry asked once" sh -c "
    [ \$(grep -cxF '2.0.0.127.zen.spamhaus.org A' '$T_TMP/net.log') -eq 1 ] &&
    [ \$(grep -cxF 'dbltest.com.dbl.spamhaus.org A' '$T_TMP/net.log') -eq 1 ]"
check "TXT asked for listings only" sh -c "
    [ \$(grep -cxF '4.3.2.1.zen.spamhaus.org TXT' '$T_TMP/net.log') -eq 1 ] &&
    ! grep -qxF '8.7.6.5.b.barracudacentral.org TXT' '$T_TMP/net.log' &&
    ! grep -qxF '8.7.6.5.zen.spamhaus.org TXT' '$T_TMP/net.log' &&
    ! grep -qxF 'example.org.dbl.spamhaus.org TXT' '$T_TMP/net.log'"
check "the must-not-list entry asked only where something is listed" sh -c "
    grep -qxF '1.0.0.127.zen.spamhaus.org A' '$T_TMP/net.log' &&
    ! grep -qxF '1.0.0.127.six.test A' '$T_TMP/net.log'"
check "no blocklist query sent twice (but the dropped one, retried)" sh -c "
    grep -E '\\.(spamhaus\\.org|barracudacentral\\.org|spamcop\\.net|all\\.test|blind\\.test|slow\\.test|six\\.test) ' '$T_TMP/net.log' |
    grep -vxF '4.3.2.1.slow.test A' | sort | uniq -d | grep -q . && exit 1; exit 0"

# The text output: one line per address and list, escapes escaped.
run --root "$root" --resolver "127.0.0.1:$NET" check
check "check (text): exit 2 (got $RC)" [ "$RC" -eq 2 ]
check "  a line per address and list under the mail host" has "$T_TMP/out" \
    '^  FAIL +dnsbl:zen\.spamhaus\.org:1\.2\.3\.4 1\.2\.3\.4 is listed on Spamhaus ZEN'
check "  unknown with its reason" has "$T_TMP/out" \
    '^  UNKNOWN +dnsbl:zen\.spamhaus\.org:5\.6\.7\.8 could not tell whether 5\.6\.7\.8 is listed'
check "  clean ones ok" has "$T_TMP/out" \
    '^  ok +dnsbl:bl\.spamcop\.net:1\.2\.3\.4 1\.2\.3\.4 is not listed on SpamCop'
check "  the domain's line" has "$T_TMP/out" \
    '^  FAIL +dnsbl:dbl\.spamhaus\.org example\.net is listed on Spamhaus DBL'
check "  the fix under a listing" has "$T_TMP/out" \
    '^ +fix: .*https://check\.spamhaus\.org/$'
check "  the hostile TXT escaped, no raw ESC or BEL" sh -c "
    grep -qF '\\x1b[2J\\x07' '$T_TMP/out' && ! grep -q \"\$(printf '\\033')\" '$T_TMP/out' &&
    ! grep -q \"\$(printf '\\007')\" '$T_TMP/out'"

# status: the Blocklists columns, as text and JSON.
run --root "$root" --resolver "127.0.0.1:$NET" status
check "status: exit 2 (got $RC)" [ "$RC" -eq 2 ]
check "status: the host's line has a Blocklists column" has "$T_TMP/out" \
    '^mail host +IPv4 A\+PTR +IPv6 AAAA\+PTR +HELO SPF +Blocklists *$'
check "  FAIL there (an address is listed)" has "$T_TMP/out" \
    '^mail\.example\.org +[a-zA-Z]+ +[a-zA-Z]+ +[a-zA-Z]+ +FAIL *$'
check "status: the domain table has a Blocklists column" has "$T_TMP/out" \
    '^domain +MX +SPF +DKIM +DMARC +Blocklists *$'
check "  example.org ok, example.net FAIL, lists.example.com unknown" sh -c "
    grep -Eq '^example\\.org( +[a-zA-Z-]+){4} +ok *\$' '$T_TMP/out' &&
    grep -Eq '^example\\.net( +[a-zA-Z-]+){4} +FAIL *\$' '$T_TMP/out' &&
    grep -Eq '^lists\\.example\\.com( +[a-zA-Z-]+){4} +unknown *\$' '$T_TMP/out'"
check "  the listing among the findings" has "$T_TMP/out" \
    '^FAIL +example\.net dnsbl:dbl\.spamhaus\.org: example\.net is listed'
run --root "$root" --resolver "127.0.0.1:$NET" --json status
check "status --json: blocklists in the host's and each domain's status" sh -c "
    $PY -c 'import json,sys
d = json.load(open(sys.argv[1]))
assert d[\"mail_host\"][\"status\"][\"blocklists\"] == \"fail\", d[\"mail_host\"]
s = {x[\"domain\"]: x[\"status\"][\"blocklists\"] for x in d[\"domains\"]}
assert s == {\"example.org\": \"ok\", \"example.net\": \"fail\", \"example.com\": \"fail\",
    \"lists.example.com\": \"unknown\", \"abused.test\": \"fail\"}, s' '$T_TMP/out'"

# ---- none: no list asked -----------------------------------------------
root2=$(sandbox none)
cp "$conf" "$root2/etc/notspam/notspam.conf"
printf 'blocklists = none\ndomain_blocklists =\n' >>"$root2/etc/notspam/notspam.conf"
: >"$T_TMP/net.log"
run --root "$root2" --resolver "127.0.0.1:$NET" --json check
check "none: no blocklist check" sh -c "! grep -q '\"dnsbl:' '$T_TMP/out'"
check "  and no blocklist query" sh -c "
    ! grep -E '\\.(spamhaus\\.org|barracudacentral\\.org|spamcop\\.net|all\\.test|blind\\.test|slow\\.test|six\\.test) ' '$T_TMP/net.log'"
run --root "$root2" --resolver "127.0.0.1:$NET" status
check "  status shows - in the Blocklists columns" has "$T_TMP/out" \
    '^example\.org( +[a-zA-Z-]+){4} +- *$'

# ---- the settings refused ------------------------------------------------
for bad in 'blocklists = dbl.spamhaus.org|dbl.spamhaus.org lists domains: name it in domain_blocklists' \
    'domain_blocklists = zen.spamhaus.org|zen.spamhaus.org lists addresses: name it in blocklists' \
    'blocklists = bl_bad!.example|"bl_bad!.example" is not a blocklist zone' \
    'domain_blocklists = dbl.example+ipv6|"dbl.example+ipv6" is not a blocklist zone'; do
	line=${bad%%|*}
	msg=${bad#*|}
	cp "$conf" "$root2/etc/notspam/notspam.conf"
	echo "$line" >>"$root2/etc/notspam/notspam.conf"
	run --root "$root2" --resolver "127.0.0.1:$NET" check
	check "refused: $line (exit $RC)" sh -c "[ $RC -ne 0 ] && [ $RC -ne 2 ] &&
	    grep -qF 'notspam.conf:' '$T_TMP/err' && grep -qF -- '$msg' '$T_TMP/err'"
done

# ---- a DQS key: asked, never shown -------------------------------------
KEY=abcdefghijklmnopqrstuvwxyz
root3=$(sandbox dqs)
grep -v '^public_ipv' "$NOTSPAM_TOP/share/demo/etc/notspam/notspam.conf" \
    >"$root3/etc/notspam/notspam.conf"
cat >>"$root3/etc/notspam/notspam.conf" <<EOF
public_ipv4 = 1.2.3.4 5.6.7.8
blocklists = $KEY.zen.dq.spamhaus.net
domain_blocklists = none
EOF
cat >"$T_TMP/dqs.table" <<EOF
2.0.0.127.$KEY.zen.dq.spamhaus.net A 127.0.0.2
4.3.2.1.$KEY.zen.dq.spamhaus.net A 127.0.0.2
4.3.2.1.$KEY.zen.dq.spamhaus.net TXT "https://check.spamhaus.org/query/ip/1.2.3.4"
8.7.6.5.$KEY.zen.dq.spamhaus.net A 127.255.255.251
EOF
check "a second DNS server starts (DQS)" serve dqs "$T_TMP/dqs.table"
run --root "$root3" --resolver "127.0.0.1:$PORT" --json check
cp "$T_TMP/out" "$T_TMP/dqs.json"
check "DQS: the key is asked" grep -qxF "4.3.2.1.$KEY.zen.dq.spamhaus.net A" "$T_TMP/dqs.log"
check "  the listing found, named by the zone without the key" sh -c "
    $PY $T_TMP/q.py $T_TMP/dqs.json host dnsbl:zen.dq.spamhaus.net:1.2.3.4 detail |
    grep -qF '1.2.3.4 is listed on Spamhaus ZEN (zen.dq.spamhaus.net): 127.0.0.2 SBL'"
check "  a refused key: unknown, said so" sh -c "
    [ \"\$($PY $T_TMP/q.py $T_TMP/dqs.json host dnsbl:zen.dq.spamhaus.net:5.6.7.8 status)\" = unknown ] &&
    $PY $T_TMP/q.py $T_TMP/dqs.json host dnsbl:zen.dq.spamhaus.net:5.6.7.8 detail | grep -qF 'DQS key'"
check "  the key in no output (JSON, stderr)" sh -c "! grep -q '$KEY' '$T_TMP/dqs.json' '$T_TMP/err'"
run --root "$root3" --resolver "127.0.0.1:$PORT" check
check "  nor in the text output" sh -c "! grep -q '$KEY' '$T_TMP/out' '$T_TMP/err'"

# ---- the resolver does not answer at all ---------------------------------
run --root "$root" --resolver 127.0.0.1:9 --json check
check "no resolver: exit 75, the blocklists unknown too (got $RC)" sh -c "[ $RC -eq 75 ] &&
    [ \"\$($PY $T_TMP/q.py $T_TMP/out host dnsbl:zen.spamhaus.org:1.2.3.4 status)\" = unknown ]"

# ---- zone-file mode: the lists whose zones are given --------------------
check "demo-zones.sh makes the demo's zones" \
    sh share/demo-zones.sh "$NOTSPAM" "$root" "$T_TMP/zones"
cat >"$T_TMP/zones/zen.spamhaus.org.zone" <<EOF
\$ORIGIN zen.spamhaus.org.
@ 3600 IN SOA ns.zen.spamhaus.org. h.zen.spamhaus.org. 1 3600 600 86400 60
2.0.0.127 60 IN A 127.0.0.2
2.0.0.127 60 IN A 127.0.0.4
2.0.0.127 60 IN A 127.0.0.10
4.3.2.1 60 IN A 127.0.0.4
4.3.2.1 60 IN A 127.0.0.10
4.3.2.1 60 IN TXT "https://check.spamhaus.org/query/ip/1.2.3.4 \\027[2J\\007"
8.7.6.5 60 IN A 127.255.255.254
25.9.9.9 60 IN A 203.0.113.7
$N6 60 IN A 127.0.0.3
EOF
cat >"$T_TMP/zones/dbl.spamhaus.org.zone" <<EOF
\$ORIGIN dbl.spamhaus.org.
@ 3600 IN SOA ns.dbl.spamhaus.org. h.dbl.spamhaus.org. 1 3600 600 86400 60
dbltest.com 60 IN A 127.0.1.2
example.net 60 IN A 127.0.1.2
example.com 60 IN A 127.0.1.4
example.com 60 IN TXT "https://check.spamhaus.org/results?query=example.com"
lists.example.com 60 IN A 127.0.1.255
abused.test 60 IN A 127.0.1.102
EOF
run --root "$root" --zones "$T_TMP/zones" --json check
cp "$T_TMP/out" "$T_TMP/zones.json"
check "--zones: the lists the files hold give the network's verdicts" "$PY" -c '
import json, sys
def v(path):
    d = json.load(open(path))
    out = {}
    for x in d["domains"] + [dict(d["mail_host"], domain="host")]:
        for c in x["checks"]:
            if c["id"].startswith(("dnsbl:zen.", "dnsbl:dbl.")):
                out[(x["domain"], c["id"])] = (c["status"], c["detail"])
    return out
n, z = v(sys.argv[1]), v(sys.argv[2])
assert len(n) == 10 and n == z, (sorted(n.items()), sorted(z.items()))
' "$T_TMP/net.json" "$T_TMP/zones.json"
check "  the lists no file holds are not asked" sh -c "
    ! grep -Eq '\"dnsbl:(b\\.barracudacentral\\.org|bl\\.spamcop\\.net|all\\.test|blind\\.test|slow\\.test|six\\.test)' '$T_TMP/zones.json'"
check "  the documentation addresses have no blocklist check" sh -c "
    ! grep -Eq '\"dnsbl:[^\"]*:(192\\.0\\.2\\.25|2001:db8::25)\"' '$T_TMP/zones.json'"

# ---- the dashboard's Blocklists column ------------------------------------
if command -v tmux >/dev/null 2>&1; then
	$TM new-session -d -s keep "sleep 3600"
	$TM new-session -d -s c -x 110 -y 34 "cd $T_TMP && env TERM=xterm-256color LANG=C.UTF-8 $NOTSPAM --root $root --zones $T_TMP/zones 2>>$T_TMP/stderr; sleep 30"
	wait_for() {
		_n=0
		while [ "$_n" -lt 80 ]; do
			$TM capture-pane -p -t c | grep -Eq -- "$1" && return 0
			sleep 0.1
			_n=$((_n + 1))
		done
		$TM capture-pane -p -t c >"$T_TMP/last-screen"
		sed 's/^/# /' "$T_TMP/last-screen"
		return 1
	}
	check "dashboard: the domain table's last column is Blocklists" \
	    wait_for '^ Domain +MX +SPF +DKIM +DMARC +Blocklists *$'
	check "dashboard: example.net FAIL there" \
	    wait_for '^ example\.net( +[a-zA-Z]+){4} +FAIL *$'
	check "dashboard: example.org ok there" \
	    wait_for '^ example\.org( +[a-zA-Z]+){4} +ok *$'
	check "dashboard: the mail host's line has its Blocklists column" \
	    wait_for 'HELO SPF +Blocklists *$'
	check "  FAIL there (1.2.3.4 is listed)" \
	    wait_for '^ mail\.example\.org .* FAIL *$'
	check "dashboard: the listings among the findings" \
	    wait_for 'FAIL +example\.(net|com) dnsbl:dbl\.spamhaus\.org'
	$TM send-keys -t c q
else
	skip "the dashboard's Blocklists column" "tmux missing"
fi

echo "1..$T_N"
