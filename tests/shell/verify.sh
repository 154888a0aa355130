#!/bin/sh
# notspam verify: DKIM signatures made in the test by dkimpy and by OpenDKIM
# (relaxed and simple, l=, oversigned h=, folded and repeated headers, two
# signatures of which one is broken, a body or a header altered after
# signing, a revoked key, a missing key, Ed25519), their keys served from
# zone files (--zones), each signature's verdict compared with dkimpy's
# (tests/shell/verify_cases.py); then SPF from the Received hop outside
# trusted_relays, DMARC alignment and policy, the exit statuses, the text
# report's fixes, and hostile input.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

C=$T_TMP/cases
# OpenDKIM refuses a config under a directory others may write (/tmp).
ODK=$NOTSPAM_TOP/build/verify-odk.$$
trap 'rm -rf "$T_TMP" "$ODK"' EXIT
mkdir -p "$ODK" && chmod 700 "$ODK"
if ! "$PY" -c 'import dkim, nacl' 2>/dev/null; then
	skip "verify against dkimpy" "python3-dkim or python3-nacl missing"
	exit 0
fi
"$PY" tests/shell/verify_cases.py "$C" "$ODK" 2>"$T_TMP/cases.err"
check "the cases are made (dkimpy and OpenDKIM sign)" \
    test -s "$C/dkimpy.txt" -a ! -s "$T_TMP/cases.err"
sed 's/^/# /' "$T_TMP/cases.err"
rm -rf "$ODK"

# Each case: notspam's result per signature ("pass" or not) beside dkimpy's.
n=0 agree=0
while read -r name want; do
	n=$((n + 1))
	run --zones "$C/zones" --json verify "$C/$name.eml"
	got=$(jget "$T_TMP/out" '" ".join("pass" if s["result"] == "pass"
	    else "fail" for s in d["dkim"]) or "none"')
	if [ "$got" = "$want" ]; then
		agree=$((agree + 1))
		ok "$name: dkimpy and notspam say $got"
	else
		not_ok "$name: dkimpy says $want, notspam $got"
		sed 's/^/# /' "$T_TMP/out" "$T_TMP/err"
	fi
done <"$C/dkimpy.txt"
diag "$n cases, $agree agree (dkimpy $(dpkg-query -W -f '${Version}' python3-dkim 2>/dev/null))"
check "  at least 30 cases compared" test "$n" -ge 30

# The reasons, RFC 8601 words.
reason() {
	run --zones "$C/zones" --json verify "$C/$1.eml"
	jget "$T_TMP/out" 'd["dkim"][0]["result"] + ": " + d["dkim"][0]["reason"]'
}
r=$(reason body-altered)
check "body altered: fail, body hash did not verify ($r)" \
    test "${r#fail: body hash did not verify}" != "$r"
r=$(reason revoked)
check "revoked key: permerror, key revoked (p= empty) ($r)" \
    test "$r" = "permerror: key revoked (p= empty)"
r=$(reason no-key)
check "missing key: permerror naming the name asked" \
    test "${r#permerror: no key: absent._domainkey.example.org}" != "$r"
r=$(reason oversigned-added)
check "a Subject added to an oversigned message: fail" \
    test "${r#fail: signature did not verify}" != "$r"
run --zones "$C/zones" --json verify "$C/ed25519.eml"
check "Ed25519: a=ed25519-sha256, 256-bit key" \
    test "$(jget "$T_TMP/out" 'd["dkim"][0]["a"] + " " + str(d["dkim"][0]["key_bits"])')" = "ed25519-sha256 256"

# SPF from the Received hop, DMARC, exit statuses.
run --zones "$C/zones" --json verify "$C/rsa-relaxed.eml"
check "all aligned and passing: exit 0" test "$RC" = 0
check "  spf pass for 192.0.2.25 (the Received hop), domain example.org" \
    test "$(jget "$T_TMP/out" 'd["spf"]["result"] + " " + d["spf"]["ip"] + " " + d["spf"]["domain"]')" = "pass 192.0.2.25 example.org"
check "  dmarc pass, policy reject, alignment dkim spf" \
    test "$(jget "$T_TMP/out" '"%s %s %s" % (d["dmarc"]["result"], d["dmarc"]["policy"], d["dmarc"]["alignment"])')" = "pass reject dkim spf"
# folded-relaxed: the top Received (10.0.0.2) is the receiver's own relay.
run --zones "$C/zones" --json verify "$C/folded-relaxed.eml"
check "the receiver's own 10.0.0.2 is not the sender: SPF fails for it" \
    test "$(jget "$T_TMP/out" 'd["spf"]["result"] + " " + d["spf"]["ip"]')" = "fail 10.0.0.2"
check "  DMARC passes on DKIM only: exit 1" test "$RC" = 1
printf 'trusted_relays = 10.0.0.0/8\n' >"$T_TMP/notspam.conf"
run --config "$T_TMP/notspam.conf" --zones "$C/zones" --json verify \
    "$C/folded-relaxed.eml"
check "trusted_relays 10.0.0.0/8: the next hop, 192.0.2.25, passes, exit 0" \
    test "$(jget "$T_TMP/out" 'd["spf"]["result"] + " " + d["spf"]["ip"]')/$RC" = "pass 192.0.2.25/0"
printf 'trusted_relays = 10.0.0.0/33\n' >"$T_TMP/bad.conf"
run --config "$T_TMP/bad.conf" verify "$C/folded-relaxed.eml"
check "a bad trusted_relays prefix is refused with file:line" \
    has "$T_TMP/err" 'bad.conf:1: trusted_relays: "10.0.0.0/33"'
run --zones "$C/zones" --json verify "$C/body-altered.eml"
check "DKIM broken, SPF aligned: DMARC passes on SPF only, exit 1" \
    test "$(jget "$T_TMP/out" 'd["dmarc"]["alignment"]')/$RC" = "spf/1"
run --zones "$C/zones" --json verify --ip 203.0.113.9 "$C/body-altered.eml"
check "--ip outside the SPF record and DKIM broken: DMARC fails, exit 2" \
    test "$(jget "$T_TMP/out" 'd["dmarc"]["result"] + " " + d["spf"]["result"]')/$RC" = "fail fail/2"
# example.net publishes adkim=s: d=example.net aligns, a subdomain would not.
run --zones "$C/zones" --json verify "$C/opendkim-relaxed.eml"
check "OpenDKIM's message: DKIM, SPF (198.51.100.7), DMARC quarantine pass" \
    test "$(jget "$T_TMP/out" '"%s %s %s %s" % (d["dkim"][0]["result"], d["spf"]["result"], d["dmarc"]["result"], d["dmarc"]["policy"])')/$RC" = "pass pass pass quarantine/0"

# The text report: each failure with its fix; the receiver's verdict.
{ printf 'Authentication-Results: mx.example.com; dkim=pass header.d=example.org;\r\n\tspf=pass (sender ok) smtp.mailfrom=example.org; dmarc=pass\r\n'
  cat "$C/body-altered.eml"; } >"$T_TMP/ar.eml"
run --zones "$C/zones" verify --ip 203.0.113.9 "$T_TMP/ar.eml"
check "text: DKIM fail with the body-hash fix" \
    has "$T_TMP/out" '^  fail +d=example.org s=mail a=rsa-sha256 c=relaxed/relaxed: body hash did$'
check "  the fix names signing after the filters" \
    has "$T_TMP/out" 'fix: the body changed after signing'
check "  SPF fail with the ip4: fix" \
    has "$T_TMP/out" 'fix: add ip4:203.0.113.9 to the SPF record of'
check "  DMARC fail with its fix" has "$T_TMP/out" '^  fail +From example.org, policy reject'
check "  the receiver's verdict beside" \
    has "$T_TMP/out" '^  Authentication-Results: dkim=pass spf=pass dmarc=pass$'
check "  lines within 80 columns" sh -c "! awk 'length > 80' '$T_TMP/out' | grep -q ."
run --zones "$C/zones" verify - <"$C/unsigned.eml"
check "standard input; unsigned: DKIM none with the doctor's fix" \
    has "$T_TMP/out" '^  none +the message carries no DKIM-Signature'

# Hostile and bad input.
printf 'From: a@example.org\r\nSubject: \033]0;owned\007x\r\n\r\nbody\r\n' >"$T_TMP/esc.eml"
printf 'Authentication-Results: x; dkim=\033[31mpass\r\n' | cat - "$T_TMP/esc.eml" >"$T_TMP/esc2.eml"
run --zones "$C/zones" verify "$T_TMP/esc2.eml"
check "control bytes from the message never reach the terminal" \
    sh -c "! grep -q \"$(printf '\033')\" '$T_TMP/out'"
printf 'not a header\r\n\r\n' >"$T_TMP/bad.eml"
run verify "$T_TMP/bad.eml"
check "a message whose first line is no field: exit 65, the line named" \
    test "$RC" = 65 -a -n "$(grep 'line 1: not a header field' "$T_TMP/err")"
head -c 67108865 /dev/zero >"$T_TMP/big.eml"
run verify "$T_TMP/big.eml"
check "a message over 64 MiB is refused (exit 66)" \
    test "$RC" = 66 -a -n "$(grep 'larger than 64 MiB' "$T_TMP/err")"
rm -f "$T_TMP/big.eml"
run verify "$T_TMP/absent.eml"
check "a missing file: exit 66 naming it" \
    test "$RC" = 66 -a -n "$(grep 'absent.eml' "$T_TMP/err")"
run verify --ip nonsense "$C/unsigned.eml"
check "--ip that is no address: usage error" test "$RC" = 64
run --help
check "--help lists verify within 80 columns" \
    sh -c "grep -q '^  verify ' '$T_TMP/out' && ! awk 'length > 80' '$T_TMP/out' | grep -q ."
echo "1..$T_N"
