#!/bin/sh
# Corpus-shaped fixtures (tests/fixtures/sites/corpus-*, copied from
# ../shared/corpus with the source in each header): records and status run
# on every one (under ASan in make check, so a sanitizer report fails), and
# what issue 9 section 2 asks of each is checked in the output.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

# root NAME: a copy of the fixture in $T_TMP (never --root into the tree).
root() {
	rm -rf "$T_TMP/root-$1"
	cp -a "tests/fixtures/sites/corpus-$1" "$T_TMP/root-$1"
	echo "$T_TMP/root-$1"
}

# Every fixture: records and status end with a status of the program (no
# crash, no sanitizer status), and say something.
for d in tests/fixtures/sites/corpus-*; do
	n=${d#tests/fixtures/sites/corpus-}
	r=$(root "$n")
	run --root "$r" records
	case $RC in 0|1|2|66) ok "records on corpus-$n exits $RC" ;;
	*) not_ok "records on corpus-$n exits $RC"; sed 's/^/# /' "$T_TMP/err" | head -n 5 ;;
	esac
	run --root "$r" --resolver 127.0.0.1:9 status
	case $RC in 0|1|2|66|69|75) ok "status on corpus-$n exits $RC" ;;
	*) not_ok "status on corpus-$n exits $RC"; sed 's/^/# /' "$T_TMP/err" | head -n 5 ;;
	esac
	check "  status on corpus-$n prints the site" has "$T_TMP/out" '^(host|program) '
done

# 1. No hosted domain: the warnings already worked out still print, before
# the message, with the password of the dsn: masked.
r=$(root modoboa)
run --root "$r" records
check "modoboa records: no hosted domain, exit 66 (got $RC)" [ "$RC" -eq 66 ]
check "  the pgsql: domains warning is printed" \
    has "$T_TMP/err" 'warning: /etc/postfix/main\.cf:80: virtual_mailbox_domains uses pgsql:'
check "  the dsn: KeyTable warning too, masked" \
    has "$T_TMP/err" 'KeyTable dsn:pgsql://opendkim:\*\*\*@'
check "  no password in any line" sh -c '! grep -q secret "$1"' sh "$T_TMP/err"
check "  the warnings come before the message" sh -c \
    'tail -n 1 "$1" | grep -q "no hosted domain found"' sh "$T_TMP/err"
run --root "$r" --resolver 127.0.0.1:9 status
check "modoboa status prints the warnings" has "$T_TMP/out" '^warning: .*virtual_mailbox_domains uses pgsql:'
check "  and says no hosted domain" has "$T_TMP/err" 'no hosted domain'
run --root "$r" --resolver 127.0.0.1:9 check
check "modoboa check prints the warnings" has "$T_TMP/err" 'warning: .*KeyTable dsn:pgsql'
# The mail host name unknown: the warnings worked out still print first.
nh="$T_TMP/nohost"
mkdir -p "$nh/etc/notspam"
printf 'Domain example.org\nSelector s\nKeyFile /etc/dkimkeys/s.private\nSocket inet:port@localhost\n' \
    >"$nh/etc/opendkim.conf"
printf 'domains = example.org\n' >"$nh/etc/notspam/notspam.conf"
run --root "$nh" records
check "no host name: records exits 66 (got $RC)" [ "$RC" -eq 66 ]
check "  the opendkim.conf warnings are printed" \
    has "$T_TMP/err" 'warning: /etc/opendkim\.conf:4: Socket'
check "  the message comes last" sh -c \
    'tail -n 1 "$1" | grep -q "host name is unknown"' sh "$T_TMP/err"
run --root "$nh" --resolver 127.0.0.1:9 check
check "no host name: check prints the warnings too (exit $RC)" sh -c \
    '[ "$2" -eq 66 ] && grep -q "warning: /etc/opendkim.conf:4: Socket" "$1"' sh "$T_TMP/err" "$RC"
r=$(root iredmail)
run --root "$r" records
check "iredmail records names the placeholder myhostname" \
    has "$T_TMP/err" 'myhostname "PH_HOSTNAME" is not a fully qualified'
r=$(root mailcow)
run --root "$r" records
check "mailcow records names mysql: domains and rspamd" sh -c \
    'grep -q "virtual_mailbox_domains uses mysql:" "$1" && grep -q "rspamd, a signer notspam does not read" "$1"' sh "$T_TMP/err"

# 2. The HELO name: PTR and HELO SPF ask for it; the MX keeps the host name.
r=$(root hypno-cat)
run --root "$r" records
check "hypno-cat: PTR names the relay helo mail.hypno.cat" \
    has "$T_TMP/out" 'in-addr\.arpa\. 3600 IN PTR mail\.hypno\.cat\.$'
check "  HELO SPF is published at mail.hypno.cat" \
    has "$T_TMP/out" '^mail\.hypno\.cat\. 3600 IN TXT "v=spf1 '
check "  the MX still names hypno.cat" has "$T_TMP/out" 'IN MX 10 hypno\.cat\.$'
check "  rspamd signs and no key is read: records asks for p=none first" \
    has "$T_TMP/out" '^_dmarc\.hypno\.cat\. 3600 IN TXT "v=DMARC1; p=none"$'
check "  and says why" has "$T_TMP/out" 'p=none for a start: rspamd'
r=$(root poolp-new)
run --root "$r" records
check "poolp-new (no unread signer): records keeps p=quarantine" \
    has "$T_TMP/out" 'IN TXT "v=DMARC1; p=quarantine"$'
r=$(root poolp-new)
run --root "$r" records
check "poolp-new: PTR names the helo-src name mx1.poolp.org" \
    has "$T_TMP/out" 'in-addr\.arpa\. 3600 IN PTR mx1\.poolp\.org\.$'
r=$(root helo-postfix)
run --root "$r" records
check "smtp_helo_name: PTR names out.example.net" \
    has "$T_TMP/out" 'in-addr\.arpa\. 3600 IN PTR out\.example\.net\.$'
check "  HELO SPF at out.example.net" has "$T_TMP/out" '^out\.example\.net\. 3600 IN TXT "v=spf1 '

# 3. Chroot: the socket file Postfix opens is not the one OpenDKIM makes.
r=$(root chroot)
run --root "$r" records
check "chroot: unix:/run/opendkim/opendkim.sock is named broken" \
    has "$T_TMP/err" 'main\.cf:54: postfix smtpd hands mail to unix:/run/opendkim/opendkim\.sock, which is the file /var/spool/postfix/run/opendkim/opendkim\.sock'
r=$(root linode)
run --root "$r" records
check "linode: the chroot-relative socket is not a problem" \
    sh -c '! grep -q "hands mail" "$1"' sh "$T_TMP/err"

# 4. Problems named.
r=$(root port-mismatch)
run --root "$r" records
check "port mismatch named with both ends" \
    has "$T_TMP/err" 'inet:localhost:8892, where nothing listens; opendkim listens on inet:8891@localhost'
r=$(root postfix-dkimproxy)
run --root "$r" --resolver 127.0.0.1:9 status
check "dkimproxy's relay goes to the master.cf listener it names" \
    has "$T_TMP/out" '^path +dkimproxy -> 127\.0\.0\.1:10028 -> postfix 127\.0\.0\.1:10028/inet +linked$'
r=$(root hypno-cat)
run --root "$r" --resolver 127.0.0.1:9 status
check "filter-rspamd is named as a signer notspam does not read" \
    has "$T_TMP/out" 'filter rspamd .*rspamd, a signer notspam does not read'
# ... and DMARC advice waits until signing is known: p=none is kept, the
# fix says what to confirm first (a zone of hypno.cat's records, p=none).
cat >"$T_TMP/hypno.cat.zone" <<'EOF'
$ORIGIN hypno.cat.
$TTL 3600
@ IN SOA ns1 hostmaster 1 3600 600 86400 300
@ IN NS ns1
ns1 IN A 203.0.113.53
@ IN MX 10 hypno.cat.
_dmarc IN TXT "v=DMARC1; p=none; rua=mailto:postmaster@hypno.cat"
EOF
run --root "$r" --zones "$T_TMP/hypno.cat.zone" check
check "  check: DMARC p=none is warn, signing unknown because rspamd signs" \
    has "$T_TMP/out" '^  WARN +dmarc .*whether mail is signed is unknown because rspamd \(/etc/mail/smtpd\.conf:22\) signs'
check "  its fix: keep p=none until DKIM passes, no record changed to p=quarantine" \
    sh -c "grep -q 'fix: keep p=none until mail from hypno.cat carries a valid DKIM signature' '$T_TMP/out' && ! grep -q 'p=quarantine;' '$T_TMP/out'"

# 5. The missing key at KeyFile; the placeholder Socket.
r=$(root opendkim-sample)
run --root "$r" records
check "opendkim-sample: missing key at the KeyFile line 250" \
    has "$T_TMP/err" 'opendkim\.conf:250: key file /var/db/dkim/example\.private does not exist'
check "  Socket inet:port@localhost flagged" \
    has "$T_TMP/err" 'opendkim\.conf:663: Socket: "port" is not a port'
check "  opendkim with a key and no MTA using it" \
    has "$T_TMP/err" 'opendkim has 1 key but no MTA hands it mail'
