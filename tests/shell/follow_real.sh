#!/bin/sh
# The queue follow against a real Postfix: Debian's stock config
# (tests/fixtures/plan/deb12-opendkim, myhostname mail.example.com) at its
# real paths inside a private mount, PID and network namespace, set up as
# apply_real.sh and doctor_real.sh do (a copy of /etc bound over /etc, a
# tmpfs over /var/lib, scratch spool, log and mail directories, a /dev/log
# listener writing /var/log/mail.log as rsyslog would, lo up; nothing on
# the host touched).  Postfix logs to syslog (no maillog_file), every
# service unchrooted so /dev/log reaches it.  A transport map sends each
# test domain to its own receiver, tests/stack/rejectrx.py, on loopback:
#   v6data.example   [::1]        Gmail's multi-line IPv6 bounce after DATA
#   rcpt.example     127.0.0.1    Gmail's 5.7.26 "unauthenticated" at RCPT
#   defer.example    127.0.0.1    451 4.7.1 at RCPT (a deferral)
#   ok.example       [::1]        250 to everything
#   silent.example   127.0.0.1    takes the connection, says nothing
# tests/drivers/follow_driver marks the logs, submits one message to
# Postfix on 127.0.0.1:25 with core/mail/smtp.h, follows its queue id on
# the loop (core/mail/follow.h) and classifies the answer
# (core/doctor/remote.h).  Checked: the fate, the dsn, the receiver's own
# reply text, the relay, the bounce's queue id, the cause and the records
# it names (the PTR of the IPv6 address the reply gives, pointing at the
# site's host name, and SPF allowing ip6:that address), the deferral, the
# delivery, the time limit kept, and the same queue id followed again by
# hand (no mark) from the log's backlog.  Then `notspam send-test` (no
# --root, the local route: SMTP to 127.0.0.1:25) does the same end to end
# for the bounce, the deferral, the delivery and the silent receiver: its
# exit status, verdict, the follow's fate, the receiver's reply and the
# records it names, in --json and in the text for people, and the history
# line in /var/lib/notspam/tests.jsonl.
# FOLLOW_REAL_RECORD=DIR copies the mail log and the queue ids there (the
# source of tests/fixtures/logs/follow-postfix.log).
# Skipped unless root with unshare.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

# Time limits, in seconds (the follow's in milliseconds).
T_ALL=90	# the whole namespace run
T_LISTEN=5	# a receiver or Postfix listening
FOLLOW_MS=20000	# a follow that must end with a fate
SILENT_MS=2500	# the follow that must time out

DRIVER=${FOLLOW_DRIVER:-$NOTSPAM_TOP/build/asan/tests/drivers/follow_driver}
why=
if [ "$(id -u)" -ne 0 ]; then why="not root"
elif ! command -v unshare >/dev/null 2>&1; then why="unshare is missing"
elif ! command -v postfix >/dev/null 2>&1; then why="postfix is not installed"
elif [ ! -x "$DRIVER" ]; then why="no $DRIVER (make $DRIVER)"
elif ! unshare -m -p -f -n --propagation private true 2>/dev/null; then
	why="no private mount, PID and network namespace here (unshare)"
fi
if [ -n "$why" ]; then
	skip "the queue follow against a real Postfix" "$why"
	echo "1..$T_N"
	exit 0
fi

# send-test's checks want a binary that has the command (merged in main).
ST=yes
"$NOTSPAM" send-test 2>&1 | grep -q 'usage: notspam .*send-test' || ST=no

D=$T_TMP/ns
mkdir -p "$D"
cp -a /etc "$D/etc"
cp -a tests/fixtures/plan/deb12-opendkim/etc/. "$D/etc/"
rm -f "$D/etc/aliases.db"
mkdir -p "$D/spool" "$D/log" "$D/lib" "$D/dev" "$D/mail" "$D/bin" \
    "$D/out"
chmod 755 "$D" "$D/spool" "$D/log"
cp tests/stack/devlog.py tests/stack/rejectrx.py "$D/bin/"
cp "$DRIVER" "$D/bin/follow_driver"
cat >"$D/limits" <<EOS
T_LISTEN=$T_LISTEN FOLLOW_MS=$FOLLOW_MS SILENT_MS=$SILENT_MS ST=$ST
EOS

# The receivers' replies, sent byte for byte: reply-gmail-ipv6.txt is
# Gmail's IPv6 bounce in its current wording (public reports; the sender's
# address a documentation one), "IPv6" and "sending guidelines" on two
# lines; reply-gmail-unauth.txt its 5.7.26, replies.txt's MISP/MISP#9284.
cp tests/fixtures/logs/reply-gmail-ipv6.txt "$D/v6.reply"
cp tests/fixtures/logs/reply-gmail-unauth.txt "$D/unauth.reply"

# The inside: one result line per check ("ok DESC" / "not ok DESC").
cat >"$D/inner.sh" <<'EOS'
set -u
D=$1 PY=$2 NS=$3
. "$D/limits"
R=$D/results
: >"$R"
res() { echo "$*" >>"$R"; }
skipped() { res "skip $1 # $2"; }
t() { _d=$1; shift; if "$@"; then res "ok $_d"; else res "not ok $_d"; fi; }
die() { res "not ok $*"; exit 1; }
stopall() {
	postfix stop >/dev/null 2>&1
	for p in $(cat "$D"/*.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
}
trap stopall EXIT
ms() { echo $(( $(date +%s%N) / 1000000 )); }
wait_for() {
	_w=$(( $1 * 10 )); shift
	while ! "$@"; do
		[ "$_w" -gt 0 ] || return 1
		sleep 0.1; _w=$((_w - 1))
	done
}
# listening PORT: something listens on that TCP port (v4 or v6).
listening() {
	_p=$(printf '%04X' "$1")
	grep -q "^ *[0-9]*: [0-9A-F]*:$_p [0-9A-F:]* 0A" /proc/net/tcp \
	    /proc/net/tcp6 2>/dev/null
}

ip link set lo up || die "lo up"
mount --bind "$D/etc" /etc || die "bind /etc"
mount --bind /var/lib "$D/lib" && mount -t tmpfs -o mode=755 tmpfs /var/lib &&
    mkdir -p /var/lib/postfix /var/lib/notspam &&
    chown postfix:postfix /var/lib/postfix ||
    die "tmpfs /var/lib"
mount --bind "$D/spool" /var/spool/postfix || die "bind spool"
mount --bind "$D/log" /var/log || die "bind log"
[ -d /var/mail ] && { mount --bind "$D/mail" /var/mail || die "bind mail"; }
mount -t tmpfs -o mode=755 tmpfs /run || die "tmpfs /run"
mount --bind /dev "$D/dev" && mount -t tmpfs -o mode=755 tmpfs /dev || die "/dev"
for n in null zero full random urandom tty; do
	touch "/dev/$n" && mount --bind "$D/dev/$n" "/dev/$n" || die "/dev/$n"
done
ln -s /proc/self/fd /dev/fd
# Postfix logs to syslog: the listener writes what rsyslog would.
setsid "$PY" "$D/bin/devlog.py" /dev/log /var/log/mail.log \
    </dev/null >/dev/null 2>&1 &
echo $! >"$D/devlog.pid"
wait_for "$T_LISTEN" test -S /dev/log || die "the /dev/log listener"

# Harness settings: loopback, syslog, no TLS, the receivers by domain, the
# bounces to the sender discarded (nothing reaches a mailbox).
cat >/etc/postfix/transport <<EOT
v6data.example	smtp:[::1]:2601
rcpt.example	smtp:[127.0.0.1]:2602
defer.example	smtp:[127.0.0.1]:2603
ok.example	smtp:[::1]:2604
silent.example	smtp:[127.0.0.1]:2605
example.com	discard:
EOT
postconf -e 'inet_interfaces = loopback-only' 'inet_protocols = all' \
    'mydestination = localhost' 'relayhost =' \
    'transport_maps = texthash:/etc/postfix/transport' \
    'smtp_dns_support_level = disabled' 'smtp_host_lookup = native' \
    'smtpd_peername_lookup = no' 'smtpd_tls_security_level = none' \
    'smtp_tls_security_level = none' 'smtp_connection_cache_on_demand = no' \
    || die "postconf -e"
postconf -X maillog_file 2>/dev/null
postconf -F '*/*/chroot = n' || die "postconf -F"
newaliases 2>/dev/null

rx() {	# rx NAME HOST PORT STAGE [REPLYFILE]
	if [ -n "${5:-}" ]; then
		setsid "$PY" "$D/bin/rejectrx.py" "$2" "$3" "$4" "$(cat "$5")" \
		    </dev/null >"$D/log/rx.$1" 2>&1 &
	else
		setsid "$PY" "$D/bin/rejectrx.py" "$2" "$3" "$4" \
		    </dev/null >"$D/log/rx.$1" 2>&1 &
	fi
	echo $! >"$D/rx.$1.pid"
}
rx v6data ::1 2601 DATA "$D/v6.reply"
rx rcpt 127.0.0.1 2602 RCPT "$D/unauth.reply"
printf '451 4.7.1 Greylisted, please try again later\n' >"$D/defer.reply"
rx defer 127.0.0.1 2603 RCPT "$D/defer.reply"
rx ok ::1 2604 OK
rx silent 127.0.0.1 2605 SILENT
t0=$(ms)
postfix start >"$D/log/postfix.start" 2>&1 || die "postfix start"
for p in 25 2601 2602 2603 2604 2605; do
	wait_for "$T_LISTEN" listening "$p" || die "nothing listens on port $p"
done
echo "start_ms $(( $(ms) - t0 ))" >>"$D/numbers"

# follow NAME RCPT LIMIT_MS [ARGS]: the driver, output in $D/out/NAME.
follow() {
	_n=$1 _r=$2 _l=$3; shift 3
	_t=$(ms)
	"$D/bin/follow_driver" -f nosuchuser@example.com -r "$_r" -s "$_n" \
	    -T "$_l" "$@" >"$D/out/$_n" 2>"$D/out/$_n.err"
	RC=$?
	echo "$_n $(( $(ms) - _t ))" >>"$D/numbers"
	O=$D/out/$_n
}
has() { grep -Fqx -- "$2" "$1"; }
hasre() { grep -Eq -- "$2" "$1"; }
qid() { sed -n 's/^submit OK 250 queue //p' "$1"; }
ms_of() { sed -n 's/^elapsed_ms //p' "$1"; }
clean() { ! grep -q "$(printf '\033')" "$1" && ! grep -q 'AddressSanitizer\|runtime error' "$1.err"; }

# 1. Gmail's IPv6 bounce after DATA, over IPv6.
follow v6data rcpt@v6data.example "$FOLLOW_MS"
t "v6data: the driver ends (exit $RC)" [ "$RC" -eq 0 ]
t "  submitted to the real Postfix, queue id $(qid "$O")" [ -n "$(qid "$O")" ]
t "  bounced" has "$O" "status bounced"
t "  dsn 5.7.1" has "$O" "dsn 5.7.1"
t "  the receiver's own reply, its four lines as Postfix joined them" has "$O" \
    "reply $(sed -n '1p' "$D/v6.reply") $(sed -n '2p' "$D/v6.reply") $(sed -n '3p' "$D/v6.reply") $(sed -n '4p' "$D/v6.reply")"
t "  relayed over IPv6 to the receiver" has "$O" "relay ::1[::1]:2601"
t "  the address the reply names" has "$O" "sending_addr 2001:db8::25"
t "  the bounce's own queue id" hasre "$O" '^bounce_qid [0-9A-Za-z]+$'
t "  remote-gmail-ipv6" has "$O" "cause remote-gmail-ipv6"
t "  the PTR of 2001:db8::25 naming the site's host name" has "$O" \
    "record PTR  5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. -> mail.example.com."
t "  SPF of the sender's domain allowing ip6:2001:db8::25" has "$O" \
    "record SPF  example.com must allow ip6:2001:db8::25"
t "  DKIM d=example.com" hasre "$O" '^record DKIM .*d=example\.com'
t "  the message's lines: cleanup, qmgr, smtp, bounce" sh -c \
    "[ \$(grep -c '^line ' '$O') -ge 4 ] && grep -q '^line .*: $(qid "$O"): message-id=' '$O' && grep -q '^line .*sender non-delivery notification' '$O'"
t "  ended within its limit ($(ms_of "$O") ms)" [ "$(ms_of "$O")" -lt "$FOLLOW_MS" ]
t "  nothing raw, no sanitizer report" clean "$O"
t "  the receiver got the message and answered after DATA" \
    grep -q 'DATA ->' "$D/log/rx.v6data"
QID_V6=$(qid "$O")

# 2. Gmail's 5.7.26 at RCPT.
follow rcpt rcpt@rcpt.example "$FOLLOW_MS"
t "rcpt: bounced (exit $RC)" has "$O" "status bounced"
t "  dsn 5.7.26" has "$O" "dsn 5.7.26"
t "  remote-unauthenticated" has "$O" "cause remote-unauthenticated"
t "  SPF allowing the IPv4 address the reply names" has "$O" \
    "record SPF  example.com must allow ip4:192.0.2.25"
t "  the status line says RCPT" hasre "$O" '^line .*status=bounced .*in reply to RCPT TO command'

# 3. A deferral.
follow defer rcpt@defer.example "$FOLLOW_MS"
t "defer: deferred (exit $RC)" has "$O" "status deferred"
t "  dsn 4.7.1" has "$O" "dsn 4.7.1"
t "  the receiver's reply" has "$O" "reply 451 4.7.1 Greylisted, please try again later"
t "  ended within its limit ($(ms_of "$O") ms)" [ "$(ms_of "$O")" -lt "$FOLLOW_MS" ]

# 4. Delivered.
follow ok rcpt@ok.example "$FOLLOW_MS"
t "ok: sent (exit $RC)" has "$O" "status sent"
t "  dsn 2.0.0" has "$O" "dsn 2.0.0"
t "  the receiver's 250" has "$O" "reply 250 2.0.0 Ok: accepted"
t "  no cause for a delivery" has "$O" "cause none"

# 5. A receiver that never answers: the follow's limit.
follow silent rcpt@silent.example "$SILENT_MS"
t "silent: timeout (exit $RC)" has "$O" "status timeout"
t "  at its limit ($(ms_of "$O") ms of $SILENT_MS)" sh -c \
    "[ $(ms_of "$O") -ge $SILENT_MS ] && [ $(ms_of "$O") -lt $((SILENT_MS + 1500)) ]"
t "  the lines seen so far kept" hasre "$O" '^line .*: from=<nosuchuser@example.com>'
QID_SILENT=$(qid "$O")

# 6. By hand: the first queue id again, no mark, from the log's backlog.
follow byhand rcpt@v6data.example "$FOLLOW_MS" -q "$QID_V6"
t "by hand: the bounce found in the backlog (exit $RC)" has "$O" "status bounced"
t "  with the same reply" has "$O" \
    "reply $(sed -n '1p' "$D/v6.reply") $(sed -n '2p' "$D/v6.reply") $(sed -n '3p' "$D/v6.reply") $(sed -n '4p' "$D/v6.reply")"
t "  at once ($(ms_of "$O") ms)" [ "$(ms_of "$O")" -lt 3000 ]

# 7. notspam send-test, end to end.
# st NAME ADDRESS [ARGS]: --json send-test, output in $D/out/st.NAME, status
# in $RC; J EXPR: EXPR on its JSON document (d).
st() {
	_n=$1 _a=$2; shift 2
	_t=$(ms)
	"$NS" --resolver 127.0.0.1:9 --json send-test "$_a" \
	    --from nosuchuser@example.com --follow-timeout "$((FOLLOW_MS / 1000))" \
	    "$@" >"$D/out/st.$_n" 2>"$D/out/st.$_n.err"
	RC=$?
	echo "st.$_n $(( $(ms) - _t ))" >>"$D/numbers"
	O=$D/out/st.$_n
}
J() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$O" "$1" 2>&1; }
is() { [ "$(J "$1")" = "$2" ]; }
# rc_is STATUS EXPR VALUE: the status, and EXPR's value.
rc_is() { [ "$RC" -eq "$1" ] && is "$2" "$3"; }
V6REPLY="$(sed -n '1p' "$D/v6.reply") $(sed -n '2p' "$D/v6.reply") $(sed -n '3p' "$D/v6.reply") $(sed -n '4p' "$D/v6.reply")"
if [ "$ST" = yes ]; then
	st v6data rcpt@v6data.example
	t "send-test, Gmail's IPv6 bounce: exit 2 (got $RC)" [ "$RC" -eq 2 ]
	t "  verdict rejected, the follow bounced" is \
	    'd["verdict"] + " " + d["follow"]' "rejected bounced"
	t "  the receiver's reply as the MTA logged it" is 'd["remote_reply"]' "$V6REPLY"
	t "  remote-gmail-ipv6" is 'd["cause"]["id"]' remote-gmail-ipv6
	t "  its records: the PTR of 2001:db8::25 -> mail.example.com." is \
	    '"PTR  5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. -> mail.example.com." in d["cause"]["records"]' True
	t "  and SPF of example.com allowing ip6:2001:db8::25" is \
	    '"SPF  example.com must allow ip6:2001:db8::25" in d["cause"]["records"]' True
	t "  the queue id Postfix gave" is 'd["queue_id"] is not None and len(d["queue_id"]) > 5' True
	t "  kept in the history" grep -q '"to":"rcpt@v6data.example"' /var/lib/notspam/tests.jsonl
	t "  no sanitizer report" sh -c "! grep -q 'AddressSanitizer\|runtime error' '$O.err'"
	"$NS" --resolver 127.0.0.1:9 send-test rcpt@v6data.example \
	    --from nosuchuser@example.com --follow-timeout "$((FOLLOW_MS / 1000))" \
	    >"$D/out/st.v6text" 2>&1
	RC=$?
	t "send-test for people: exit 2 (got $RC), the PTR and SPF records shown" \
	    sh -c "grep -q 'PTR  5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. -> mail.example.com.' '$D/out/st.v6text' && grep -q 'SPF  example.com must allow ip6:2001:db8::25' '$D/out/st.v6text' && [ $RC -eq 2 ]"
	st defer rcpt@defer.example
	t "send-test, a 451 deferral: exit 1 (got $RC), the follow deferred" \
	    rc_is 1 'd["verdict"] + " " + d["follow"]' "deferred deferred"
	t "  the receiver's reply" is 'd["remote_reply"]' "451 4.7.1 Greylisted, please try again later"
	st ok rcpt@ok.example
	t "send-test, a delivery: exit 0 (got $RC), the follow sent" \
	    rc_is 0 'd["verdict"] + " " + d["follow"]' "accepted sent"
	st silent rcpt@silent.example --follow-timeout "$(awk "BEGIN { print $SILENT_MS / 1000 }")"
	t "send-test, a silent receiver: exit 1 (got $RC), the follow's time ran out" \
	    rc_is 1 'd["verdict"] + " " + d["follow"]' "deferred timeout"
else
	skipped "notspam send-test against the real Postfix" \
	    "this notspam has no send-test command"
fi

# The queue ids, for the fixture.
for n in v6data rcpt defer ok silent; do
	echo "$n $(qid "$D/out/$n")" >>"$D/qids"
done
echo "QID_SILENT $QID_SILENT" >/dev/null
EOS

t0=$(date +%s)
timeout "$T_ALL" unshare -m -p -f --mount-proc -n --propagation private \
    sh "$D/inner.sh" "$D" "$PY" "$NOTSPAM" >"$D/inner.out" 2>&1
rc=$?
t1=$(date +%s)
diag "the namespace run took $((t1 - t0)) s (rc $rc); ms: $(tr '\n' ' ' <"$D/numbers" 2>/dev/null)"
if [ ! -s "$D/results" ]; then
	not_ok "the namespace run reported nothing"
	sed 's/^/# /' "$D/inner.out" | tail -n 20
else
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" ;;
		"skip "*) _s=${line#skip }; skip "${_s% \# *}" "${_s##* \# }" ;;
		*) not_ok "${line#not ok }" ;;
		esac
	done <"$D/results"
fi
[ "$rc" -ne 124 ] || not_ok "the namespace run passed its limit of $T_ALL s"
if [ -n "${FOLLOW_REAL_RECORD:-}" ]; then
	mkdir -p "$FOLLOW_REAL_RECORD"
	cp "$D/log/mail.log" "$D/qids" "$FOLLOW_REAL_RECORD/" 2>/dev/null
	cp -r "$D/out" "$FOLLOW_REAL_RECORD/" 2>/dev/null
	diag "recorded into $FOLLOW_REAL_RECORD"
fi
if grep -q '^not ok' "$D/results" 2>/dev/null || [ ! -s "$D/results" ]; then
	for f in inner.out log/postfix.start out/v6data out/rcpt out/defer \
	    out/ok out/silent out/byhand out/st.v6data out/st.v6data.err \
	    out/st.defer out/st.ok out/st.silent log/mail.log; do
		[ -s "$D/$f" ] || continue
		diag "--- $f"
		tail -n 30 "$D/$f" | sed 's/^/# /'
	done
fi
echo "1..$T_N"
