#!/bin/sh
# Hostile input (issue 9): no path escapes --root (symlinks, ".."), no file's
# contents leak into messages, included files are read, relative paths in a
# signer's config are the daemon's and never notspam's working directory,
# and passwords in dsn:/mysql: URLs are never printed.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
ESC=$(printf '\033')
SITES=$NOTSPAM_TOP/tests/fixtures/sites

# fixture NAME: a copy of tests/fixtures/sites/NAME in $T_TMP/NAME.
fixture() {
	rm -rf "$T_TMP/$1"
	cp -a "$SITES/$1" "$T_TMP/$1"
	echo "$T_TMP/$1"
}

# --- a table that is a symlink to a secret file outside the root --------
# The issue's case: `table fd file:/srv/domains`, /srv/domains -> /etc/shadow.
# The secret is a fake shadow file in a directory of its own.
mkdir -p "$T_TMP/outside"
SECRET='root:$y$j9T$notspamHOSTILEsecret$Zq0hash:19700:0:99999:7:::'
printf '%s\nuser:$6$notspamHOSTILEsecret2$more:1:0:::\n' "$SECRET" >"$T_TMP/outside/shadow"
r=$(fixture smtpd-include)
mkdir -p "$r/srv"
ln -s "$T_TMP/outside/shadow" "$r/srv/domains"
cat >>"$r/etc/mail/smtpd.conf" <<'CONF'
table fd file:/srv/domains
match from any for domain <fd> action "local_mail"
match from any for domain main.example action "local_mail"
CONF
for cmd in records "--json records" status; do
	# shellcheck disable=SC2086
	run --root "$r" --resolver 127.0.0.1:9 $cmd
	check "$cmd with a table symlinked to a secret outside the root: no line of it is printed" \
	    sh -c "! grep -q 'notspamHOSTILEsecret' '$T_TMP/out' '$T_TMP/err'"
done
run --root "$r" records
check "  the table is reported missing inside the root, at its line" has "$T_TMP/err" \
    "/etc/mail/smtpd\.conf:1[0-9]: .*/srv/domains: no such file \(its symlinks lead to $T_TMP/outside/shadow inside the root\)"
check "  the other domains are still listed" has "$T_TMP/out" '^main\.example\. 3600 IN MX'
check "  with those of the included file" has "$T_TMP/out" '^inc\.example\. 3600 IN MX'

# --- ".." and relative symlinks never climb above the root --------------
r=$(fixture smtpd-include)
mkdir -p "$r/srv"
ln -s "../../../../../../../../../../$T_TMP/outside/shadow" "$r/srv/up"
cat >>"$r/etc/mail/smtpd.conf" <<CONF
table t1 file:/../../../../../../../..$T_TMP/outside/shadow
table t2 file:/srv/up
match from any for domain <t1> action "local_mail"
match from any for domain <t2> action "local_mail"
match from any for domain main.example action "local_mail"
CONF
run --root "$r" records
check "\"..\" in a table path and in a relative symlink: nothing of the secret is printed" \
    sh -c "! grep -q 'notspamHOSTILEsecret' '$T_TMP/out' '$T_TMP/err'"
check "  both tables are reported missing" sh -c \
    "[ \$(grep -c 'shadow: no such file\|/srv/up: no such file' '$T_TMP/err') -ge 2 ]"
check "  no crash (got $RC)" [ "$RC" -lt 70 ]

# --- a rejected value is quoted bounded and escaped ----------------------
r=$(fixture smtpd-include)
"$PY" -c 'import sys; sys.stdout.buffer.write(b"ok.example\n" + b"x\x1b[2J" * 100 + b"\xff tail-NOTSHOWN\n")' >"$r/etc/mail/vdomains"
run --root "$r" records
check "a 500-byte bad table line: reported at its line" has "$T_TMP/err" '/etc/mail/vdomains:2: domain "x'
# 60 bytes hold 8 escaped "x\x1b[2J" (7 bytes each) of the 100.
check "  quoted at most 60 bytes, then …" sh -c \
    "grep '/etc/mail/vdomains:2:' '$T_TMP/err' | grep -q '…\" is not a valid' &&
    [ \$(grep '/etc/mail/vdomains:2:' '$T_TMP/err' | grep -o '\[2J' | wc -l) -le 8 ]"
check "  no raw escape byte and not the tail" sh -c \
    "! grep -q '$ESC\|NOTSHOWN' '$T_TMP/err' '$T_TMP/out'"

# A whole file of lines that are no domain names (a password file the
# site's own table points at): a few bounded quotes, then a count.
r=$(fixture smtpd-include)
i=0; : >"$r/etc/mail/vdomains"
while [ $i -lt 20 ]; do
	printf 'user%s:$6$salt%s$LINE%sSECRET:19000:0:::\n' $i $i $i >>"$r/etc/mail/vdomains"
	i=$((i + 1))
done
run --root "$r" records
check "a table file of 20 non-domain lines: 5 quoted" sh -c \
    "[ \$(grep -c 'SECRET' '$T_TMP/err') -eq 5 ]"
check "  the other 15 counted, not quoted" has "$T_TMP/err" \
    '/etc/mail/vdomains: 15 more lines hold no valid domain name \(not quoted\)'
check "  lines 6 to 20 never printed" sh -c "! grep -q 'LINE1[0-9]SECRET\|LINE[6-9]SECRET' '$T_TMP/err' '$T_TMP/out'"

# --- included files ------------------------------------------------------
r=$(fixture opendkim-include)
cp "$NOTSPAM_TOP/share/demo/etc/dkimkeys/mail.private" "$r/etc/dkimkeys/inc.private"
run --root "$r" records
check "a KeyTable in an Included file: its key is published" has "$T_TMP/out" \
    '^mail\._domainkey\.inc\.example\. 3600 IN TXT \( "v=DKIM1; k=rsa; p=MII'
check "  and OpenDKIM is not said to sign nothing" sh -c "! grep -q 'signs nothing' '$T_TMP/err'"

r=$(fixture smtpd-include)
run --root "$r" --json records
check "a domain in an included smtpd.conf file is listed" has "$T_TMP/out" '"domain":"inc\.example"'
check "  with the table domains the included file uses" has "$T_TMP/out" '"domain":"table2\.example"'
check "  the include back to smtpd.conf is a loop, at its line" has "$T_TMP/out" \
    '/etc/mail/domains\.conf:6: include /etc/mail/smtpd\.conf leads back .*include loop'

r=$(fixture opendkim-include-loop)
run --root "$r" records
check "an OpenDKIM Include loop: reported at the closing line (exit $RC)" has "$T_TMP/err" \
    '/etc/opendkim/b\.conf:2: Include etc/opendkim/a\.conf leads back .*include loop'
check "  a chain deeper than 10 files, at the line that goes too deep" has "$T_TMP/err" \
    '/etc/opendkim/d9\.conf:2: Include /etc/opendkim/d10\.conf is nested more than 10'
check "  a missing included file, at its Include line" has "$T_TMP/err" \
    '/etc/opendkim\.conf:6: Include: /etc/opendkim/missing\.conf: no such file'
check "  no crash" [ "$RC" -lt 70 ]

# --- a relative keyfile is dkimproxy's, not notspam's working directory --
r=$(fixture dkimproxy-relative)
rm "$r/private.key"
mkdir -p "$T_TMP/cwd"
cp "$NOTSPAM_TOP/share/demo/etc/dkimkeys/mail.private" "$T_TMP/cwd/private.key"
cd "$T_TMP/cwd" || exit 1
run --root "$r" records
cd "$NOTSPAM_TOP" || exit 1
check "dkimproxy \"keyfile private.key\" with a private.key in the cwd: it is not published" \
    sh -c "! grep -q '_domainkey.*IN TXT.*p=' '$T_TMP/out'"
check "  the key is the root's /private.key, reported missing" has "$T_TMP/out" \
    'cannot compute: /private\.key: no such file'
check "  the relative path is reported at its line" has "$T_TMP/err" \
    '/etc/dkimproxy_out\.conf:19: keyfile private\.key is a relative path: .* so it is /private\.key'
cp "$NOTSPAM_TOP/share/demo/etc/dkimkeys/example-net.private" "$r/private.key"
cd "$T_TMP/cwd" || exit 1
run --root "$r" records
cd "$NOTSPAM_TOP" || exit 1
check "  with /private.key in the root, that key is published" has "$T_TMP/out" \
    'DKIM public key \(RSA [0-9]+ bits\) of /private\.key'

# --- passwords in dsn: / mysql: URLs --------------------------------------
r=$(fixture opendkim-dsn)
for cmd in records "--json records" status "--json status" "--json check"; do
	# shellcheck disable=SC2086
	run --root "$r" --resolver 127.0.0.1:9 $cmd
	check "$cmd: the dsn: password is never printed" sh -c \
	    "! grep -qF S3cretPassw0rd '$T_TMP/out' '$T_TMP/err'"
done
run --root "$r" records
check "  the KeyTable is still reported, password masked" has "$T_TMP/err" \
    'KeyTable dsn:mysql://easymail:\*\*\*@localhost/'

echo "1..$T_N"
