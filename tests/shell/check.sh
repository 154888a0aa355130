#!/bin/sh
# notspam check against real DNS servers on loopback: unbound serving zones
# made here from the site's own records (tests/stack/unbound.sh and
# zones.py), and tests/stack/fauxdns.py for servers that misbehave.  Every
# server started is stopped by PID on exit.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
. tests/stack/unbound.sh

UBS=""
PIDS=""
cleanup() {
	trap '' INT TERM HUP	# a signal now must not cut the cleanup short
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for d in $UBS; do unbound_stop "$d"; done
	rm -rf "$T_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! command -v unbound >/dev/null 2>&1 ||
    ! "$PY" -c 'import dns.message' 2>/dev/null; then
	skip "check against unbound on loopback" "unbound or python3-dnspython missing"
	exit 0
fi

# A free TCP/UDP port on loopback (a short race is acceptable in tests).
free_port() {
	"$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
t = socket.socket(); t.bind(("127.0.0.1", p)); print(p)'
}

# ub NAME PORT ZONEFILE...: start an unbound, remembered for cleanup.
ub() {
	_n=$1; shift
	UBS="$UBS $T_TMP/ub-$_n"
	unbound_start "$T_TMP/ub-$_n" "$@"
}

# faux PORT MODE: start fauxdns.py, remembered for cleanup.
faux() {
	"$PY" tests/stack/fauxdns.py --port "$1" --mode "$2" \
	    --pidfile "$T_TMP/faux-$1.pid" >"$T_TMP/faux-$1.log" 2>&1 &
	PIDS="$PIDS $!"
	_i=0
	while [ ! -s "$T_TMP/faux-$1.pid" ] && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
}

# key ROOT FILE rsa BITS | ed25519: a private key, mode 600.
key() {
	mkdir -p "$(dirname "$1$2")"
	if [ "$3" = ed25519 ]; then
		openssl genpkey -algorithm ED25519 -out "$1$2" 2>/dev/null
	else
		openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$4" \
		    -out "$1$2" 2>/dev/null
	fi
	chmod 600 "$1$2"
}

# site ROOT HOSTNAME IPV4 IPV6: Postfix, OpenDKIM and the settings file;
# domains are added with domain ROOT NAME SELECTOR KEYFILE.
site() {
	mkdir -p "$1/etc/postfix" "$1/etc/opendkim" "$1/etc/notspam"
	cat >"$1/etc/postfix/main.cf" <<EOF
myhostname = $2
mydestination = \$myhostname, localhost
inet_protocols = all
smtpd_milters = inet:localhost:8891
non_smtpd_milters = \$smtpd_milters
EOF
	cat >"$1/etc/opendkim.conf" <<EOF
Socket			inet:8891@localhost
KeyTable		/etc/opendkim/key.table
SigningTable		refile:/etc/opendkim/signing.table
EOF
	: >"$1/etc/opendkim/key.table"
	: >"$1/etc/opendkim/signing.table"
	# No domain blocklist: none can answer through this unbound (the
	# blocklists have their own suite, tests/shell/dnsbl.sh).
	cat >"$1/etc/notspam/notspam.conf" <<EOF
public_ipv4 = $3
public_ipv6 = $4
domain_blocklists = none
EOF
	printf '127.0.0.1\tlocalhost\n%s\t%s\n' "$3" "$2" >"$1/etc/hosts"
}

domain() {
	sed -i "s/^mydestination = .*/&, $2/" "$1/etc/postfix/main.cf"
	echo "$3._domainkey.$2 $2:$3:$4" >>"$1/etc/opendkim/key.table"
	echo "*@$2 $3._domainkey.$2" >>"$1/etc/opendkim/signing.table"
}

# q FILE DOMAIN ID FIELD: one field of one check of the --json output
# ("found" joined by newlines); "absent" when there is no such check.
# DOMAIN "host": the mail host's checks (A, AAAA, PTR, HELO SPF).
cat >"$T_TMP/q.py" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
host = doc.get("mail_host")
for d in doc["domains"] + ([dict(host, domain="host")] if host else []):
    if d["domain"] != sys.argv[2]:
        continue
    if sys.argv[3] == "authority":
        print("\n".join(d["authority"])); sys.exit(0)
    for c in d["checks"]:
        if c["id"] == sys.argv[3]:
            v = c[sys.argv[4]]
            print("\n".join(v) if isinstance(v, list) else v)
            sys.exit(0)
print("absent")
PYEOF
q() { "$PY" "$T_TMP/q.py" "$T_TMP/out" "$@" 2>/dev/null; }
# st DOMAIN ID: the status of a check in $T_TMP/out.
st() { q "$1" "$2" status; }

# ---- the main site: one domain per case ------------------------------
R=$T_TMP/main
site "$R" mail.good.test 192.0.2.25 2001:db8::25
key "$R" /etc/dkimkeys/shared.private rsa 2048
key "$R" /etc/dkimkeys/ed.private ed25519
key "$R" /etc/dkimkeys/weak.private rsa 1024
key "$R" /etc/dkimkeys/tiny.private rsa 512
key "$R" /etc/dkimkeys/big.private rsa 4096
key "$T_TMP" /other.private rsa 2048
OTHER_P=$(openssl pkey -in "$T_TMP/other.private" -pubout -outform DER |
    base64 -w0)
for d in good split twospf nov6 deep mismatch testing revoked none \
    extrua authrua esc lint long dmarcmisc dmarcspf nodkim nullmx othermx \
    sub.good; do
	domain "$R" $d.test sel /etc/dkimkeys/shared.private
done
echo "ed._domainkey.good.test good.test:ed:/etc/dkimkeys/ed.private" \
    >>"$R/etc/opendkim/key.table"
domain "$R" weak.test sel /etc/dkimkeys/weak.private
domain "$R" tiny.test sel /etc/dkimkeys/tiny.private
domain "$R" big.test sel /etc/dkimkeys/big.private

run --root "$R" --json records
# The test site has no master.cf: a warning, so exit 1.
check "records of the test site: exit 1, warnings (got $RC)" [ "$RC" -eq 1 ]
check "  the warning names the missing master.cf, a failure (Postfix cannot start)" "$PY" -c '
import json, sys
sys.exit(not any("master.cf: missing" in w["text"] and w["severity"] == "fail"
    for w in json.load(open(sys.argv[1]))["warnings"]))' "$T_TMP/out"
cp "$T_TMP/out" "$T_TMP/records.json"

# Zones from the records with one deliberate change per domain.
cat >"$T_TMP/mkzones.py" <<'PYEOF'
import json, sys
sys.path.insert(0, "tests/stack")
import zones
rec, out, other, variant = sys.argv[1:5]
doc = json.load(open(rec))
args = [rec, out]
def s(k, v): args.extend(["--set", k + "=" + v])
def a(line): args.extend(["--add", line])
def drop(k): args.extend(["--drop", k])
p = {}
for d in doc["domains"]:
    for r in d["records"]:
        if r["id"] == "dkim:sel":
            p[d["domain"]] = r["value"].split("p=", 1)[1]
    s("dmarc@" + d["domain"], "v=DMARC1; p=quarantine; rua=mailto:dmarc@" + d["domain"])
if variant == "old":
    # What a resolver cached before the last changes to good.test.
    drop("dkim:sel@good.test")
    s("spf@good.test", "v=spf1 ip4:192.0.2.25 -all")
    zones.main(args); sys.exit(0)
drop("spf@split.test"); drop("dmarc@split.test")
a('split.test. 300 IN TXT "v=spf1 " "ip4:192.0.2.25 " "ip6:2001:db8::25" " -all"')
a('_dmarc.split.test. 300 IN TXT "v=DMARC1; " "p=quarantine; " "rua=mailto:dmarc@split.test"')
a('twospf.test. 300 IN TXT "v=spf1 a -all"')
s("spf@nov6.test", "v=spf1 ip4:192.0.2.25 -all")
s("spf@deep.test", "v=spf1 include:i1.deep.test ip4:192.0.2.25 ip6:2001:db8::25 -all")
for i in range(1, 12):
    nxt = "include:i%d.deep.test " % (i + 1) if i < 11 else ""
    a('i%d.deep.test. 300 IN TXT "v=spf1 %s-all"' % (i, nxt))
s("dkim:sel@mismatch.test", "v=DKIM1; k=rsa; p=" + other)
s("dkim:sel@testing.test", "v=DKIM1; k=rsa; t=y; p=" + p["testing.test"])
s("dkim:sel@revoked.test", "v=DKIM1; k=rsa; p=")
s("dmarc@none.test", "v=DMARC1; p=none; rua=mailto:dmarc@none.test")
s("dmarc@extrua.test", "v=DMARC1; p=reject; rua=mailto:reports@elsewhere.test")
s("dmarc@authrua.test", "v=DMARC1; p=reject; rua=mailto:dmarc@good.test")
a('authrua.test._report._dmarc.good.test. 300 IN TXT "v=DMARC1"')
s("dmarc@esc.test", "v=DMARC1; p=\x1b[2Jreject")
a('esc.test. 300 IN TXT "hello \\027[2J"')
s("spf@lint.test", "v=spf1 ip4:192.0.2.25 ip6:2001:db8::25 ptr ?all")
a('lint.test. 300 IN SPF "v=spf1 -all"')
s("spf@long.test", "v=spf1 " + "".join("ip4:198.51.100.%d " % i for i in range(1, 30)) + "ip4:192.0.2.25 ip6:2001:db8::25 -all")
s("dmarc@dmarcmisc.test", "v=DMARC1; p=reject; sp=none; pct=50; rua=mailto:a@dmarcmisc.test,mailto:b@dmarcmisc.test,mailto:c@dmarcmisc.test")
a('dmarcmisc.test. 300 IN TXT "v=DMARC1; p=reject"')
a('_dmarc.dmarcspf.test. 300 IN TXT "v=spf1 -all"')
drop("dkim:sel@nodkim.test")
s("mx@nullmx.test", "0 .")
s("mx@othermx.test", "10 mx.elsewhere.test.")
drop("dmarc@sub.good.test")
zones.main(args)
PYEOF
"$PY" "$T_TMP/mkzones.py" "$T_TMP/records.json" "$T_TMP/zones" "$OTHER_P" \
    new >"$T_TMP/zones.list" 2>"$T_TMP/zones.err"
check "zone files made from the records" [ -s "$T_TMP/zones/good.test.zone" ]

P1=$(free_port)
ub main "$P1" $(cat "$T_TMP/zones.list") ||
    { not_ok "unbound starts on port $P1"; exit 1; }
ok "unbound serves the test zones on 127.0.0.1:$P1"
# The zones name ns.<zone> at 127.0.0.1: the authoritative side is the
# same server here, asked on its port with check --ns-port.
RES=127.0.0.1:$P1

# ---- a domain where all is right --------------------------------------
run --root "$R" --resolver "$RES" check --ns-port "$P1" good.test
check "good.test: exit 0 when every check is ok (got $RC)" [ "$RC" -eq 0 ]
check "good.test: text lists the SPF check as ok" has "$T_TMP/out" \
    '^  ok +spf +192\.0\.2\.25: pass; 2001:db8::25: pass'
check "good.test: summary line" has "$T_TMP/out" '^[0-9]+ ok, 0 warn, 0 fail, 0 unknown$'
run --root "$R" --resolver "$RES" --json check --ns-port "$P1" good.test
check "good.test --json: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "good.test --json is valid JSON with the documented keys" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"resolver", "mail_host", "domains", "summary", "warnings"}, d.keys()
assert set(d["mail_host"]) == {"name", "checks", "authority"}, d["mail_host"].keys()
assert d["mail_host"]["name"] == "mail.good.test", d["mail_host"]["name"]
assert any("master.cf: missing" in w["text"] for w in d["warnings"]), d["warnings"]
assert all(set(w) == {"severity", "text"} for w in d["warnings"]), d["warnings"]
assert d["resolver"] == sys.argv[2], d["resolver"]
assert set(d["summary"]) == {"ok", "warn", "fail", "unknown"}
for dom in d["domains"]:
    assert set(dom) == {"domain", "checks", "authority"}, dom.keys()
for dom in d["domains"] + [d["mail_host"]]:
    for c in dom["checks"]:
        assert set(c) == {"id", "name", "type", "status", "expected", "found", "detail", "fix"}, c.keys()
' "$T_TMP/out" "$RES"
for id in mx spf dkim:sel dkim:ed dmarc; do
	check "good.test $id ok" [ "$(st good.test "$id")" = ok ]
done
for id in host-a host-aaaa ptr:192.0.2.25 ptr:2001:db8::25 spf-helo; do
	check "the mail host's $id ok" [ "$(st host "$id")" = ok ]
	check "  and not among good.test's checks" [ "$(st good.test "$id")" = absent ]
done
check "good.test: every check ok in the summary" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]; n = sum(len(x["checks"]) for x in d["domains"] + [d["mail_host"]])
assert s["ok"] == n and s["warn"] == s["fail"] == s["unknown"] == 0, s' \
    "$T_TMP/out"
check "good.test: the Ed25519 key is compared as key material" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out good.test dkim:ed detail | grep -q 'matches /etc/dkimkeys/ed.private (ed25519'"
check "good.test: fix is null when ok" [ "$(q good.test spf fix)" = None ]
check "good.test: authority line names the nameserver" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out good.test authority | grep -q '^ns.good.test 127.0.0.1'"

# ---- one case per rule --------------------------------------------------
run --root "$R" --resolver "$RES" --json check --ns-port "$P1" split.test \
    twospf.test \
    nov6.test deep.test mismatch.test weak.test tiny.test testing.test \
    revoked.test none.test extrua.test authrua.test esc.test lint.test \
    long.test dmarcmisc.test dmarcspf.test nodkim.test nullmx.test \
    othermx.test sub.good.test
cp "$T_TMP/out" "$T_TMP/cases.json"
check "failures exit 2 (got $RC)" [ "$RC" -eq 2 ]
check "several domains: the mail host's checks once, not in a domain's" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
ids = [c["id"] for c in d["mail_host"]["checks"]]
assert ids == ["host-a", "host-aaaa", "ptr:192.0.2.25", "ptr:2001:db8::25", "spf-helo"], ids
assert len(d["domains"]) == 21, len(d["domains"])
for x in d["domains"]:
    bad = [c["id"] for c in x["checks"] if c["id"].startswith(("host-", "ptr:", "spf-helo"))]
    assert not bad, (x["domain"], bad)' "$T_TMP/cases.json"
run --root "$R" --resolver "$RES" check --ns-port "$P1" split.test twospf.test
check "check text, two domains: one mail host block, its PTR once" \
    sh -c "[ \$(grep -c '^mail host mail\.good\.test\$' '$T_TMP/out') -eq 1 ] &&
    [ \$(grep -Ec '^  [a-zA-Z]+ +ptr:192\.0\.2\.25 ' '$T_TMP/out') -eq 1 ] &&
    [ \$(grep -Ec '^  [a-zA-Z]+ +spf-helo ' '$T_TMP/out') -eq 1 ]"
check "  before the domains" sh -c "sed -n 3p '$T_TMP/out' | grep -q '^mail host '"
cp "$T_TMP/cases.json" "$T_TMP/out"
check "split TXT strings are joined: SPF ok" [ "$(st split.test spf)" = ok ]
check "split TXT strings are joined: DMARC ok" [ "$(st split.test dmarc)" = ok ]
check "split TXT: found shows the joined record" \
    [ "$(q split.test spf found)" = "v=spf1 ip4:192.0.2.25 ip6:2001:db8::25 -all" ]
check "two SPF records: fail" [ "$(st twospf.test spf)" = fail ]
check "two SPF records: both in found" [ "$(q twospf.test spf found | wc -l)" -eq 2 ]
check "two SPF records: detail says so" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out twospf.test spf detail | grep -q '2 SPF records'"
check "SPF without the IPv6 address: fail" [ "$(st nov6.test spf)" = fail ]
check "SPF without IPv6: the address and its result named, Gmail mentioned" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out nov6.test spf detail | grep -q '2001:db8::25: fail.*Gmail'"
check "SPF without IPv6: IPv4 still passes" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out nov6.test spf detail | grep -q '192.0.2.25: pass'"
check "SPF without IPv6: the fix is the record with both addresses" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out nov6.test spf fix | grep -q 'ip6:2001:db8::25 -all'"
check "SPF include chain over 10 lookups: fail" [ "$(st deep.test spf)" = fail ]
check "SPF over 10 lookups: per-include counts shown" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out deep.test spf detail | grep -Eq 'DNS lookups, over the limit of 10: .*i1.deep.test'"
check "DKIM key mismatch: fail" [ "$(st mismatch.test dkim:sel)" = fail ]
check "DKIM key mismatch: names the key file" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out mismatch.test dkim:sel detail | grep -q 'different key than /etc/dkimkeys/shared.private'"
check "1024-bit key: warn" [ "$(st weak.test dkim:sel)" = warn ]
check "1024-bit key: says 1024 bits" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out weak.test dkim:sel detail | grep -q '1024 bits'"
check "512-bit key: fail" [ "$(st tiny.test dkim:sel)" = fail ]
check "t=y: warn" [ "$(st testing.test dkim:sel)" = warn ]
check "t=y: the key still matches" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out testing.test dkim:sel detail | grep -q 'the key matches'"
check "revoked key (empty p=): fail" [ "$(st revoked.test dkim:sel)" = fail ]
check "revoked key: says revoked" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out revoked.test dkim:sel detail | grep -q revoked"
check "DMARC p=none: warn" [ "$(st none.test dmarc)" = warn ]
check "DMARC p=none: the fix is their record with a policy, rua kept" \
    [ "$(q none.test dmarc fix)" = 'change the record to:
_dmarc.none.test. 3600 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@none.test"' ]
check "external rua without authorization: fail" [ "$(st extrua.test dmarc)" = fail ]
check "external rua: the fix is the authorization record" \
    [ "$(q extrua.test dmarc fix)" = 'extrua.test._report._dmarc.elsewhere.test. 3600 IN TXT "v=DMARC1"' ]
check "external rua with authorization: ok" [ "$(st authrua.test dmarc)" = ok ]
check "DMARC with escape bytes: fail (invalid p=)" [ "$(st esc.test dmarc)" = fail ]
check "escape bytes: no raw ESC in the JSON output" sh -c "! grep -q \"$(printf '\033')\" '$T_TMP/out'"
check "escape bytes: shown escaped in found" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out esc.test dmarc found | grep -qF 'p=\\x1b[2Jreject'"
check "escape bytes: the detail quotes the value escaped once (\\x1b, never \\\\x1b)" \
    sh -c "d=\$($PY $T_TMP/q.py $T_TMP/out esc.test dmarc detail); echo \"\$d\" | grep -qF 'x1b[2J' && ! echo \"\$d\" | grep -qF '\\\\x1b'"
check "ptr mechanism and ?all: warn" [ "$(st lint.test spf)" = warn ]
check "ptr and ?all: each named, and the type-99 record" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out lint.test spf detail | grep 'ptr mechanism' | grep '?all' | grep -q 'type-99'"
check "an SPF record over 512 bytes: warn" [ "$(st long.test spf)" = warn ]
check "DMARC sp=none, pct=, 3 rua, a record at the root: warn" \
    [ "$(st dmarcmisc.test dmarc)" = warn ]
check "DMARC misc: every problem named" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out dmarcmisc.test dmarc detail | grep 'sp=none' | grep 'pct=' | grep '3 rua' | grep -q 'at dmarcmisc.test itself'"
check "DMARC misc: the fix is their record edited" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out dmarcmisc.test dmarc fix | grep -qx '_dmarc.dmarcmisc.test. 3600 IN TXT \"v=DMARC1; p=reject; rua=mailto:a@dmarcmisc.test,mailto:b@dmarcmisc.test\"'"
check "an SPF record at _dmarc: fail" [ "$(st dmarcspf.test dmarc)" = fail ]
check "DKIM record missing: fail" [ "$(st nodkim.test dkim:sel)" = fail ]
check "null MX on a receiving domain: fail" [ "$(st nullmx.test mx)" = fail ]
check "MX host without an address: fail" [ "$(st othermx.test mx)" = fail ]
check "MX host without an address: named" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out othermx.test mx detail | grep -q 'MX host mx.elsewhere.test has no A or AAAA'"
check "no DMARC at a subdomain: the organizational domain's applies" \
    [ "$(st sub.good.test dmarc)" = ok ]
check "each other check of the case domains is ok" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
bad = {("twospf.test","spf"),("nov6.test","spf"),("deep.test","spf"),
       ("mismatch.test","dkim:sel"),("weak.test","dkim:sel"),("tiny.test","dkim:sel"),
       ("testing.test","dkim:sel"),("revoked.test","dkim:sel"),("none.test","dmarc"),
       ("extrua.test","dmarc"),("esc.test","dmarc"),("lint.test","spf"),
       ("long.test","spf"),("dmarcmisc.test","dmarc"),("dmarcspf.test","dmarc"),
       ("nodkim.test","dkim:sel"),("nullmx.test","mx"),("othermx.test","mx")}
wrong = [(x["domain"], c["id"], c["status"]) for x in d["domains"] for c in x["checks"]
         if (x["domain"], c["id"]) not in bad and c["status"] != "ok"]
assert not wrong, wrong' "$T_TMP/out"
check "failing checks carry a fix, ok ones none" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["domains"]:
    for c in x["checks"]:
        assert (c["fix"] is None) == (c["status"] == "ok"), (x["domain"], c)' \
    "$T_TMP/out"
run --root "$R" --resolver "$RES" check --ns-port "$P1" esc.test
check "escape bytes: no raw ESC in the text output" sh -c "! grep -q \"$(printf '\033')\" '$T_TMP/out'"
check "text output: the fix is indented under the failing row" \
    has "$T_TMP/out" '^ +fix: _dmarc\.esc\.test\. 3600 IN TXT'
check "text output: FAIL readable without colour" has "$T_TMP/out" '^  FAIL +dmarc '

run --root "$R" --resolver "$RES" check --ns-port "$P1" weak.test
check "warnings only: exit 1 (got $RC)" [ "$RC" -eq 1 ]
run --root "$R" --resolver "$RES" check --ns-port "$P1" nosuch.test
check "an unknown domain: exit 64 (got $RC)" [ "$RC" -eq 64 ]
run --root "$R" --resolver "$RES" check --ns-port 0 good.test
check "check --ns-port 0: usage error 64 (got $RC)" [ "$RC" -eq 64 ]
check "check --ns-port 0: the message names the value" \
    has "$T_TMP/err" '^notspam: --ns-port: "0" is not a port \(1-65535\)$'
run --root "$R" --resolver "$RES" check good.test --ns-port
check "check --ns-port without its port: usage error 64 (got $RC)" [ "$RC" -eq 64 ]
check "the check usage line names --ns-port" \
    has "$T_TMP/err" '^usage: notspam check \[--ns-port PORT\] \[DOMAIN\.\.\.\]$'
run --root "$T_TMP/nonexistent" --resolver "$RES" check --ns-port "$P1"
check "a --root that does not exist: usage error 64 (got $RC)" [ "$RC" -eq 64 ]
mkdir -p "$T_TMP/emptyroot"
run --root "$T_TMP/emptyroot" --config /nope.conf --resolver "$RES" check --ns-port "$P1"
check "an unreadable site (missing --config file): exit 66 (got $RC)" [ "$RC" -eq 66 ]

# ---- /etc/hosts mapping the mail hostname to loopback -----------------
cp -a "$R" "$T_TMP/hosts"
printf '127.0.0.1\tlocalhost mail.good.test\n' >"$T_TMP/hosts/etc/hosts"
run --root "$T_TMP/hosts" --resolver "$RES" --json check --ns-port "$P1" good.test
check "hostname on 127.0.0.1 in /etc/hosts: PTR check fails" \
    [ "$(st host ptr:192.0.2.25)" = fail ]
check "hostname on 127.0.0.1: the detail names /etc/hosts" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out host ptr:192.0.2.25 detail | grep -q '/etc/hosts maps mail.good.test to 127.0.0.1'"

# ---- group-readable key -------------------------------------------------
chmod 640 "$T_TMP/hosts/etc/dkimkeys/shared.private"
run --root "$T_TMP/hosts" --resolver "$RES" --json check --ns-port "$P1" split.test
check "group-readable private key: warn" [ "$(st split.test dkim:sel)" = warn ]
check "group-readable private key: fix is chmod 600" \
    [ "$(q split.test dkim:sel fix)" = "chmod 600 /etc/dkimkeys/shared.private" ]

# ---- a PTR that does not resolve back (own site and server) ----------
S=$T_TMP/ptr
site "$S" mail.ptr.test 192.0.2.26 2001:db8::26
key "$S" /etc/dkimkeys/p.private rsa 2048
domain "$S" ptr.test sel /etc/dkimkeys/p.private
run --root "$S" --json records
cp "$T_TMP/out" "$T_TMP/ptr-records.json"
"$PY" tests/stack/zones.py "$T_TMP/ptr-records.json" "$T_TMP/ptr-zones" \
    --set "dmarc@ptr.test=v=DMARC1; p=reject; rua=mailto:d@ptr.test" \
    --set "host-a@host=192.0.2.99" >"$T_TMP/ptr-zones.list"
P2=$(free_port)
if ub ptr "$P2" $(cat "$T_TMP/ptr-zones.list"); then
	run --root "$S" --resolver "127.0.0.1:$P2" --json check --ns-port "$P2"
	check "PTR not forward-confirmed: fail" [ "$(st host ptr:192.0.2.26)" = fail ]
	check "PTR not forward-confirmed: says so" \
	    sh -c "$PY $T_TMP/q.py $T_TMP/out host ptr:192.0.2.26 detail | grep -q 'not forward-confirmed'"
	check "PTR not forward-confirmed: the fix is the A record" \
	    [ "$(q host ptr:192.0.2.26 fix)" = "mail.ptr.test. 3600 IN A 192.0.2.26" ]
	check "the IPv6 PTR (nibble form) is ok" [ "$(st host ptr:2001:db8::26)" = ok ]
	check "the host A record lacks the address: fail" [ "$(st host host-a)" = fail ]
	check "host-a: the fix adds the missing address" \
	    [ "$(q host host-a fix)" = "mail.ptr.test. 3600 IN A 192.0.2.26" ]
else
	not_ok "unbound for the PTR case starts"
fi

# ---- propagation: authoritative ahead of the resolver -----------------
"$PY" "$T_TMP/mkzones.py" "$T_TMP/records.json" "$T_TMP/old-zones" \
    "$OTHER_P" old >"$T_TMP/old-zones.list"
P3=$(free_port)
if ub old "$P3" $(cat "$T_TMP/old-zones.list"); then
	run --root "$R" --resolver "127.0.0.1:$P3" --json \
	    check --ns-port="$P1" good.test
	check "record only on the authoritative server: warn, not fail" \
	    [ "$(st good.test dkim:sel)" = warn ]
	check "propagation: the detail names the server and the negative TTL" \
	    sh -c "$PY $T_TMP/q.py $T_TMP/out good.test dkim:sel detail | grep -q '^published on ns.good.test (127.0.0.1), not yet visible through the resolver: cached negative answer may last up to 300 s'"
	check "changed SPF (IPv6 added) seen on the authoritative: warn" \
	    [ "$(st good.test spf)" = warn ]
	check "propagation: the authority line shows the server's view" \
	    sh -c "$PY $T_TMP/q.py $T_TMP/out good.test authority | grep -Eq '^ns.good.test 127.0.0.1 \\(zone good.test\\):.*dkim:sel ok'"
	check "propagation only: exit 1 (got $RC)" [ "$RC" -eq 1 ]
	run --root "$R" --resolver "127.0.0.1:$P3" --json \
	    check --ns-port "$P3" good.test
	check "same record missing on the authoritative too: fail" \
	    [ "$(st good.test dkim:sel)" = fail ]
	check "missing on both: the authority line says missing" \
	    sh -c "$PY $T_TMP/q.py $T_TMP/out good.test authority | grep -q 'dkim:sel missing'"
else
	not_ok "unbound with the old zones starts"
fi

# ---- faults --------------------------------------------------------------
P4=$(free_port)
faux "$P4" silent
start=$(date +%s)
run --root "$R" --resolver "127.0.0.1:$P4" --json check --ns-port "$P1" good.test
secs=$(( $(date +%s) - start ))
check "a resolver that never answers: exit 75 (got $RC)" [ "$RC" -eq 75 ]
check "a resolver that never answers: done within 20 s (took $secs s)" [ "$secs" -le 20 ]
check "a resolver that never answers: every check unknown, none fail" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [c["status"] for x in d["domains"] for c in x["checks"]]
assert s and all(v == "unknown" for v in s), s' "$T_TMP/out"
check "a resolver that never answers: the detail says timeout" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out good.test mx detail | grep -q timeout"

P5=$(free_port)
run --root "$R" --resolver "127.0.0.1:$P5" check --ns-port "$P1" good.test
check "no server on the port (connection refused): exit 75 (got $RC)" [ "$RC" -eq 75 ]

for mode in servfail refused; do
	P6=$(free_port)
	faux "$P6" $mode
	run --root "$R" --resolver "127.0.0.1:$P6" --json check --ns-port "$P1" good.test
	word=$(echo $mode | tr a-z A-Z)
	check "$mode: every check unknown, none fail" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [c["status"] for x in d["domains"] for c in x["checks"]]
assert s and all(v == "unknown" for v in s), s' "$T_TMP/out"
	check "$mode: the detail names $word" \
	    sh -c "$PY $T_TMP/q.py $T_TMP/out good.test dkim:sel detail | grep -q $word"
	check "$mode: the server answered, so not exit 75 (got $RC)" [ "$RC" -eq 1 ]
done

# Servers that answer, but badly: each check unknown with the fault named,
# and the exit status is not 75 (the resolver did answer), for check and
# status alike.
for mode in formerr notimp garbage cnameloop; do
	P6=$(free_port)
	faux "$P6" $mode
	case $mode in
	formerr) word="answered FORMERR" ;;
	notimp) word="answered NOTIMP" ;;
	garbage) word="malformed answer: record data runs past the end" ;;
	cnameloop) word="CNAME loop at sel._domainkey.good.test" ;;
	esac
	run --root "$R" --resolver "127.0.0.1:$P6" --json check --ns-port "$P1" good.test
	crc=$RC
	check "$mode: every check unknown, none fail" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [c["status"] for x in d["domains"] for c in x["checks"]]
assert s and all(v == "unknown" for v in s), s' "$T_TMP/out"
	check "$mode: the detail names the fault ($word)" \
	    sh -c "$PY $T_TMP/q.py $T_TMP/out good.test dkim:sel detail | grep -qF '$word'"
	check "$mode: the server answered, so not exit 75 (got $crc)" [ "$crc" -eq 1 ]
	check "$mode: no 'did not answer at all' message" \
	    sh -c "! grep -q 'did not answer at all' $T_TMP/err"
	run --root "$R" --resolver "127.0.0.1:$P6" status
	check "$mode: status exits as check does ($RC, check $crc)" [ "$RC" -eq "$crc" ]
done

# status exits as check does: on the test zones, and with no resolver.
run --root "$R" --resolver "$RES" check --ns-port "$P1"
crc=$RC
run --root "$R" --resolver "$RES" status
check "status exits as check does on the test zones ($RC, check $crc)" \
    [ "$RC" -eq "$crc" ]
check "status: a missing DKIM key's fix pastes (its own lines, no literal \\n or \\t)" \
    sh -c "grep -q '^ *fix: sel._domainkey.nodkim.test. 3600 IN TXT ( \"v=DKIM1' '$T_TMP/out' &&
        grep -q '^             	\"' '$T_TMP/out' && ! grep -qF '\\n' '$T_TMP/out' && ! grep -qF '\\t' '$T_TMP/out'"
P5b=$(free_port)
run --root "$R" --resolver "127.0.0.1:$P5b" status
check "status with no server on the port: exit 75, as check (got $RC)" [ "$RC" -eq 75 ]
check "status with no server on the port: says the resolver did not answer" \
    grep -q 'did not answer at all' "$T_TMP/err"

P7=$(free_port)
faux "$P7" truncate
run --root "$R" --resolver "127.0.0.1:$P7" --json check --ns-port "$P1" good.test
check "truncated UDP answer: retried over TCP (the 765-byte TXT is found)" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out good.test dkim:sel found | grep -q '^a*b*c*$'"

# A 4096-bit key's record through a server that truncates UDP at 512.
unbound-control -c "$T_TMP/ub-main/unbound.conf" set_option \
    max-udp-size: 512 >/dev/null 2>&1
check "the 4096-bit DKIM record is truncated over UDP (dig)" \
    sh -c "dig +bufsize=1232 +ignore +tries=1 -p $P1 @127.0.0.1 sel._domainkey.big.test TXT | grep -q 'flags: qr aa tc'"
run --root "$R" --resolver "$RES" --json check --ns-port "$P1" big.test
check "4096-bit DKIM record over TCP: ok" [ "$(st big.test dkim:sel)" = ok ]
check "4096-bit DKIM record: 4096 bits reported" \
    sh -c "$PY $T_TMP/q.py $T_TMP/out big.test dkim:sel detail | grep -q '4096 bits'"
