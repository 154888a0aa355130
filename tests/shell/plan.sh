#!/bin/sh
# apply --dry-run: the plan for each combination on the stock configs
# (tests/fixtures/plan, copied verbatim from ../shared/corpus), the exact
# lines it edits, what the daemons' own checkers say of the edited files,
# and idempotence: the planned files written into a copy of the root plan
# nothing more.  Every run is on a temporary copy (keys are made there).
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
FIX=tests/fixtures/plan
PJ="$PY tests/shell/plan_json.py"
ZONES=$FIX/zones

# root NAME [FROM]: a copy of fixture FROM (default NAME) in $T_TMP/NAME.
root() {
	rm -rf "${T_TMP:?}/$1"
	cp -a "$FIX/${2:-$1}" "$T_TMP/$1"
	echo "$T_TMP/$1"
}

# plan ROOT [ARGS]: the plan as JSON in $T_TMP/plan.json, text in
# $T_TMP/plan.txt; $RC is the dry run's status.
plan() {
	_r=$1; shift
	run --root "$_r" --zones "$ZONES" --json apply --dry-run "$@"
	cp "$T_TMP/out" "$T_TMP/plan.json"
	_rc=$RC
	run --root "$_r" --zones "$ZONES" apply --dry-run "$@"
	cp "$T_TMP/out" "$T_TMP/plan.txt"
	RC=$_rc
}

# edit DESC PATH BEFORE AFTER [LINE]: the plan has exactly that edit.
edit() {
	_d=$1; shift
	if $PJ edit "$T_TMP/plan.json" "$@" >"$T_TMP/edit.out"; then ok "$_d"
	else not_ok "$_d"; sed 's/^/# /' "$T_TMP/edit.out"; fi
}

# idempotent NAME ROOT [ARGS]: write the plan into the root, plan again:
# nothing to do.
idempotent() {
	_n=$1; _r=$2; shift 2
	if ! $PJ write "$T_TMP/plan.json" "$_r" 2>"$T_TMP/write.err"; then
		not_ok "$_n: the planned diffs apply to the files as read"
		sed 's/^/# /' "$T_TMP/write.err"
		return
	fi
	ok "$_n: the planned diffs apply to the files as read"
	plan "$_r" "$@"
	check "$_n: planning again after writing the plan plans nothing (exit $RC)" \
	    [ "$RC" -eq 0 ]
	check "  $_n: and says so" has "$T_TMP/plan.txt" '^nothing to do'
	[ "$RC" -eq 0 ] || sed 's/^/# /' "$T_TMP/plan.txt" | head -n 20
}

# postconf_clean NAME DIR: postconf -n and -M on the directory warn of
# nothing.
postconf_clean() {
	postconf -c "$2" -n >/dev/null 2>"$T_TMP/pc.err"
	postconf -c "$2" -M >/dev/null 2>>"$T_TMP/pc.err"
	if [ -s "$T_TMP/pc.err" ]; then
		not_ok "$1: postconf -c DIR -n and -M warn of nothing"
		sed 's/^/# /' "$T_TMP/pc.err" | head -n 5
	else
		ok "$1: postconf -c DIR -n and -M warn of nothing"
	fi
}

# opendkim_ok NAME ROOT: the planned opendkim.conf, its absolute paths
# taken under the root, passes opendkim -n -x.
opendkim_ok() {
	sed "s#\\(KeyTable[[:space:]]*\\)/#\\1$2/#; s#\\(SigningTable[[:space:]]*refile:\\)/#\\1$2/#; s#\\(InternalHosts[[:space:]]*\\)/#\\1$2/#; s#\\(TrustAnchorFile[[:space:]]*\\)/.*#\\1$2/nonexistent#; /^TrustAnchorFile/d; /^Syslog/d" \
	    "$2/etc/opendkim.conf" >"$T_TMP/od-check.conf"
	if opendkim -n -x "$T_TMP/od-check.conf" >"$T_TMP/od.err" 2>&1; then
		ok "$1: the edited opendkim.conf passes opendkim -n -x"
	else
		not_ok "$1: the edited opendkim.conf passes opendkim -n -x"
		sed 's/^/# /' "$T_TMP/od.err" | head -n 5
	fi
}

# smtpd from the Debian opensmtpd package, extracted (never installed: it
# conflicts with postfix); empty when it cannot be had here.
SMTPD=
smtpd_extract() {
	_d=$NOTSPAM_TOP/build/debs
	[ -x "$_d/x/usr/sbin/smtpd" ] && { SMTPD=$_d/x/usr/sbin/smtpd; return; }
	mkdir -p "$_d"
	_deb=$(ls /var/cache/apt/archives/opensmtpd_*.deb 2>/dev/null | head -n 1)
	if [ -z "$_deb" ]; then
		(cd "$_d" && apt-get download opensmtpd >/dev/null 2>&1)
		_deb=$(ls "$_d"/opensmtpd_*.deb 2>/dev/null | head -n 1)
	fi
	[ -n "$_deb" ] && dpkg-deb -x "$_deb" "$_d/x" 2>/dev/null &&
	    [ -x "$_d/x/usr/sbin/smtpd" ] && SMTPD=$_d/x/usr/sbin/smtpd
}
smtpd_extract

# smtpd_ok NAME FILE [ROOT]: smtpd -n -f accepts it (lo0, OpenBSD's
# loopback, read as Linux's lo: Debian's smtpd refuses lo0; the file:
# tables it opens taken under ROOT).
smtpd_ok() {
	if [ -z "$SMTPD" ]; then
		skip "$1: smtpd -n -f accepts the edited smtpd.conf" \
		    "the Debian opensmtpd package could not be had here"
		return
	fi
	# The stock files' alias tables, empty, for the tables smtpd opens.
	if [ -n "${3:-}" ]; then
		mkdir -p "$3/etc/mail"
		[ -e "$3/etc/aliases" ] || : >"$3/etc/aliases"
		[ -e "$3/etc/mail/aliases" ] || : >"$3/etc/mail/aliases"
	fi
	sed "s/ on lo0 / on lo /; s#file:/#file:${3:-}/#g" "$2" \
	    >"$T_TMP/smtpd-check.conf"
	if "$SMTPD" -n -f "$T_TMP/smtpd-check.conf" >"$T_TMP/smtpd.err" 2>&1 &&
	    grep -q 'configuration OK' "$T_TMP/smtpd.err"; then
		ok "$1: smtpd -n -f accepts the edited smtpd.conf"
	else
		not_ok "$1: smtpd -n -f accepts the edited smtpd.conf"
		sed 's/^/# /' "$T_TMP/smtpd.err" | head -n 5
	fi
}

# keygen ROOT DOMAIN [ARGS]: a key for the plan to wire.
keygen() {
	_r=$1; shift
	"$NOTSPAM" --root "$_r" keygen "$@" >/dev/null 2>"$T_TMP/keygen.err" ||
	    { not_ok "keygen $*"; sed 's/^/# /' "$T_TMP/keygen.err"; }
}

# The selector keygen gave domain's newest key (from the state file).
selector() {
	awk -v d="$2" '$1 == d { s = $2 } END { print s }' \
	    "$1/var/lib/notspam/keys.state"
}

### 1. Postfix + OpenDKIM, Debian 12 stock (the Ubuntu guide's setup).
r=$(root deb12-opendkim)
keygen "$r" example.com
sel=$(selector "$r" example.com)
key=/etc/dkimkeys/example.com_$sel.private
plan "$r"
check "postfix+opendkim stock: changes pending, exit 1 (got $RC)" [ "$RC" -eq 1 ]
edit "  main.cf: smtpd_milters to OpenDKIM's TCP socket on 127.0.0.1" \
    /etc/postfix/main.cf - 'smtpd_milters = inet:127.0.0.1:8891' 48
edit "  main.cf: non_smtpd_milters = \$smtpd_milters (local mail signed)" \
    /etc/postfix/main.cf - 'non_smtpd_milters = $smtpd_milters' 48
edit "  main.cf: smtp_helo_name = the PTR name (mx.example.com)" \
    /etc/postfix/main.cf - 'smtp_helo_name = mx.example.com' 48
check "  main.cf: nothing else (3 edits)" \
    [ "$($PJ count "$T_TMP/plan.json" /etc/postfix/main.cf)" -eq 3 ]
edit "  opendkim.conf: Socket local:/run/... (unreachable from the chroot) -> inet:8891@127.0.0.1" \
    /etc/opendkim.conf 'Socket\t\t\tlocal:/run/opendkim/opendkim.sock' \
    'Socket\t\t\tinet:8891@127.0.0.1' 37
edit "  opendkim.conf: KeyTable added" /etc/opendkim.conf - \
    'KeyTable\t\t/etc/opendkim/key.table' 52
edit "  opendkim.conf: SigningTable refile: added" /etc/opendkim.conf - \
    'SigningTable\t\trefile:/etc/opendkim/signing.table' 52
edit "  opendkim.conf: InternalHosts covering mynetworks, 127.0.0.1 and ::1" \
    /etc/opendkim.conf - 'InternalHosts\t\t127.0.0.0/8, ::ffff:127.0.0.0/104, ::1/128' 52
check "  opendkim.conf: Canonicalization (relaxed/simple) and UMask left alone" \
    [ "$($PJ count "$T_TMP/plan.json" /etc/opendkim.conf)" -eq 4 ]
edit "  key.table: the domain's own key and d=" /etc/opendkim/key.table - \
    "$sel._domainkey.example.com example.com:$sel:$key" 1
edit "  signing.table: *@example.com names it" /etc/opendkim/signing.table - \
    "*@example.com $sel._domainkey.example.com" 1
edit "  /etc/default/opendkim: SOCKET agrees" /etc/default/opendkim \
    'SOCKET=local:$RUNDIR/opendkim.sock' 'SOCKET=inet:8891@127.0.0.1' 20
check "  the text names each file and reason" has "$T_TMP/plan.txt" \
    '^line 37: Postfix.s smtpd runs chrooted in /var/spool/postfix \(/etc/postfix/master.cf:12\)'
check "  the IPv6 fallback is offered, not planned" has "$T_TMP/plan.txt" \
    '^offered  smtp_address_preference = ipv4 \(to apply it, set "ipv6_fallback = ipv4"'
check "  the checkers are named" has "$T_TMP/plan.txt" '^check    /usr/sbin/opendkim -n -x /etc/opendkim.conf$'
check "  the new key is not published yet: said" has "$T_TMP/plan.txt" 'publish its record first'
idempotent "postfix+opendkim stock" "$r"
postconf_clean "postfix+opendkim stock" "$r/etc/postfix"
opendkim_ok "postfix+opendkim stock" "$r"

# A second domain: its own KeyTable line, d= and SigningTable line.
r=$(root deb12-opendkim-2 deb12-opendkim)
printf 'domains = example.net\n' >>"$r/etc/notspam/notspam.conf"
keygen "$r" example.com
keygen "$r" example.net
s2=$(selector "$r" example.net)
plan "$r"
edit "two domains: example.net has its own key line" /etc/opendkim/key.table - \
    "$s2._domainkey.example.net example.net:$s2:/etc/dkimkeys/example.net_$s2.private"
edit "  and its own SigningTable line" /etc/opendkim/signing.table - \
    "*@example.net $s2._domainkey.example.net"
idempotent "two domains" "$r"

# A wildcard that signs every domain with one key comes after the
# domains' own lines (refile: the first match wins).
r2=$(root wildcard deb12-opendkim)
keygen "$r2" example.com
s1=$(selector "$r2" example.com)
mkdir -p "$r2/etc/opendkim"
printf 'KeyTable /etc/opendkim/key.table\nSigningTable refile:/etc/opendkim/signing.table\n' \
    >>"$r2/etc/opendkim.conf"
printf 'one example.org:s:/etc/dkimkeys/example.com_%s.private\n' "$s1" \
    >"$r2/etc/opendkim/key.table"
printf '* one\n' >"$r2/etc/opendkim/signing.table"
plan "$r2"
edit "a catch-all with another domain's d=: the domain's own line goes before it" \
    /etc/opendkim/signing.table - "*@example.com $s1._domainkey.example.com" 1
check "  the reason says what it replaces" has "$T_TMP/plan.txt" \
    "before line 1, which would catch it first.*replaces one, which signed example.com's mail with d=example.org"
idempotent "catch-all" "$r2"

# milter_socket = unix: a socket under the queue directory (smtpd is
# chrooted), UMask kept at 007, Postfix in the group, the directory.
r=$(root unix deb12-opendkim)
printf 'milter_socket = unix\n' >>"$r/etc/notspam/notspam.conf"
printf 'opendkim:x:120:\npostfix:x:121:\n' >"$r/etc/group"
keygen "$r" example.com
plan "$r"
edit "unix socket: OpenDKIM listens under the queue directory" /etc/opendkim.conf \
    'Socket\t\t\tlocal:/run/opendkim/opendkim.sock' \
    'Socket\t\t\tlocal:/var/spool/postfix/opendkim/opendkim.sock' 37
edit "  smtpd_milters names it relative to the chroot" /etc/postfix/main.cf - \
    'smtpd_milters = unix:opendkim/opendkim.sock'
check "  Postfix's user joins OpenDKIM's group (a step)" has "$T_TMP/plan.txt" \
    '^step     usermod -a -G opendkim postfix: '
check "  the socket directory is made (a step)" has "$T_TMP/plan.txt" \
    '^step     install -d -o opendkim -g opendkim -m 0750 /var/spool/postfix/opendkim: '
check "  Postfix is restarted, not reloaded, to take the group" has "$T_TMP/plan.txt" \
    '^then     restart postfix|^then     .*postfix.* restart'
idempotent "unix socket" "$r"

# A socket that works (the Linode guide's, under the spool) is kept; its
# directory made searchable by the group when it is not.
r=$(root linode ../sites/corpus-linode)
mkdir -p "$r/var/spool/postfix/opendkim"
chmod 0700 "$r/var/spool/postfix/opendkim"
plan "$r"
check "linode: the socket under the spool is kept" sh -c \
    '! grep -q "^line .*Socket\|^+Socket" "$1"' sh "$T_TMP/plan.txt"
check "  the directory becomes searchable by the group (a step)" has "$T_TMP/plan.txt" \
    '^step     chmod g\+x /var/spool/postfix/opendkim: .*\(mode 0700\)'

# Settings: milter_default_action, ipv6_fallback applied when asked.
r=$(root settings deb12-opendkim)
printf 'milter_default_action = reject\nipv6_fallback = ipv4\n' >>"$r/etc/notspam/notspam.conf"
keygen "$r" example.com
plan "$r"
edit "milter_default_action = reject from notspam.conf" /etc/postfix/main.cf - \
    'milter_default_action = reject'
edit "ipv6_fallback = ipv4: smtp_address_preference = ipv4" /etc/postfix/main.cf - \
    'smtp_address_preference = ipv4'
check "  and it is no longer only offered" sh -c '! grep -q "^offered" "$1"' sh "$T_TMP/plan.txt"
idempotent "settings" "$r"

### 2. The demo: the [::1] milter and accept.
r=$(sandbox demo)
plan "$r"
edit "demo: the milter at [::1] while OpenDKIM listens on IPv4 only" \
    /etc/postfix/main.cf 'smtpd_milters = inet:[::1]:12345' \
    'smtpd_milters = inet:127.0.0.1:12345' 58
edit "  milter_default_action accept -> tempfail" /etc/postfix/main.cf \
    'milter_default_action = accept' 'milter_default_action = tempfail' 56
check "  the reason says what accept did" has "$T_TMP/plan.txt" \
    '^line 56: replaces accept, with which a milter that does not answer lets mail leave unsigned'
edit "  dkimproxy: the DomainKeys signature goes" /etc/dkimproxy_out.conf \
    'signature domainkeys(c=nofws)' - 12
idempotent "demo" "$r"

### 3. OpenSMTPD + filter-dkimsign, Debian 12 stock smtpd.conf.
r=$(root dkimsign deb12-opensmtpd)
printf 'signer = filter-dkimsign\ndomains = example.com example.net\n' \
    >>"$r/etc/notspam/notspam.conf"
keygen "$r" example.com --signer filter-dkimsign
sel=$(selector "$r" example.com)
plan "$r"
check "opensmtpd+filter-dkimsign: changes pending (exit $RC)" [ "$RC" -eq 1 ]
edit "  the filter, one -d per domain, before the listeners" /etc/smtpd.conf - \
    "filter \"dkimsign\" proc-exec \"filter-dkimsign -d example.com -d example.net -s $sel -k /etc/mail/dkim/example.com_$sel.key\" user _dkimsign group _dkimsign" 10
edit "  listen on socket uses it (local mail)" /etc/smtpd.conf - \
    'listen on socket filter "dkimsign"' 10
edit "  listen on localhost uses it" /etc/smtpd.conf 'listen on localhost' \
    'listen on localhost filter "dkimsign"' 10
check "  one key for all domains: said" has "$T_TMP/plan.txt" \
    '^note     filter-dkimsign signs every domain with one key, .*publish that record under every domain \(example.com, example.net\)'
check "  the key readable by _dkimsign only (steps)" has "$T_TMP/plan.txt" \
    "^step     chmod 0400 /etc/mail/dkim/example.com_$sel.key"
rm -rf "$T_TMP/dkimsign-check"; cp -a "$r" "$T_TMP/dkimsign-check"
$PJ write "$T_TMP/plan.json" "$T_TMP/dkimsign-check"
smtpd_ok "opensmtpd+filter-dkimsign" "$T_TMP/dkimsign-check/etc/smtpd.conf" \
    "$T_TMP/dkimsign-check"
idempotent "opensmtpd+filter-dkimsign" "$r"

### 4. OpenSMTPD + dkimproxy: Debian's smtpd.conf (Linux) and OpenBSD's.
for os in debian openbsd; do
	if [ $os = debian ]; then
		r=$(root dp-$os deb12-opensmtpd); conf=/etc/smtpd.conf; lo=127.0.0.1
	else
		r=$(root dp-$os openbsd-smtpd); conf=/etc/mail/smtpd.conf; lo=lo0
		mkdir -p "$r/usr/sbin"; : >"$r/usr/sbin/rcctl"
	fi
	cp "$FIX/postfix-dkimproxy/etc/dkimproxy_out.conf" "$r/etc/"
	printf 'domains = example.com\n' >>"$r/etc/notspam/notspam.conf"
	keygen "$r" example.com --signer dkimproxy
	sel=$(selector "$r" example.com)
	plan "$r"
	edit "opensmtpd+dkimproxy ($os): the way back, listen on $lo port 10028 tag DKIM" \
	    $conf - "listen on $lo port 10028 tag DKIM"
	edit "  ($os) action dkimproxy relay host smtp://127.0.0.1:10027" $conf - \
	    'action "dkimproxy" relay host smtp://127.0.0.1:10027'
	check "  ($os) match tag DKIM for any action relay, before the untagged matches" \
	    sh -c 'grep -n "^+match" "$1" | head -n 1 | grep -q "tag DKIM for any action \"relay\""' \
	    sh "$T_TMP/plan.txt"
	edit "  ($os) dkimproxy_out.conf: no domainkeys line" /etc/dkimproxy_out.conf \
	    'signature domainkeys(c=nofws)' -
	edit "  ($os) dkimproxy_out.conf: the key, absolute" /etc/dkimproxy_out.conf \
	    'keyfile   private.key' "keyfile   /etc/mail/dkim/example.com_$sel.key"
	check "  ($os) dkimproxy_out.conf passes dkimproxy's grammar (no warning)" \
	    sh -c '! grep -q "^warning" "$1"' sh "$T_TMP/plan.txt"
	$PJ write "$T_TMP/plan.json" "$r" 2>/dev/null
	smtpd_ok "opensmtpd+dkimproxy ($os)" "$r$conf" "$r"
	plan "$r"
	check "  ($os) planning again after writing the plan plans nothing (exit $RC)" [ "$RC" -eq 0 ]
done
r=$(root dp-match deb12-opensmtpd)
cp "$FIX/postfix-dkimproxy/etc/dkimproxy_out.conf" "$r/etc/"
printf 'domains = example.com\n' >>"$r/etc/notspam/notspam.conf"
keygen "$r" example.com --signer dkimproxy
plan "$r"
edit "opensmtpd+dkimproxy: the relay match now goes to dkimproxy" /etc/smtpd.conf \
    'match from local for any action "relay"' \
    'match from local for any action "dkimproxy"' 19
edit "  and the tagged match comes before it" /etc/smtpd.conf - \
    'match tag DKIM for any action "relay"' 19
edit "  the outbound relay says the PTR name in HELO" /etc/smtpd.conf \
    'action "relay" relay' 'action "relay" relay helo mx.example.com' 13

### 5. Postfix + dkimproxy, Debian 12 stock Postfix.
r=$(root pdp deb12-postfix)
cp "$FIX/postfix-dkimproxy/etc/dkimproxy_out.conf" "$r/etc/"
keygen "$r" example.com --signer dkimproxy
plan "$r"
edit "postfix+dkimproxy: pickup hands local mail to dksign" /etc/postfix/master.cf \
    - '  -o content_filter=dksign:[127.0.0.1]:10027' 54
check "  the dksign transport is added" has "$T_TMP/plan.txt" \
    '^\+dksign    unix  -       -       n       -       10      smtp$'
check "  the re-injection listener on 127.0.0.1:10028 is added" has "$T_TMP/plan.txt" \
    '^\+127\.0\.0\.1:10028 inet  n       -       n       -       10      smtpd$'
check "  no submission service: said" has "$T_TMP/plan.txt" '^note     master.cf has no submission service'
idempotent "postfix+dkimproxy" "$r"
postconf_clean "postfix+dkimproxy" "$r/etc/postfix"

### The corpus's broken wirings, and idempotence on every corpus root.
r=$(root chroot ../sites/corpus-chroot)
plan "$r"
edit "chroot: the milter at /run/opendkim from a chrooted smtpd goes to TCP" \
    /etc/postfix/main.cf 'smtpd_milters = unix:/run/opendkim/opendkim.sock' \
    'smtpd_milters = inet:127.0.0.1:8891' 54
check "  the reason is the chroot, and what the site saw" has "$T_TMP/plan.txt" \
    '^line 54: Postfix.s smtpd .*replaces unix:/run/opendkim/opendkim.sock: it opens /var/spool/postfix/run/opendkim/opendkim.sock'
check "  cleanup's reason names cleanup" has "$T_TMP/plan.txt" \
    '^line 55: Postfix.s cleanup .*it opens /var/spool/postfix/run/opendkim/opendkim.sock'
r=$(root port ../sites/corpus-port-mismatch)
plan "$r"
edit "port mismatch: the lone milter where nothing listens is replaced, not kept" \
    /etc/postfix/main.cf 'smtpd_milters = inet:localhost:8892' \
    'smtpd_milters = inet:127.0.0.1:8891' 51
for d in tests/fixtures/sites/corpus-*; do
	n=${d#tests/fixtures/sites/}
	r=$(root "i-$n" "../sites/$n")
	plan "$r"
	case $RC in 0|1) ;; *) not_ok "$n: apply --dry-run exits 0 or 1 (got $RC)"; continue ;; esac
	$PJ write "$T_TMP/plan.json" "$r" 2>"$T_TMP/w.err" ||
	    { not_ok "$n: the planned diffs apply"; continue; }
	plan "$r"
	check "$n: planning again after writing the plan plans nothing (exit $RC)" \
	    [ "$RC" -eq 0 ]
done

### 6. Signers notspam does not manage, keys in SQL: no plan, the reason.
for c in mailcow:rspamd hypno-cat:rspamd iredmail:amavisd modoboa:database; do
	n=${c%%:*}; why=${c#*:}
	r=$(root "u-$n" "../sites/corpus-$n")
	plan "$r"
	check "$n: no plan, exit 0 (got $RC)" [ "$RC" -eq 0 ]
	check "  $n: the reason names $why" has "$T_TMP/plan.txt" "^no plan .*$why"
	check "  $n: no file is planned" [ -z "$($PJ files "$T_TMP/plan.json")" ]
	check "  $n: and no second signer is added" has "$T_TMP/plan.txt" \
	    'no second signer|notspam does not edit it'
done

### 7. The command line.
r=$(root cli deb12-opendkim)
keygen "$r" example.com
plan "$r" --only postfix
check "--only postfix: only Postfix's files" \
    [ "$($PJ files "$T_TMP/plan.json" | tr '\n' ' ')" = "/etc/postfix/main.cf " ]
check "  and the others it leaves out are said" has "$T_TMP/plan.txt" \
    '^note     --only postfix leaves out 4 other files'
run --root "$r" apply --dry-run --only nosuch
check "--only with an unknown program: usage, 64 (got $RC)" [ "$RC" -eq 64 ]
run --root "$r" apply </dev/null
check "apply without --dry-run, --yes or a terminal: 64 (got $RC)" [ "$RC" -eq 64 ]
run --root "$r" apply --dry-run --bogus
check "an unknown option: 64 (got $RC)" [ "$RC" -eq 64 ]
plan "$r"
check "--json: files with edits, file/line/before/after/reason, diff" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["files"] if x["path"] == "/etc/postfix/main.cf"][0]
e = f["edits"][0]
assert set(e) >= {"file", "line", "before", "after", "reason"}, e
assert f["diff"].startswith("--- a/etc/postfix/main.cf\n+++ b/etc/postfix/main.cf\n")
assert d["checks"] and d["reloads"] and d["offers"]
' "$T_TMP/plan.json"
check "--help lists apply" sh -c '"$1" --help | grep -q "^  apply \\[--dry-run | --yes\\]"' sh "$NOTSPAM"
