#!/bin/sh
# Bad input: each case gets a clear message naming the file (and line), the
# right exit status, and no crash (this suite runs the ASan build).
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
ESC=$(printf '\033')

# no_crash: the last run did not die of a signal or a sanitizer report.
no_crash() {
	[ "$RC" -lt 70 ] && ! grep -q 'Sanitizer\|runtime error' "$T_TMP/err"
}

r=$(sandbox dir)
rm "$r/etc/postfix/main.cf" && mkdir "$r/etc/postfix/main.cf"
run --root "$r" records
check "main.cf is a directory: exit 66 (got $RC)" [ "$RC" -eq 66 ]
check "  and the message names it as a directory" has "$T_TMP/err" '/etc/postfix/main\.cf: is a directory'

r=$(sandbox garbage)
"$PY" -c 'import random,sys; random.seed(7); sys.stdout.buffer.write(bytes(random.randrange(1,256) for _ in range(8192)))' >"$r/etc/postfix/main.cf"
run --root "$r" records
check "binary garbage main.cf: exit 66 (got $RC)" [ "$RC" -eq 66 ]
check "  names file and line" has "$T_TMP/err" '/etc/postfix/main\.cf:[0-9]+: '
check "  no crash" no_crash
check "  no raw escape byte reaches the terminal" sh -c "! grep -q '$ESC' '$T_TMP/err' '$T_TMP/out'"

r=$(sandbox nul)
"$PY" - "$r/etc/opendkim.conf" <<'PYEOF'
import sys
p = sys.argv[1]; lines = open(p, 'rb').read().split(b'\n')
lines[6] = b'Syslog\x00yes'
open(p, 'wb').write(b'\n'.join(lines))
PYEOF
run --root "$r" records
# A signer config that does not parse is reported and the rest still shown
# (exit 1); an MTA config that does not parse stops the command (66).
check "a NUL byte in opendkim.conf: exit 1 (got $RC)" [ "$RC" -eq 1 ]
check "  names /etc/opendkim.conf:7 and the NUL byte" has "$T_TMP/err" '/etc/opendkim\.conf:7: .*NUL'
check "  the MTA's domains still get their records" has "$T_TMP/out" '^example\.org\. 3600 IN MX'

r=$(sandbox big)
truncate -s 50M "$r/etc/postfix/main.cf"
run --root "$r" records
check "a 50 MB main.cf: exit 66 (got $RC)" [ "$RC" -eq 66 ]
check "  says it is over the limit" has "$T_TMP/err" '/etc/postfix/main\.cf: .*limit'

r=$(sandbox dangling)
sed -i 's|/etc/dkimkeys/example-net.private|/etc/dkimkeys/gone.private|' "$r/etc/opendkim/key.table"
run --root "$r" --json records
check "a dangling KeyTable path: exit 2 (got $RC)" [ "$RC" -eq 2 ]
check "  the warning names key.table and its line" has "$T_TMP/out" '/etc/opendkim/key\.table:4: .*gone\.private'
check "  the DKIM record carries the error" "$PY" -c '
import json,sys
d = json.load(open(sys.argv[1]))
r = [r for x in d["domains"] if x["domain"] == "example.net" for r in x["records"] if r["id"] == "dkim:202611"][0]
sys.exit(0 if r["value"] is None and "gone.private" in r["error"] else 1)' "$T_TMP/out"
check "  the other domains still get their records" has "$T_TMP/out" '"id":"dkim:mail"'

r=$(sandbox hostile)
printf 'virtual_alias_domains = ex\033[2Jample.org, good.example\n' >>"$r/etc/postfix/main.cf"
run --root "$r" records
check "a hostile domain name: no crash (got $RC)" no_crash
check "  no raw escape byte reaches the terminal" sh -c "! grep -q '$ESC' '$T_TMP/err' '$T_TMP/out'"
check "  it is reported with its place" has "$T_TMP/err" 'main\.cf:[0-9]+'
check "  the good domain is kept" has "$T_TMP/out" '^; good\.example$'

r=$(sandbox settings)
printf 'public_ipv4 = 192.0.2.25\npublic_ipv6 = 192.0.2.26\n' >"$r/etc/notspam/notspam.conf"
run --root "$r" records
check "an IPv4 address in public_ipv6: exit 66 (got $RC)" [ "$RC" -eq 66 ]
check "  names notspam.conf:2" has "$T_TMP/err" '/etc/notspam/notspam\.conf:2: public_ipv6'
printf 'pubilc_ipv4 = 192.0.2.25\n' >"$r/etc/notspam/notspam.conf"
run --root "$r" records
check "an unknown setting: exit 66, named with its line" sh -c "[ $RC -eq 66 ] && grep -q 'notspam\.conf:1: unknown setting' '$T_TMP/err'"
run --root "$r" --config /etc/notspam/other.conf records
check "a missing --config file: exit 66" [ "$RC" -eq 66 ]

r=$(sandbox oldgrammar)
printf 'listen on lo0\naccept from any for domain example.com deliver to mbox\n' >"$r/etc/mail/smtpd.conf"
run --root "$r" records
check "old smtpd.conf grammar: exit 66 (got $RC)" [ "$RC" -eq 66 ]
check "  reported as the pre-6.4 grammar at line 2" has "$T_TMP/err" '/etc/mail/smtpd\.conf:2: .*6\.4'

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	r=$(sandbox unreadable)
	chmod 000 "$r/etc/postfix/main.cf"
	RC=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$NOTSPAM" --root "$r" records >"$T_TMP/out" 2>"$T_TMP/err" || RC=$?
	sanitizer_check "$T_TMP/err" "notspam records as nobody"
	check "an unreadable main.cf: exit 66 (got $RC)" [ "$RC" -eq 66 ]
	check "  says permission denied for that file" has "$T_TMP/err" '/etc/postfix/main\.cf: cannot open: Permission denied'
fi

# --zones naming a directory with no zone file: one clear line, no
# sanitizer report (qsort was once handed a NULL array for it).
mkdir -p "$T_TMP/nozones"
run --root "$r" --zones "$T_TMP/nozones" records
check "--zones with no *.zone file: exit 66 (got $RC)" [ "$RC" -eq 66 ]
check "  says so, naming the directory" has "$T_TMP/err" 'nozones: no \*\.zone file in the directory'
