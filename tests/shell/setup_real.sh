#!/bin/sh
# The guided setup at real paths (no --root) against a real Postfix and
# OpenDKIM, driven in tmux at 80x24: Debian's stock configs
# (tests/fixtures/setup-deb12: Postfix "Internet Site", OpenDKIM unsigned,
# no milter) inside a private mount, PID and network namespace set up as
# doctor_tui.sh does (a copy of /etc bound over /etc, tmpfs over /var/lib
# and /run, scratch spool, log and backup directories, a small /dev with
# its own devpts, lo up; nothing on the host touched), Postfix relaying to
# an SMTP sink on loopback.
# Journey 1: the first run opens on the setup; through its screens only:
# two domains (one added), the IPv6 address edited, the keys made (owned
# by opendkim, 0600), the configs applied (Postfix reloaded, OpenDKIM
# restarted, the milter answering), the records exported, written into
# the zone directory the watch reads and an unbound serves: every row
# turns ok.  Journey 3: quit at the DNS step, start again: it resumes
# there; the keys step revisited keeps the keys.  The Test step sends the
# test message through the local MTA (accepted once the follow sees the
# sink's answer in Postfix's log); it and a message from the other domain
# reach the sink signed with their domain's d=, verified by notspam verify
# and by dkimpy.
# Skipped unless root with unshare.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

# Time limits, in seconds.
T_ALL=150	# the whole namespace run
T_SCREEN=10	# a screen showing what it should
T_KEYS=60	# the two keys made (ASan is slow)
T_APPLY=30	# the console's apply, its reload and restart included
T_WATCH=15	# the watch (every second) showing what was published
T_MAIL=30	# the messages reaching the sink
T_SETTLE=0.3	# a screen settling after a key
T_HOLD=30	# the pane kept after the console exits

why=
if [ "$(id -u)" -ne 0 ]; then why="not root"
elif ! command -v unshare >/dev/null 2>&1; then why="unshare is missing"
elif ! command -v tmux >/dev/null 2>&1; then why="tmux is not installed"
elif ! command -v postfix >/dev/null 2>&1; then why="postfix is not installed"
elif ! command -v opendkim >/dev/null 2>&1; then why="opendkim is not installed"
elif ! command -v unbound >/dev/null 2>&1; then why="unbound is not installed"
elif ! "$PY" -c 'import dkim, dns.resolver' 2>/dev/null; then
	why="python3-dkim or python3-dnspython is missing"
elif ! unshare -m -p -f -n --propagation private true 2>/dev/null; then
	why="no private mount, PID and network namespace here (unshare)"
fi
if [ -n "$why" ]; then
	skip "the guided setup against real Postfix and OpenDKIM" "$why"
	echo "1..$T_N"
	exit 0
fi

D=$T_TMP/ns
mkdir -p "$D"
cp -a /etc "$D/etc"
rm -f "$D/etc/os-release"
cp -R tests/fixtures/setup-deb12/etc/. "$D/etc/"
rm -f "$D/etc/aliases.db"
mkdir -p "$D/spool" "$D/log" "$D/backups" "$D/lib" "$D/dev" "$D/bin" \
    "$D/zones" "$D/dns" "$D/export" "$D/sink" "$D/out" "$D/screens"
chmod 755 "$D" "$D/spool" "$D/log"
cat >"$D/bin/opendkim-restart" <<EOS
#!/bin/sh
# The test's OpenDKIM restart: the daemon runs with -f, its PID known.
[ -s $D/opendkim.pid ] && kill -9 "\$(cat $D/opendkim.pid)" 2>/dev/null
sleep $T_SETTLE
setsid /usr/sbin/opendkim -f -x /etc/opendkim.conf </dev/null \\
    >>$D/log/opendkim.out 2>&1 &
echo \$! >$D/opendkim.pid
EOS
chmod 755 "$D/bin/opendkim-restart"
# What cannot be derived: how this harness restarts OpenDKIM.
cat >>"$D/etc/notspam/notspam.conf" <<EOS
opendkim.restart = $D/bin/opendkim-restart
opendkim.reload = $D/bin/opendkim-restart
EOS
cp tests/stack/unbound.sh tests/stack/smtpsink.py tests/stack/devlog.py \
    tests/stack/dkimcheck.py "$D/bin/"
cat >"$D/limits" <<EOS
T_SCREEN=$T_SCREEN T_KEYS=$T_KEYS T_APPLY=$T_APPLY T_WATCH=$T_WATCH
T_MAIL=$T_MAIL T_SETTLE=$T_SETTLE T_HOLD=$T_HOLD
EOS

# The inside: one result line per check ("ok DESC", "not ok DESC").
cat >"$D/inner.sh" <<'EOS'
set -u
D=$1 NS=$2 PY=$3 PID=$4
. "$D/limits"
R=$D/results
: >"$R"
res() { echo "$*" >>"$R"; }
die() { res "not ok $*"; exit 1; }
t() { _d=$1; shift; if "$@"; then res "ok $_d"; else res "not ok $_d"; fi; }
export TMUX_TMPDIR=$D/tmux
mkdir -p "$TMUX_TMPDIR"
TM="tmux -L notspam-setup-$PID -f /dev/null"
stopall() {
	$TM kill-server 2>/dev/null
	postfix stop >/dev/null 2>&1
	for p in $(cat "$D"/*.pid "$D"/dns/unbound.pid 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
}
trap stopall EXIT
until_s() {
	_w=$(( $1 * 10 )); shift
	while ! "$@"; do
		[ "$_w" -gt 0 ] || return 1
		sleep 0.1; _w=$((_w - 1))
	done
}
screen() { $TM capture-pane -p -t c; }
shows() { screen | grep -Eq -- "$1"; }
N=0
# see DESC SECONDS ERE: ok once the pane shows ERE, else the pane quoted;
# the pane is kept as screens/NN.
see() {
	N=$((N + 1))
	if until_s "$2" shows "$3"; then
		res "ok $1"; screen >"$D/screens/$(printf %02d $N)"; return 0
	fi
	res "not ok $1"
	screen | sed 's/^/diag   | /' >>"$R"
	return 1
}
unseen() {
	sleep "$T_SETTLE"
	if shows "$2"; then res "not ok $1"; screen | sed 's/^/diag   | /' >>"$R"
	else res "ok $1"; fi
}
key() { $TM send-keys -t c "$@"; }
console() {
	$TM kill-session -t c 2>/dev/null
	$TM new-session -d -s c -x 80 -y 24 "cd $D/out && env TERM=xterm-256color LANG=C.UTF-8 $NS --zones $D/zones $* 2>>$D/out/console.err; echo EXITED \$?; sleep $T_HOLD" ||
	    die "tmux new-session"
}

ip link set lo up || die "lo up"
mount --bind "$D/etc" /etc || die "bind /etc"
mount --bind /var/lib "$D/lib" && mount -t tmpfs -o mode=755 tmpfs /var/lib &&
    mkdir -p /var/lib/dpkg /var/lib/postfix /var/lib/notspam &&
    mount --bind "$D/lib/dpkg" /var/lib/dpkg &&
    chown postfix:postfix /var/lib/postfix || die "tmpfs /var/lib"
mount --bind "$D/spool" /var/spool/postfix || die "bind spool"
mount --bind "$D/log" /var/log || die "bind log"
mount --bind "$D/backups" /var/backups || die "bind backups"
mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/opendkim &&
    chown opendkim:opendkim /run/opendkim && chmod 750 /run/opendkim ||
    die "tmpfs /run"
mount --bind /dev "$D/dev" && mount -t tmpfs -o mode=755 tmpfs /dev || die "/dev"
for n in null zero full random urandom tty; do
	touch "/dev/$n" && mount --bind "$D/dev/$n" "/dev/$n" || die "/dev/$n"
done
mkdir -p /dev/pts /dev/shm &&
    mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts /dev/pts &&
    ln -s pts/ptmx /dev/ptmx || die "devpts"
ln -s /proc/self/fd /dev/fd
setsid "$PY" "$D/bin/devlog.py" /dev/log /var/log/mail.log \
    </dev/null >/dev/null 2>&1 &
echo $! >"$D/devlog.pid"

# The harness (no milter, no key: that is the setup's): loopback, the
# sink as relayhost, no TLS, no DNS for delivery.
postconf -e 'inet_interfaces = loopback-only' \
    'relayhost = [127.0.0.1]:2526' 'maillog_file = /var/log/mail.log' \
    'smtp_dns_support_level = disabled' 'smtp_host_lookup = native' \
    'smtpd_peername_lookup = no' 'smtpd_tls_security_level = none' \
    'smtp_tls_security_level = none' || die "postconf -e"
mkdir -p /var/spool/postfix/etc
cp /etc/resolv.conf /etc/hosts /etc/services /var/spool/postfix/etc/ 2>/dev/null
newaliases 2>/dev/null
setsid "$PY" "$D/bin/smtpsink.py" 127.0.0.1 2526 "$D/sink" \
    </dev/null >"$D/log/sink.out" 2>&1 &
echo $! >"$D/sink.pid"
postfix start >"$D/log/postfix.start" 2>&1 || die "postfix start"
"$D/bin/opendkim-restart"
cat >"$D/zones/example.com.zone" <<EOZ
\$ORIGIN example.com.
\$TTL 3600
@ IN SOA ns1.example.com. hostmaster.example.com. ( 1 3600 600 1209600 60 )
@ IN NS ns1.example.com.
ns1 IN A 127.0.0.1
EOZ
soa() {
	printf '$ORIGIN %s.\n$TTL 3600\n' "$1"
	printf '@ IN SOA ns1.example.com. hostmaster.example.com. ( 1 3600 600 1209600 60 )\n'
	printf '@ IN NS ns1.example.com.\n'
}
sel=$(date +%Y%m)

# Journey 1, the first run: nothing signs yet, the setup opens.
console
see "first run at real paths: the console opens on the setup" "$T_SCREEN" 'Step 1 of 6: What runs here'
see "  Postfix found, its version" "$T_SCREEN" 'MTA +postfix [0-9]+\.[0-9]+'
see "  OpenDKIM found, its version" "$T_SCREEN" 'Signer +opendkim [0-9]+\.[0-9]+'
see "  the stack installed" "$T_SCREEN" '> Postfix \+ OpenDKIM +installed'
key q q
see "  q q: out" "$T_SCREEN" '^EXITED 0'
console setup --watch-interval 1
see "notspam setup: step 1" "$T_SCREEN" 'Step 1 of 6: What runs here'
key n
see "n: identity, the host name from main.cf" "$T_SCREEN" 'Host name +> mail\.example\.com'
key j j j Enter
see "  Enter edits the IPv6 address" "$T_SCREEN" 'address: 2001:db8::9'
key C-u '2001:db8::25' Enter
see "  edited" "$T_SCREEN" '> 2001:db8::25 +IPv6'
key a
key -l example.org
key Enter
see "  a second domain added" "$T_SCREEN" 'example\.org +added'
key n
see "n: keys, two to make" "$T_SCREEN" "example\\.org +$sel +rsa 2048 +to make"
t "  the settings file: the addresses, the added domain" sh -c "
    grep -qx 'public_ipv6 = 2001:db8::25' /etc/notspam/notspam.conf &&
    grep -qx 'domains = example.org' /etc/notspam/notspam.conf"
t "  no MTA or signer file written yet" sh -c "
    ! grep -q milters /etc/postfix/main.cf && ! grep -q '^KeyTable' /etc/opendkim.conf"
key g
see "g: both keys made" "$T_KEYS" "example\\.org +$sel +rsa 2048 +made"
see "  (the first too)" "$T_SCREEN" "example\\.com +$sel +rsa 2048 +made"
for d in example.com example.org; do
	k=/etc/dkimkeys/${d}_$sel.private
	t "  $d's key at its real path, opendkim's, 0600" \
	    [ "$(stat -c '%U %a' "$k" 2>/dev/null)" = "opendkim 600" ]
done
sums=$(sha256sum /etc/dkimkeys/*)
key n
see "n: configs, apply's plan" "$T_SCREEN" "apply's plan: [0-9]+ files to change"
key Enter
see "Enter: the Configs screen" "$T_SCREEN" '^ Configs +changes pending'
reloads() { grep -Ec 'postfix/postfix-script\[[0-9]+\]: refreshing the Postfix mail system' /var/log/mail.log; }
n0=$(reloads)
key A
see "  A asks" "$T_SCREEN" 'Write these [0-9]+ files, then reload'
key y
see "  y: applied" "$T_APPLY" 'applied: [0-9]+ files written, backup [0-9]{8}T[0-9]{6}Z'
reloaded() { [ "$(reloads)" -gt "$n0" ]; }
t "  Postfix reloaded (its log says so)" until_s "$T_APPLY" reloaded
t "  main.cf hands mail to OpenDKIM" sh -c "postconf -h smtpd_milters | grep -q '^inet:127.0.0.1:8891\$'"
key Escape
see "Esc: the setup, in sync" "$T_SCREEN" 'in sync: the configuration is what the'
key n
see "n: the DNS step, nothing shown" "$T_SCREEN" '0 of 13 records shown'
key e
see "e asks a directory" "$T_SCREEN" 'export the records as zone files to the directory'
key C-u
key -l "$D/export"
key Enter
see "  written" "$T_SCREEN" 'records written to '
# Published: the exported lines into the zone files the watch reads and
# unbound serves, the PTRs (comments there) into reverse zones.
cat "$D/export/example.com.missing.zone" >>"$D/zones/example.com.zone"
{ soa example.org; cat "$D/export/example.org.missing.zone"; } >"$D/z.tmp" &&
    mv "$D/z.tmp" "$D/zones/example.org.zone"
for z in 113.0.203.in-addr.arpa 8.b.d.0.1.0.0.2.ip6.arpa; do
	{ soa $z; grep -h "^; [^ ]*\\.$z\\. 3600 IN PTR " "$D/export/example.com.missing.zone" |
	    sed 's/^; //'; } >"$D/z.tmp" && mv "$D/z.tmp" "$D/zones/$z.zone"
done
see "the watch turns every row ok" "$T_WATCH" '13 of 13 records shown'
see "  the DKIM records with their TTL" "$T_SCREEN" "example\\.org DKIM $sel +ok, TTL 3600 s"

# Journey 3: quit at the DNS step, start again: resumed there.
key q q
see "q q at the DNS step: out" "$T_SCREEN" '^EXITED 0'
console setup --watch-interval 1
see "started again: the DNS step" "$T_SCREEN" 'Step 5 of 6: DNS'
see "  the records shown" "$T_WATCH" '13 of 13 records shown'
key 3
see "3: the keys, in use by the signer, kept" "$T_SCREEN" "example\\.org +$sel +rsa 2048 +in use by the signer"
key g
see "  g makes none" "$T_SCREEN" 'every key is there'
t "  the same key files, none made" [ "$(sha256sum /etc/dkimkeys/*)" = "$sums" ]
key 5
see "5: the DNS again" "$T_SCREEN" 'Step 5 of 6: DNS'
key n
see "n: the test step" "$T_SCREEN" 'Step 6 of 6: Test'

# The test message from the Test step: the local MTA's port 25 (the
# default route), OpenDKIM signing it on the way to the sink, the queue id
# followed in Postfix's log until the sink's answer.
see "  the local MTA is the route" "$T_SCREEN" 'Route +the local MTA, port 25'
key a
key -l rcpt@receiver.example
key Enter
see "  a: the address" "$T_SCREEN" 'To +rcpt@receiver\.example'
key Enter
see "Enter sends it: accepted, followed to the sink's answer" "$T_MAIL" 'Verdict +accepted'
see "  the transcript's end: Postfix's queue id" "$T_SCREEN" 'queued as [0-9A-F]+'
key n
see "n: the setup is done" "$T_SCREEN" 'the setup is done'
t "  setup.state: the test, by the local route" \
    grep -qx 'test rcpt@receiver.example local' /var/lib/notspam/setup.state
# A message from the other domain (the test's From is the first one's),
# over SMTP by the suite.
. "$D/bin/unbound.sh"
# shellcheck disable=SC2046
unbound_start "$D/dns" 5353 "$D"/zones/*.zone || die "unbound"
for dom in example.org; do
	"$PY" - "$dom" <<'EOP' >>"$D/log/submit.out" 2>&1
import smtplib, sys
d = sys.argv[1]
m = ("From: <user@%s>\r\nTo: <rcpt@receiver.example>\r\nSubject: setup %s\r\n"
     "\r\nsigned after the guided setup\r\n" % (d, d))
s = smtplib.SMTP("127.0.0.1", 25, timeout=10)
s.sendmail("user@" + d, ["rcpt@receiver.example"], m)
s.quit()
EOP
	t "a message from $dom is accepted" [ $? -eq 0 ]
done
two() { [ "$(ls "$D/sink" | grep -c '\.eml$')" -ge 2 ]; }
t "both reach the sink" until_s "$T_MAIL" two
for f in "$D"/sink/*.eml; do
	[ -e "$f" ] || continue
	subj=$(sed -n 's/^Subject: //p' "$f" | tr -d '\r' | head -n 1)
	from=$(sed -n 's/^From:.*@\([a-z.]*\).*/\1/p' "$f" | head -n 1)
	v=$("$PY" "$D/bin/dkimcheck.py" 127.0.0.1 5353 "$f" 2>&1)
	t "$subj: signed with its domain's d=, dkimpy verifies ($v)" [ "${v##* }" = ok ]
	"$NS" --zones "$D/zones" verify "$f" >"$D/out/verify.$(basename "$f")" 2>&1
	t "$subj: notspam verify passes its DKIM" \
	    grep -Eq "^  pass +d=$from " "$D/out/verify.$(basename "$f")"
done
key Escape q
see "q quits with 0" "$T_SCREEN" '^EXITED 0'
if [ -s "$D/out/console.err" ]; then res "not ok nothing on the console's stderr"
else res "ok nothing on the console's stderr"; fi
EOS

t0=$(date +%s)
timeout -k 2 "$T_ALL" unshare -m -p -f --kill-child --mount-proc -n \
    --propagation private sh "$D/inner.sh" "$D" "$NOTSPAM" "$PY" "$$" \
    >"$D/inner.out" 2>&1
rc=$?
t1=$(date +%s)
diag "the namespace run took $((t1 - t0)) s (limit $T_ALL s, exit $rc)"
if [ ! -s "$D/results" ]; then
	not_ok "the namespace run reported nothing"
	sed 's/^/# /' "$D/inner.out" | tail -n 20
else
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" ;;
		"diag "*) diag "${line#diag }" ;;
		*) not_ok "${line#not ok }" ;;
		esac
	done <"$D/results"
fi
[ "$rc" -eq 0 ] || not_ok "the namespace run ended with $rc (124 or 137: over $T_ALL s)"
for f in "$D"/out/*; do
	[ -f "$f" ] && sanitizer_check "$f" "notspam (${f##*/})"
done
if grep -q '^not ok' "$D/results" 2>/dev/null || [ "$rc" -ne 0 ]; then
	for f in "$D"/out/* "$D/inner.out" "$D/log/mail.log" "$D/log/opendkim.out"; do
		[ -s "$f" ] || continue
		diag "--- ${f#$D/}"
		tail -n 20 "$f" | sed 's/^/# /'
	done
fi
# NOTSPAM_KEEP=DIR keeps the screens, outputs and logs for a look.
[ -n "${NOTSPAM_KEEP:-}" ] && mkdir -p "$NOTSPAM_KEEP" &&
    cp -a "$D/screens" "$D/out" "$D/log" "$D/results" "$NOTSPAM_KEEP/" 2>/dev/null
echo "1..$T_N"
