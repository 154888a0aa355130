#!/bin/sh
# Real signing after apply: Debian's stock Postfix and OpenDKIM configs
# (tests/fixtures/plan/deb12-opendkim) at their real paths inside a private
# mount, PID and network namespace (a copy of /etc bound over /etc, a tmpfs
# over /var/lib with dpkg bound back, scratch spool, log, run and backup
# directories, a /dev/log listener, lo up; nothing on the host touched),
# two hosted domains with keys made by `notspam keygen`, `notspam apply
# --yes` with no --root while Postfix and OpenDKIM run, then a message per
# domain over SMTP and one through sendmail reach an SMTP sink signed with
# that domain's d=, verified by dkimpy against unbound on loopback serving
# the records `notspam records` printed.  Skipped unless root with unshare.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
TOP=$(pwd)

why=
if [ "$(id -u)" -ne 0 ]; then why="not root"
elif ! command -v unshare >/dev/null 2>&1; then why="unshare is missing"
elif ! command -v postfix >/dev/null 2>&1; then why="postfix is not installed"
elif ! command -v opendkim >/dev/null 2>&1; then why="opendkim is not installed"
elif ! command -v unbound >/dev/null 2>&1; then why="unbound is not installed"
elif ! "$PY" -c 'import dkim, dns.resolver' 2>/dev/null; then
	why="python3-dkim or python3-dnspython is missing"
elif ! unshare -m -p -f -n --propagation private true 2>/dev/null; then
	why="no private mount, PID and network namespace here (unshare)"
fi
if [ -n "$why" ]; then
	skip "real signing after apply" "$why"
	echo "1..$T_N"
	exit 0
fi

# Not under /tmp's sticky parents for the keys: they live in the copy of
# /etc, which is bound over /etc (OpenDKIM walks the real path's parents).
D=$T_TMP/ns
mkdir -p "$D"
cp -a /etc "$D/etc"
cp -a tests/fixtures/plan/deb12-opendkim/etc/. "$D/etc/"
rm -f "$D/etc/aliases.db"
mkdir -p "$D/spool" "$D/log" "$D/backups" "$D/lib" "$D/dev" "$D/run" \
    "$D/sink" "$D/bin" "$D/dns"
chmod 755 "$D" "$D/spool" "$D/log"
cat >"$D/bin/opendkim-restart" <<EOS
#!/bin/sh
# The test's OpenDKIM restart (opendkim.restart): the daemon runs with -f
# so its PID is known.
[ -s $D/opendkim.pid ] && kill -9 "\$(cat $D/opendkim.pid)" 2>/dev/null
sleep 0.2
setsid /usr/sbin/opendkim -f -x /etc/opendkim.conf </dev/null \\
    >>$D/log/opendkim.out 2>&1 &
echo \$! >$D/opendkim.pid
EOS
chmod 755 "$D/bin/opendkim-restart"
cat >"$D/etc/notspam/notspam.conf" <<EOS
domains = example.com example.org
opendkim.restart = $D/bin/opendkim-restart
opendkim.reload = $D/bin/opendkim-restart
EOS
cp tests/stack/unbound.sh tests/stack/zones.py tests/stack/smtpsink.py \
    tests/stack/devlog.py tests/stack/dkimcheck.py "$D/bin/"

# The inside: one result line per check ("ok DESC" / "not ok DESC").
cat >"$D/inner.sh" <<'EOS'
set -u
D=$1 NS=$2 PY=$3
R=$D/results
: >"$R"
res() { echo "$*" >>"$R"; }
t() { _d=$1; shift; if "$@"; then res "ok $_d"; else res "not ok $_d"; fi; }
die() { res "not ok $*"; exit 1; }
stopall() {
	postfix stop >/dev/null 2>&1
	for p in $(cat "$D"/*.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
}
trap stopall EXIT

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
mkdir -p /dev/pts /dev/shm && mount --bind "$D/dev/pts" /dev/pts
ln -s /proc/self/fd /dev/fd
setsid "$PY" "$D/bin/devlog.py" /dev/log /var/log/mail.log \
    </dev/null >/dev/null 2>&1 &
echo $! >"$D/devlog.pid"

# Harness settings only (no milter: that is apply's): loopback, the sink
# as relayhost, no syslog, no TLS.
postconf -e 'inet_interfaces = loopback-only' \
    'relayhost = [127.0.0.1]:2526' 'maillog_file = /var/log/mail.log' \
    'smtp_dns_support_level = disabled' 'smtp_host_lookup = native' \
    'smtpd_peername_lookup = no' 'smtpd_tls_security_level = none' \
    'smtp_tls_security_level = none' || die "postconf -e"
mkdir -p /var/spool/postfix/etc
cp /etc/resolv.conf /etc/hosts /etc/services /var/spool/postfix/etc/ 2>/dev/null
newaliases 2>/dev/null

for dom in example.com example.org; do
	"$NS" keygen "$dom" >"$D/keygen.$dom" 2>&1
	t "keygen $dom" [ $? -eq 0 ]
done
setsid "$PY" "$D/bin/smtpsink.py" 127.0.0.1 2526 "$D/sink" \
    </dev/null >"$D/log/sink.out" 2>&1 &
echo $! >"$D/sink.pid"
postfix start >"$D/log/postfix.start" 2>&1 || die "postfix start"
"$D/bin/opendkim-restart"

t0=$(date +%s%N)
"$NS" apply --yes --timeout 20 >"$D/apply.out" \
    2>"$D/apply.err"
rc=$?
t1=$(date +%s%N)
echo "apply_ms $(( (t1 - t0) / 1000000 ))" >"$D/numbers"
t "apply --yes, no --root: 0 (got $rc)" [ "$rc" -eq 0 ]
t "  the milter answers where Postfix dials it" \
    grep -q '^answers  opendkim answers the milter negotiation at inet:127.0.0.1:8891' "$D/apply.out"
t "  Postfix reloaded and OpenDKIM restarted" \
    grep -q '^ran .*opendkim-restart' "$D/apply.out"
"$NS" apply --dry-run >"$D/again.out" 2>&1
t "  apply after apply plans nothing (exit $?)" grep -q '^nothing to do' "$D/again.out"

# The records the site needs now that the signer uses the keys.
"$NS" --json records >"$D/records.json" 2>"$D/records.err"
"$PY" "$D/bin/zones.py" "$D/records.json" "$D/dns" >"$D/zones.list" ||
    die "zones.py"
. "$D/bin/unbound.sh"
# shellcheck disable=SC2046
unbound_start "$D/dns" 5353 $(cat "$D/zones.list") || die "unbound"
cp "$D/dns/unbound.pid" "$D/unbound.pid" 2>/dev/null
{ cat "$D/zones.list"; grep -h '_domainkey' $(cat "$D/zones.list"); } \
    >"$D/log/zones.out" 2>&1

for dom in example.com example.org; do
	"$PY" - "$dom" <<'EOP' >>"$D/log/submit.out" 2>&1
import smtplib, sys
d = sys.argv[1]
m = ("From: <user@%s>\r\nTo: <rcpt@receiver.example>\r\nSubject: smtp %s\r\n"
     "\r\nsigned over SMTP\r\n" % (d, d))
s = smtplib.SMTP("127.0.0.1", 25, timeout=10)
s.sendmail("user@" + d, ["rcpt@receiver.example"], m)
s.quit()
EOP
	t "an SMTP submission from $dom is accepted" [ $? -eq 0 ]
	printf 'From: <user@%s>\nTo: <rcpt@receiver.example>\nSubject: sendmail %s\n\nsigned through sendmail\n' \
	    "$dom" "$dom" | sendmail -f "user@$dom" rcpt@receiver.example
	t "sendmail from $dom is accepted" [ $? -eq 0 ]
done
i=0
while [ "$(ls "$D/sink" | grep -c '\.eml$')" -lt 4 ] && [ $i -lt 150 ]; do
	sleep 0.2; i=$((i + 1))
done
t "4 messages reach the sink ($(ls "$D/sink" | grep -c '\.eml$'))" \
    [ "$(ls "$D/sink" | grep -c '\.eml$')" -eq 4 ]
for f in "$D"/sink/*.eml; do
	[ -e "$f" ] || continue
	subj=$(sed -n 's/^Subject: //p' "$f" | tr -d '\r' | head -n 1)
	v=$("$PY" "$D/bin/dkimcheck.py" 127.0.0.1 5353 "$f" 2>&1)
	t "$subj: signed with the domain's d= and verified by dkimpy ($v)" \
	    [ "${v##* }" = ok ]
done
t "the mail log shows OpenDKIM signing" grep -q 'DKIM-Signature field added' /var/log/mail.log

# A signing path that does not answer after the reload puts every file
# back: the stock files again (restore), then a restart that restarts
# nothing, so OpenDKIM still listens on its stock unix socket.
"$NS" restore >"$D/restore.out" 2>&1
t "restore with no --root: 0 (got $?)" [ $? -eq 0 ]
t "  main.cf has no milter again" sh -c '! grep -q milters /etc/postfix/main.cf'
mkdir -p "$D/before"
cp -a /etc/postfix/main.cf /etc/opendkim.conf /etc/default/opendkim "$D/before/"
sed -i 's#^opendkim\.\(restart\|reload\) = .*#opendkim.\1 = /bin/true#' \
    /etc/notspam/notspam.conf
"$NS" apply --yes --timeout 5 >"$D/fail.out" 2>&1
rc=$?
t "a milter that does not answer after the reload: 2 (got $rc)" [ "$rc" -eq 2 ]
t "  says why" grep -q 'does not answer after the reload: nothing answers at 127.0.0.1:8891' "$D/fail.out"
t "  and that every file was put back" grep -q '^restored ' "$D/fail.out"
t "  main.cf, opendkim.conf, /etc/default/opendkim byte-identical" \
    sh -c "cmp /etc/postfix/main.cf $D/before/main.cf && cmp /etc/opendkim.conf $D/before/opendkim.conf && cmp /etc/default/opendkim $D/before/opendkim"
t "  the new tables removed" [ ! -e /etc/opendkim/key.table ]
EOS

t0=$(date +%s)
unshare -m -p -f --mount-proc -n --propagation private \
    sh "$D/inner.sh" "$D" "$NOTSPAM" "$PY" >"$D/inner.out" 2>&1
t1=$(date +%s)
diag "the namespace run took $((t1 - t0)) s; $(cat "$D/numbers" 2>/dev/null)"
if [ ! -s "$D/results" ]; then
	not_ok "the namespace run reported nothing"
	sed 's/^/# /' "$D/inner.out" | tail -n 20
else
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" ;;
		*) not_ok "${line#not ok }" ;;
		esac
	done <"$D/results"
fi
if grep -q '^not ok' "$D/results" 2>/dev/null; then
	for f in records.err log/zones.out fail.out restore.out apply.out apply.err inner.out log/mail.log log/opendkim.out \
	    log/submit.out; do
		[ -s "$D/$f" ] || continue
		diag "--- $f"
		tail -n 40 "$D/$f" | sed 's/^/# /'
	done
fi
echo "1..$T_N"
