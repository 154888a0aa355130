#!/bin/sh
# notspam send-test (core/mail/sendtest.h, ui/cli_sendtest.c) offline,
# against loopback receivers, with a copy of the demo root and zone files
# for the DNS (no real MTA: the round trip through Postfix is
# tests/shell/sendtest_real.sh's):
#   --server to tests/stack/smtpsink.py: the message arrives, parses, has
#     every header, lines within 998 octets, From the hosted domain;
#   --direct to an MX of a test zone on loopback (--port): Gmail's
#     multi-line 550-5.7.1 IPv6 reply (tests/stack/smtpbad.py rej-end) is
#     exit 2 with the PTR and SPF records of the IPv6 address; a 451
#     (tests/stack/smtpreply.py) exit 1; nothing listening and a
#     black-holed address exit 75 within the timeout; no MX: the domain
#     itself; a domain that does not exist: exit 2;
#   AUTH: refused without TLS, a password file others can read refused, no
#     terminal to ask on refused, over TLS (a CA made here) accepted; the
#     password in no output, history or JSON;
#   the history, --json, the mail-tester result page, hostile server text;
#   --sendmail with a fake sendmail that keeps its argv and standard input
#     (argv exactly, no shell) and logs Postfix's cleanup line, so the
#     queue id is found by the Message-ID and followed;
#   the local route to a loopback sink with a log line written as Postfix
#     would: the bounce followed and mapped to its cause.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

# --timeout of each run, in seconds, and how long the servers may take to
# start.
T=${SENDTEST_T:-3}
TSTART=${SENDTEST_TSTART:-10}

PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$T_TMP"
}
trap cleanup EXIT

ROOT=$(sandbox demo)
HIST=$ROOT/var/lib/notspam/tests.jsonl
Z=$T_TMP/zones
mkdir -p "$Z" "$T_TMP/sink" "$T_TMP/lsink" "$T_TMP/tlsout" "$ROOT/var/log"
: >"$ROOT/var/log/mail.log"

V6=
if "$PY" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
    2>/dev/null; then
	V6=1
fi

set -- sink gmail defer closed tls rejmail local
PORTS=$("$PY" -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))' $#)
i=0
for m in "$@"; do
	i=$((i + 1))
	eval "PORT_$m=$(echo "$PORTS" | cut -d' ' -f$i)"
done

# The zones: gmail.test (MX 5 mx1: ::1 and 127.0.0.1, MX 10 mx2:
# 127.0.0.1), defer.test and closed.test (127.0.0.1, ::1), hole.test (an
# MX at 192.0.2.1, TEST-NET-1, never routed), nomx.test (no MX, an A).
zone() {
	_o=$1; shift
	{
		printf '$ORIGIN %s.\n$TTL 300\n' "$_o"
		printf '@ IN SOA ns1 hostmaster ( 1 3600 600 86400 300 )\n'
		printf '@ IN NS ns1\nns1 IN A 127.0.0.1\n'
		for _l in "$@"; do printf '%s\n' "$_l"; done
	} >"$Z/$_o.zone"
}
zone gmail.test "@ IN MX 5 mx1" "@ IN MX 10 mx2" "mx1 IN AAAA ::1" \
    "mx1 IN A 127.0.0.1" "mx2 IN A 127.0.0.1"
zone defer.test "@ IN MX 10 mx" "mx IN A 127.0.0.1"
zone closed.test "@ IN MX 10 mx" "mx IN A 127.0.0.1" "mx IN AAAA ::1"
zone hole.test "@ IN MX 10 mx" "mx IN A 192.0.2.1"
zone nomx.test "@ IN A 127.0.0.1"

GMAIL='550-5.7.1 [2001:db8::25] Our system has detected that this message does not meet'

"$PY" tests/stack/smtpsink.py 127.0.0.1 "$PORT_sink" "$T_TMP/sink" \
    >"$T_TMP/sink.log" 2>&1 &
PIDS="$PIDS $!"
"$PY" tests/stack/smtpbad.py "rej-end=$PORT_gmail" "rej-mail=$PORT_rejmail" \
    >"$T_TMP/bad.log" 2>&1 &
PIDS="$PIDS $!"
if [ -n "$V6" ]; then
	"$PY" tests/stack/smtpbad.py --host ::1 "rej-end=$PORT_gmail" \
	    >"$T_TMP/bad6.log" 2>&1 &
	PIDS="$PIDS $!"
fi
"$PY" tests/stack/smtpreply.py 127.0.0.1 "$PORT_defer" end \
    "451 4.7.1 Try again later, closing connection." \
    >"$T_TMP/defer.log" 2>&1 &
PIDS="$PIDS $!"
"$PY" tests/stack/smtpsink.py 127.0.0.1 "$PORT_local" "$T_TMP/lsink" \
    >"$T_TMP/local.log" 2>&1 &
PIDS="$PIDS $!"

# A CA and a certificate for 127.0.0.1 it signs, for the TLS server.
W=$T_TMP/pki
mkdir -p "$W"
HAVE_TLS=
if command -v openssl >/dev/null 2>&1 &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -keyout "$W/ca.key" -out "$W/ca.pem" -days 2 \
    -subj "/CN=notspam sendtest CA" 2>/dev/null &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$W/srv.key" -out "$W/srv.csr" -subj /CN=localhost 2>/dev/null &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$W/ext" &&
    openssl x509 -req -in "$W/srv.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" \
    -CAcreateserial -days 2 -extfile "$W/ext" -out "$W/srv.pem" 2>/dev/null
then
	"$PY" tests/stack/smtpbad.py --cert "$W/srv.pem" --key "$W/srv.key" \
	    --out "$T_TMP/tlsout" "tls=$PORT_tls" >"$T_TMP/tls.log" 2>&1 &
	PIDS="$PIDS $!"
	HAVE_TLS=1
fi

up() {
	"$PY" -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()' \
	    "$1" "$2" 2>/dev/null
}
n=0
until up 127.0.0.1 "$PORT_sink" && up 127.0.0.1 "$PORT_gmail" &&
    up 127.0.0.1 "$PORT_defer" && up 127.0.0.1 "$PORT_local" &&
    { [ -z "$V6" ] || up ::1 "$PORT_gmail"; } &&
    { [ -z "$HAVE_TLS" ] || up 127.0.0.1 "$PORT_tls"; }; do
	n=$((n + 1))
	[ "$n" -gt $((TSTART * 10)) ] && break
	sleep 0.1
done
check "the loopback receivers are up" up 127.0.0.1 "$PORT_defer"

# The tests that reach sendtest_start, each one line of the history.
NHIST=0
# st ARGS...: notspam send-test with the demo copy and the zones; output
# in $T_TMP/out, $T_TMP/err, $RC.
st() {
	run --root "$ROOT" --zones share/demo-zones --zones "$Z" send-test \
	    --timeout "$T" "$@"
	case $RC in 64) ;; *) NHIST=$((NHIST + 1)) ;; esac
}
# stj ARGS...: the same with --json, the document in $T_TMP/j.
stj() {
	st "$@" --json
	cp "$T_TMP/out" "$T_TMP/j"
}
# jok EXPR: the Python expression on the JSON of $T_TMP/j is true.
jok() {
	[ "$(jget "$T_TMP/j" "($1)")" = True ]
}
# newest: the newest message the sinks received.
newest() {
	ls -t "$T_TMP/sink"/*.eml 2>/dev/null | head -n 1
}
# rc_has CODE FILE REGEX: the last run's status was CODE and FILE matches.
rc_has() {
	[ "$RC" = "$1" ] && grep -Eq -- "$3" "$2"
}
not() { ! "$@"; }
# none FIXED FILE...: no file holds the text.
none() {
	_t=$1; shift
	! grep -qF -- "$_t" "$@"
}

# --- to the sink (--server) ---
stj a@example.net --server "127.0.0.1:$PORT_sink"
check "--server to the sink: exit 0" [ "$RC" = 0 ]
check "--json parses (python3 -m json.tool)" \
    "$PY" -m json.tool "$T_TMP/j" /dev/null
check "--json has every key" jok 'all(k in d for k in ("verdict", "route",
    "from", "to", "message_id", "server", "fail", "code", "enh", "reply",
    "queue_id", "follow", "remote_reply", "relay", "cause",
    "mailtester_url", "summary", "elapsed_ms", "transcript", "exit"))'
check "--json: accepted, route server, exit 0, the sink's queue id" \
    jok 'd["verdict"] == "accepted" and d["route"] == "server" and
    d["exit"] == 0 and d["queue_id"] is not None and d["code"] == 250'
check "--json: the transcript, EHLO to QUIT" \
    jok 'any(l.startswith("C: EHLO ") for l in d["transcript"]) and
    "C: QUIT" in d["transcript"]'
EML=$(newest)
check "the sink received the message" [ -n "$EML" ]
cat >"$T_TMP/msgcheck.py" <<'EOF'
import email, email.policy, quopri, sys
raw = open(sys.argv[1], "rb").read()
want = dict(a.split("=", 1) for a in sys.argv[2:])
m = email.message_from_bytes(raw, policy=email.policy.compat32)
bad = []
for h in ("From", "To", "Date", "Message-ID", "Subject", "MIME-Version",
          "Content-Type", "Content-Transfer-Encoding"):
    if len(m.get_all(h, [])) != 1:
        bad.append("%s %d times" % (h, len(m.get_all(h, []))))
if email.utils.parsedate_tz(m["Date"]) is None:
    bad.append("Date unparsable: %r" % m["Date"])
for k, v in want.items():
    if m[k] != v:
        bad.append("%s is %r, not %r" % (k, m[k], v))
if m.get_content_type() != "text/plain" or m.get_content_charset() != "utf-8":
    bad.append("not text/plain UTF-8")
lines = raw.split(b"\r\n") if raw.endswith(b"\r\n") else None
if lines is None or any(b"\n" in l or b"\r" in l for l in lines):
    bad.append("not CRLF lines")
elif max(len(l) for l in lines) > 998:
    bad.append("a line over 998 octets")
body = quopri.decodestring(m.get_payload().encode()).decode("utf-8")
for w in ("notspam", "mail.example.org"):
    if w not in body:
        bad.append("body without %s" % w)
for w in ("http", "://", "free", "click", "winner", "$$$"):
    if w in body.lower():
        bad.append("body says %s" % w)
if bad:
    print("; ".join(bad))
    sys.exit(1)
EOF
MID=$(jget "$T_TMP/j" 'd["message_id"]')
check "the message parses, has every header once, CRLF lines within 998, \
From the hosted domain, the Message-ID of the test" \
    "$PY" "$T_TMP/msgcheck.py" "$EML" From=postmaster@example.org \
    To=a@example.net "Message-ID=$MID"
check "the Message-ID is at the mail host name" \
    has "$EML" '^Message-ID: <[0-9a-f]{32}@mail\.example\.org>'

st a@example.net --server "127.0.0.1:$PORT_sink" --from alice@example.org
check "--from: exit 0" [ "$RC" = 0 ]
check "--from: the sink's message is From it" "$PY" "$T_TMP/msgcheck.py" \
    "$(newest)" From=alice@example.org

st test-abc123@srv1.mail-tester.com --server "127.0.0.1:$PORT_sink"
check "a mail-tester address: exit 0" [ "$RC" = 0 ]
check "a mail-tester address: its result page printed" \
    has "$T_TMP/out" '^mail-tester +https://www\.mail-tester\.com/test-abc123 '
stj web-xyz@mail-tester.com --server "127.0.0.1:$PORT_sink"
check "web-xyz@mail-tester.com: the page in the JSON" \
    jok 'd["mailtester_url"] == "https://www.mail-tester.com/web-xyz"'
st a@example.net --server "127.0.0.1:$PORT_sink"
check "another address: no mail-tester page" not has "$T_TMP/out" mail-tester

st a@example.net --server "localhost:$PORT_sink"
check "--server localhost:PORT is not in the zones: the lookup says so, 75" \
    [ "$RC" = 75 ]

if [ -n "$V6" ]; then
	stj someone@example.net --server "[::1]:$PORT_gmail"
	check "--server [::1]:PORT: over IPv6, rejected after the data (2)" \
	    jok "d['server'] == '[::1]:$PORT_gmail' and d['exit'] == 2"
else
	skip "--server [::1]:PORT" "no IPv6 loopback"
fi
st a@example.net --sendmail
check "--sendmail without PATH: the root's /usr/sbin/sendmail, missing: \
75, said" rc_has 75 "$T_TMP/out" 'no /usr/sbin/sendmail under .*--sendmail PATH'

# --- hostile text of a server ---
st a@example.net --server "127.0.0.1:$PORT_rejmail"
check "a 553 to MAIL: exit 2" [ "$RC" = 2 ]
check "its ESC and BEL escaped" \
    has "$T_TMP/out" 'Sender address rejected \\x1b\[2J\\x07'
check "its ESC and BEL never raw" none "$(printf '\033')" "$T_TMP/out"
check "nor BEL" none "$(printf '\007')" "$T_TMP/out"

# --- --direct ---
stj someone@gmail.test --direct --port "$PORT_gmail"
cp "$T_TMP/j" "$T_TMP/gmail.json"
check "--direct, Gmail's 550-5.7.1 IPv6 reply: exit 2" [ "$RC" = 2 ]
check "--direct: the MX by preference, mx1 first" \
    jok 'any(l == "* MX 5 mx1.gmail.test" for l in d["transcript"])'
if [ -n "$V6" ]; then
	check "--direct: over IPv6 first (::1)" \
	    jok "d['server'] == 'mx1.gmail.test[::1]:$PORT_gmail'"
fi
check "--direct: the receiver's multi-line reply in the transcript" \
    jok '"S: 550-5.7.1 IPv6 sending guidelines regarding PTR records and "
    "authentication." in d["transcript"]'
check "--direct: the three reply lines, as sent" \
    jok 'd["reply"].count("\n") == 2 and
    d["reply"].startswith("550-5.7.1 [2001:db8::25]") and
    "IPv6 sending guidelines" in d["reply"]'
check "--direct: mapped to Gmail's IPv6 cause" \
    jok 'd["cause"] is not None and d["cause"]["id"] == "remote-gmail-ipv6"'
check "--direct: the verdict names the PTR of the IPv6 address" \
    jok 'any(r.startswith("PTR") and ("2001:db8::25" in r or
    "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
    in r) for r in d["cause"]["records"])'
check "--direct: and the SPF record that must allow it" \
    jok 'any(r.startswith("SPF") and "ip6:2001:db8::25" in r
    for r in d["cause"]["records"])'
st someone@gmail.test --direct --port "$PORT_gmail"
check "--direct, text: the verdict" \
    has "$T_TMP/out" '^verdict +rejected \(exit 2\)'
check "--direct, text: the reply" \
    has "$T_TMP/out" '^reply +550-5\.7\.1 \[2001:db8::25\]'
check "--direct, text: the cause, why, the fix" sh -c "grep -q '^cause ' \
    '$T_TMP/out' && grep -q '^why ' '$T_TMP/out' && grep -q '^fix ' \
    '$T_TMP/out'"
check "--direct, text: the records, PTR and SPF of the IPv6 address" \
    sh -c "grep -Eq '^records +PTR' '$T_TMP/out' &&
    grep -q 'ip6:2001:db8::25' '$T_TMP/out'"

stj someone@defer.test --direct --port "$PORT_defer"
check "--direct, a 451 after the data: exit 1" [ "$RC" = 1 ]
check "--direct, 451: deferred, the reply kept" \
    jok 'd["verdict"] == "deferred" and d["code"] == 451 and
    d["enh"] == "4.7.1" and "Try again later" in d["reply"]'

stj someone@closed.test --direct --port "$PORT_closed"
check "--direct, nothing listening: exit 75" [ "$RC" = 75 ]
check "--direct, nothing listening: says port looks blocked" \
    jok '"looks blocked" in d["summary"]'
check "--direct, nothing listening: within the timeout" \
    jok "d['elapsed_ms'] < $((T * 1000 + 2000))"
stj someone@hole.test --direct --port "$PORT_closed" --timeout 2
check "--direct, a black-holed MX: exit 75" [ "$RC" = 75 ]
check "--direct, a black-holed MX: within --timeout 2 (and slack)" \
    jok 'd["elapsed_ms"] < 5000'
stj someone@nomx.test --direct --port "$PORT_sink"
check "--direct, no MX: the domain's own address, accepted (exit 0)" \
    rc_has 0 "$T_TMP/j" 'has no MX' 
stj someone@nothere.test --direct --port "$PORT_sink"
check "--direct, a domain that does not exist: exit 2, said" \
    rc_has 2 "$T_TMP/j" 'does not exist' 

# --- AUTH and the password ---
PW=Pw-s3cr3t-XYZ
printf '%s\n' "$PW" >"$T_TMP/pw"
chmod 600 "$T_TMP/pw"
stj a@example.net --server "127.0.0.1:$PORT_sink" --auth alice \
    --password-file "$T_TMP/pw"
cp "$T_TMP/j" "$T_TMP/auth.json"
check "--auth to a server without STARTTLS: refused, exit 75" \
    rc_has 75 "$T_TMP/j" 'AUTH refused without TLS' 
check "--auth without TLS: no AUTH sent" not grep -q '"C: AUTH' "$T_TMP/j"
printf '%s\n' "$PW" >"$T_TMP/pw644"
chmod 644 "$T_TMP/pw644"
st a@example.net --server "127.0.0.1:$PORT_sink" --auth alice \
    --password-file "$T_TMP/pw644"
check "a password file others can read: refused (64), the fix said" \
    rc_has 64 "$T_TMP/err" 'chmod 600' 
st a@example.net --server "127.0.0.1:$PORT_sink" --auth alice </dev/null
check "--auth without a terminal and no password file: refused (64)" \
    rc_has 64 "$T_TMP/err" 'password-file' 
st a@example.net --auth alice --password-file "$T_TMP/pw"
check "--auth on the local route (no login there): refused (64)" [ "$RC" = 64 ]
if [ -n "$HAVE_TLS" ]; then
	printf 's3cret\n' >"$T_TMP/pw2"
	chmod 600 "$T_TMP/pw2"
	stj a@example.net --server "127.0.0.1:$PORT_tls" --auth alice \
	    --password-file "$T_TMP/pw2" --cafile "$W/ca.pem"
	cp "$T_TMP/j" "$T_TMP/tls.json"
	check "--auth over STARTTLS, the certificate verified: exit 0" \
	    rc_has 0 "$T_TMP/j" 'certificate verified' 
	check "--auth over TLS: the credentials hidden in the transcript" \
	    grep -q 'hidden' "$T_TMP/j"
	check "the TLS password in no output, JSON or history" \
	    none s3cret "$T_TMP/out" "$T_TMP/err" "$T_TMP/j" "$HIST"
	check "nor its base64 (AUTH PLAIN, LOGIN)" none AGFsaWNlAHMzY3JldA \
	    "$T_TMP/j" "$HIST"
	check "nor its base64 (AUTH LOGIN)" none czNjcmV0 "$T_TMP/j" "$HIST"
	st a@example.net --server "127.0.0.1:$PORT_tls" --auth alice \
	    --password-file "$T_TMP/pw2"
	check "--auth over TLS with a CA not trusted: refused (75)" \
	    rc_has 75 "$T_TMP/out" 'TLS failure' 
	# The password asked on a terminal: no echo, the login works.
	cat >"$T_TMP/ttyanswer.py" <<'EOF'
import os, pty, select, sys, time
answer, argv = sys.argv[1].encode(), sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out, asked, deadline = b"", False, time.time() + 30
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if fd in r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    if not asked and b"Password for alice" in out:
        asked = True
        time.sleep(0.3)
        os.write(fd, answer + b"\r")
sys.stdout.write(out.decode("utf-8", "replace"))
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
EOF
	RC=0
	"$PY" "$T_TMP/ttyanswer.py" s3cret "$NOTSPAM" --root "$ROOT" --zones "$Z" \
	    send-test a@example.net --server "127.0.0.1:$PORT_tls" \
	    --auth alice --cafile "$W/ca.pem" --timeout "$T" \
	    >"$T_TMP/pty.out" 2>&1 || RC=$?
	NHIST=$((NHIST + 1))
	sanitizer_check "$T_TMP/pty.out" "send-test on a terminal"
	check "--auth on a terminal: asked, logged in, accepted (0)" \
	    rc_has 0 "$T_TMP/pty.out" '^Password for alice \(not shown\): '
	check "--auth on a terminal: the password typed is not echoed" \
	    none s3cret "$T_TMP/pty.out"
	# --submission: STARTTLS required, the certificate checked against
	# the mail host name (this one names localhost and 127.0.0.1).
	st a@example.net --submission --port "$PORT_tls" --auth alice \
	    --password-file "$T_TMP/pw2" --cafile "$W/ca.pem" --no-follow
	check "--submission: a certificate not for mail.example.org: 75" \
	    rc_has 75 "$T_TMP/out" 'TLS failure'
	st a@example.net --submission --port "$PORT_tls" --auth alice \
	    --password-file "$T_TMP/pw2" --no-verify --no-follow
	check "--submission --no-verify --no-follow: accepted (0), the \
certificate reported" rc_has 0 "$T_TMP/out" '^\* certificate '
	st a@example.net --submission --port "$PORT_sink" --no-follow
	check "--submission to a server without STARTTLS: refused (75)" \
	    rc_has 75 "$T_TMP/out" 'does not offer STARTTLS'
else
	skip "AUTH over STARTTLS" "no openssl program to make a CA"
fi
check "the password in no output, JSON or history" \
    none "$PW" "$T_TMP/out" "$T_TMP/err" "$T_TMP/auth.json" "$HIST"

# --- sendmail ---
SM=$T_TMP/sm
mkdir -p "$SM"
# A fake sendmail: its argv one a line, its standard input, and Postfix's
# cleanup and delivery lines for the message in the root's mail log.
cat >"$SM/sendmail" <<EOF
#!/bin/sh
for a in "\$@"; do printf '%s\n' "\$a"; done >"$SM/argv"
cat >"$SM/stdin"
mid=\$(sed -n 's/^Message-ID: //p' "$SM/stdin" | head -n 1)
now=\$(date '+%b %e %H:%M:%S')
printf '%s mail postfix/pickup[455]: 4ZK3mT0bq5z9sLk: uid=0 from=<root>\n' "\$now" >>"$ROOT/var/log/mail.log"
printf '%s mail postfix/cleanup[456]: 4ZK3mT0bq5z9sLk: message-id=%s\n' "\$now" "\$mid" >>"$ROOT/var/log/mail.log"
printf '%s mail postfix/smtp[457]: 4ZK3mT0bq5z9sLk: to=<%s>, relay=mx.example.net[192.0.2.7]:25, delay=0.4, delays=0.1/0/0.2/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9Q)\n' "\$now" "\$5" >>"$ROOT/var/log/mail.log"
exit 0
EOF
printf '#!/bin/sh\ncat >/dev/null\necho "postdrop: warning: unable to look up public/pickup: No such file or directory" >&2\nexit 75\n' \
    >"$SM/badsendmail"
printf '#!/bin/sh\ncat >/dev/null\nexit 0\n' >"$SM/quietsendmail"
chmod 755 "$SM/sendmail" "$SM/badsendmail" "$SM/quietsendmail"
TO='a`id`|x&y$HOME@example.net'
stj "$TO" --sendmail "$SM/sendmail" --follow-timeout 5
cp "$T_TMP/j" "$T_TMP/sm.json"
printf '%s\n' -i -f postmaster@example.org -- "$TO" >"$T_TMP/argv.want"
check "--sendmail: argv exactly sendmail -i -f FROM -- TO, no shell" \
    cmp -s "$T_TMP/argv.want" "$SM/argv"
check "--sendmail: the message on its standard input" \
    grep -q '^Message-ID: <' "$SM/stdin"
check "--sendmail: with LF line ends" none "$(printf '\r')" "$SM/stdin"
check "--sendmail: the Message-ID it got is the test's" \
    grep -qF "Message-ID: $(jget "$T_TMP/j" 'd["message_id"]')" "$SM/stdin"
check "--sendmail: the queue id found by the Message-ID in the log" \
    jok 'd["queue_id"] == "4ZK3mT0bq5z9sLk"'
check "--sendmail: followed to status=sent, exit 0" \
    rc_has 0 "$T_TMP/j" '"follow":"sent"'
stj a@example.net --sendmail "$SM/quietsendmail" --follow-timeout 1
check "--sendmail, no log line names the Message-ID: deferred (1), said" \
    rc_has 1 "$T_TMP/j" 'no log line named its Message-ID'
st a@example.net --sendmail "$SM/quietsendmail" --no-follow
check "--sendmail --no-follow: exit 0" [ "$RC" = 0 ]
st a@example.net --sendmail "$SM/badsendmail"
check "--sendmail exiting 75: exit 75, its words shown" \
    rc_has 75 "$T_TMP/out" 'postdrop: warning' 
st a@example.net --sendmail "$SM/nothere"
check "--sendmail PATH that does not exist: exit 75, said" \
    rc_has 75 "$T_TMP/out" 'nothere' 

# --- the local route, the follow of the queue id, the bounce mapped ---
# The sink's queue id is its count; a line as Postfix's smtp writes it
# for the bounce is added to the root's log once the message arrived.
(
	n=0
	while ! ls "$T_TMP/lsink"/*.eml >/dev/null 2>&1 && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	qid=$(ls -t "$T_TMP/lsink" | head -n 1 | sed 's/\.eml$//')
	printf '%s mail postfix/smtp[458]: %s: to=<someone@gmail.com>, relay=gmail-smtp-in.l.google.com[2a00:1450:400c:c0b::1b]:25, delay=1.2, delays=0.1/0/0.6/0.5, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[2a00:1450:400c:c0b::1b] said: %s 550-5.7.1 IPv6 sending guidelines regarding PTR records and authentication. 550 5.7.1 Please review https://support.google.com/mail/?p=IPv6AuthError x1 - gsmtp (in reply to end of DATA command))\n' \
	    "$(date '+%b %e %H:%M:%S')" "$qid" "$GMAIL" >>"$ROOT/var/log/mail.log"
) &
WPID=$!
stj someone@gmail.com --port "$PORT_local" --follow-timeout 10
wait "$WPID"
check "local route: the local MTA's queue id followed in the log" \
    jok 'd["follow"] == "bounced" and d["queue_id"] is not None'
check "local route, the bounce: exit 2, Gmail's IPv6 cause" \
    rc_has 2 "$T_TMP/j" remote-gmail-ipv6
check "local route: the receiver's reply and relay from the log" \
    jok '"IPv6 sending guidelines" in (d["remote_reply"] or "") and
    "gmail-smtp-in" in (d["relay"] or "")'
stj a@example.net --port "$PORT_local" --follow-timeout 1
check "local route, nothing logged for the queue id: deferred (1) at the \
follow's time limit" sh -c "[ '$RC' = 1 ] && grep -q '\"follow\":\"timeout\"' \
    '$T_TMP/j'"
st a@example.net --port "$PORT_local" --no-follow
check "local route --no-follow: exit 0" [ "$RC" = 0 ]
st a@example.net --port "$PORT_closed"
check "local route, nothing on 127.0.0.1 or ::1: exit 75, is the MTA \
running?" rc_has 75 "$T_TMP/out" 'MTA running' 

# --- usage ---
st --server "127.0.0.1:$PORT_sink"
check "no address: 64" [ "$RC" = 64 ]
st 'a@example.net
Bcc: b@example.net' --server "127.0.0.1:$PORT_sink"
check "an address with a line break: refused (64)" [ "$RC" = 64 ]
st "a$(printf '\033')@example.net" --server "127.0.0.1:$PORT_sink"
check "an address with a control: refused (64), escaped in the message" \
    rc_has 64 "$T_TMP/err" 'a\\x1b@' 
st a@example.net --server "127.0.0.1:$PORT_sink" --direct
check "two routes: 64" [ "$RC" = 64 ]
st a@example.net --server "host:99999"
check "a bad --server port: 64" [ "$RC" = 64 ]
st a@example.net --timeout -1
check "a bad --timeout: 64" [ "$RC" = 64 ]

# --- the history ---
check "the history: one line per test ($NHIST)" \
    [ "$(wc -l <"$HIST")" -eq "$NHIST" ]
check "the history: directory 0755, file 0644" \
    sh -c "[ \"\$(stat -c %a '$ROOT/var/lib/notspam')\" = 755 ] &&
    [ \"\$(stat -c %a '$HIST')\" = 644 ]"
check "the history: every line a test (time, to, route, verdict)" "$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    assert all(k in d for k in ("time", "to", "route", "verdict", "queue_id",
        "remote_reply", "summary")), l
' "$HIST"
check "the history: the Gmail bounce kept with its reply" \
    grep -q '"verdict":"rejected".*IPv6 sending guidelines' "$HIST"

echo "1..$T_N"
