#!/bin/sh
# notspam records on the demo sandbox: every record, checked against values
# derived independently (openssl, python).
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
demo=share/demo

run --root "$demo" --json records
# The demo's configs carry warnings (a SOCKET in /etc/default/opendkim
# OpenDKIM ignores, a DomainKeys line): exit 1, the warnings status.
check "records --json on the demo exits 1, warnings (got $RC)" [ "$RC" -eq 1 ]
check "  and the JSON lists them" "$PY" -c 'import json,sys; sys.exit(not json.load(open(sys.argv[1]))["warnings"])' "$T_TMP/out"
# Each with its severity, decided where it is made: the milter that dials
# [::1] while OpenDKIM listens on IPv4 only leaves mail unsigned (fail);
# the DomainKeys line and the SOCKET file are warnings.
check "  each with its severity: the milter mismatch fail, DomainKeys and SOCKET warn" "$PY" -c '
import json, sys
w = json.load(open(sys.argv[1]))["warnings"]
def sev(s):
    m = [x["severity"] for x in w if s in x["text"]]
    assert len(m) >= 1, (s, w)
    return set(m)
assert sev("postfix smtpd dials inet:[::1]:12345") == {"fail"}
assert sev("DomainKeys signatures are obsolete") == {"warn"}
assert sev("SOCKET=local:") == {"warn"}
assert all(x["severity"] in ("warn", "fail", "note") for x in w)' "$T_TMP/out"
cp "$T_TMP/out" "$T_TMP/demo.json"
check "records --json is valid JSON" "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$T_TMP/demo.json"

# Field-by-field expectations on the JSON.
cat >"$T_TMP/expect.py" <<'PYEOF'
import json, sys, base64, subprocess
doc = json.load(open(sys.argv[1])); root = sys.argv[2]
n = 0
def t(cond, what):
    global n; n += 1
    print(("ok" if cond else "not ok"), "-", what)
doms = {d["domain"]: d["records"] for d in doc["domains"]}
t(doc["hostname"] == "mail.example.org", "hostname is mail.example.org")
for want in ("example.org", "example.net", "example.com", "lists.example.com"):
    t(want in doms, "domain %s present" % want)
t(not any(d.startswith("localhost") or d == "mail.example.org" for d in doms),
  "no localhost form or host name among domains: %s" % sorted(doms))
org = {}
for r in doms.get("example.org", []):
    org.setdefault(r["id"], []).append(r)
t(org.get("mx", [{}])[0].get("value") == "10 mail.example.org.", "example.org MX value")
t(org.get("mx", [{}])[0].get("name") == "example.org.", "example.org MX owner")
# The mail host's records once, in "mail_host", in no domain's list.
mh = doc.get("mail_host") or {}
t(mh.get("name") == "mail.example.org", "mail_host is mail.example.org")
host = {}
for r in mh.get("records", []):
    host.setdefault(r["id"], []).append(r)
hostids = ("host-a", "host-aaaa", "spf-helo")
t(not [r["id"] for d in doc["domains"] for r in d["records"]
       if r["id"] in hostids or r["id"].startswith("ptr:")],
  "no domain repeats the mail host's records")
t([r["value"] for r in host.get("host-a", [])] == ["192.0.2.25"], "host-a is 192.0.2.25")
t([r["value"] for r in host.get("host-aaaa", [])] == ["2001:db8::25"], "host-aaaa is 2001:db8::25")
p4 = host.get("ptr:192.0.2.25", [{}])[0]
t(p4.get("name") == "25.2.0.192.in-addr.arpa." and p4.get("value") == "mail.example.org.", "PTR of 192.0.2.25")
p6 = host.get("ptr:2001:db8::25", [{}])[0]
t(p6.get("name") == "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa." and p6.get("type") == "PTR", "PTR of 2001:db8::25 in nibble form")
spf = org.get("spf", [{}])[0].get("value") or ""
t(spf.startswith("v=spf1 ") and "ip4:192.0.2.25" in spf and "ip6:2001:db8::25" in spf and spf.endswith("-all"), "SPF names both addresses and ends -all: " + spf)
t(host.get("spf-helo", [{}])[0].get("name") == "mail.example.org.", "SPF for the HELO name")
dm = org.get("dmarc", [{}])[0]
t(dm.get("name") == "_dmarc.example.org." and dm.get("value", "").startswith("v=DMARC1; p=") and "rua=mailto:dmarc-reports@example.org" in dm.get("value", ""), "DMARC with rua from settings")
keys = {("example.org", "mail"): ("rsa", "etc/dkimkeys/mail.private"),
        ("example.org", "ed202611"): ("ed25519", "etc/dkimkeys/example-org-ed25519.private"),
        ("example.net", "202611"): ("rsa", "etc/dkimkeys/example-net.private"),
        ("example.com", "obsd"): ("rsa", "etc/mail/dkim/example.com.key")}
for (dom, sel), (kt, path) in keys.items():
    recs = [r for r in doms.get(dom, []) if r["id"] == "dkim:" + sel]
    if not recs:
        t(False, "dkim:%s for %s present" % (sel, dom)); continue
    r = recs[0]
    der = subprocess.run(["openssl", "pkey", "-in", root + "/" + path, "-pubout", "-outform", "DER"], capture_output=True).stdout
    p = base64.b64encode(der if kt == "rsa" else der[-32:]).decode()
    t(r["name"] == "%s._domainkey.%s." % (sel, dom), "dkim:%s owner name" % sel)
    t(r["value"] == "v=DKIM1; k=%s; p=%s" % (kt, p), "dkim:%s value matches openssl's public key" % sel)
    t("".join(r["strings"]) == r["value"] and all(len(s.encode()) <= 255 for s in r["strings"]), "dkim:%s strings <= 255 bytes and join to the value" % sel)
    if kt == "rsa" and sel == "202611":   # the demo's 1024-bit key (a story)
        t(len(r["strings"]) == 1, "1024-bit dkim:%s in 1 string" % sel)
    elif kt == "rsa":
        t(len(r["strings"]) == 2, "2048-bit dkim:%s split in 2 strings" % sel)
PYEOF
st=0
"$PY" "$T_TMP/expect.py" "$T_TMP/demo.json" "$demo" >"$T_TMP/py.tap" || st=$?
check "the expectation script ran to its end" [ "$st" -eq 0 ]
check "  and made its 32 checks ($(grep -c . "$T_TMP/py.tap"))" [ "$(grep -c . "$T_TMP/py.tap")" -eq 32 ]
while read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	*) not_ok "${line#not ok - }" ;;
	esac
done <"$T_TMP/py.tap"

# Text form: the mail host's records once, in their own block first (not
# once per domain).
run --root "$demo" records
check "records: the mail host's block once" \
    sh -c "[ \$(grep -c '^; the mail host mail\.example\.org: in its zone and in the reverse zones\$' '$T_TMP/out') -eq 1 ]"
check "  first" sh -c "head -1 '$T_TMP/out' | grep -q '^; the mail host '"
check "  the A, AAAA, HELO SPF and PTRs once each" sh -c "[ \$(grep -c '^mail\.example\.org\. 3600 IN A 192\.0\.2\.25\$' '$T_TMP/out') -eq 1 ] &&
    [ \$(grep -c '^mail\.example\.org\. 3600 IN AAAA ' '$T_TMP/out') -eq 1 ] &&
    [ \$(grep -c '^mail\.example\.org\. 3600 IN TXT ' '$T_TMP/out') -eq 1 ] &&
    [ \$(grep -c ' IN PTR mail\.example\.org\.\$' '$T_TMP/out') -eq 2 ]"
check "  and every domain still has its own block" \
    sh -c "[ \$(grep -Ec '^; (example\.org|example\.net|example\.com|lists\.example\.com)\$' '$T_TMP/out') -eq 4 ]"

# Text form: the zone-file lines load into a DNS zone parser.
run --root "$demo" records example.org
check "records example.org exits 1, warnings (got $RC)" [ "$RC" -eq 1 ]
check "text output names the DKIM record" has "$T_TMP/out" '^mail\._domainkey\.example\.org\. +[0-9]+ +IN +TXT +\( "v=DKIM1; k=rsa; '
check "long TXT also given as one value" has "$T_TMP/out" '^; as one value \(DNS web forms\): v=DKIM1; k=rsa; p='
check "only example.org in the output" sh -c "! grep -q 'example\.net\.' '$T_TMP/out'"
check "  after the mail host's block: that domain's mail needs it" \
    sh -c "head -1 '$T_TMP/out' | grep -q '^; the mail host mail\.example\.org:' && grep -q ' IN PTR ' '$T_TMP/out'"
{ echo '$ORIGIN .'; echo '$TTL 3600'
  echo 'example.org. 3600 IN SOA ns.example.org. h.example.org. 1 3600 600 86400 300'
  echo 'example.org. 3600 IN NS ns.example.org.'
  grep -v '^;' "$T_TMP/out" | grep -v 'in-addr\.arpa\|ip6\.arpa\|^mail\.example\.org\.'; } >"$T_TMP/zone"
check "zone lines parse as a zone (dnspython) with the DKIM TXT intact" "$PY" -c '
import sys, dns.zone, dns.rdatatype
z = dns.zone.from_text(open(sys.argv[1]).read(), origin="example.org.", relativize=False, check_origin=False)
txt = z.find_rdataset("mail._domainkey.example.org.", dns.rdatatype.TXT)
val = b"".join(list(txt)[0].strings).decode()
ref = [l for l in open(sys.argv[2]) if l.startswith("; as one value")][0].split(": ", 1)[1].strip()
sys.exit(0 if val == ref else 1)' "$T_TMP/zone" "$T_TMP/out"

run --root "$demo" records example.invalid
check "an unknown domain is a usage error (64), got $RC" [ "$RC" -eq 64 ]
check "and says which domains are hosted" has "$T_TMP/err" 'example\.org'

run --root "$demo" records a b
check "two domains: usage error" [ "$RC" -eq 64 ]
run --root "$demo" --bogus
check "unknown option: usage error" [ "$RC" -eq 64 ]
run --root
check "--root without a value: usage error" [ "$RC" -eq 64 ]
run --root /nonexistent/root records
check "--root on a missing directory: usage error naming it" sh -c "[ $RC -eq 64 ] && grep -q -- '--root /nonexistent/root: No such file' '$T_TMP/err'"
mkdir -p "$T_TMP/empty"
run --root "$T_TMP/empty" status
check "status with nothing configured: exit 66, says what to add" sh -c "[ $RC -eq 66 ] && grep -q 'no hosted domain' '$T_TMP/err'"
run --help
check "--help exits 0 and shows records" has "$T_TMP/out" 'records \[DOMAIN\]'
