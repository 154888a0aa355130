#!/bin/sh
# Journey 2 of the guided setup, the OpenBSD guide's server: the setup's
# screens driven in tmux at 80x24 under --root on a copy of an
# OpenBSD-shaped root (tests/fixtures/setup-openbsd: the base system's
# smtpd.conf, rcctl, the dkimproxy package added but not configured, no
# signer wired) in zone-file mode (--zones).
# Run 1, dkimproxy: detect says OpenBSD and offers the stacks (dkimproxy
# installed, filter-dkimsign with its pkg_add command); dkimproxy chosen
# (the settings file's signer), two domains added, their keys made, the
# configs applied: a dkimproxy_out.conf written where there was none (and
# its sender map), smtpd.conf wired the OpenBSD guide's way (listen on lo0
# port 10028 tag DKIM, the relay to 127.0.0.1:10027, the tagged match
# first), rcctl enable and start and the keys' owner as plan steps.  The
# smtpd.conf is accepted by Debian's smtpd -n -f (lo0 read as Linux's lo;
# the file unchanged refused, as lo0 is no Linux interface), the
# dkimproxy_out.conf passes notspam's dkimproxy grammar check (a bad
# method in a copy does not) and tests/stack/dkimrelay.pl's reading of it
# (Mail::DKIM, as dkimproxy.out reads it).  The package's own sample copy
# (pkg_add's @sample at /etc/dkimproxy_out.conf) is planned too: its
# placeholder domain replaced.
# Run 2, filter-dkimsign: refused until "installed" (pkg_add's files laid
# in the root, then r), chosen, the same identity and keys, applied, the
# records exported from the DNS step; then the produced smtpd.conf, its
# key (the plan's own chown/chmod steps run on it) and the exported
# records go into a private mount, PID and network namespace where Debian's
# real smtpd and filter-dkimsign run it (tests/stack/smtpd_pkg.sh: the
# packages from build/debs/ laid over /usr, nothing installed on the host),
# relaying to an SMTP sink: a message per domain over SMTP and one through
# sendmail arrive signed with their domain's d=, verified by dkimpy
# against an unbound serving the exported records.  The real-daemon checks
# are skipped, with the reason, only when the packages (or root, unshare,
# unbound, dkimpy) cannot be had here.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
TM_NAME=notspam-setup-obsd
. "$NOTSPAM_TOP/tests/tmux.sh"
. "$NOTSPAM_TOP/tests/stack/smtpd_pkg.sh"

# Time limits, in seconds (tenths for wait_for).
T_KEYS=300	# wait_for tenths: two RSA keys made (ASan is slow)
T_APPLY=100	# wait_for tenths: the console's apply under --root
T_NS=120	# the namespace run, all of it
T_START=5	# a daemon to listen after its start
T_MAIL=20	# the messages to reach the sink

if ! command -v tmux >/dev/null 2>&1; then
	skip "the setup's screens on an OpenBSD root" "tmux is not installed"
	echo "1..$T_N"
	exit 0
fi

fix=$NOTSPAM_TOP/tests/fixtures/setup-openbsd
zones=$T_TMP/zones
mkdir -p "$zones"
sel=$(date +%Y%m)

# A zone with nothing but its SOA and NS (the records are added to it).
soa() {
	printf '$ORIGIN %s.\n$TTL 3600\n' "$1"
	printf '@ IN SOA ns1.example.com. hostmaster.example.com. ( 1 3600 600 1209600 60 )\n'
	printf '@ IN NS ns1.example.com.\n'
}
soa example.com >"$zones/example.com.zone"
echo 'ns1 IN A 192.0.2.53' >>"$zones/example.com.zone"

# copy NAME: a fresh copy of the fixture, its path on stdout.
copy() {
	rm -rf "${T_TMP:?}/$1"
	cp -a "$fix" "$T_TMP/$1"
	chmod -R u+w "$T_TMP/$1"
	echo "$T_TMP/$1"
}
start() {
	tm_start 80 24 "cd $T_TMP && env TERM=xterm-256color LANG=C.UTF-8 $NOTSPAM --root $1 --zones $zones setup --watch-interval 1 2>>$T_TMP/stderr"
}
key() { $TM send-keys -t c "$@"; }
# capture NAME: the screen now, kept with SETUP_OBSD_KEEP=DIR (for notes).
capture() {
	[ -n "${SETUP_OBSD_KEEP:-}" ] || return 0
	mkdir -p "$SETUP_OBSD_KEEP"
	screen >"$SETUP_OBSD_KEEP/$1.txt"
}
# plan ROOT NAME: apply --dry-run on the root (read only), its text in
# $T_TMP/NAME.plan.
plan() {
	run --root "$1" --zones "$zones" apply --dry-run
	cp "$T_TMP/out" "$T_TMP/$2.plan"
	cat "$T_TMP/err" >>"$T_TMP/$2.plan"
}
# planned NAME LINE: the plan's text has that line (fixed string).
planned() { grep -qxF -- "$2" "$T_TMP/$1.plan"; }
# identity_and_keys ROOT KEYFILE: from the identity step, the two domains
# added, on to the keys, both made, on to the configs.
identity_and_keys() {
	check "  the host name from /etc/myname" wait_for 'Host name +> mail\.example\.com'
	check "  smtpd.conf names no domain: none from the configs" \
	    sh -c "! $TM capture-pane -p -t c | grep -q 'from the configs'"
	for d in example.com example.org; do
		key a
		wait_for 'add a domain or a public address:' >/dev/null
		key "$d" Enter
		check "  a: $d added" wait_for "$d +added"
	done
	key n
	check "n: step 3, keys" wait_for 'Step 3 of 6: Keys'
	check "  the settings file: the two domains" \
	    grep -qx 'domains = example.com example.org' "$1/etc/notspam/notspam.conf"
	check "  a key to make per domain, where $2 keeps them" \
	    wait_for "/etc/mail/dkim/example\\.org_$sel\\.key"
	key g
	check "g: both keys made" wait_for "example\\.org +$sel +rsa 2048 +made" "$T_KEYS"
	wait_for "example\\.com +$sel +rsa 2048 +made" "$T_KEYS" >/dev/null
	for d in example.com example.org; do
		check "  $d's key under the root, 0600" \
		    [ "$(stat -c %a "$1/etc/mail/dkim/${d}_$sel.key" 2>/dev/null)" = 600 ]
	done
	capture "$2-3-keys"
	key n
	check "n: step 4, configs" wait_for 'Step 4 of 6: Configs'
}
# apply_configs N: Enter, A, y: N files written under --root.
apply_configs() {
	check "  the plan: $1 file(s) to change" wait_for "apply's plan: $1 files? to change"
	key Enter
	check "Enter: the Configs screen" wait_for '^ Configs +changes pending'
	key A
	check "  A asks first" wait_for "Write these? ($1 )?files? under --root"
	key y
	check "  y: applied, with a backup" \
	    wait_for "applied: $1 files? written, backup [0-9]{8}T[0-9]{6}Z" "$T_APPLY"
	key Escape
	check "Esc: back on the setup, in sync" wait_for 'in sync: the configuration is what the'
	capture "configs-applied-$1"
}
# smtpd_n FILE ROOT: Debian's smtpd -n -f on FILE's copy with its file:
# tables under ROOT and lo0 (OpenBSD's loopback) read as Linux's lo;
# status 0 when it says "configuration OK".  The output in $T_TMP/smtpd-n.
smtpd_n() {
	sed "s/ on lo0\$/ on lo/; s/ on lo0 / on lo /; s#file:/#file:$2/#g" "$1" \
	    >"$T_TMP/smtpd-n.conf"
	"$SMTPD" -n -f "$T_TMP/smtpd-n.conf" >"$T_TMP/smtpd-n" 2>&1 &&
	    grep -qx 'configuration OK' "$T_TMP/smtpd-n"
}

# Debian's OpenSMTPD, for smtpd -n and the real run.
PKG=$T_TMP/pkg
SMTPD=
pkg_why=
if [ "$(id -u)" -ne 0 ]; then pkg_why="not root (the packages are laid over /usr in a namespace)"
elif ! command -v unshare >/dev/null 2>&1; then pkg_why="unshare is missing"
elif smtpd_pkg "$PKG"; then SMTPD=$PKG/usr/sbin/smtpd
else pkg_why=$SMTPD_PKG_WHY
fi

# ======================================================================
# Run 1: dkimproxy.
r=$(copy r1)
state=$r/var/lib/notspam/setup.state
conf=$r/etc/notspam/notspam.conf
start "$r"
check "run 1: the first run opens on the setup" wait_for 'Step 1 of 6: What runs here'
check "  the system: OpenBSD (rcctl)" wait_for 'System +OpenBSD'
check "  the MTA: opensmtpd, OpenBSD's smtpd.conf" wait_for '│ +/etc/mail/smtpd\.conf$'
check "  no signer wired: the stacks to choose from" wait_for 'Signer +none found: choose one below'
check "  filter-dkimsign, to install" wait_for '> OpenSMTPD \+ filter-dkimsign +to install'
check "  with OpenBSD's package command" wait_for '│ +pkg_add opensmtpd-filter-dkimsign$'
check "  dkimproxy: installed (pkg_add dkimproxy's files)" \
    wait_for '│   OpenSMTPD \+ dkimproxy +installed$'
check "  no Debian note here" sh -c "! $TM capture-pane -p -t c | grep -q 'Debian'"
check "  80 columns: no line wider" sh -c "! $TM capture-pane -p -t c | awk 'length > 80' | grep -q ."
capture 1-detect
key Down
check "Down: dkimproxy, everything here" wait_for 'Everything it needs is here'
capture 1-detect-dkimproxy
key n
check "n: step 2, identity" wait_for 'Step 2 of 6: Identity'
check "  the choice in the settings file" grep -qx 'signer = dkimproxy' "$conf"
check "  and in setup.state" grep -qx 'stack opensmtpd dkimproxy' "$state"
identity_and_keys "$r" dkimproxy
check "  no signer file written before the confirmation" \
    sh -c "[ ! -e '$r/etc/dkimproxy_out.conf' ] && cmp -s '$fix/etc/mail/smtpd.conf' '$r/etc/mail/smtpd.conf'"

# The plan the screen applies, read beside it.
plan "$r" p1
check "the plan: a new dkimproxy_out.conf" \
    grep -q '^== /etc/dkimproxy_out.conf (dkimproxy, new file, ' "$T_TMP/p1.plan"
check "  rcctl enable dkimproxy_out, a step" \
    grep -q '^step     /usr/sbin/rcctl enable dkimproxy_out: ' "$T_TMP/p1.plan"
check "  then rcctl start dkimproxy_out (new: it does not run)" \
    planned p1 'then     /usr/sbin/rcctl start dkimproxy_out'
for d in example.com example.org; do
	check "  $d's key given to _dkimproxy (the rc.d script's --user)" \
	    grep -q "^step     chown _dkimproxy:_dkimproxy /etc/mail/dkim/${d}_$sel.key: " "$T_TMP/p1.plan"
done
check "  no warning" sh -c "! grep -q '^warning' '$T_TMP/p1.plan'"

apply_configs 3
o=$r/etc/dkimproxy_out.conf
check "dkimproxy_out.conf written, 0644" [ "$(stat -c %a "$o" 2>/dev/null)" = 644 ]
check "  listen 127.0.0.1:10027" grep -qx 'listen 127.0.0.1:10027' "$o"
check "  relay 127.0.0.1:10028" grep -qx 'relay 127.0.0.1:10028' "$o"
check "  domain example.com,example.org" grep -qx 'domain example.com,example.org' "$o"
check "  signature dkim(c=relaxed,a=rsa-sha256)" grep -qx 'signature dkim(c=relaxed,a=rsa-sha256)' "$o"
check "  keyfile and selector: example.com's key" sh -c "
    grep -qx 'keyfile /etc/mail/dkim/example.com_$sel.key' '$o' &&
    grep -qx 'selector $sel' '$o'"
check "  example.org's key in the sender map" \
    grep -qx "example.org dkim(c=relaxed,a=rsa-sha256,d=example.org,s=$sel,key=/etc/mail/dkim/example.org_$sel.key)" \
    "$r/etc/dkimproxy_sender_map"
s=$r/etc/mail/smtpd.conf
check "smtpd.conf: listen on lo0 port 10028 tag DKIM (the way back)" \
    grep -qx 'listen on lo0 port 10028 tag DKIM' "$s"
check "  action \"dkimproxy\" relay host smtp://127.0.0.1:10027" \
    grep -qx 'action "dkimproxy" relay host smtp://127.0.0.1:10027' "$s"
tag=$(grep -nx 'match tag DKIM for any action "outbound"' "$s" | cut -d: -f1)
out=$(grep -nx 'match from local for any action "dkimproxy"' "$s" | cut -d: -f1)
check "  the tagged match (line ${tag:-none}) before the outbound mail's, to dkimproxy now (line ${out:-none})" \
    [ "${tag:-0}" -gt 0 -a "${tag:-0}" -lt "${out:-0}" ]
check "  the stock lines kept (listen on socket, local_mail)" sh -c "
    grep -qx 'listen on socket' '$s' && grep -qx 'listen on lo0' '$s' &&
    grep -qx 'action \"local_mail\" mbox alias <aliases>' '$s'"
cp "$s" "$T_TMP/r1.smtpd.conf"
cp "$o" "$T_TMP/r1.dkimproxy_out.conf"
if [ -n "$SMTPD" ]; then
	smtpd_n "$s" "$r"
	check "smtpd -n -f accepts the produced smtpd.conf, lo0 as lo ($(head -n 1 "$T_TMP/smtpd-n"))" \
	    grep -qx 'configuration OK' "$T_TMP/smtpd-n"
	sed "s#file:/#file:$r/#g" "$s" >"$T_TMP/lo0.conf"
	"$SMTPD" -n -f "$T_TMP/lo0.conf" >"$T_TMP/lo0.out" 2>&1
	check "  as written (lo0), Linux's smtpd refuses it: the rewrite is needed ($(head -n 1 "$T_TMP/lo0.out"))" \
	    sh -c "! grep -qx 'configuration OK' '$T_TMP/lo0.out'"
else
	skip "smtpd -n -f accepts the produced smtpd.conf" "$pkg_why"
fi

# notspam's dkimproxy grammar check: the planned file passes; a method
# dkimproxy does not take is a warning.
plan "$r" p1again
check "planning again: nothing to do" grep -q '^nothing to do' "$T_TMP/p1again.plan"
check "  dkimproxy_out.conf passes notspam's dkimproxy grammar check (no warning)" \
    sh -c "! grep -q '^warning' '$T_TMP/p1again.plan'"
g=$T_TMP/r1-grammar
cp -a "$r" "$g"
sed -i 's/^signature dkim(c=relaxed,a=rsa-sha256)$/signature dkim(c=relaxed\/simple,a=rsa-sha256)/' \
    "$g/etc/dkimproxy_out.conf"
plan "$g" grammar
check "  the check can fail: a method dkimproxy does not take is a warning" \
    grep -q '^warning  /etc/dkimproxy_out.conf:[0-9]*: signature method relaxed/simple: dkimproxy takes simple, relaxed or nowsp' \
    "$T_TMP/grammar.plan"
if perl -MMail::DKIM::Signer -e 1 2>/dev/null; then
	sed "s#/etc/#$r/etc/#g" "$o" >"$T_TMP/dp-check.conf"
	sed "s#/etc/#$r/etc/#g" "$r/etc/dkimproxy_sender_map" >"$r/etc/dkimproxy_sender_map.check"
	sed -i "s#$r/etc/dkimproxy_sender_map#$r/etc/dkimproxy_sender_map.check#" "$T_TMP/dp-check.conf"
	perl tests/stack/dkimrelay.pl --check "$T_TMP/dp-check.conf" >"$T_TMP/dp-check.out" 2>&1
	check "  read as dkimproxy.out reads it (dkimrelay.pl: $(head -n 1 "$T_TMP/dp-check.out"))" \
	    grep -q ': OK$' "$T_TMP/dp-check.out"
else
	skip "dkimproxy_out.conf read as dkimproxy.out reads it" "libmail-dkim-perl is missing"
fi
key q
check "q: the dashboard" wait_for 'c configs  w setup'
key q
check "  q quits with 0" wait_for '^EXITED 0'

# pkg_add's @sample: the example copied to /etc/dkimproxy_out.conf as is.
p=$(copy sample)
cp "$p/usr/local/share/examples/dkimproxy/dkimproxy_out.conf.example" "$p/etc/dkimproxy_out.conf"
printf 'signer = dkimproxy\ndomains = example.com\n' >>"$p/etc/notspam/notspam.conf"
run --root "$p" keygen example.com --signer dkimproxy
plan "$p" sample
check "the package's sample copy: its placeholder domain replaced" \
    grep -q '^line 8: dkimproxy signs only the sender domains listed here: every domain of the site; replaces example.org, the package example.s$' \
    "$T_TMP/sample.plan"
check "  domain example.com, alone" grep -q '^+domain    example.com$' "$T_TMP/sample.plan"
check "  its DomainKeys signature removed, its relative keyfile replaced" sh -c "
    grep -q '^-signature domainkeys(c=nofws)' '$T_TMP/sample.plan' &&
    grep -q '^+keyfile   /etc/mail/dkim/example.com_$sel.key' '$T_TMP/sample.plan'"
check "  restarted, not started (the file was there)" \
    planned sample 'then     /usr/sbin/rcctl restart dkimproxy_out'

# ======================================================================
# Run 2: filter-dkimsign.
r=$(copy r2)
state=$r/var/lib/notspam/setup.state
conf=$r/etc/notspam/notspam.conf
start "$r"
check "run 2: the setup at step 1" wait_for 'Step 1 of 6: What runs here'
check "  filter-dkimsign, to install" wait_for '> OpenSMTPD \+ filter-dkimsign +to install'
key n
check "  n: install it first, the command again" \
    wait_for 'install it first: pkg_add opensmtpd-filter-dkimsign'
check "  nothing written" sh -c "[ ! -e '$state' ] && ! grep -q '^signer' '$conf'"
# What pkg_add opensmtpd-filter-dkimsign installs (its PLIST): the filter
# and /etc/mail/dkim (0770 _dkimsign, as a @sample directory).
mkdir -p "$r/usr/local/libexec/smtpd" "$r/etc/mail/dkim"
printf '#!/bin/sh\n# stand-in for filter-dkimsign (never run)\nexit 1\n' \
    >"$r/usr/local/libexec/smtpd/filter-dkimsign"
chmod 755 "$r/usr/local/libexec/smtpd/filter-dkimsign"
chmod 770 "$r/etc/mail/dkim"
key r
check "r: looked again, installed now" wait_for '> OpenSMTPD \+ filter-dkimsign +installed'
key n
check "n: step 2, identity" wait_for 'Step 2 of 6: Identity'
check "  the choice in the settings file" grep -qx 'signer = filter-dkimsign' "$conf"
check "  and in setup.state" grep -qx 'stack opensmtpd filter-dkimsign' "$state"
identity_and_keys "$r" filter-dkimsign
plan "$r" p2
filter="filter \"dkimsign\" proc-exec \"filter-dkimsign -d example.com -d example.org -s $sel -k /etc/mail/dkim/example.com_$sel.key\" user _dkimsign group _dkimsign"
check "the plan: the filter, one -d per domain" grep -qxF -- "+$filter" "$T_TMP/p2.plan"
k=/etc/mail/dkim/example.com_$sel.key
check "  the key given to _dkimsign, 0400 (steps)" sh -c "
    grep -q '^step     chown _dkimsign:_dkimsign $k: ' '$T_TMP/p2.plan' &&
    grep -q '^step     chmod 0400 $k: ' '$T_TMP/p2.plan'"
check "  no dkimproxy file" sh -c "! grep -q dkimproxy_out '$T_TMP/p2.plan'"
apply_configs 1
s=$r/etc/mail/smtpd.conf
check "smtpd.conf: the filter statement" grep -qxF -- "$filter" "$s"
check "  listen on socket and on lo0 use it" sh -c "
    grep -qx 'listen on socket filter \"dkimsign\"' '$s' &&
    grep -qx 'listen on lo0 filter \"dkimsign\"' '$s'"
cp "$s" "$T_TMP/r2.smtpd.conf"
if [ -n "$SMTPD" ]; then
	smtpd_n "$s" "$r"
	check "smtpd -n -f accepts it, lo0 as lo ($(head -n 1 "$T_TMP/smtpd-n"))" \
	    grep -qx 'configuration OK' "$T_TMP/smtpd-n"
else
	skip "smtpd -n -f accepts the produced smtpd.conf" "$pkg_why"
fi
# The records, exported from the DNS step.
key n
check "n: step 5, DNS" wait_for 'Step 5 of 6: DNS'
key e
check "e asks a directory" wait_for 'export the records as zone files to the directory'
mkdir -p "$T_TMP/export"
key C-u "$T_TMP/export" Enter
check "  written" wait_for "records written to $T_TMP/export/"
check "  example.org's DKIM record: the one key's, under example.org" \
    grep -q "^$sel._domainkey.example.org. 3600 IN TXT" "$T_TMP/export/example.org.missing.zone"
key q
check "q: the dashboard" wait_for 'c configs  w setup'
key q
check "  q quits with 0" wait_for '^EXITED 0'
check "nothing on the console's stderr" [ ! -s "$T_TMP/stderr" ]
sanitizer_check "$T_TMP/stderr" "the console"

# ======================================================================
# The produced smtpd.conf run by the real OpenSMTPD and filter-dkimsign.
real() {
	if [ -n "$pkg_why" ]; then skip "real OpenSMTPD signs with the produced smtpd.conf" "$pkg_why"; return; fi
	for c in unbound ip; do
		command -v $c >/dev/null 2>&1 || {
			skip "real OpenSMTPD signs with the produced smtpd.conf" "$c is not installed"
			return
		}
	done
	"$PY" -c 'import dkim, dns.resolver' 2>/dev/null || {
		skip "real OpenSMTPD signs with the produced smtpd.conf" "python3-dkim or python3-dnspython is missing"
		return
	}
	unshare -m -p -f -n --propagation private true 2>/dev/null || {
		skip "real OpenSMTPD signs with the produced smtpd.conf" "no private mount, PID and network namespace here"
		return
	}
	D=$T_TMP/ns
	mkdir -p "$D/spool" "$D/log" "$D/sink" "$D/bin" "$D/dns" "$D/zones"
	chmod 755 "$D" "$D/spool" "$D/log"
	cp -a /etc "$D/etc"
	rm -rf "$D/etc/mail" "$D/etc/smtpd.conf"
	mkdir -p "$D/etc/mail"
	# The server's /etc/mail: the produced smtpd.conf (lo0: lo on Linux),
	# OpenBSD's aliases, the keys as the root holds them.
	sed 's/ on lo0$/ on lo/; s/ on lo0 / on lo /' "$r/etc/mail/smtpd.conf" \
	    >"$D/etc/mail/smtpd.conf"
	cp "$r/etc/mail/aliases" "$D/etc/mail/"
	cp -a "$r/etc/mail/dkim" "$D/etc/mail/"
	echo "nameserver 127.0.0.1" >"$D/etc/resolv.conf"
	cp tests/fixtures/smtpd_real/hosts "$D/etc/hosts"
	for u in opensmtpd:9101 opensmtpq:9102 _dkimsign:9103; do
		echo "${u%:*}:x:${u#*:}:${u#*:}::/var/lib/opensmtpd/empty:/usr/sbin/nologin" \
		    >>"$D/etc/passwd"
		echo "${u%:*}:x:${u#*:}:" >>"$D/etc/group"
	done
	# The plan's steps on the key (apply runs them on a server, not under
	# --root).
	grep '^step     ch' "$T_TMP/p2.plan" | sed 's/^step     //; s/: .*//' \
	    >"$D/steps"
	cp tests/stack/unbound.sh tests/stack/smtpsink.py tests/stack/dkimcheck.py "$D/bin/"
	# The exported records, each domain's in a zone of its own.
	for d in example.com example.org; do
		{ soa $d; cat "$T_TMP/export/$d.missing.zone"; } >"$D/zones/$d.zone"
	done
	cat >"$D/zones/receiver.example.zone" <<EOZ
\$ORIGIN receiver.example.
\$TTL 300
@ IN SOA ns.receiver.example. hostmaster.receiver.example. 1 3600 600 86400 300
@ IN NS ns.receiver.example.
ns IN A 127.0.0.1
@ IN MX 10 mx.receiver.example.
mx IN A 127.0.0.3
EOZ
	cat >"$D/inner.sh" <<'EOS'
set -u
D=$1 PY=$2 PKG=$3 T_START=$4 T_MAIL=$5
R=$D/results
: >"$R"
res() { echo "$*" >>"$R"; }
t() { _d=$1; shift; if "$@"; then res "ok $_d"; else res "not ok $_d"; fi; }
die() { res "not ok $*"; exit 1; }
stopall() {
	for p in $(cat "$D"/*.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
}
trap stopall EXIT
wait_port() {
	"$PY" - "$@" <<'EOP'
import socket, sys, time
end = time.time() + float(sys.argv[3])
while True:
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.5).close()
        sys.exit(0)
    except OSError:
        if time.time() > end:
            sys.exit(1)
        time.sleep(0.05)
EOP
}
sink_count() { ls "$D/sink" | grep -c '\.eml$'; }

# lo up with a second IPv4 address (smtpd's resolver asks for the MX's
# address only when the host has one that is not loopback-only).
ip link set lo up || die "lo up"
ip addr add 127.0.0.2/8 dev lo || die "127.0.0.2 on lo"
mount --bind "$D/etc" /etc || die "bind /etc"
mount -t overlay overlay -o "lowerdir=$PKG/usr:/usr" /usr ||
    die "the packages' /usr over /usr"
ldconfig || die "ldconfig (the copy's ld.so.cache)"
mount -t tmpfs -o mode=755 tmpfs /var/lib &&
    mkdir -p /var/lib/opensmtpd/empty || die "tmpfs /var/lib"
mount --bind "$D/spool" /var/spool || die "bind spool"
mount -t tmpfs -o mode=755 tmpfs /run || die "tmpfs /run"
# The key directory as pkg_add opensmtpd-filter-dkimsign makes it (0770
# _dkimsign), then the plan's steps on the key.
chown _dkimsign:_dkimsign /etc/mail/dkim && chmod 0770 /etc/mail/dkim ||
    die "/etc/mail/dkim"
while read -r cmd; do
	# shellcheck disable=SC2086
	$cmd || die "the plan's step: $cmd"
	res "ok the plan's step ran: $cmd"
done <"$D/steps"

. "$D/bin/unbound.sh"
export UNBOUND_ADDRS=127.0.0.1
unbound_start "$D/dns" 53 "$D"/zones/*.zone || die "unbound"
cp "$D/dns/unbound.pid" "$D/unbound.pid"
setsid "$PY" "$D/bin/smtpsink.py" 127.0.0.3 25 "$D/sink" \
    </dev/null >"$D/sink.out" 2>&1 &
echo $! >"$D/sink.pid"
wait_port 127.0.0.3 25 "$T_START" || die "the sink listens"

/usr/sbin/smtpd -n -f /etc/mail/smtpd.conf >"$D/smtpd-n.out" 2>&1
t "smtpd -n -f /etc/mail/smtpd.conf at its real path ($(head -n 1 "$D/smtpd-n.out"))" \
    grep -qx 'configuration OK' "$D/smtpd-n.out"
setsid /usr/sbin/smtpd -d -f /etc/mail/smtpd.conf </dev/null \
    >"$D/smtpd.log" 2>&1 &
echo $! >"$D/smtpd.pid"
t "smtpd listens on lo, port 25" wait_port 127.0.0.1 25 "$T_START"
t "  filter-dkimsign runs as _dkimsign" \
    sh -c "ps -eo user:20,args | grep -v grep | grep -q '^_dkimsign .*filter-dkimsign'"

for dom in example.com example.org; do
	"$PY" - "$dom" "$T_MAIL" <<'EOP' >>"$D/submit.out" 2>&1
import smtplib, sys
d = sys.argv[1]
m = ("From: <user@%s>\r\nTo: <rcpt@receiver.example>\r\nSubject: smtp %s\r\n"
     "\r\nsigned over SMTP\r\n" % (d, d))
s = smtplib.SMTP("127.0.0.1", 25, timeout=float(sys.argv[2]))
s.sendmail("user@" + d, ["rcpt@receiver.example"], m)
s.quit()
EOP
	t "an SMTP submission from $dom is accepted" [ $? -eq 0 ]
done
printf 'From: <user@example.com>\nTo: <rcpt@receiver.example>\nSubject: sendmail example.com\n\nsigned through the socket\n' |
    /usr/sbin/sendmail -f user@example.com rcpt@receiver.example >>"$D/submit.out" 2>&1
t "sendmail from example.com (listen on socket) is accepted" [ $? -eq 0 ]
end=$(( $(date +%s) + T_MAIL ))
while [ "$(sink_count)" -lt 3 ] && [ "$(date +%s)" -lt $end ]; do sleep 0.1; done
t "3 messages reach the sink through smtpd ($(sink_count))" [ "$(sink_count)" -eq 3 ]
for f in "$D"/sink/*.eml; do
	[ -e "$f" ] || continue
	subj=$(sed -n 's/^Subject: //p' "$f" | tr -d '\r' | head -n 1)
	v=$("$PY" "$D/bin/dkimcheck.py" 127.0.0.1 53 "$f" 2>&1)
	t "$subj: signed by filter-dkimsign with the domain's d=, verified by dkimpy ($v)" \
	    [ "${v##* }" = ok ]
	n=$(grep -ci '^DKIM-Signature:' "$f")
	t "  $subj: signed once (got $n)" [ "$n" -eq 1 ]
done
EOS
	timeout -s KILL "$T_NS" unshare -m -p -f --kill-child --mount-proc -n \
	    --propagation private sh "$D/inner.sh" "$D" "$PY" "$PKG" "$T_START" \
	    "$T_MAIL" >"$D/inner.out" 2>&1
	if [ ! -s "$D/results" ]; then
		not_ok "the namespace run reported nothing"
		sed 's/^/# /' "$D/inner.out" | tail -n 20
		return
	fi
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "real: ${line#ok }" ;;
		*) not_ok "real: ${line#not ok }" ;;
		esac
	done <"$D/results"
	grep -q '^not ok' "$D/results" || return 0
	for f in inner.out smtpd-n.out smtpd.log submit.out sink.out dns/unbound.log; do
		[ -s "$D/$f" ] || continue
		diag "--- $f"
		tail -n 30 "$D/$f" | sed 's/^/# /'
	done
}
real
# SETUP_OBSD_KEEP=DIR keeps the produced files (for the notes).
if [ -n "${SETUP_OBSD_KEEP:-}" ]; then
	mkdir -p "$SETUP_OBSD_KEEP"
	cp "$T_TMP"/r1.* "$T_TMP"/r2.* "$T_TMP"/*.plan "$SETUP_OBSD_KEEP/" 2>/dev/null
	cp "$T_TMP/r1/etc/dkimproxy_sender_map" "$SETUP_OBSD_KEEP/r1.dkimproxy_sender_map" 2>/dev/null
fi
echo "1..$T_N"
