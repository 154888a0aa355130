#!/bin/sh
# notspam doctor against a real Postfix and OpenDKIM: Debian's stock
# configs (tests/fixtures/plan/deb12-opendkim) at their real paths inside
# a private mount, PID and network namespace, set up as apply_real.sh does
# (a copy of /etc bound over /etc, a tmpfs over /var/lib with dpkg bound
# back, scratch spool, log, run and backup directories, a /dev/log
# listener writing /var/log/mail.log, Postfix's maillog_file the same
# file, lo up; nothing on the host touched).  `notspam apply` wires the
# signer first (the healthy stack), then one scenario per cause breaks
# one thing, and each is checked three ways, with `notspam doctor` run
# without --root: (1) doctor names the cause with its evidence, the log
# lines Postfix and OpenDKIM really wrote included; (2) `doctor --fix ID
# --yes` makes the change, and apply's reload or restart runs; (3) a
# message sent afterwards reaches an SMTP sink signed, verified by dkimpy
# against unbound on loopback serving the records `notspam records`
# printed.  One namespace and one stack for all scenarios: the configs
# change between them, the sink and the mail log are emptied.
# The causes no configuration line makes are fixed through the same plan
# and transaction: OpenDKIM stopped (signer-not-running) is started by
# Debian's init script (PID 1 is not systemd), an insecure key gets its
# chown and chmod and OpenDKIM restarted, a socket only its owner may use
# (milter-permission) gets UMask 007 in opendkim.conf (backed up),
# postfix in OpenDKIM's group (usermod) and both restarted.
# Skipped unless root with unshare.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

# Time limits, in seconds.
T_ALL=150	# the whole namespace run
T_MAIL=10	# a message reaching the sink
T_LISTEN=5	# OpenDKIM listening after a restart
T_RELOAD=5	# Postfix's processes of before a reload gone
T_FIX=20	# doctor --fix --timeout: the signing path answering after it
T_SMTP=10	# one SMTP submission
T_LOG=5		# a line reaching the mail log

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
	skip "doctor against real Postfix and OpenDKIM" "$why"
	echo "1..$T_N"
	exit 0
fi

# The keys live in the copy of /etc, bound over /etc (OpenDKIM walks the
# real path's parents, and /tmp's are not safe).
D=$T_TMP/ns
mkdir -p "$D"
cp -a /etc "$D/etc"
cp -a tests/fixtures/plan/deb12-opendkim/etc/. "$D/etc/"
rm -f "$D/etc/aliases.db"
mkdir -p "$D/spool" "$D/log" "$D/backups" "$D/lib" "$D/dev" "$D/run" \
    "$D/sink" "$D/bin" "$D/dns" "$D/out"
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
cat >>"$D/etc/notspam/notspam.conf" <<EOS
domains = example.com
opendkim.restart = $D/bin/opendkim-restart
opendkim.reload = $D/bin/opendkim-restart
EOS
cp tests/stack/unbound.sh tests/stack/zones.py tests/stack/smtpsink.py \
    tests/stack/devlog.py tests/stack/dkimcheck.py "$D/bin/"
cat >"$D/bin/submit.py" <<'EOP'
# submit.py TIMEOUT SUBJECT: one message from user@example.com over SMTP
# to 127.0.0.1:25; prints "accepted" or the server's refusal.
import smtplib, sys
subj = sys.argv[2]
m = ("From: <user@example.com>\r\nTo: <rcpt@receiver.example>\r\n"
     "Subject: %s\r\n\r\nover SMTP\r\n" % subj)
try:
    s = smtplib.SMTP("127.0.0.1", 25, timeout=float(sys.argv[1]))
    s.sendmail("user@example.com", ["rcpt@receiver.example"], m)
    s.quit()
except smtplib.SMTPResponseException as e:
    print("refused %d %s" % (e.smtp_code, e.smtp_error.decode(errors="replace")))
    sys.exit(1)
except Exception as e:
    print("failed %r" % e)
    sys.exit(2)
print("accepted")
EOP
cat >"$D/limits" <<EOS
T_MAIL=$T_MAIL T_LISTEN=$T_LISTEN T_RELOAD=$T_RELOAD T_FIX=$T_FIX T_SMTP=$T_SMTP T_LOG=$T_LOG
EOS

# The inside: one result line per check ("ok DESC", "not ok DESC",
# "skip DESC # REASON").
cat >"$D/inner.sh" <<'EOS'
set -u
D=$1 NS=$2 PY=$3
. "$D/limits"
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
ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
	_w=$(( $1 * 10 )); shift
	while ! "$@"; do
		[ "$_w" -gt 0 ] || return 1
		sleep 0.1; _w=$((_w - 1))
	done
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
mkdir -p /dev/pts /dev/shm && mount --bind "$D/dev/pts" /dev/pts
ln -s /proc/self/fd /dev/fd
# OpenDKIM logs to syslog: the listener appends to /var/log/mail.log,
# where Postfix's postlogd writes too (maillog_file below).
setsid "$PY" "$D/bin/devlog.py" /dev/log /var/log/mail.log \
    </dev/null >/dev/null 2>&1 &
echo $! >"$D/devlog.pid"

# Harness settings only (no milter: that is apply's): loopback, the sink
# as relayhost, the log file, no TLS.
postconf -e 'inet_interfaces = loopback-only' \
    'relayhost = [127.0.0.1]:2526' 'maillog_file = /var/log/mail.log' \
    'smtp_dns_support_level = disabled' 'smtp_host_lookup = native' \
    'smtpd_peername_lookup = no' 'smtpd_tls_security_level = none' \
    'smtp_tls_security_level = none' || die "postconf -e"
# A chrooted smtpd (the stock master.cf) needs these under the queue.
mkdir -p /var/spool/postfix/etc
cp /etc/resolv.conf /etc/hosts /etc/services /var/spool/postfix/etc/ 2>/dev/null
newaliases 2>/dev/null
"$NS" keygen example.com >"$D/out/keygen" 2>&1 || die "keygen example.com"
setsid "$PY" "$D/bin/smtpsink.py" 127.0.0.1 2526 "$D/sink" \
    </dev/null >"$D/log/sink.out" 2>&1 &
echo $! >"$D/sink.pid"
postfix start >"$D/log/postfix.start" 2>&1 || die "postfix start"

# ---- helpers ----------------------------------------------------------------

# The listener of a Socket spec is up (the /proc tables of this namespace).
listening() {
	case $1 in
	inet:*) _p=$(printf '%04X' "$(echo "$1" | sed 's/^inet:\([0-9]*\).*/\1/')")
		grep -q "^ *[0-9]*: [0-9A-F]*:$_p [0-9A-F:]* 0A" /proc/net/tcp ;;
	local:*) grep -q " ${1#local:}\$" /proc/net/unix ;;
	*) return 1 ;;
	esac
}
not_listening() { ! listening "$1"; }
# dkim_restart: OpenDKIM again, waited for on its Socket.
dkim_restart() {
	"$D/bin/opendkim-restart"
	_s=$(sed -n 's/^Socket[ 	]*//p' /etc/opendkim.conf)
	wait_for "$T_LISTEN" listening "$_s"
}
# Postfix's smtpd, cleanup and pickup processes now running.
pf_kids() {
	for _c in /proc/[0-9]*/comm; do
		case $(cat "$_c" 2>/dev/null) in
		smtpd|cleanup|pickup) _c=${_c#/proc/}; echo "${_c%/comm}" ;;
		esac
	done
}
gone() { for _p in $1; do [ -d "/proc/$_p" ] && return 1; done; return 0; }
# settle: after a reload, the processes that read the old main.cf are
# gone, so the next message meets the new one.
settle() { wait_for "$T_RELOAD" gone "$1"; }
pf_reload() {
	_old=$(pf_kids)
	postfix reload >/dev/null 2>&1
	settle "$_old"
}
# wire SOCKET MILTERS: OpenDKIM's Socket and Postfix's smtpd_milters, the
# rest as the healthy stack has it; both restarted.
wire() {
	sed -i "s|^Socket[ 	].*|Socket			$1|" /etc/opendkim.conf
	postconf -e "smtpd_milters = $2" 'non_smtpd_milters = $smtpd_milters'
	postconf -X milter_default_action
	pf_reload
	dkim_restart
}
# round NAME: a new scenario: empty sink, empty mail log, empty queue.
round() {
	S=$1
	postsuper -d ALL >/dev/null 2>&1
	rm -f "$D"/sink/*.eml
	: >/var/log/mail.log
	S_T0=$(ms)
}
round_end() { echo "$S $(( $(ms) - S_T0 ))" >>"$D/numbers"; }
# smtp SUBJECT: submit over SMTP; $SENT is its answer.
smtp() {
	SENT=$("$PY" "$D/bin/submit.py" "$T_SMTP" "$1" 2>&1)
	echo "$S: $1: $SENT" >>"$D/log/submit.out"
	[ "$SENT" = accepted ]
}
# The last submission was held: 451 4.7.1 (milter_default_action tempfail).
held() { case $SENT in "refused 451 4.7.1"*) return 0 ;; esac; return 1; }
local_send() {
	printf 'From: <user@example.com>\nTo: <rcpt@receiver.example>\nSubject: %s\n\nthrough sendmail\n' \
	    "$1" | sendmail -f user@example.com rcpt@receiver.example
}
# The sink's file with that Subject.
sunk() { grep -l "^Subject: $1.\$" "$D"/sink/*.eml 2>/dev/null | head -n 1; }
has_sunk() { [ -n "$(sunk "$1")" ]; }
# signed SUBJECT: it reached the sink and dkimpy verifies it.
signed() {
	wait_for "$T_MAIL" has_sunk "$1" || { V="not at the sink"; return 1; }
	V=$("$PY" "$D/bin/dkimcheck.py" 127.0.0.1 5353 "$(sunk "$1")" 2>&1)
	[ "${V##* }" = ok ]
}
unsigned() {
	wait_for "$T_MAIL" has_sunk "$1" &&
	    ! grep -qi '^DKIM-Signature:' "$(sunk "$1")"
}
# doctor NAME [ARGS...]: notspam doctor, output in $D/out/NAME, status $RC.
doctor() {
	_n=$1; shift
	"$NS" doctor "$@" >"$D/out/$S.$_n" 2>&1
	RC=$?
	O=$D/out/$S.$_n
}
has() { grep -Eq -- "$2" "$1"; }
# has_line TEXT ERE: TEXT matches.
has_line() { printf '%s\n' "$1" | grep -Eq -- "$2"; }
hasnt() { ! grep -Eq -- "$2" "$1"; }
# logged ERE: the line of the mail log that matches, without its time
# stamp and host, once it is there (postlogd and the /dev/log listener
# write it a moment after the daemon sent it).
in_log() { grep -Eq -- "$1" /var/log/mail.log; }
logged() {
	wait_for "$T_LOG" in_log "$1" &&
	    grep -E -m1 -- "$1" /var/log/mail.log | sed 's/^.* \([a-z/]*\[[0-9]*\]: \)/\1/'
}
# log_count ERE N: N lines match, once they are there; $LOGN the count.
log_n() { LOGN=$(grep -Ec -- "$1" /var/log/mail.log); [ "$LOGN" -ge "$2" ]; }
log_count() { wait_for "$T_LOG" log_n "$1" "$2"; }
# An ERE matching a string literally.
lit() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; }
# next_second: wait for the clock's next second.  Log lines carry whole
# seconds, and doctor takes a line of the second a file changed in as
# after the change (it does not hide a failure on a guess): a person
# reads the doctor's output before fixing, and so does this test.
next_second() {
	_s=$(date +%s)
	while [ "$(date +%s)" = "$_s" ]; do sleep 0.05; done
}
# fix ID DESC...: doctor --fix ID --yes, fixed, reloads ran; the doctor
# run after it names no failure the stale log lines would not explain.
fix() {
	_id=$1
	next_second
	_old=$(pf_kids)
	doctor fix --fix "$_id" --yes --timeout "$T_FIX"
	t "$S: doctor --fix $_id --yes: 0 (got $RC)" [ "$RC" -eq 0 ]
	t "$S:   says it is fixed" has "$O" "^fixed +$_id: "
	settle "$_old"
}
# dry ID: doctor --fix ID --dry-run: 1, something pending; nothing runs.
dry() {
	doctor dry --fix "$1" --dry-run
	t "$S:   --fix $1 --dry-run: 1, a change pending (got $RC)" [ "$RC" -eq 1 ]
}
# backed FILE COPY: the last fix's backup (its "backup" line) holds COPY's
# bytes as FILE's old ones.
backed() {
	_b=$(sed -En 's/^backup +//p' "$O" | head -n 1)
	[ -n "$_b" ] && cmp -s "$2" "/var/backups/notspam/${_b##*/}/files$1"
}
# after SUBJECT: a message sent after the fix is signed and verified.
after() {
	smtp "$1"
	t "$S: after the fix an SMTP submission is accepted ($SENT)" [ "$SENT" = accepted ]
	signed "$1"
	t "$S:   reaches the sink signed, dkimpy verifies it ($V)" [ "${V##* }" = ok ]
}
# healthy_now: the doctor run now has no failure.
healthy_now() {
	doctor now
	t "$S: the doctor afterwards names no failure (exit $RC)" hasnt "$O" '^FAIL'
}

# ---- the healthy stack: apply wires OpenDKIM ----------------------------------
round healthy
"$D/bin/opendkim-restart"
"$NS" apply --yes --timeout "$T_FIX" >"$D/out/apply" 2>&1
t "apply --yes wires the signer: 0 (got $?)" [ $? -eq 0 ]
"$NS" --json records >"$D/records.json" 2>"$D/records.err"
"$PY" "$D/bin/zones.py" "$D/records.json" "$D/dns" >"$D/zones.list" ||
    die "zones.py"
. "$D/bin/unbound.sh"
# shellcheck disable=SC2046
unbound_start "$D/dns" 5353 $(cat "$D/zones.list") || die "unbound"
cp "$D/dns/unbound.pid" "$D/unbound.pid" 2>/dev/null
SOCK0=$(sed -n 's/^Socket[ 	]*//p' /etc/opendkim.conf)
MILT0=$(postconf -h smtpd_milters)
res "diag healthy: Socket $SOCK0, smtpd_milters = $MILT0"
smtp "healthy smtp"
signed "healthy smtp"
t "healthy: an SMTP submission is signed, dkimpy verifies it ($V)" [ "${V##* }" = ok ]
local_send "healthy sendmail"
signed "healthy sendmail"
t "healthy: sendmail's is signed too ($V)" [ "${V##* }" = ok ]
t "healthy: OpenDKIM logged its signature" has /var/log/mail.log 'opendkim\[[0-9]+\]: [0-9A-F]+: DKIM-Signature field added'
doctor text
t "healthy: doctor names no failure (exit $RC)" hasnt "$O" '^FAIL'
t "healthy:   and exits 0 or 1" [ "$RC" -le 1 ]
t "healthy:   it read the mail log" hasnt "$O" 'no mail log was found'
t "healthy:   and read this server, not a root (no --root note)" hasnt "$O" '^note +--root'
round_end


# ---- the seed: OpenDKIM on IPv4, Postfix dials IPv6 ----------------------------
round seed
wire 'inet:12345@localhost' 'inet:[::1]:12345'
smtp "seed held"
t "seed: Postfix holds the submission ($SENT)" held
line=$(logged 'postfix/smtpd\[[0-9]+\]: warning: connect to Milter service inet:\[::1\]:12345: Connection refused$')
t "seed: Postfix logged the real line: $line" [ -n "$line" ]
doctor text
t "seed: doctor: 2 (got $RC)" [ "$RC" -eq 2 ]
t "seed:   milter-family: smtpd dials [::1], opendkim listens on 127.0.0.1 only" \
    has "$O" '^FAIL  milter-family: postfix smtpd dials inet:\[::1\]:12345: opendkim listens on 127\.0\.0\.1:12345 \(IPv4 only\)$'
t "seed:   seen: main.cf's smtpd_milters line" \
    has "$O" '^  seen     /etc/postfix/main\.cf:[0-9]+: smtpd_milters = inet:\[::1\]:12345$'
t "seed:   seen: opendkim.conf's Socket line" \
    has "$O" '^  seen     /etc/opendkim\.conf:[0-9]+: Socket inet:12345@localhost$'
t "seed:   seen: the line Postfix logged" has "$O" \
    "^  seen     log [0-9-]+ [0-9:]+ postfix/smtpd milter-refused inet:\\[::1\\]:12345( \\(x[0-9]+ since [0-9:]+\\))?: .*$(lit "$line")\$"
t "seed:   seen: the probe: nothing on [::1], opendkim on 127.0.0.1 only" has "$O" \
    '^  seen     probe postfix smtpd -> inet:\[::1\]:12345: refused: nothing listens on \[::1\]:12345; opendkim \(pid [0-9]+, uid [0-9]+\) listens on 127\.0\.0\.1:12345 only \(IPv4\)$'
t "seed:   apply fixes it, said" has "$O" '^  apply    notspam doctor --fix milter-family$'
"$NS" --json doctor >"$D/out/seed.json" 2>&1
t "seed:   --json: the finding with main.cf's line, fixable, the log line as evidence" \
    "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = [f for f in d["findings"] if f["id"] == "milter-family" and "smtpd" in f["title"]]
assert len(f) == 1, d["findings"]
f = f[0]
assert f["severity"] == "FAIL" and f["file"] == "/etc/postfix/main.cf" and f["apply_fixes"], f
assert any(e.startswith("log ") and e.endswith(sys.argv[2]) for e in f["evidence"]), f["evidence"]
' "$D/out/seed.json" "$line"
fix milter-family
t "seed:   Postfix dials 127.0.0.1:12345 ($(postconf -h smtpd_milters))" \
    [ "$(postconf -h smtpd_milters)" = "inet:127.0.0.1:12345" ]
t "seed:   Postfix reloaded" has "$O" '^ran +.*postfix reload'
after "seed signed"
healthy_now
t "seed:   the refused connect of before is a note: main.cf changed since" has "$O" \
    '^NOTE  milter-refused: .*inet:\[::1\]:12345 \(logged before /etc/postfix/main\.cf changed at [0-9:]+\)$'
round_end

# ---- port mismatch ------------------------------------------------------------
round port
wire 'inet:8891@localhost' 'inet:localhost:8892'
smtp "port held"
t "port: Postfix holds the submission ($SENT)" held
line=$(logged 'postfix/smtpd\[[0-9]+\]: warning: connect to Milter service inet:localhost:8892: Connection refused$')
t "port: Postfix logged: $line" [ -n "$line" ]
doctor text
t "port: doctor: 2 (got $RC)" [ "$RC" -eq 2 ]
t "port:   milter-endpoint: dials 8892, opendkim listens on 8891" \
    has "$O" '^FAIL  milter-endpoint: postfix smtpd dials inet:localhost:8892: opendkim listens on 127\.0\.0\.1:8891 instead$'
t "port:   seen: both lines" sh -c "grep -Eq '^  seen     /etc/postfix/main\.cf:[0-9]+: smtpd_milters = inet:localhost:8892\$' '$O' &&
    grep -Eq '^  seen     /etc/opendkim\.conf:[0-9]+: Socket inet:8891@localhost\$' '$O'"
t "port:   seen: the line Postfix logged" has "$O" \
    "^  seen     log .* postfix/smtpd milter-refused inet:localhost:8892.*: .*$(lit "$line")\$"
fix milter-endpoint
t "port:   Postfix dials 8891 ($(postconf -h smtpd_milters))" \
    has_line "$(postconf -h smtpd_milters)" '^inet:(localhost|127\.0\.0\.1):8891$'
after "port signed"
healthy_now
round_end

# ---- a unix socket outside the chrooted smtpd's view -------------------------
round chroot
wire 'local:/run/opendkim/opendkim.sock' 'unix:/run/opendkim/opendkim.sock'
t "chroot: the stock master.cf runs smtpd chrooted" \
    [ "$(awk '$1 == "smtp" && $2 == "inet" { print $5 }' /etc/postfix/master.cf)" = y ]
smtp "chroot held"
t "chroot: Postfix holds the submission ($SENT)" held
line=$(logged 'postfix/smtpd\[[0-9]+\]: warning: connect to Milter service unix:/run/opendkim/opendkim\.sock: No such file or directory$')
t "chroot: Postfix logged: $line" [ -n "$line" ]
doctor text
t "chroot: doctor: 2 (got $RC)" [ "$RC" -eq 2 ]
t "chroot:   milter-chroot: the path as the chrooted smtpd sees it" has "$O" \
    '^FAIL  milter-chroot: postfix smtpd dials unix:/run/opendkim/opendkim\.sock: it opens /var/spool/postfix/run/opendkim/opendkim\.sock; opendkim listens on /run/opendkim/opendkim\.sock$'
t "chroot:   seen: the master.cf line that chroots it" has "$O" \
    '^  seen     the socket it opens: /var/spool/postfix/run/opendkim/opendkim\.sock \(smtp/inet runs chrooted in /var/spool/postfix, /etc/postfix/master\.cf:[0-9]+ column 5\)$'
t "chroot:   seen: the line Postfix logged" has "$O" \
    "^  seen     log .* postfix/smtpd milter-no-socket unix:/run/opendkim/opendkim\\.sock.*: .*$(lit "$line")\$"
t "chroot:   seen: the probe's connect in the chroot, as postfix" has "$O" \
    '^  seen     probe saw: connect to unix:/run/opendkim/opendkim\.sock in the chroot /var/spool/postfix: No such file or directory \(as postfix, chrooted\)$'
fix milter-chroot
s=$(sed -n 's/^Socket[ 	]*//p' /etc/opendkim.conf)
t "chroot:   OpenDKIM restarted (apply's opendkim.restart)" has "$O" '^ran +.*opendkim-restart'
t "chroot:   opendkim listens where Postfix dials ($s, $(postconf -h smtpd_milters))" \
    sh -c "[ '$s' != 'local:/run/opendkim/opendkim.sock' ] && [ '$(postconf -h smtpd_milters)' != 'unix:/run/opendkim/opendkim.sock' ]"
after "chroot signed"
healthy_now
round_end

# ---- milter_default_action = accept with a dead milter ---------------------------
round accept
wire "$SOCK0" 'inet:127.0.0.1:8892'
postconf -e 'milter_default_action = accept'
pf_reload
smtp "accept 1"
a1=$SENT
smtp "accept 2"
t "accept: both submissions accepted ($a1; $SENT)" [ "$a1 $SENT" = "accepted accepted" ]
t "accept:   the first reaches the sink UNSIGNED" unsigned "accept 1"
t "accept:   the second too" unsigned "accept 2"
log_count 'postfix/smtpd\[[0-9]+\]: warning: connect to Milter service inet:127\.0\.0\.1:8892: Connection refused$' 2
n=$LOGN
t "accept: Postfix logged a refused connect per message ($n)" [ "$n" -eq 2 ]
doctor text
t "accept: doctor: 2 (got $RC)" [ "$RC" -eq 2 ]
t "accept:   milter-accept is a failure" has "$O" \
    '^FAIL  milter-accept: milter_default_action = accept while a milter hop is broken: mail leaves unsigned, silently$'
t "accept:   with the count of unsigned messages from the log" has "$O" \
    "^  seen     the log: $n messages left unsigned after this \\(inet:127\\.0\\.0\\.1:8892\\)\$"
t "accept:   seen: the accept line" has "$O" '^  seen     /etc/postfix/main\.cf:[0-9]+: milter_default_action = accept$'
fix milter-accept
t "accept:   the dead hop went with the same file's edit, said" has "$O" '^also +milter-endpoint: '
t "accept:   milter_default_action is not accept ($(postconf -h milter_default_action))" \
    [ "$(postconf -h milter_default_action)" != accept ]
after "accept signed"
healthy_now
round_end

# ---- non_smtpd_milters unset: sendmail's mail leaves unsigned ---------------------
round local
postconf -X non_smtpd_milters
pf_reload
local_send "local unsigned"
t "local: sendmail's message reaches the sink UNSIGNED" unsigned "local unsigned"
smtp "local smtp"
signed "local smtp"
t "local:   an SMTP one is still signed ($V)" [ "${V##* }" = ok ]
doctor text
t "local: doctor: 1, a warning (got $RC)" [ "$RC" -eq 1 ]
t "local:   milter-local" has "$O" \
    '^WARN  milter-local: non_smtpd_milters is empty: mail from sendmail, cron and web apps leaves unsigned$'
t "local:   seen: smtpd_milters" has "$O" "^  seen     /etc/postfix/main\\.cf:[0-9]+: smtpd_milters = $(lit "$MILT0")\$"
t "local:   seen: non_smtpd_milters not set" has "$O" "^  seen     non_smtpd_milters is not set \\(Postfix's default: empty\\)\$"
t "local:   apply fixes it, said" has "$O" '^  apply    notspam doctor --fix milter-local$'
fix milter-local
t "local:   non_smtpd_milters = \$smtpd_milters ($(postconf -h non_smtpd_milters))" \
    [ "$(postconf -h non_smtpd_milters)" = '$smtpd_milters' ]
local_send "local signed"
signed "local signed"
t "local:   sendmail's message after the fix is signed, dkimpy verifies it ($V)" [ "${V##* }" = ok ]
healthy_now
round_end

# ---- a key another user can read --------------------------------------------------
round key
KEY=$(sed -n '1s/^[^ ]* [^:]*:[^:]*://p' /etc/opendkim/key.table)
# The group has a member besides OpenDKIM's user: its read bit makes
# the key readable by postfix.
echo 'dkimread:x:4999:postfix' >>/etc/group
chgrp dkimread "$KEY" && chmod 0640 "$KEY"
dkim_restart
smtp "key refused"
k1=$SENT
line=$(logged "opendkim\\[[0-9]+\\]: .*key data is not secure")
t "key: OpenDKIM refuses the key: $line" [ -n "$line" ]
res "diag key: the submission with the refused key: $k1"
doctor text
t "key: doctor: 2 (got $RC)" [ "$RC" -eq 2 ]
t "key:   key-insecure names the key" has "$O" \
    "^FAIL  key-insecure: [^ ]+\\._domainkey\\.example\\.com: the key $(lit "$KEY") is not safe\$"
t "key:   seen: the group with another member" has "$O" \
    "^  seen     $(lit "$KEY"): .* is in group 4999 which has multiple users \\(e\\.g\\. \"postfix\"\\)"
t "key:   seen: OpenDKIM's own line" has "$O" "^  seen     log .* opendkim key-insecure .*key data is not secure"
t "key:   apply fixes it, said" has "$O" '^  apply    notspam doctor --fix key-insecure$'
dry key-insecure
t "key:   the step: the key to OpenDKIM's user" has "$O" "^step +chown opendkim:opendkim $(lit "$KEY"): "
t "key:   the step: chmod 0600" has "$O" "^step +chmod 0600 $(lit "$KEY"): "
t "key:   then OpenDKIM restarted (its restart command)" has "$O" '^then +.*/opendkim-restart$'
t "key:   no file to change, said" has "$O" '^3 commands to run, no file to change; notspam doctor --fix key-insecure --yes runs them$'
t "key:   the dry run changed nothing ($(stat -c '%G %a' "$KEY"))" [ "$(stat -c '%G %a' "$KEY")" = "dkimread 640" ]
fix key-insecure
t "key:   ran the chown, the chmod and the restart" sh -c "grep -Eq '^ran +chown opendkim:opendkim ' '$O' &&
    grep -Eq '^ran +chmod 0600 ' '$O' && grep -Eq '^ran +.*/opendkim-restart\$' '$O'"
t "key:   the signing path answers after it" has "$O" '^answers +opendkim answers the milter negotiation at '
t "key:   no file changed: no backup" hasnt "$O" '^backup '
t "key:   the key is OpenDKIM's and 0600 now ($(stat -c '%U:%G %a' "$KEY"))" \
    [ "$(stat -c '%U:%G %a' "$KEY")" = "opendkim:opendkim 600" ]
doctor after
t "key:   after it, key-insecure is no failure" hasnt "$O" '^FAIL  key-insecure'
t "key:   OpenDKIM's refusal is history now: a note, since the key changed" has "$O" \
    "^NOTE  key-insecure: .*\\(logged before $(lit "$KEY") changed at [0-9:]+\\)\$"
after "key signed"
round_end

# ---- OpenDKIM stopped (the probes' case) ------------------------------------------
round stopped
# Started as on a server whose PID 1 is not systemd: by Debian's init
# script (the test's restart command out of notspam.conf for this round;
# taken out before the log lines, so they are not older than the change).
cp /etc/notspam/notspam.conf "$D/notspam.conf.test"
sed -i '/^opendkim\.re\(start\|load\) = /d' /etc/notspam/notspam.conf
kill -9 "$(cat "$D/opendkim.pid")" 2>/dev/null
rm -f "$D/opendkim.pid"
wait_for "$T_LISTEN" not_listening "$SOCK0"
smtp "stopped held"
t "stopped: Postfix holds the submission ($SENT)" held
line=$(logged "postfix/smtpd\\[[0-9]+\\]: warning: connect to Milter service $(lit "$MILT0"): Connection refused\$")
t "stopped: Postfix logged: $line" [ -n "$line" ]
doctor text
t "stopped: doctor: 2 (got $RC)" [ "$RC" -eq 2 ]
t "stopped:   a failure carries the refused connect Postfix logged" has "$O" \
    "^  seen     log .* postfix/smtpd milter-refused $(lit "$MILT0")"
t "stopped:   signer-not-running names opendkim (the probes)" has "$O" '^FAIL  signer-not-running: opendkim is not running$'
t "stopped:   seen: its pid file with no live process" has "$O" '^  seen     no live process behind /run/opendkim/opendkim\.pid$'
t "stopped:   seen: the probe's refused connect" has "$O" \
    "^  seen     probe postfix smtpd -> $(lit "$MILT0"): refused: "
t "stopped:   the log line joins it (no milter-refused of its own)" hasnt "$O" '^FAIL  milter-refused'
t "stopped:   apply starts it, said" has "$O" '^  apply    notspam doctor --fix signer-not-running$'
dry signer-not-running
t "stopped:   the start: Debian's init script" has "$O" '^then +/etc/init\.d/opendkim start$'
t "stopped:   no file to change, said" has "$O" '^1 command to run, no file to change; '
t "stopped:   the dry run started nothing" not_listening "$SOCK0"
fix signer-not-running
t "stopped:   ran the init script's start" has "$O" '^ran +/etc/init\.d/opendkim start$'
t "stopped:   the signing path answers after it" has "$O" \
    "^answers +opendkim answers the milter negotiation at $(lit "$MILT0")\$"
t "stopped:   no file changed: no backup" hasnt "$O" '^backup '
t "stopped:   OpenDKIM listens on $SOCK0 again" listening "$SOCK0"
# The test's restart stops this one later.
cp /run/opendkim/opendkim.pid "$D/opendkim.pid" 2>/dev/null
after "stopped signed"
healthy_now
t "stopped:   the refused connect of before: a note, it answers the probe now" has "$O" \
    '^NOTE  milter-refused: .*\(it answers the probe now\)$'
round_end

# ---- a socket only its owner may use (the probes' case) ---------------------------
round perm
cp "$D/notspam.conf.test" /etc/notspam/notspam.conf
mkdir -p /var/spool/postfix/opendkim
chown opendkim:opendkim /var/spool/postfix/opendkim
chmod 755 /var/spool/postfix/opendkim
sed -i 's/^UMask[ 	].*/UMask			077/' /etc/opendkim.conf
wire 'local:/var/spool/postfix/opendkim/opendkim.sock' 'unix:opendkim/opendkim.sock'
t "perm: OpenDKIM's socket is 0700, owned by opendkim ($(stat -c '%a %U' /var/spool/postfix/opendkim/opendkim.sock 2>&1))" \
    [ "$(stat -c '%a %U' /var/spool/postfix/opendkim/opendkim.sock 2>&1)" = "700 opendkim" ]
smtp "perm held"
t "perm: Postfix holds the submission ($SENT)" held
line=$(logged 'postfix/smtpd\[[0-9]+\]: warning: connect to Milter service unix:opendkim/opendkim\.sock: Permission denied$')
t "perm: Postfix logged: $line" [ -n "$line" ]
doctor text
t "perm: doctor: 2 (got $RC)" [ "$RC" -eq 2 ]
t "perm:   a failure carries the Permission denied Postfix logged" has "$O" \
    "^  seen     log .* postfix/smtpd milter-denied unix:opendkim/opendkim\\.sock.*: .*$(lit "$line")\$"
t "perm:   milter-permission (the probes): the socket's mode, as postfix" has "$O" \
    '^FAIL  milter-permission: postfix smtpd dials unix:opendkim/opendkim\.sock: postfix may not write the socket /var/spool/postfix/opendkim/opendkim\.sock \(srwx------ opendkim:opendkim'
t "perm:   seen: the probe's own connect, as postfix" has "$O" \
    '^  seen     probe saw: connect to unix:opendkim/opendkim\.sock: Permission denied \(as postfix\)$'
t "perm:   the log line joins it (no milter-denied of its own)" hasnt "$O" '^FAIL  milter-denied'
t "perm:   the fix says UMask 007 and postfix in the group" has "$O" \
    '^  fix      UMask 007 in opendkim\.conf and the MTA.s user in the socket.s group \(usermod -aG opendkim postfix\)'
t "perm:   apply fixes it, said" has "$O" '^  apply    notspam doctor --fix milter-permission$'
cp /etc/group "$D/group.before"
cp /etc/gshadow "$D/gshadow.before" 2>/dev/null
cp /etc/opendkim.conf "$D/opendkim.conf.before"
dry milter-permission
t "perm:   the edit: UMask 007 in opendkim.conf" sh -c "grep -Eq '^== /etc/opendkim\.conf ' '$O' &&
    grep -Eq '^-UMask[[:space:]]+077\$' '$O' && grep -Eq '^[+]UMask[[:space:]]+007\$' '$O'"
t "perm:   the step: postfix into the socket's group" has "$O" '^step +usermod -a -G opendkim postfix: '
t "perm:   then OpenDKIM restarted, and Postfix by its init script" sh -c "
    grep -Eq '^then +.*/opendkim-restart\$' '$O' && grep -Eq '^then +/etc/init\.d/postfix restart\$' '$O'"
t "perm:   the dry run changed nothing" sh -c "cmp -s /etc/opendkim.conf '$D/opendkim.conf.before' && cmp -s /etc/group '$D/group.before'"
fix milter-permission
t "perm:   ran usermod and both restarts" sh -c "grep -Eq '^ran +usermod -a -G opendkim postfix\$' '$O' &&
    grep -Eq '^ran +.*/opendkim-restart\$' '$O' && grep -Eq '^ran +/etc/init\.d/postfix restart\$' '$O'"
t "perm:   the backup holds opendkim.conf's old bytes (UMask 077)" backed /etc/opendkim.conf "$D/opendkim.conf.before"
t "perm:   opendkim.conf says UMask 007" grep -Eq '^UMask[[:space:]]+007$' /etc/opendkim.conf
t "perm:   postfix is in group opendkim ($(id -Gn postfix))" sh -c "id -Gn postfix | grep -qw opendkim"
t "perm:   the socket is 0770 now ($(stat -c '%a %U:%G' /var/spool/postfix/opendkim/opendkim.sock 2>&1))" \
    [ "$(stat -c '%a' /var/spool/postfix/opendkim/opendkim.sock 2>&1)" = 770 ]
doctor after
t "perm:   after the fix, no milter-permission" hasnt "$O" '^FAIL  milter-permission'
after "perm signed"
healthy_now
[ -f "$D/group.before" ] && cp "$D/group.before" /etc/group
[ -f "$D/gshadow.before" ] && cp "$D/gshadow.before" /etc/gshadow
sed -i 's/^UMask[ 	].*/UMask			007/' /etc/opendkim.conf
wire "$SOCK0" "$MILT0"
rm -rf /var/spool/postfix/opendkim
round_end

# ---- the stack as apply left it, once more -------------------------------------------
round final
smtp "final signed"
signed "final signed"
t "final: the stack signs again ($V)" [ "${V##* }" = ok ]
doctor text
t "final: doctor names no failure (exit $RC)" hasnt "$O" '^FAIL'
round_end
EOS

t0=$(date +%s)
timeout -k 5 "$T_ALL" unshare -m -p -f --kill-child --mount-proc -n \
    --propagation private sh "$D/inner.sh" "$D" "$NOTSPAM" "$PY" \
    >"$D/inner.out" 2>&1
rc=$?
t1=$(date +%s)
diag "the namespace run took $((t1 - t0)) s (limit $T_ALL s, exit $rc); ms per scenario: $(tr '\n' ' ' <"$D/numbers" 2>/dev/null)"
if [ ! -s "$D/results" ]; then
	not_ok "the namespace run reported nothing"
	sed 's/^/# /' "$D/inner.out" | tail -n 20
else
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" ;;
		"skip "*) line=${line#skip }; skip "${line% \# *}" "${line##* \# }" ;;
		"diag "*) diag "${line#diag }" ;;
		*) not_ok "${line#not ok }" ;;
		esac
	done <"$D/results"
fi
[ "$rc" -eq 0 ] || not_ok "the namespace run ended with $rc (124: over $T_ALL s)"
# Every notspam run inside: no sanitizer report (an ASan build).
for f in "$D"/out/*; do
	[ -f "$f" ] && sanitizer_check "$f" "notspam (${f##*/})"
done
if grep -q '^not ok' "$D/results" 2>/dev/null || [ "$rc" -ne 0 ]; then
	for f in "$D"/out/* "$D/inner.out" "$D/log/mail.log" "$D/log/submit.out"; do
		[ -s "$f" ] || continue
		diag "--- ${f#$D/}"
		tail -n 30 "$f" | sed 's/^/# /'
	done
fi
# NOTSPAM_KEEP=DIR keeps the outputs and logs for a look afterwards.
[ -n "${NOTSPAM_KEEP:-}" ] && mkdir -p "$NOTSPAM_KEEP" &&
    cp -a "$D/out" "$D/log" "$D/results" "$NOTSPAM_KEEP/" 2>/dev/null
echo "1..$T_N"
