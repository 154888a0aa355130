#!/bin/sh
# Real OpenSMTPD signing after apply: Debian's smtpd and filter-dkimsign
# (the Debian packages opensmtpd, opensmtpd-filter-dkimsign and
# libopensmtpd0, downloaded with apt-get download into build/debs/ and
# extracted, never installed: they conflict with Postfix) at their real
# paths inside a private mount, PID and network namespace (a copy of /etc
# bound over /etc, the packages' /usr laid over /usr, a tmpfs over /var/lib
# with dpkg bound back, scratch spool, log, run and backup directories, a
# /dev/log listener, lo up; nothing on the host touched), the packages'
# users (opensmtpd, opensmtpq, _dkimsign) in the copy of /etc/passwd only.
# Two sites, each with two hosted domains and keys made by `notspam keygen`:
#   dkimsign   Debian's stock /etc/smtpd.conf, filter-dkimsign installed;
#   dkimproxy  OpenBSD's stock smtpd.conf at /etc/mail/smtpd.conf,
#              dkimproxy's example dkimproxy_out.conf and sender_map, and
#              tests/stack/dkimrelay.pl (Mail::DKIM, the library dkimproxy
#              wraps; dkimproxy is not packaged in Debian 12) reading that
#              file as dkimproxy.out does.
# In each: smtpd running from the stock file (Debian's init script), then
# `notspam apply --yes` with no --root (its own smtpd -n -f, the restart
# through /etc/init.d/opensmtpd, dkimproxy's through dkimproxy.restart),
# `smtpd -n -f` on the applied file, then a message per domain over SMTP
# and one through sendmail relayed by the real smtpd (MX lookup in unbound
# on 127.0.0.1:53) to an SMTP sink on 127.0.0.3:25, each arriving signed
# once, rsa-sha256, with its domain's d=, verified by dkimpy against that
# unbound serving what `notspam records` printed.  The dkimproxy site also
# proves its wiring by the loop: without the tagged match the message goes
# round and never arrives signed once.  Skipped, with the reason, unless
# root with unshare and overlayfs, the packages can be had and the tools
# are installed.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
TOP=$(pwd)
# SMTPD_REAL_KEEP=1 keeps the temporary directory (its logs) and names it.
[ -z "${SMTPD_REAL_KEEP:-}" ] || trap 'echo "# kept $T_TMP"' EXIT

# Time limits, in seconds.
: "${SMTPD_REAL_APT_S:=120}"	# apt-get download of one package
: "${SMTPD_REAL_APPLY_S:=20}"	# apply --timeout: checkers, restarts, probes
: "${SMTPD_REAL_START_S:=5}"	# a daemon to listen after its start
: "${SMTPD_REAL_MAIL_S:=15}"	# the messages to reach the sink
: "${SMTPD_REAL_LOOP_S:=4}"	# how long a looping message is watched
: "${SMTPD_REAL_NS_S:=120}"	# one namespace run, all of it
export SMTPD_REAL_APPLY_S SMTPD_REAL_START_S SMTPD_REAL_MAIL_S \
    SMTPD_REAL_LOOP_S

# skip_all REASON: every check of the suite skipped, with the reason.
skip_all() {
	skip "OpenSMTPD with filter-dkimsign signs after apply" "$1"
	skip "OpenSMTPD with dkimproxy signs after apply" "$1"
	echo "1..$T_N"
	exit 0
}

why=
if [ "$(id -u)" -ne 0 ]; then why="not root"
elif ! command -v unshare >/dev/null 2>&1; then why="unshare is missing"
elif ! command -v unbound >/dev/null 2>&1; then why="unbound is not installed"
elif ! command -v dig >/dev/null 2>&1; then why="dig is not installed"
elif ! "$PY" -c 'import dkim, dns.resolver' 2>/dev/null; then
	why="python3-dkim or python3-dnspython is missing"
elif ! perl -MMail::DKIM::Signer -e 1 2>/dev/null; then
	why="libmail-dkim-perl is missing (sh share/deps.sh --tests)"
elif ! command -v apt-get >/dev/null 2>&1 ||
    ! command -v dpkg-deb >/dev/null 2>&1; then
	why="apt-get or dpkg-deb is missing"
elif ! unshare -m -p -f -n --propagation private true 2>/dev/null; then
	why="no private mount, PID and network namespace here (unshare)"
fi
[ -z "$why" ] || skip_all "$why"

# deb_get NAME: the package's .deb in build/debs/ (downloaded once, kept
# for the next runs), its path on stdout; status 1, the reason in $why.
deb_get() {
	_dir=$TOP/build/debs
	mkdir -p "$_dir"
	_f=$(ls "$_dir/$1"_*.deb 2>/dev/null | tail -n 1)
	if [ -z "$_f" ]; then
		if ! (cd "$_dir" && timeout "$SMTPD_REAL_APT_S" \
		    apt-get download "$1") >"$T_TMP/apt.$1" 2>&1; then
			why="apt-get download $1 failed: $(grep -v '^W:' \
			    "$T_TMP/apt.$1" | tail -n 1)"
			return 1
		fi
		_f=$(ls "$_dir/$1"_*.deb 2>/dev/null | tail -n 1)
	fi
	[ -n "$_f" ] || { why="apt-get download $1 left no .deb"; return 1; }
	echo "$_f"
}

PKG=$T_TMP/pkg
mkdir -p "$PKG"
for p in opensmtpd opensmtpd-filter-dkimsign libopensmtpd0; do
	deb=$(deb_get "$p") || skip_all "$why"
	dpkg-deb -x "$deb" "$PKG" || skip_all "dpkg-deb -x $deb failed"
	diag "$p: $(basename "$deb")"
done
# The library's soname link (ldconfig makes it on install).
for so in "$PKG"/usr/lib/*/libopensmtpd.so.0.*; do
	[ -e "$so" ] && ln -sf "$(basename "$so")" "${so%.so.0.*}.so.0"
done
[ -x "$PKG/usr/sbin/smtpd" ] && [ -x "$PKG/usr/libexec/opensmtpd/filter-dkimsign" ] ||
    skip_all "the packages hold no usr/sbin/smtpd or filter-dkimsign"
# smtpctl (sendmail) setgid opensmtpq, as the postinst's dpkg-statoverride
# makes it (9102: the group's number in the namespace's /etc/group).
chown 0:9102 "$PKG/usr/sbin/smtpctl" && chmod 2755 "$PKG/usr/sbin/smtpctl"
if ! unshare -m --propagation private sh -c "mount -t overlay overlay \
    -o lowerdir=$PKG/usr:/usr /usr" 2>"$T_TMP/ovl.err"; then
	skip_all "no overlayfs to lay the packages over /usr: $(head -n 1 "$T_TMP/ovl.err")"
fi

# ---- the inside: one result line per check ("ok DESC" / "not ok DESC") ----
cat >"$T_TMP/inner.sh" <<'EOS'
set -u
MODE=$1 D=$2 NS=$3 PY=$4 PKG=$5
R=$D/results
: >"$R"
res() { echo "$*" >>"$R"; }
t() { _d=$1; shift; if "$@"; then res "ok $_d"; else res "not ok $_d"; fi; }
die() { res "not ok $*"; exit 1; }
stopall() {
	for p in $(cat "$D"/*.pid /run/smtpd.pid 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
}
trap stopall EXIT

# wait_port HOST PORT SECONDS: something listens there.
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
# smtpd_stop: Debian's init script's stop, then every smtpd process gone
# (its children hold the listening sockets after it); what is left at the
# time limit is killed.
smtpd_stop() {
	/etc/init.d/opensmtpd stop >>"$D/log/init.start" 2>&1
	_end=$(( $(date +%s) + SMTPD_REAL_START_S ))
	while pgrep -x smtpd >/dev/null 2>&1 &&
	    [ "$(date +%s)" -lt $_end ]; do
		sleep 0.05
	done
	pkill -9 -x smtpd 2>/dev/null
	sleep 0.2
}
# smtpd_restart: smtpd_stop, then Debian's init script's start.
smtpd_restart() {
	smtpd_stop
	/etc/init.d/opensmtpd start >>"$D/log/init.start" 2>&1
	wait_port 127.0.0.1 25 "$SMTPD_REAL_START_S"
}
# sink_count: messages in the sink.
sink_count() { ls "$D/sink" | grep -c '\.eml$'; }
# wait_sink N SECONDS: at least N messages reached the sink.
wait_sink() {
	_end=$(( $(date +%s) + $2 ))
	while [ "$(sink_count)" -lt "$1" ] && [ "$(date +%s)" -lt $_end ]; do
		sleep 0.1
	done
	[ "$(sink_count)" -ge "$1" ]
}

. "$D/mode.sh"
: >"$D/numbers"
# lo up, and a second IPv4 address on it (the server's IPv4 address, no
# global IPv6): with it, smtpd's resolver finds an address for the MX
# (AI_ADDRCONFIG counts no loopback address), and glibc answers localhost
# with IPv4 only, Debian's "::1 localhost" line mapped to 127.0.0.1 a
# second time (OpenSMTPD issue #1075's condition).  LO4=before: there
# before smtpd starts from the stock file; after: once it runs (as at boot
# when the address comes up later).
ip link set lo up || die "lo up"
lo4() { ip addr add 127.0.0.2/8 dev lo || die "127.0.0.2 on lo"; }
[ "$LO4" = after ] || lo4
mount --bind "$D/etc" /etc || die "bind /etc"
mount -t overlay overlay -o "lowerdir=$PKG/usr:/usr" /usr ||
    die "the packages' /usr over /usr"
ldconfig || die "ldconfig (the copy's ld.so.cache)"
mount --bind /var/lib "$D/lib" && mount -t tmpfs -o mode=755 tmpfs /var/lib &&
    mkdir -p /var/lib/dpkg /var/lib/notspam /var/lib/opensmtpd/empty &&
    mount --bind "$D/lib/dpkg" /var/lib/dpkg || die "tmpfs /var/lib"
mount --bind "$D/spool" /var/spool || die "bind spool"
mount --bind "$D/log" /var/log || die "bind log"
mount --bind "$D/backups" /var/backups || die "bind backups"
mount -t tmpfs -o mode=755 tmpfs /run || die "tmpfs /run"
mount --bind /dev "$D/dev" && mount -t tmpfs -o mode=755 tmpfs /dev || die "/dev"
for n in null zero full random urandom tty; do
	touch "/dev/$n" && mount --bind "$D/dev/$n" "/dev/$n" || die "/dev/$n"
done
mkdir -p /dev/pts /dev/shm && mount --bind "$D/dev/pts" /dev/pts
ln -s /proc/self/fd /dev/fd
setsid "$PY" "$D/bin/devlog.py" /dev/log /var/log/mail.log \
    </dev/null >/dev/null 2>&1 &
echo $! >"$D/devlog.pid"
ldd /usr/libexec/opensmtpd/filter-dkimsign | grep -q 'not found' &&
    die "filter-dkimsign finds its libraries"

# DNS: the receiver's MX (the sink) and the PTR of the public address now,
# the records `notspam records` prints once applied.
. "$D/bin/unbound.sh"
export UNBOUND_ADDRS=127.0.0.1
unbound_start "$D/dns0" 53 "$D/zones/receiver.example.zone" \
    "$D/zones/113.0.203.in-addr.arpa.zone" || die "unbound"
cp "$D/dns0/unbound.pid" "$D/unbound0.pid"
# The sink: an address of the loopback network not on lo (smtpd's
# "listen on lo" takes port 25 on every address lo has).
setsid "$PY" "$D/bin/smtpsink.py" 127.0.0.3 25 "$D/sink" \
    </dev/null >"$D/log/sink.out" 2>&1 &
echo $! >"$D/sink.pid"
wait_port 127.0.0.3 25 "$SMTPD_REAL_START_S" || die "the sink listens"

# The stock site, started as Debian starts it.  With LO4=before, Debian's
# stock /etc/hosts makes its "listen on localhost" bind 127.0.0.1 twice and
# smtpd does not start (OpenSMTPD issue #1075).
/etc/init.d/opensmtpd start >"$D/log/init.start" 2>&1
if wait_port 127.0.0.1 25 "$SMTPD_REAL_START_S"; then
	echo "stock smtpd.conf: smtpd runs (PID $(cat /run/smtpd.pid))" >>"$D/numbers"
	stock=runs
else
	echo "stock smtpd.conf: smtpd does not start ($(grep -o 'listen: .*' \
	    /var/log/mail.log | head -n 1))" >>"$D/numbers"
	stock=fails
fi
if [ "$LO4" = after ]; then
	t "the stock smtpd.conf runs before apply" [ $stock = runs ]
	# Stopped again, every smtpd process gone, before apply starts it:
	# restarting a running smtpd here sometimes fails (one run in three
	# or four under load) with "listen: Address already in use" for 20 s
	# and more after the old parent exited, so the commit is put back.
	# apply waits for the old smtpd and its children (core/apply/apply.c
	# apply_restart); the cause of their lingering is not found yet.
	smtpd_stop
	lo4
else
	t "the stock smtpd.conf does not start here (listen on localhost, IPv4 only)" \
	    [ $stock = fails ]
fi

for dom in example.com example.org; do
	[ "$MODE" = dkimsign ] && [ $dom = example.org ] && continue
	"$NS" keygen "$dom" >"$D/keygen.$dom" 2>&1
	t "keygen $dom" [ $? -eq 0 ]
done
ls -ln /etc/mail/dkim >"$D/log/keys.ls" 2>&1

"$NS" apply --dry-run >"$D/plan.out" 2>&1
t0=$(date +%s%N)
"$NS" apply --yes --timeout "$SMTPD_REAL_APPLY_S" >"$D/apply.out" \
    2>"$D/apply.err"
rc=$?
t1=$(date +%s%N)
echo "apply_ms $(( (t1 - t0) / 1000000 ))" >>"$D/numbers"
t "apply --yes, no --root: 0 (got $rc)" [ "$rc" -eq 0 ]
t "  its own smtpd -n -f ran on the planned file" \
    grep -q '^checked  .*smtpd -n -f' "$D/apply.out"
t "  smtpd restarted through Debian's init script" \
    grep -q '^ran .*/etc/init.d/opensmtpd restart' "$D/apply.out"
"$NS" apply --dry-run >"$D/again.out" 2>&1
t "  apply after apply plans nothing (exit $?)" grep -q '^nothing to do' "$D/again.out"
CONF=$(sed -n 's/^== \([^ ]*smtpd.conf\) .*/\1/p' "$D/plan.out" | head -n 1)
/usr/sbin/smtpd -n -f "$CONF" >"$D/smtpd-n.out" 2>&1
t "smtpd -n -f accepts the applied $CONF ($(head -n 1 "$D/smtpd-n.out"))" \
    grep -qx 'configuration OK' "$D/smtpd-n.out"
t "  on Linux the plan names no lo0 (smtpd refuses it)" \
    sh -c "! grep -qw lo0 '$CONF'"
t "  smtpd listens after the restart" wait_port 127.0.0.1 25 "$SMTPD_REAL_START_S"

mode_checks

# The records the site needs, as `notspam records` prints them.
"$NS" --json records >"$D/records.json" 2>"$D/records.err"
"$NS" records >"$D/records.txt" 2>&1
"$PY" "$D/bin/zones.py" "$D/records.json" "$D/dns" >"$D/zones.list" ||
    die "zones.py"
unbound_stop "$D/dns0"
rm -f "$D/unbound0.pid"
# shellcheck disable=SC2046
unbound_start "$D/dns" 53 $(cat "$D/zones.list") \
    "$D/zones/receiver.example.zone" || die "unbound with the records"
cp "$D/dns/unbound.pid" "$D/unbound.pid"
# Every zone answers before smtpd looks anything up (unbound_start waits
# for the first; a failed MX lookup is retried minutes later).
for z in $(cat "$D/zones.list") "$D/zones/receiver.example.zone"; do
	_end=$(( $(date +%s) + SMTPD_REAL_START_S ))
	until dig +time=1 +tries=1 @127.0.0.1 "$(_unbound_origin "$z")." SOA \
	    2>/dev/null | grep -q 'status: NOERROR'; do
		[ "$(date +%s)" -lt $_end ] || die "unbound serves $z"
		sleep 0.05
	done
done

# A message per domain over SMTP and one through sendmail.
for dom in example.com example.org; do
	"$PY" - "$dom" <<'EOP' >>"$D/log/submit.out" 2>&1
import os, smtplib, sys
d = sys.argv[1]
m = ("From: <user@%s>\r\nTo: <rcpt@receiver.example>\r\nSubject: smtp %s\r\n"
     "\r\nsigned over SMTP\r\n" % (d, d))
s = smtplib.SMTP("127.0.0.1", 25,
                 timeout=float(os.environ["SMTPD_REAL_MAIL_S"]))
s.sendmail("user@" + d, ["rcpt@receiver.example"], m)
s.quit()
EOP
	t "an SMTP submission from $dom is accepted" [ $? -eq 0 ]
	printf 'From: <user@%s>\nTo: <rcpt@receiver.example>\nSubject: sendmail %s\n\nsigned through sendmail\n' \
	    "$dom" "$dom" | /usr/sbin/sendmail -f "user@$dom" rcpt@receiver.example \
	    >>"$D/log/submit.out" 2>&1
	t "sendmail from $dom is accepted" [ $? -eq 0 ]
done
wait_sink 4 "$SMTPD_REAL_MAIL_S"
t "4 messages reach the sink through smtpd ($(sink_count))" [ "$(sink_count)" -eq 4 ]
for f in "$D"/sink/*.eml; do
	[ -e "$f" ] || continue
	subj=$(sed -n 's/^Subject: //p' "$f" | tr -d '\r' | head -n 1)
	v=$("$PY" "$D/bin/dkimcheck.py" 127.0.0.1 53 "$f" 2>&1)
	t "$subj: signed with the domain's d= and verified by dkimpy ($v)" \
	    [ "${v##* }" = ok ]
	n=$(grep -ci '^DKIM-Signature:' "$f")
	t "  $subj: signed once (got $n)" [ "$n" -eq 1 ]
	a=$(tr -d '\r\n\t ' <"$f" | sed -n 's/.*DKIM-Signature:[^;]*;\(.*\)/\1/Ip' |
	    tr ';' '\n' | sed -n 's/^a=//p' | head -n 1)
	t "  $subj: a=rsa-sha256 (got ${a:-none})" [ "$a" = rsa-sha256 ]
done
mode_after
EOS

# ---- filter-dkimsign: Debian's stock smtpd.conf ----
cat >"$T_TMP/mode.dkimsign" <<'EOS'
LO4=before
mode_checks() {
	t "  filter-dkimsign: the filter statement, one -d per domain" \
	    grep -q '^filter "dkimsign" proc-exec "filter-dkimsign -d example.com -d example.org -s [^ ]* -k /etc/mail/dkim/example.com_[^ ]*.key" user _dkimsign group _dkimsign$' "$CONF"
	t "  the key belongs to _dkimsign, mode 0400" sh -c \
	    "stat -c '%U %a' /etc/mail/dkim/example.com_*.key | grep -qx '_dkimsign 400'"
	t "  the probe reached smtpd on its loopback listener" grep -q \
	    '^answers  opensmtpd accepts connections at 127.0.0.1:25 with filter-dkimsign in place' \
	    "$D/apply.out"
	t "  the filter runs as _dkimsign" \
	    sh -c "ps -eo user:20,args | grep -v grep | grep -q '^_dkimsign .*filter-dkimsign'"
}
mode_after() { :; }
EOS

# ---- dkimproxy: OpenBSD's stock smtpd.conf, dkimproxy's example ----
cat >"$T_TMP/mode.dkimproxy" <<'EOS'
LO4=after
mode_checks() {
	t "  listen on 127.0.0.1 port 10028 tag DKIM" \
	    grep -qx 'listen on 127.0.0.1 port 10028 tag DKIM' "$CONF"
	t "  action \"dkimproxy\" relay host smtp://127.0.0.1:10027" \
	    grep -qx 'action "dkimproxy" relay host smtp://127.0.0.1:10027' "$CONF"
	tag=$(grep -nx 'match tag DKIM for any action "relay"' "$CONF" | cut -d: -f1)
	out=$(grep -n '^match .*action "dkimproxy"' "$CONF" | head -n 1 | cut -d: -f1)
	t "  match tag DKIM for any action \"relay\" (line ${tag:-none}) before the matches to dkimproxy (line ${out:-none})" \
	    [ "${tag:-0}" -gt 0 -a "${tag:-0}" -lt "${out:-0}" ]
	t "  no planning warning (dkimproxy_out.conf passes dkimproxy's grammar)" \
	    sh -c "! grep -q '^warning' '$D/plan.out'"
	perl "$D/bin/dkimrelay.pl" --check /etc/dkimproxy_out.conf \
	    >"$D/relay-check.out" 2>&1
	t "  dkimproxy_out.conf read as dkimproxy.out reads it ($(head -n 1 "$D/relay-check.out"))" \
	    grep -q ': OK$' "$D/relay-check.out"
	t "  the probe reached dkimproxy and smtpd's way back" sh -c \
	    "grep -q '^answers  dkimproxy accepts connections at 127.0.0.1:10027' '$D/apply.out' &&
	    grep -q '^answers  opensmtpd accepts the signed mail back' '$D/apply.out'"
}
# The wiring proven by the loop: without the tagged match, the signed mail
# comes back from dkimproxy and goes to it again (signed again and again);
# it never reaches the sink signed once.  Then the applied file again.
mode_after() {
	before=$(sink_count)
	signed0=$(grep -c '^signed ' /var/log/dkimrelay.log)
	cp "$CONF" "$D/conf.applied"
	sed -i '/^match tag DKIM /d' "$CONF"
	smtpd_restart
	"$PY" - <<'EOP' >>"$D/log/submit.out" 2>&1
import os, smtplib
m = ("From: <user@example.com>\r\nTo: <rcpt@receiver.example>\r\n"
     "Subject: loop\r\n\r\nno tagged match\r\n")
s = smtplib.SMTP("127.0.0.1", 25,
                 timeout=float(os.environ["SMTPD_REAL_MAIL_S"]))
s.sendmail("user@example.com", ["rcpt@receiver.example"], m)
s.quit()
EOP
	sleep "$SMTPD_REAL_LOOP_S"
	signed=$(( $(grep -c '^signed ' /var/log/dkimrelay.log) - signed0 ))
	t "without the tagged match: no message reaches the sink ($(( $(sink_count) - before )))" \
	    [ "$(sink_count)" -eq "$before" ]
	t "  and dkimproxy signs the looping message again and again ($signed signatures)" \
	    [ "$signed" -ge 2 ]
	cp "$D/conf.applied" "$CONF"
}
EOS

# run_ns MODE: one site in its own namespace; the TAP lines of its results.
run_ns() {
	D=$T_TMP/$1
	mkdir -p "$D"
	cp -a /etc "$D/etc"
	# A machine with OpenSMTPD: no Postfix or OpenDKIM configuration.
	rm -rf "$D/etc/postfix" "$D/etc/opendkim.conf" "$D/etc/opendkim" \
	    "$D/etc/default/opendkim" "$D/etc/mailname" "$D/etc/smtpd.conf" \
	    "$D/etc/mail/smtpd.conf"
	cp -a "$PKG/etc/init.d/opensmtpd" "$D/etc/init.d/"
	cp -a tests/fixtures/plan/deb12-opensmtpd/etc/mailname \
	    tests/fixtures/plan/deb12-opensmtpd/etc/hostname "$D/etc/"
	mkdir -p "$D/etc/notspam"
	cp tests/fixtures/plan/deb12-opensmtpd/etc/notspam/notspam.conf \
	    "$D/etc/notspam/"
	printf 'domains = example.com example.org\n' >>"$D/etc/notspam/notspam.conf"
	echo "nameserver 127.0.0.1" >"$D/etc/resolv.conf"
	cp tests/fixtures/smtpd_real/hosts "$D/etc/hosts"
	# The packages' users (their postinst: adduser --system).
	for u in opensmtpd:9101 opensmtpq:9102 _dkimsign:9103 _dkimproxy:9104; do
		echo "${u%:*}:x:${u#*:}:${u#*:}::/var/lib/opensmtpd/empty:/usr/sbin/nologin" \
		    >>"$D/etc/passwd"
		echo "${u%:*}:x:${u#*:}:" >>"$D/etc/group"
	done
	mkdir -p "$D/spool" "$D/log" "$D/backups" "$D/lib" "$D/dev" "$D/run" \
	    "$D/sink" "$D/bin" "$D/dns" "$D/dns0" "$D/zones"
	chmod 755 "$D" "$D/spool" "$D/log"
	cp tests/stack/unbound.sh tests/stack/zones.py tests/stack/smtpsink.py \
	    tests/stack/devlog.py tests/stack/dkimcheck.py \
	    tests/stack/dkimrelay.pl "$D/bin/"
	cp tests/fixtures/plan/zones/113.0.203.in-addr.arpa.zone "$D/zones/"
	cat >"$D/zones/receiver.example.zone" <<EOZ
\$ORIGIN receiver.example.
\$TTL 300
@ IN SOA ns.receiver.example. hostmaster.receiver.example. 1 3600 600 86400 300
@ IN NS ns.receiver.example.
ns IN A 127.0.0.1
@ IN MX 10 mx.receiver.example.
mx IN A 127.0.0.3
EOZ
	case $1 in
	dkimsign)
		cp tests/fixtures/smtpd_real/debian/etc/smtpd.conf "$D/etc/" ;;
	dkimproxy)
		cp -a tests/fixtures/smtpd_real/openbsd/etc/. "$D/etc/"
		# OpenBSD's /etc/mail/aliases, from Debian's /etc/aliases.
		cp /etc/aliases "$D/etc/mail/aliases" 2>/dev/null ||
		    : >"$D/etc/mail/aliases"
		echo 'CONFIG="/etc/mail/smtpd.conf"' >"$D/etc/default/opensmtpd"
		cat >"$D/bin/dkimproxy-restart" <<EOR
#!/bin/sh
# The test's dkimproxy restart (dkimproxy.restart): dkimrelay.pl on the
# file dkimproxy.out reads.
[ -s $D/dkimrelay.pid ] && kill "\$(cat $D/dkimrelay.pid)" 2>/dev/null
sleep 0.1
setsid perl $D/bin/dkimrelay.pl /etc/dkimproxy_out.conf </dev/null \\
    >>/var/log/dkimrelay.log 2>&1 &
echo \$! >$D/dkimrelay.pid
EOR
		chmod 755 "$D/bin/dkimproxy-restart"
		echo "dkimproxy.restart = $D/bin/dkimproxy-restart" \
		    >>"$D/etc/notspam/notspam.conf" ;;
	esac
	cp "$T_TMP/mode.$1" "$D/mode.sh"
	t0=$(date +%s)
	timeout -s KILL "$SMTPD_REAL_NS_S" unshare -m -p -f --kill-child --mount-proc -n \
	    --propagation private sh "$T_TMP/inner.sh" "$1" "$D" "$NOTSPAM" \
	    "$PY" "$PKG" >"$D/inner.out" 2>&1
	t1=$(date +%s)
	diag "$1: the namespace run took $((t1 - t0)) s; $(tr '\n' ';' <"$D/numbers" 2>/dev/null)"
	if [ ! -s "$D/results" ]; then
		not_ok "$1: the namespace run reported nothing"
		sed 's/^/# /' "$D/inner.out" | tail -n 20
		return
	fi
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "$1: ${line#ok }" ;;
		*) not_ok "$1: ${line#not ok }" ;;
		esac
	done <"$D/results"
	grep -q '^not ok' "$D/results" || return 0
	for f in plan.out apply.out apply.err smtpd-n.out records.err inner.out \
	    log/init.start log/mail.log log/dkimrelay.log log/submit.out \
	    log/keys.ls; do
		[ -s "$D/$f" ] || continue
		diag "--- $1: $f"
		tail -n 40 "$D/$f" | sed 's/^/# /'
	done
}

for m in ${SMTPD_REAL_MODES:-dkimsign dkimproxy}; do
	run_ns "$m"
	# notspam's own output inside the namespace, sanitizer reports too.
	for f in "$T_TMP/$m"/*.out "$T_TMP/$m"/*.err "$T_TMP/$m"/keygen.*; do
		[ -f "$f" ] && sanitizer_check "$f" "notspam ($m: $(basename "$f"))"
	done
done

# The grammar check says what dkimproxy.out would refuse or ignore: a
# method it does not take, an option it does not know (--root, a copy).
G=$T_TMP/grammar
cp -a tests/fixtures/smtpd_real/openbsd "$G"
mkdir -p "$G/etc/notspam"
printf 'domains = example.com\n' >"$G/etc/notspam/notspam.conf"
"$NOTSPAM" --root "$G" keygen example.com --signer dkimproxy >/dev/null 2>&1
cp "$G/etc/dkimproxy_out.conf" "$T_TMP/dp.conf"
sed 's/^signature dkim(c=relaxed)$/signature dkim(c=relaxed\/simple)/' \
    "$T_TMP/dp.conf" >"$G/etc/dkimproxy_out.conf"
run --root "$G" --zones tests/fixtures/plan/zones apply --dry-run
check "dkimproxy's grammar: a method it does not take is a warning" \
    has "$T_TMP/out" '^warning  /etc/dkimproxy_out.conf:[0-9]+: signature method relaxed/simple: dkimproxy takes simple, relaxed or nowsp'
sed 's/^signature dkim(c=relaxed)$/signature dkim(c=relaxed,alg=rsa-sha256)/' \
    "$T_TMP/dp.conf" >"$G/etc/dkimproxy_out.conf"
run --root "$G" --zones tests/fixtures/plan/zones apply --dry-run
check "  an option it does not know (dkimproxy ignores it) too" \
    has "$T_TMP/out" '^warning  /etc/dkimproxy_out.conf:[0-9]+: signature option "alg" is unknown: dkimproxy ignores it'
echo "1..$T_N"
