#!/bin/sh
# The console (no --root) against a real Postfix and OpenDKIM, driven in
# tmux: Debian's stock configs (tests/fixtures/plan/deb12-opendkim) at
# their real paths inside a private mount, PID and network namespace set
# up as doctor_real.sh does (a copy of /etc bound over /etc, tmpfs over
# /var/lib and /run, scratch spool, log and backup directories, a small
# /dev, lo up; nothing on the host touched).  `notspam apply --yes` wires
# the signer, then the seed's case: OpenDKIM `Socket inet:12345@localhost`
# (IPv4 only), Postfix `smtpd_milters = inet:[::1]:12345`.  The console,
# started with --zones on the records `notspam records` printed, probes on
# start: (1) the dashboard's smtpd hop says "refused"; (2) x: the Doctor
# screen names milter-family, its box a "seen: probe" line; (3) Enter:
# Configs on main.cf's diff, Esc, A, y applies (Postfix reloaded); (4) r:
# the smtpd hop says "handshake ok" and the Doctor has no milter-family.
# Skipped unless root with unshare.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

# Time limits, in seconds.
T_ALL=55	# the whole namespace run
T_LISTEN=5	# OpenDKIM listening after a restart
T_FIX=20	# apply --timeout: the signing path answering after it
T_SCREEN=10	# a screen showing what it should
T_APPLY=20	# the console's apply, its reload included
T_SETTLE=0.3	# a screen settling after a key, before what it lacks is read
T_HOLD=30	# the pane kept after the console exits

why=
if [ "$(id -u)" -ne 0 ]; then why="not root"
elif ! command -v unshare >/dev/null 2>&1; then why="unshare is missing"
elif ! command -v tmux >/dev/null 2>&1; then why="tmux is not installed"
elif ! command -v postfix >/dev/null 2>&1; then why="postfix is not installed"
elif ! command -v opendkim >/dev/null 2>&1; then why="opendkim is not installed"
elif ! unshare -m -p -f -n --propagation private true 2>/dev/null; then
	why="no private mount, PID and network namespace here (unshare)"
fi
if [ -n "$why" ]; then
	skip "the console against real Postfix and OpenDKIM" "$why"
	# NOTSPAM_KEEP=DIR keeps the screens, outputs and logs for a look.
[ -n "${NOTSPAM_KEEP:-}" ] && mkdir -p "$NOTSPAM_KEEP" &&
    cp -a "$D/screens" "$D/out" "$D/log" "$D/results" "$NOTSPAM_KEEP/" 2>/dev/null
echo "1..$T_N"
	exit 0
fi

D=$T_TMP/ns
mkdir -p "$D"
cp -a /etc "$D/etc"
cp -a tests/fixtures/plan/deb12-opendkim/etc/. "$D/etc/"
rm -f "$D/etc/aliases.db"
mkdir -p "$D/spool" "$D/log" "$D/backups" "$D/lib" "$D/dev" "$D/bin" \
    "$D/dns" "$D/out" "$D/screens"
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
cat >>"$D/etc/notspam/notspam.conf" <<EOS
domains = example.com
opendkim.restart = $D/bin/opendkim-restart
opendkim.reload = $D/bin/opendkim-restart
EOS
cp tests/stack/zones.py "$D/bin/"
cat >"$D/limits" <<EOS
T_LISTEN=$T_LISTEN T_FIX=$T_FIX T_SCREEN=$T_SCREEN T_APPLY=$T_APPLY
T_SETTLE=$T_SETTLE T_HOLD=$T_HOLD
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
# $$ is 1 here: the server's socket goes under $D, named by the suite's PID.
export TMUX_TMPDIR=$D/tmux
mkdir -p "$TMUX_TMPDIR"
TM="tmux -L notspam-tui-$PID -f /dev/null"
stopall() {
	$TM kill-server 2>/dev/null
	postfix stop >/dev/null 2>&1
	for p in $(cat "$D"/*.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
}
trap stopall EXIT
# until_s SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
until_s() {
	_w=$(( $1 * 10 )); shift
	while ! "$@"; do
		[ "$_w" -gt 0 ] || return 1
		sleep 0.1; _w=$((_w - 1))
	done
}
screen() { $TM capture-pane -p -t c; }
shows() { screen | grep -Eq -- "$1"; }
# see DESC SECONDS ERE: ok once the pane shows ERE, else the pane quoted.
see() {
	if until_s "$2" shows "$3"; then
		res "ok $1"; screen >"$D/screens/$(grep -c . "$R")"; return 0
	fi
	res "not ok $1"
	screen | sed 's/^/diag   | /' >>"$R"
	return 1
}
# unseen DESC ERE: the pane does not show ERE (after the screen settled).
unseen() {
	sleep "$T_SETTLE"
	if shows "$2"; then res "not ok $1"; screen | sed 's/^/diag   | /' >>"$R"
	else res "ok $1"; fi
}
key() { $TM send-keys -t c "$@"; }

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
# A devpts of its own: tmux opens the console's pty.
mkdir -p /dev/pts /dev/shm &&
    mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts /dev/pts &&
    ln -s pts/ptmx /dev/ptmx || die "devpts"
ln -s /proc/self/fd /dev/fd

postconf -e 'inet_interfaces = loopback-only' \
    'maillog_file = /var/log/mail.log' 'smtpd_tls_security_level = none' \
    'smtp_tls_security_level = none' || die "postconf -e"
mkdir -p /var/spool/postfix/etc
cp /etc/resolv.conf /etc/hosts /etc/services /var/spool/postfix/etc/ 2>/dev/null
newaliases 2>/dev/null
"$NS" keygen example.com >"$D/out/keygen" 2>&1 || die "keygen example.com"
postfix start >"$D/log/postfix.start" 2>&1 || die "postfix start"
"$D/bin/opendkim-restart"
"$NS" apply --yes --timeout "$T_FIX" >"$D/out/apply" 2>&1 || die "apply --yes"
"$NS" --json records >"$D/records.json" 2>"$D/out/records.err" &&
    "$PY" "$D/bin/zones.py" "$D/records.json" "$D/dns" >/dev/null ||
    die "zones from notspam records"

listening() {
	_p=$(printf '%04X' "$1")
	grep -q "^ *[0-9]*: [0-9A-F]*:$_p [0-9A-F:]* 0A" /proc/net/tcp
}
# The seed: OpenDKIM on 127.0.0.1 only, Postfix dials [::1].
sed -i 's|^Socket[ 	].*|Socket			inet:12345@localhost|' /etc/opendkim.conf
postconf -e 'smtpd_milters = inet:[::1]:12345' \
    'non_smtpd_milters = $smtpd_milters' || die "postconf the seed"
postfix reload >/dev/null 2>&1
"$D/bin/opendkim-restart"
until_s "$T_LISTEN" listening 12345 || die "opendkim listening on 12345"

HOP='postfix smtpd -> inet:\[::1\]:12345'
$TM new-session -d -s c -x 100 -y 30 "env TERM=xterm-256color LANG=C.UTF-8 $NS --zones $D/dns 2>>$D/out/console.err; echo EXITED \$?; sleep $T_HOLD" ||
    die "tmux new-session"
see "dashboard: the smtpd hop as probed: refused" "$T_SCREEN" "refused +$HOP"
key x
see "x: the Doctor screen names milter-family" "$T_SCREEN" '^ FAIL  milter-family +(\(apply fixes it\) )?postfix smtpd dials inet:\[::1\]:12345'
see "  a fixable finding says so (once the plan is made)" "$T_SCREEN" 'milter-family +\(apply fixes it\)'
# The first finding (the failures come first), then its box.
key g Enter
see "Enter: milter-family's box, main.cf's line seen" "$T_SCREEN" 'seen: /etc/postfix/main\.cf:[0-9]+: smtpd_milters = inet:\[::1\]:12345'
see "  seen: the probe's refused connect" "$T_SCREEN" 'seen: probe .*refused'
see "  apply can fix it" "$T_SCREEN" 'apply can fix this: Enter shows the plan for'
key Enter
see "Enter again: Configs on main.cf's diff" "$T_SCREEN" '^ /etc/postfix/main\.cf +\(postfix, [0-9]+ changes?\)'
key Escape
see "  Esc: the Configs files" "$T_SCREEN" '^ Configs +changes pending'
key A
see "  A asks" "$T_SCREEN" 'Write these [0-9]+ files?'
reloads() { grep -Ec 'postfix/postfix-script\[[0-9]+\]: refreshing the Postfix mail system' /var/log/mail.log; }
n0=$(reloads)
key y
see "  y: applied" "$T_APPLY" 'applied: [0-9]+ files? written'
if [ "$(postconf -h smtpd_milters)" = "inet:127.0.0.1:12345" ]; then
	res "ok   main.cf dials inet:127.0.0.1:12345 now"
else
	res "not ok   main.cf dials inet:127.0.0.1:12345 now ($(postconf -h smtpd_milters))"
fi
reloaded() { [ "$(reloads)" -gt "$n0" ]; }
if until_s "$T_APPLY" reloaded; then res "ok   Postfix reloaded (its log says so)"
else res "not ok   Postfix reloaded (its log says so)"; fi
# Back to the dashboard (Escape until it shows), then r.
for _ in 1 2 3 4; do shows 'x doctor' && break; key Escape; sleep "$T_SETTLE"; done
key r
see "r: the smtpd hop as probed: handshake ok" "$T_SCREEN" "handshake ok +postfix smtpd -> inet:127\\.0\\.0\\.1:12345"
unseen "  no hop is refused now" 'refused +postfix'
key x
see "x: the Doctor screen again, its findings made" "$T_SCREEN" '^ Doctor +(no finding|[0-9]+ failures?, [0-9]+ warnings?)'
see "  probed: the hand-overs answer" "$T_SCREEN" 'note: probed: [0-9]+ hand-overs? answers? as configured'
unseen "  milter-family is gone" 'milter-family'
key Escape q
see "q quits with 0" "$T_SCREEN" '^EXITED 0'
if [ -s "$D/out/console.err" ]; then res "not ok nothing on the console's stderr"
else res "ok nothing on the console's stderr"; fi
EOS

# The inner sh is PID 1 of its namespace and ignores SIGTERM: -k kills
# unshare, and --kill-child the rest.
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
	for f in "$D"/out/* "$D/inner.out" "$D/log/mail.log"; do
		[ -s "$f" ] || continue
		diag "--- ${f#$D/}"
		tail -n 20 "$f" | sed 's/^/# /'
	done
fi
# NOTSPAM_KEEP=DIR keeps the screens, outputs and logs for a look.
[ -n "${NOTSPAM_KEEP:-}" ] && mkdir -p "$NOTSPAM_KEEP" &&
    cp -a "$D/screens" "$D/out" "$D/log" "$D/results" "$NOTSPAM_KEEP/" 2>/dev/null
echo "1..$T_N"
