#!/bin/sh
# notspam keygen / keys: DKIM keys generated, stored safely, imported,
# listed and rotated, checked with openssl, opendkim-testkey and dkimpy
# against a real DNS server (unbound) on loopback.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

RUNDIR=
UB=
cleanup() {
	if [ -n "$UB" ]; then
		. "$NOTSPAM_TOP/tests/stack/unbound.sh"
		unbound_stop "$UB"
	fi
	[ -n "$RUNDIR" ] && rm -rf "$RUNDIR"
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# fmode PATH / fowner PATH: octal mode and numeric owner.
fmode() { stat -c %a "$1"; }
fowner() { stat -c %u "$1"; }
# no_secret PEMFILE: no PEM header and no line of the key's private part in
# the last output (RSA: the body lines after the public modulus, which the
# DNS record legitimately shares; Ed25519: its one line).
no_secret() {
	grep -q 'PRIVATE KEY' "$T_TMP/out" "$T_TMP/err" && return 1
	grep -v -- '-----' "$1" >"$T_TMP/body"
	n=$(wc -l <"$T_TMP/body")
	if [ "$n" -gt 8 ]; then
		sed -n "9,$((n - 1))p" "$T_TMP/body" >"$T_TMP/secret"
	else
		cp "$T_TMP/body" "$T_TMP/secret"
	fi
	! grep -qF -f "$T_TMP/secret" "$T_TMP/out" "$T_TMP/err"
}
# same_pub A B: the two private keys have the same public key.
same_pub() {
	[ "$(openssl pkey -in "$1" -pubout 2>/dev/null)" = \
	  "$(openssl pkey -in "$2" -pubout 2>/dev/null)" ] &&
	    [ -n "$(openssl pkey -in "$1" -pubout 2>/dev/null)" ]
}

# Every run is checked for sanitizer reports by lib.sh's run (this suite
# runs the ASan build): a report is a failed check of its own.

me=$(id -u)
# made: the last keygen succeeded: exit 0 as root; not as root, files stay
# owned by the running user, which the safety check rightly reports (exit 1
# and nothing else).
made_rc=0
[ "$me" -ne 0 ] && made_rc=1
made() { [ "$RC" -eq "$made_rc" ]; }
sb=$(sandbox keys)
month=$(date +%Y%m)

# --- RSA 2048 by default ---------------------------------------------------
run --root "$sb" --json keygen example.org --selector s1
check "keygen rsa: exit $made_rc (got $RC)" made
cp "$T_TMP/out" "$T_TMP/s1.json"
kp=$(jget "$T_TMP/s1.json" 'd["path"]')
check "  default OpenDKIM path /etc/dkimkeys/example.org_s1.private ($kp)" [ "$kp" = /etc/dkimkeys/example.org_s1.private ]
key="$sb$kp"
check "  openssl pkey reads the key back" openssl pkey -in "$key" -noout
check "  it is RSA 2048 (openssl)" sh -c "openssl pkey -in '$key' -noout -text 2>/dev/null | grep -q 'Private-Key: (2048 bit'"
check "  PEM PKCS#8 (BEGIN PRIVATE KEY)" sh -c "head -n 1 '$key' | grep -qx -- '-----BEGIN PRIVATE KEY-----'"
check "  JSON type rsa, bits 2048" [ "$(jget "$T_TMP/s1.json" 'd["type"], d["bits"]')" = "('rsa', 2048)" ]
check "  mode 0600 on disk ($(fmode "$key"))" [ "$(fmode "$key")" = 600 ]
check "  under --root: owned by the running user ($(fowner "$key"))" [ "$(fowner "$key")" = "$me" ]
check "  JSON mode 0600" [ "$(jget "$T_TMP/s1.json" 'd["mode"]')" = 0600 ]
check "  the ownership choice is reported" grep -q 'running user' "$T_TMP/s1.json"
p=$(openssl pkey -in "$key" -pubout -outform DER 2>/dev/null | base64 -w0)
check "  record value is v=DKIM1; k=rsa; p=<openssl's SPKI>" [ "$(jget "$T_TMP/s1.json" 'd["record"]["value"]')" = "v=DKIM1; k=rsa; p=$p" ]
check "  record name s1._domainkey.example.org." [ "$(jget "$T_TMP/s1.json" 'd["record"]["name"]')" = s1._domainkey.example.org. ]
check "  strings <= 255 bytes, two of them, join to the value" "$PY" -c '
import json,sys; d=json.load(open(sys.argv[1]))["record"]
sys.exit(not (len(d["strings"]) == 2 and all(len(s.encode()) <= 255 for s in d["strings"]) and "".join(d["strings"]) == d["value"]))' "$T_TMP/s1.json"
check "  no private key bytes in the output" no_secret "$key"
check "  no temporary file left" sh -c "! ls -a '$sb/etc/dkimkeys' | grep -q tmp"
check "  state file records s1 generated" grep -q '^example\.org s1 generated [0-9]* /etc/dkimkeys/example\.org_s1\.private$' "$sb/var/lib/notspam/keys.state"
check "  state file mode 0644" [ "$(fmode "$sb/var/lib/notspam/keys.state")" = 644 ]

run --root "$sb" keygen example.org --selector s1b
check "text keygen: exit $made_rc (got $RC)" made
check "  prints the key path" has "$T_TMP/out" '^key +/etc/dkimkeys/example\.org_s1b\.private$'
check "  prints the zone line to publish" has "$T_TMP/out" '^s1b\._domainkey\.example\.org\. 3600 IN TXT \( "v=DKIM1; k=rsa; p='
check "  says when to switch" has "$T_TMP/out" 'notspam keys switch example\.org s1b'
check "  no private key bytes in the output" no_secret "$sb/etc/dkimkeys/example.org_s1b.private"

# --- sizes -----------------------------------------------------------------
run --root "$sb" --json keygen example.org --selector big3 --bits 3072
check "rsa 3072: exit $made_rc" made
check "  openssl: 3072 bit" sh -c "openssl pkey -in '$sb/etc/dkimkeys/example.org_big3.private' -noout -text | grep -q 'Private-Key: (3072 bit'"
check "  three strings" [ "$(jget "$T_TMP/out" 'len(d["record"]["strings"])')" -eq 3 ]
run --root "$sb" keygen example.org --selector big4 --bits 4096
check "rsa 4096: exit $made_rc" made
check "  openssl: 4096 bit" sh -c "openssl pkey -in '$sb/etc/dkimkeys/example.org_big4.private' -noout -text | grep -q 'Private-Key: (4096 bit'"
check "  says the record needs split strings" has "$T_TMP/out" '3 strings of at most 255 bytes'
run --root "$sb" keygen example.org --selector weak --bits 1024
check "rsa 1024 without --weak: exit 64 (got $RC)" [ "$RC" -eq 64 ]
check "  says it is weak and how to insist" has "$T_TMP/err" '1024-bit RSA is weak.*--weak'
check "  no file" [ ! -e "$sb/etc/dkimkeys/example.org_weak.private" ]
run --root "$sb" keygen example.org --selector weak --bits 1024 --weak
check "rsa 1024 with --weak: exit $made_rc (got $RC)" made
check "  with a warning" has "$T_TMP/out" 'warning: 1024-bit RSA is weak'
check "  openssl: 1024 bit" sh -c "openssl pkey -in '$sb/etc/dkimkeys/example.org_weak.private' -noout -text | grep -q 'Private-Key: (1024 bit'"
run --root "$sb" keygen example.org --selector tiny --bits 512 --weak
check "rsa 512: refused, exit 64 (got $RC)" [ "$RC" -eq 64 ]
check "  says below 1024 is refused" has "$T_TMP/err" 'below 1024 bits are refused'
run --root "$sb" keygen example.org --selector odd --bits 2000
check "rsa 2000: refused with the sizes to choose (got $RC)" sh -c "[ $RC -eq 64 ] && grep -q '2048.*3072.*4096' '$T_TMP/err'"
run --root "$sb" keygen example.org --selector t --type dsa
check "type dsa: refused (got $RC)" sh -c "[ $RC -eq 64 ] && grep -q 'choose rsa or ed25519' '$T_TMP/err'"

# --- Ed25519 ---------------------------------------------------------------
run --root "$sb" --json keygen example.net --type ed25519
check "ed25519: exit $made_rc (got $RC)" made
cp "$T_TMP/out" "$T_TMP/ed.json"
edsel=$(jget "$T_TMP/ed.json" 'd["selector"]')
check "  default selector ed$month ($edsel)" [ "$edsel" = "ed$month" ]
edkey="$sb$(jget "$T_TMP/ed.json" 'd["path"]')"
check "  openssl reads an ED25519 key" sh -c "openssl pkey -in '$edkey' -noout -text | grep -q 'ED25519 Private-Key'"
edp=$(openssl pkey -in "$edkey" -pubout -outform DER | tail -c 32 | base64 -w0)
check "  no private key bytes in the output" no_secret "$edkey"
check "  record k=ed25519 with the raw 32-byte key (RFC 8463)" [ "$(jget "$T_TMP/ed.json" 'd["record"]["value"]')" = "v=DKIM1; k=ed25519; p=$edp" ]
check "  mode 0600" [ "$(fmode "$edkey")" = 600 ]
run --root "$sb" keygen example.com --type ed25519 --selector edx
check "  text output advises an RSA key beside it" has "$T_TMP/out" 'keep an RSA key beside it'
run --root "$sb" keygen example.com --type ed25519 --selector edy --bits 2048
check "ed25519 with --bits: refused (got $RC)" [ "$RC" -eq 64 ]

# --- default selector from the date, unique per domain ----------------------
run --root "$sb" --json keygen example.net
sel=$(jget "$T_TMP/out" 'd["selector"]')
case $month in
202611) want="${month}b" ;;	# the demo's example.net already uses 202611
*) want=$month ;;
esac
check "default selector is $want (got $sel)" [ "$sel" = "$want" ]
run --root "$sb" --json keygen example.net
sel2=$(jget "$T_TMP/out" 'd["selector"]')
check "  the next one is another ($sel2)" sh -c "[ -n '$sel2' ] && [ '$sel2' != '$sel' ] && echo '$sel2' | grep -q '^$month[b-z]$'"

# --- never overwrite ---------------------------------------------------------
cp "$key" "$T_TMP/s1.copy"
run --root "$sb" keygen example.org --selector s1
check "same selector again: refused, exit 73 (got $RC)" [ "$RC" -eq 73 ]
check "  says it is in use" has "$T_TMP/err" 'selector s1 of example\.org is already in use'
check "  the key file is byte-identical" cmp -s "$key" "$T_TMP/s1.copy"
check "  still mode 0600" [ "$(fmode "$key")" = 600 ]
cp "$key" "$sb/etc/dkimkeys/example.org_s7.private"
cp "$key" "$T_TMP/s7.copy"
run --root "$sb" keygen example.org --selector s7
check "an existing file at the path: refused, exit 73 (got $RC)" [ "$RC" -eq 73 ]
check "  says it never overwrites" has "$T_TMP/err" 'already exists; notspam never overwrites'
check "  the file is byte-identical" cmp -s "$sb/etc/dkimkeys/example.org_s7.private" "$T_TMP/s7.copy"

# --- symlinks ----------------------------------------------------------------
ln -s /etc/passwd "$sb/etc/dkimkeys/example.org_ln.private"
run --root "$sb" keygen example.org --selector ln
check "a symlink at the key path: refused (got $RC)" [ "$RC" -eq 73 ]
check "  the link is untouched" [ "$(readlink "$sb/etc/dkimkeys/example.org_ln.private")" = /etc/passwd ]
mkdir -p "$sb/srv/keys"
chmod 755 "$sb/srv" "$sb/srv/keys"
if [ "$me" -eq 0 ]; then
	ln -s /srv/keys "$sb/etc/userlink"
	chown -h nobody "$sb/etc/userlink"
	run --root "$sb" keygen example.org --selector u1 --keyfile /etc/userlink/u1.private
	check "a path through a symlink owned by nobody: refused (got $RC)" [ "$RC" -eq 73 ]
	check "  names the link and its owner" has "$T_TMP/err" '/etc/userlink is a symlink owned by uid [0-9]+, not root'
	check "  nothing written behind it" [ ! -e "$sb/srv/keys/u1.private" ]
	mkdir -m 1777 "$sb/pub"
	ln -s /srv/keys "$sb/pub/l"
	run --root "$sb" keygen example.org --selector u2 --keyfile /pub/l/u2.private
	check "a root symlink in a world-writable directory: refused (got $RC)" [ "$RC" -eq 73 ]
	check "  says who can change it" has "$T_TMP/err" '/pub/l is a symlink in /pub, which a user other than root can change'
	ln -s /srv/keys "$sb/etc/rootlink"
	run --root "$sb" keygen example.org --selector u3 --keyfile /etc/rootlink/u3.private
	check "a root-owned symlink in root-owned directories is followed (got $RC)" made
	check "  the key is at the link's target" openssl pkey -in "$sb/srv/keys/u3.private" -noout
	ln -s ../../srv/keys "$sb/etc/dkimkeys/rel"
	run --root "$sb" keygen example.org --selector u4 --keyfile /etc/dkimkeys/rel/u4.private
	check "a relative root symlink stays inside --root (got $RC)" sh -c "[ $RC -eq 0 ] && [ -f '$sb/srv/keys/u4.private' ]"
else
	skip "symlink ownership cases (a link owned by nobody, a link in a world-writable directory)" "needs root to chown"
fi

# --- invalid selectors and domains ------------------------------------------
for s in bad_sel -x a..b 'x y' x. "$(printf 'a%.0s' $(seq 64))" 'é1'; do
	run --root "$sb" keygen example.org --selector "$s"
	check "selector '$s' refused with exit 64 (got $RC)" [ "$RC" -eq 64 ]
	check "  with a clear message" has "$T_TMP/err" 'selector'
done
for d in example exa_mple.org -a.org a-.org 'a b.org' .org; do
	run --root "$sb" keygen "$d"
	check "domain '$d' refused with exit 64 (got $RC)" [ "$RC" -eq 64 ]
	check "  with a clear message" has "$T_TMP/err" 'invalid domain|no domain|unknown option -a\.org'
done
check "no key file made by refused commands" sh -c "! ls '$sb/etc/dkimkeys' | grep -q 'bad_sel\|exa_mple\|^-'"

# --- import ------------------------------------------------------------------
mkdir -p "$T_TMP/imp"
opendkim-genkey -D "$T_TMP/imp" -d example.org -s gk >/dev/null 2>&1
check "opendkim-genkey made a key" grep -q 'BEGIN .*PRIVATE KEY' "$T_TMP/imp/gk.private"
run --root "$sb" keygen example.org --selector gk --import "$T_TMP/imp/gk.private"
check "import opendkim-genkey .private: exit $made_rc (got $RC)" made
ik="$sb/etc/dkimkeys/example.org_gk.private"
check "  rewritten as PKCS#8" sh -c "head -n 1 '$ik' | grep -qx -- '-----BEGIN PRIVATE KEY-----'"
check "  the same key" same_pub "$ik" "$T_TMP/imp/gk.private"
check "  mode 0600" [ "$(fmode "$ik")" = 600 ]
check "  the record matches opendkim-genkey's gk.txt" sh -c "
	want=\$(tr -d '\n\t\" ()' <'$T_TMP/imp/gk.txt' | sed 's/.*p=//; s/;.*//')
	[ \${#want} -gt 100 ] && grep -q \"p=\$(echo \$want | cut -c1-40)\" '$T_TMP/out'"
openssl genrsa -traditional -out "$T_TMP/imp/p1.pem" 2048 2>/dev/null
check "openssl genrsa -traditional made a PKCS#1 key" grep -q 'BEGIN RSA PRIVATE KEY' "$T_TMP/imp/p1.pem"
run --root "$sb" keygen example.org --selector p1 --import "$T_TMP/imp/p1.pem"
check "import PKCS#1 RSA: exit $made_rc (got $RC)" made
check "  rewritten as PKCS#8" sh -c "head -n 1 '$sb/etc/dkimkeys/example.org_p1.private' | grep -qx -- '-----BEGIN PRIVATE KEY-----'"
check "  the same key" same_pub "$sb/etc/dkimkeys/example.org_p1.private" "$T_TMP/imp/p1.pem"
check "  no private key bytes in the output" no_secret "$T_TMP/imp/p1.pem"
openssl genpkey -algorithm ed25519 -out "$T_TMP/imp/ed8.pem" 2>/dev/null
run --root "$sb" keygen example.org --selector ed8 --import "$T_TMP/imp/ed8.pem"
check "import PKCS#8 Ed25519: exit $made_rc (got $RC)" made
check "  the same key" same_pub "$sb/etc/dkimkeys/example.org_ed8.private" "$T_TMP/imp/ed8.pem"
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/imp/p8.pem" 2>/dev/null
run --root "$sb" keygen example.org --selector p8 --import "$T_TMP/imp/p8.pem"
check "import PKCS#8 RSA: exit $made_rc (got $RC)" made
check "  the same key" same_pub "$sb/etc/dkimkeys/example.org_p8.private" "$T_TMP/imp/p8.pem"
openssl pkey -in "$T_TMP/imp/p8.pem" -pubout -out "$T_TMP/imp/pub.pem" 2>/dev/null
run --root "$sb" keygen example.org --selector pub --import "$T_TMP/imp/pub.pem"
check "import a public key: refused (got $RC)" [ "$RC" -eq 73 ]
check "  says it is a public key" has "$T_TMP/err" 'is a public key'
check "  no file" [ ! -e "$sb/etc/dkimkeys/example.org_pub.private" ]
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 -out "$T_TMP/imp/w.pem" 2>/dev/null
run --root "$sb" keygen example.org --selector w --import "$T_TMP/imp/w.pem"
check "import RSA 1024 without --weak: refused (got $RC)" sh -c "[ $RC -eq 73 ] && grep -q 'weak' '$T_TMP/err'"

# --- dkimproxy / filter-dkimsign paths ----------------------------------------
run --root "$sb" --json keygen example.com --selector px --signer dkimproxy
check "dkimproxy key under /etc/mail/dkim (got $RC)" [ "$(jget "$T_TMP/out" 'd["path"]')" = /etc/mail/dkim/example.com_px.key ]
run --root "$sb" --json keygen example.com --selector fx --signer filter-dkimsign
check "filter-dkimsign key under /etc/mail/dkim" [ "$(jget "$T_TMP/out" 'd["path"]')" = /etc/mail/dkim/example.com_fx.key ]
check "  reported owner is for _dkimsign" grep -q '_dkimsign' "$T_TMP/out"

# --- keys: listing and safety ------------------------------------------------
chmod 644 "$sb/etc/dkimkeys/example.org_s1b.private"
chmod 777 "$sb/srv"
run --root "$sb" --json keys --offline
check "keys --json --offline: exit 1 with unsafe files (got $RC)" [ "$RC" -eq 1 ]
cp "$T_TMP/out" "$T_TMP/keys.json"
check "  every field is there" "$PY" -c '
import json,sys; d=json.load(open(sys.argv[1]))
want={"domain","selector","type","bits","path","owner","mode","state","published"}
sys.exit(not (d["keys"] and all(want <= set(k) for k in d["keys"])))' "$T_TMP/keys.json"
check "  configured demo key mail is active" [ "$(jget "$T_TMP/keys.json" '[k["state"] for k in d["keys"] if k["selector"]=="mail"][0]')" = active ]
check "  s1 is generated, rsa 2048, mode 0600, published unknown" [ "$(jget "$T_TMP/keys.json" '[(k["state"],k["type"],k["bits"],k["mode"],k["published"]) for k in d["keys"] if k["selector"]=="s1"][0]')" = "('generated', 'rsa', 2048, '0600', 'unknown')" ]
check "  s1b mode 0644 reported with OpenDKIM's words and the fix" "$PY" -c '
import json,sys; d=json.load(open(sys.argv[1]))
k=[k for k in d["keys"] if k["selector"]=="s1b"][0]
sys.exit(not (k["mode"]=="0644" and any("can be read or written by other users" in i["problem"] and i["fix"]=="chmod 0600 /etc/dkimkeys/example.org_s1b.private" for i in k["issues"])))' "$T_TMP/keys.json"
if [ "$me" -eq 0 ]; then
	# u3 was made above, behind /etc/rootlink in /srv (now mode 0777).
	check "  a world-writable parent directory is reported with chmod o-w" "$PY" -c '
import json,sys; d=json.load(open(sys.argv[1]))
k=[k for k in d["keys"] if k["selector"]=="u3"]
sys.exit(not (k and any(i["fix"]=="chmod o-w /srv" for i in k[0]["issues"])))' "$T_TMP/keys.json"
else
	skip "  a world-writable parent directory is reported with chmod o-w" "the key behind it is made as root only"
fi
chmod 600 "$sb/etc/dkimkeys/example.org_s1b.private"
chmod 755 "$sb/srv"
run --root "$sb" keys --offline
check "keys text: a header and a row per key" sh -c "grep -q '^domain .*selector.*type.*bits.*state.*published.*owner.*mode\$' '$T_TMP/out' && grep -qx '  path' '$T_TMP/out' && grep -q '^example\.org  *s1  *rsa  *2048 generated' '$T_TMP/out'"
check "  the key file on the line under its row" sh -c "grep -A1 '^example\.org  *s1  *rsa' '$T_TMP/out' | grep -qx '  /etc/dkimkeys/example.org_s1.private'"

# --- keys text fits 100 columns ---------------------------------------------
# wide FILE: no line of FILE longer than 100 columns (all ASCII here).
wide() { [ -z "$(awk 'length > 100' "$1")" ]; }
sbw=$(sandbox wide)
run --root "$sbw" --zones share/demo-zones keys
check "keys on the demo: no line over 100 columns" wide "$T_TMP/out"
lsel=s2026-a-selector-name-long-enough-to-push-the-row-on
ldom=a-subdomain-name-that-is-rather-long.of-an-organisation-with-a-long-name.example.org
lkey=/srv/dkim/keys/kept/in/a/deeply/nested/directory/whose/path/goes/on/and/on/well/beyond/the/screen/$lsel.private
run --root "$sbw" keygen "$ldom" --selector "$lsel" --keyfile "$lkey"
run --root "$sbw" --zones share/demo-zones keys
check "keys with a long domain, selector and path: no line over 100 columns" wide "$T_TMP/out"
check "  the long domain is whole on its line" grep -qx "$ldom" "$T_TMP/out"
check "  the long selector is whole on its line, in its column" grep -qx " \{21\}$lsel" "$T_TMP/out"
check "  the row goes on under them at the type column" grep -Eq '^ {32}rsa +2048 generated ' "$T_TMP/out"
check "  the path's lines join back to the path" [ "$(sed -n "\|^  /srv/dkim/|,\|\.private\$|p" "$T_TMP/out" | sed 's/^ *//' | tr -d '\n')" = "$lkey" ]
check "  the advice names the domain and selector whole" sh -c "grep -q 'notspam keys switch\$' '$T_TMP/out' && grep -qx '    $ldom' '$T_TMP/out' && grep -qx '    $lsel' '$T_TMP/out'"

# --- group with several users -------------------------------------------------
mkdir -p "$sb/etc"
printf 'root:x:0:0::/root:/bin/sh\nopendkim:x:104:108::/run/opendkim:/usr/sbin/nologin\npostfix:x:105:108::/var/spool/postfix:/usr/sbin/nologin\n' >"$sb/etc/passwd"
printf 'root:x:0:\nopendkim:x:108:postfix\n' >"$sb/etc/group"
if [ "$me" -eq 0 ]; then
	chown 104:108 "$sb/etc/dkimkeys/example.org_s1.private"
	chmod 640 "$sb/etc/dkimkeys/example.org_s1.private"
	run --root "$sb" --json keys --offline
	check "group opendkim with postfix in it: the multiple-users message" "$PY" -c '
import json,sys; d=json.load(open(sys.argv[1]))
k=[k for k in d["keys"] if k["selector"]=="s1"][0]
sys.exit(not (k["owner"]=="opendkim" and any("which has multiple users (e.g. \"postfix\")" in i["problem"] for i in k["issues"])))' "$T_TMP/out"
	chmod 600 "$sb/etc/dkimkeys/example.org_s1.private"
	chown 0:0 "$sb/etc/dkimkeys/example.org_s1.private"
	run --root "$sb" --json keys --offline
	check "root:root 0600: opendkim cannot read it, fix chown opendkim:opendkim" "$PY" -c '
import json,sys; d=json.load(open(sys.argv[1]))
k=[k for k in d["keys"] if k["selector"]=="s1"][0]
sys.exit(not any("cannot be read by opendkim" in i["problem"] and i["fix"]=="chown opendkim:opendkim /etc/dkimkeys/example.org_s1.private" for i in k["issues"]))' "$T_TMP/out"
else
	skip "key owners: group with several users, root-owned key" "needs root to chown"
fi
rm -f "$sb/etc/passwd" "$sb/etc/group"

# --- DNS: publish, opendkim-testkey, dkimpy, rotation -------------------------
why=
[ "$me" -eq 0 ] || why="needs root (a key directory under /run)"
command -v unbound >/dev/null 2>&1 || why="${why:+$why, }unbound is not installed"
command -v opendkim-testkey >/dev/null 2>&1 ||
    why="${why:+$why, }opendkim-testkey (opendkim-tools) is not installed"
if [ -n "$why" ]; then
	skip "DNS part: publish, opendkim-testkey, dkimpy, rotate, switch, retire, revoke" "$why"
	exit 0
fi
. "$NOTSPAM_TOP/tests/stack/unbound.sh"
# OpenDKIM refuses keys below world-writable directories such as /tmp: the
# site for this part lives under /run, root-owned, mode 0755.
RUNDIR=$(mktemp -d /run/notspam-keys.XXXXXX)
chmod 755 "$RUNDIR"
cp -a "$NOTSPAM_TOP/share/demo" "$RUNDIR/site"
site="$RUNDIR/site"
chmod 700 "$site/etc/dkimkeys"
mkdir -p "$RUNDIR/dns"
cat >"$RUNDIR/dns/example.org.zone" <<'EOF'
$ORIGIN example.org.
$TTL 300
@	IN SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 300
@	IN NS ns.example.org.
ns	IN A 127.0.0.1
EOF
port=
for p in 25353 25354 25355 25356 25357 25358; do
	if ! ss -Hlun "sport = :$p" 2>/dev/null | grep -q .; then
		port=$p; break
	fi
done
if [ -z "$port" ] || ! unbound_start "$RUNDIR/dns" "$port" "$RUNDIR/dns/example.org.zone"; then
	not_ok "unbound starts on 127.0.0.1@${port:-?}"
	exit 1
fi
UB="$RUNDIR/dns"
ok "unbound on 127.0.0.1@$port"
R="127.0.0.1:$port"

# publish_json JSON: add the record of a keygen --json output to unbound.
publish_json() {
	rr=$("$PY" -c '
import json,sys; r=json.load(open(sys.argv[1]))["record"]
print(r["name"], 300, "IN TXT", " ".join("\"%s\"" % s for s in r["strings"]))' "$1")
	unbound_add "$UB" "$rr"
}

run --root "$site" --resolver "$R" --json keys rotate example.org
check "keys rotate example.org: exit 0 (got $RC)" [ "$RC" -eq 0 ]
cp "$T_TMP/out" "$T_TMP/rot.json"
nsel=$(jget "$T_TMP/rot.json" 'd["selector"]')
npath=$(jget "$T_TMP/rot.json" 'd["path"]')
check "  a new rsa selector ($nsel), not mail" sh -c "[ -n '$nsel' ] && [ '$nsel' != mail ] && [ '$(jget "$T_TMP/rot.json" 'd["type"]')' = rsa ]"
run --root "$site" --resolver "$R" keys switch example.org "$nsel"
check "switch while unpublished: refused, exit 2 (got $RC)" [ "$RC" -eq 2 ]
check "  says it is not published and what to publish" sh -c "grep -q 'not switched: .*not published yet (NXDOMAIN)' '$T_TMP/err' && grep -q '^$nsel\._domainkey\.example\.org\. 3600 IN TXT' '$T_TMP/err'"
check "  no config change printed" sh -c "! grep -q KeyTable '$T_TMP/out'"
check "  state stays generated" grep -q "^example\.org $nsel generated " "$site/var/lib/notspam/keys.state"
run --root "$site" --resolver "$R" --json keys
check "  keys: the new selector published no" [ "$(jget "$T_TMP/out" '[k["published"] for k in d["keys"] if k["selector"]=="'"$nsel"'" and k["domain"]=="example.org"][0]')" = no ]

publish_json "$T_TMP/rot.json"
check "dig sees the record" sh -c "dig +short -p $port @127.0.0.1 $nsel._domainkey.example.org TXT | grep -q 'v=DKIM1'"
printf 'forward-zone:\n\tname: "."\n\tforward-addr: 127.0.0.1@%s\n' "$port" >"$RUNDIR/resolver.conf"
printf 'ResolverConfiguration %s\nRequireSafeKeys yes\n' "$RUNDIR/resolver.conf" >"$RUNDIR/testkey.conf"
st=0
opendkim-testkey -x "$RUNDIR/testkey.conf" -d example.org -s "$nsel" -k "$site$npath" -vvv >"$T_TMP/tk.out" 2>&1 || st=$?
check "opendkim-testkey: key OK, exit 0 (got $st)" sh -c "[ $st -eq 0 ] && grep -q 'key OK' '$T_TMP/tk.out'"
check "  no unsafe-permissions warning" sh -c "! grep -q 'unsafe permissions' '$T_TMP/tk.out'"

cat >"$T_TMP/dkimpy.py" <<'PYEOF'
import sys, dkim, dns.resolver
key, sel, port = open(sys.argv[1], "rb").read(), sys.argv[2].encode(), int(sys.argv[3])
res = dns.resolver.Resolver(configure=False)
res.nameservers = ["127.0.0.1"]; res.port = port
def dnsfunc(name, timeout=5):
    try:
        a = res.resolve(name.decode().rstrip("."), "TXT")
    except Exception:
        return b""
    return b"".join(b"".join(r.strings) for r in a)
msg = (b"From: a@example.org\r\nTo: b@example.net\r\nSubject: keys test\r\n"
       b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <k1@example.org>\r\n\r\nHello.\r\n")
sig = dkim.sign(msg, sel, b"example.org", key, include_headers=[b"from", b"to", b"subject", b"date"])
ok = dkim.verify(sig + msg, dnsfunc=dnsfunc)
bad = dkim.verify(sig + msg.replace(b"Hello", b"Hullo"), dnsfunc=dnsfunc)
print("# verify", ok, "tampered", bad)
sys.exit(0 if ok and not bad else 1)
PYEOF
check "dkimpy signs with the key and verifies against the DNS" "$PY" "$T_TMP/dkimpy.py" "$site$npath" "$nsel" "$port"

cp "$site/etc/opendkim/key.table" "$T_TMP/kt.before"
cp "$site/etc/opendkim/signing.table" "$T_TMP/st.before"
run --root "$site" --resolver "$R" keys switch example.org "$nsel" --dry-run
check "switch --dry-run once published: exit 1, changes pending (got $RC)" [ "$RC" -eq 1 ]
check "  the KeyTable gains the new key's line" has "$T_TMP/out" "^[+]$nsel\._domainkey\.example\.org	example\.org:$nsel:/etc/dkimkeys/example\.org_$nsel\.private$"
check "  the SigningTable line of the RSA key names the new key" has "$T_TMP/out" "^[+]\*@example\.org	$nsel\._domainkey\.example\.org$"
check "  the old RSA key's lines go" sh -c "grep -q '^-mail\._domainkey\.example\.org' '$T_TMP/out' && grep -q '^-\*@example\.org	mail\._domainkey' '$T_TMP/out'"
check "  the Ed25519 key's lines stay (not a line of the diff)" sh -c "! grep -q '^[-+].*ed202611' '$T_TMP/out'"
check "  nothing else of the site is planned (opendkim.conf, main.cf untouched)" sh -c "! grep -Eq '^== .*(opendkim\.conf|main\.cf)' '$T_TMP/out'"
check "  opendkim -n named as the checker, then the reload" sh -c "grep -q '^check .*opendkim -n' '$T_TMP/out' && grep -q '^then ' '$T_TMP/out'"
check "  nothing written" sh -c "cmp -s '$T_TMP/kt.before' '$site/etc/opendkim/key.table' && cmp -s '$T_TMP/st.before' '$site/etc/opendkim/signing.table'"
run --root "$site" --resolver "$R" keys switch example.org "$nsel"
check "switch with no terminal and no --yes: 64 (got $RC)" [ "$RC" -eq 64 ]
check "  nothing written" cmp -s "$T_TMP/kt.before" "$site/etc/opendkim/key.table"
run --root "$site" --resolver "$R" keys switch example.org "$nsel" --yes
check "switch --yes once published: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "  through the transaction: a backup, restore named" has "$T_TMP/out" '^applied: 2 files written; `notspam restore '
check "  state published" grep -q "^example\.org $nsel published " "$site/var/lib/notspam/keys.state"
check "  the KeyTable names the new key, no longer mail" sh -c "grep -q '^$nsel\._domainkey\.example\.org	example\.org:$nsel:' '$site/etc/opendkim/key.table' && ! grep -q '^mail\._domainkey' '$site/etc/opendkim/key.table'"
run --root "$site" --resolver "$R" keys switch example.org "$nsel" --yes
check "switch again: already in use, exit 0 (got $RC)" sh -c "[ $RC -eq 0 ] && grep -q 'is already in use by opendkim' '$T_TMP/out'"
run --root "$site" --resolver "$R" --json keys
cp "$T_TMP/out" "$T_TMP/after.json"
check "after the switch: the new selector is active and published" [ "$(jget "$T_TMP/after.json" '[(k["state"],k["published"]) for k in d["keys"] if k["selector"]=="'"$nsel"'" and k["domain"]=="example.org"][0]')" = "('active', 'yes')" ]
check "  the old selector mail is retired" [ "$(jget "$T_TMP/after.json" '[k["state"] for k in d["keys"] if k["selector"]=="mail"][0]')" = retired ]
check "  the Ed25519 key beside it stays active" [ "$(jget "$T_TMP/after.json" '[k["state"] for k in d["keys"] if k["selector"]=="ed202611"][0]')" = active ]
run --root "$site" keys retire example.org "$nsel"
check "retire the active key: refused (got $RC)" sh -c "[ $RC -eq 2 ] && grep -q 'still used by opendkim' '$T_TMP/err'"
run --root "$site" keys revoke example.org mail
check "revoke mail: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "  prints the p= empty record" has "$T_TMP/out" '^mail\._domainkey\.example\.org\. 3600 IN TXT "v=DKIM1; k=rsa; p="$'
check "  state revoked" grep -q '^example\.org mail revoked ' "$site/var/lib/notspam/keys.state"
check "  the key file is left for the user to delete" [ -f "$site/etc/dkimkeys/mail.private" ]
rm "$site/etc/dkimkeys/mail.private"
run --root "$site" --resolver "$R" keys
check "after deleting the revoked key's file: keys lists it as revoked" has "$T_TMP/out" '^example\.org +mail .* revoked '
check "  and raises no problem about it" sh -c "! grep -q '^mail\._domainkey\.example\.org' '$T_TMP/out'"
exit 0
