#!/bin/sh
# keys switch through apply's transaction, for the signers whose key is a
# setting (OpenDKIM's tables are in keys.sh, against a real DNS server):
#   - dkimproxy with one global key (poolp-dkimproxy): selector and keyfile
#     name the new key;
#   - dkimproxy with a sender_map line for the domain (postfix-dkimproxy):
#     that line names the new key, the global key stays;
#   - filter-dkimsign with two -d (adyxax-mx): -s and -k of its command in
#     smtpd.conf, the rest of the line kept, the key's owner and mode as
#     steps, the one-key-for-every-domain note;
# each: --dry-run writes nothing, --yes writes exactly the planned bytes
# with a backup, a second switch is "already in use", restore gives back
# the bytes; --json carries the plan and the result.  Offline: the new
# key's record is served from a zone file (--zones).
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

# site NAME FROM KEY: a copy of fixture FROM in $T_TMP/NAME, with an RSA
# key (0600) at site path KEY, as ../shared/corpus/prepare.sh makes them.
site() {
	rm -rf "${T_TMP:?}/$1"
	cp -a "$2" "$T_TMP/$1"
	mkdir -p "$(dirname "$T_TMP/$1$3")"
	(umask 077; openssl genpkey -algorithm RSA \
	    -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/$1$3" 2>/dev/null)
	echo "$T_TMP/$1"
}

# rotated NAME SITE DOMAIN: a new key for DOMAIN (keys rotate), its record
# in $T_TMP/NAME.zones; its selector in $sel and site path in $kpath.
rotated() {
	mkdir -p "$T_TMP/$1.zones"
	printf '$ORIGIN %s.\n@ 300 IN SOA ns hm 1 1 1 1 1\n@ 300 IN NS ns\n' \
	    "$3" >"$T_TMP/$1.zones/$3.zone"
	run --root "$2" --zones "$T_TMP/$1.zones" --json keys rotate "$3"
	check "$1: keys rotate $3 (got $RC)" [ "$RC" -eq 0 ]
	sel=$(jget "$T_TMP/out" 'd["selector"]')
	kpath=$(jget "$T_TMP/out" 'd["path"]')
	"$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))["record"]
print(r["name"], 300, "IN TXT", " ".join("\"%s\"" % s for s in r["strings"]))' \
	    "$T_TMP/out" >>"$T_TMP/$1.zones/$3.zone"
}

# switch NAME SITE DOMAIN FILE: the dry run, the write, the second switch
# and the restore; FILE is the site path of the file the switch edits.
switch() {
	_n=$1 _s=$2 _d=$3 _f=$4
	_z="$T_TMP/$_n.zones"
	cp -a "$_s" "$T_TMP/$_n.before"
	run --root "$_s" --zones "$_z" keys switch "$_d" "$sel" --dry-run
	cp "$T_TMP/out" "$T_TMP/$_n.dry"
	check "$_n: --dry-run: 1, a change pending (got $RC)" [ "$RC" -eq 1 ]
	check "  $_n: it edits $_f" has "$T_TMP/$_n.dry" "^== $_f "
	check "  $_n: nothing written" diff -r -x keys.state "$T_TMP/$_n.before" "$_s"
	run --root "$_s" --zones "$_z" --json keys switch "$_d" "$sel"
	check "$_n: --json without --yes is a dry run: 0 (got $RC)" \
	    [ "$RC" -eq 0 ]
	check "  $_n: the plan in the object, no result, done" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["action"] == "switch" and d["done"] is True, d
assert "result" not in d, d
assert [f["path"] for f in d["plan"]["files"] if f["changed"]] == [sys.argv[2]], d
' "$T_TMP/out" "$_f"
	check "  $_n: nothing written" diff -r -x keys.state "$T_TMP/$_n.before" "$_s"
	run --root "$_s" --zones "$_z" keys switch "$_d" "$sel" --yes
	cp "$T_TMP/out" "$T_TMP/$_n.yes"
	check "$_n: --yes: 0 (got $RC)" [ "$RC" -eq 0 ]
	check "  $_n: one file written, restore named" has "$T_TMP/$_n.yes" \
	    '^applied: 1 file written; `notspam restore [0-9TZ]+` puts them back'
	check "  $_n: the file has the bytes the dry run showed" "$PY" -c '
import subprocess, sys
dry, before, after = sys.argv[1:4]
diff = open(dry).read()
p = subprocess.run(["patch", "-s", "-o", "-", before], input=diff[diff.index("--- a/"):],
                   capture_output=True, text=True)
sys.exit(0 if p.returncode == 0 and p.stdout == open(after).read() else 1)
' "$T_TMP/$_n.dry" "$T_TMP/$_n.before$_f" "$_s$_f"
	check "  $_n: the backup has the old bytes" sh -c "cmp -s \
	    '$T_TMP/$_n.before$_f' \"\$(ls -d "$_s"/var/backups/notspam/2*/files | tail -n 1)$_f\""
	run --root "$_s" --zones "$_z" keys switch "$_d" "$sel" --yes
	check "$_n: switching again: already in use, 0 (got $RC)" sh -c \
	    "[ $RC -eq 0 ] && grep -q 'is already in use by' '$T_TMP/out'"
	run --root "$_s" restore
	check "$_n: restore: 0 (got $RC)" [ "$RC" -eq 0 ]
	check "  $_n: the file has its old bytes again" \
	    cmp -s "$T_TMP/$_n.before$_f" "$_s$_f"
}

# --- dkimproxy, one global key -------------------------------------------------
s=$(site poolp "tests/fixtures/keyswitch/poolp-dkimproxy" /private.key)
rotated poolp "$s" example.org
switch poolp "$s" example.org /etc/dkimproxy_out.conf
check "poolp: keyfile and selector name the new key" sh -c "
    grep -Eq '^[+]keyfile +$kpath\$' '$T_TMP/poolp.dry' &&
    grep -Eq '^[+]selector +$sel\$' '$T_TMP/poolp.dry' &&
    grep -Eq '^-selector +selector1\$' '$T_TMP/poolp.dry'"
check "  then the restart of dkimproxy" has "$T_TMP/poolp.dry" \
    '^then +restart dkimproxy'

# --- dkimproxy with a sender_map ------------------------------------------------
s=$(site pdp "tests/fixtures/plan/postfix-dkimproxy" /private.key)
rotated pdp "$s" example.org
switch pdp "$s" example.org /etc/dkimproxy/sender_map
check "pdp: the domain's sender_map line names the new key" has \
    "$T_TMP/pdp.dry" "^[+]example\\.org +dkim\\(c=relaxed,a=rsa-sha256,d=example\\.org,s=$sel,key=$kpath\\)\$"
check "  the reason says its DomainKeys signature goes" has "$T_TMP/pdp.dry" \
    'and its DomainKeys signature, which receivers no longer check'
check "  dkimproxy_out.conf's global key is left alone" sh -c \
    "! grep -q '^== /etc/dkimproxy_out.conf' '$T_TMP/pdp.dry'"

# --- filter-dkimsign ---------------------------------------------------------------
s=$(site ady "tests/fixtures/keyswitch/adyxax-mx" /etc/mail/dkim/private.key)
rotated ady "$s" adyxax.eu
switch ady "$s" adyxax.eu /etc/mail/smtpd.conf
check "ady: -s and -k name the new key, both -d and user/group kept" has \
    "$T_TMP/ady.dry" "^[+]filter \"dkimsign\" +proc-exec \"filter-dkimsign -d adyxax\\.eu -d adyxax\\.org -s $sel -k $kpath\" user _dkimsign group _dkimsign\$"
check "  the key's owner and mode as steps" sh -c "
    grep -q '^step     chown _dkimsign:_dkimsign $kpath:' '$T_TMP/ady.dry' &&
    grep -q '^step     chmod 0400 $kpath:' '$T_TMP/ady.dry'"
check "  one key for both domains, said" has "$T_TMP/ady.dry" \
    '^note +filter-dkimsign signs every domain of its -d options with this one key'
check "  smtpd -n named as its checker, then smtpd's restart" sh -c "
    grep -q '^check .*smtpd -n -f /etc/mail/smtpd.conf' '$T_TMP/ady.dry' &&
    grep -Eq '^then +restart opensmtpd' '$T_TMP/ady.dry'"
check "  the other lines of smtpd.conf are not in the diff" sh -c \
    "[ \$(grep -c '^[-+][^-+]' '$T_TMP/ady.dry') -eq 2 ]"
exit 0
