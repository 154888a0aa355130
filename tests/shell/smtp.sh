#!/bin/sh
# The SMTP client (core/mail/smtp.h) through tests/drivers/smtp_driver
# (ASan build) against loopback servers: tests/stack/smtpsink.py (a plain
# sink: the message arrives as sent, dot-stuffing undone) and
# tests/stack/smtpbad.py (STARTTLS with a certificate from a CA made here
# with openssl, AUTH only after TLS, and servers that misbehave).  Each
# misbehaving server must give its failure class (CONNECT, TLS, PROTOCOL,
# REJECTED, TIMEOUT) in its stage, within the stage timeout, with the
# server's own text escaped.  Nothing outside the temporary directory.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

DRIVER=${SMTP_DRIVER:-$(dirname "$NOTSPAM")/tests/drivers/smtp_driver}
[ -x "$DRIVER" ] || DRIVER=$NOTSPAM_TOP/build/asan/tests/drivers/smtp_driver
# Timeouts, in seconds: every stage's, the reply after the data, and the
# slack a timed-out stage may take beyond its timeout.
T=${SMTP_T:-2}
TD=${SMTP_TD:-1}
SLACK=${SMTP_SLACK:-1.5}
# How long the servers may take to start.
TSTART=${SMTP_TSTART:-10}

if [ ! -x "$DRIVER" ]; then
	not_ok "the test driver $DRIVER is not built (make unit)"
	echo "1..$T_N"
	exit 0
fi
if ! command -v openssl >/dev/null 2>&1; then
	skip "SMTP client against loopback servers" "no openssl program"
	echo "1..$T_N"
	exit 0
fi

PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# A CA, a server certificate it signs (localhost, 127.0.0.1, ::1), another
# CA.
W=$T_TMP/pki
mkdir -p "$W" "$T_TMP/out" "$T_TMP/sink"
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$W/$1.key" -out "$W/$1.pem" -days 2 \
	    -subj "/CN=notspam test $1" 2>/dev/null
}
mkca ca && mkca otherca &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$W/srv.key" -out "$W/srv.csr" -subj /CN=localhost 2>/dev/null &&
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' >"$W/ext" &&
openssl x509 -req -in "$W/srv.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" \
    -CAcreateserial -days 2 -extfile "$W/ext" -out "$W/srv.pem" 2>/dev/null
check "a CA and a server certificate made with openssl" test -s "$W/srv.pem"

MODES="tls tls-silent authclear inject garbage close0 close rej-greeting rej-ehlo
rej-mail rej-rcpt greylist rej-data rej-end silence silence-end longline lf
noeol toomany helo"
set -- $MODES sink closed v6
PORTS=$("$PY" -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))' $#)
ARGS=
i=0
for m in $MODES sink closed v6; do
	i=$((i + 1))
	p=$(echo "$PORTS" | cut -d' ' -f$i)
	eval "PORT_$(echo "$m" | tr - _)=$p"
	case $m in sink|closed|v6) ;; *) ARGS="$ARGS $m=$p" ;; esac
done
# shellcheck disable=SC2086
"$PY" tests/stack/smtpbad.py --cert "$W/srv.pem" --key "$W/srv.key" \
    --out "$T_TMP/out" $ARGS >"$T_TMP/bad.log" 2>&1 &
PIDS="$PIDS $!"
# The TLS server on ::1 too, when this machine has IPv6 loopback.
if "$PY" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
    2>/dev/null; then
	"$PY" tests/stack/smtpbad.py --cert "$W/srv.pem" --key "$W/srv.key" \
	    --out "$T_TMP/out" --host ::1 "tls=$PORT_v6" >"$T_TMP/v6.log" 2>&1 &
	PIDS="$PIDS $!"
else
	PORT_v6=
fi
"$PY" tests/stack/smtpsink.py 127.0.0.1 "$PORT_sink" "$T_TMP/sink" \
    >"$T_TMP/sink.log" 2>&1 &
PIDS="$PIDS $!"
n=0
until grep -q ready "$T_TMP/bad.log" 2>/dev/null &&
    "$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
    "$PORT_sink" 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -gt $((TSTART * 10)) ] && break
	sleep 0.1
done
check "the loopback servers are up" grep -q ready "$T_TMP/bad.log"

# send PORT ARGS...: the driver to 127.0.0.1:PORT, output in $T_TMP/o.
send() {
	_p=$1; shift
	RC=0
	"$DRIVER" -a 127.0.0.1 -p "$_p" -r rcpt@example.net -T "$T" -D "$TD" \
	    "$@" >"$T_TMP/o" 2>"$T_TMP/e" || RC=$?
	sanitizer_check "$T_TMP/e" "smtp_driver -p $_p $*"
}

# result FIELD: a field of the result line.
result() {
	sed -n '/^result /p' "$T_TMP/o" | tr ' ' '\n' |
	    sed -n "/^$1\$/{n;p;}"
}

# within MS: the session took less than MS milliseconds.
within() {
	[ "$(result elapsed_ms)" -lt "$1" ]
}

# expect DESC CLASS STATE [CODE]: the failure class, stage and code, and
# a session shorter than one stage timeout.
expect() {
	_d=$1 _c=$2 _s=$3 _code=${4:-}
	_got="$(result result) $(result state) $(result code)"
	if [ "$(result result)" = "$_c" ] && [ "$(result state)" = "$_s" ] &&
	    { [ -z "$_code" ] || [ "$(result code)" = "$_code" ]; } &&
	    within "$(ms "$T")"; then
		ok "$_d: $_c in $_s${_code:+ ($_code)}, $(result elapsed_ms) ms"
	else
		not_ok "$_d: want $_c $_s $_code, got $_got"
		sed 's/^/# /' "$T_TMP/o" | tail -n 20
	fi
}

# ms SECS: milliseconds.
ms() { "$PY" -c 'import sys; print(int(float(sys.argv[1]) * 1000))' "$1"; }

# --- a plain sink: the message as sent, dot-stuffed, CRLF line ends; the
# addresses tried in order, each reported.
printf 'Subject: dots\n\n.one dot\n..two dots\nbare LF\r\nCR only\rend' \
    >"$T_TMP/body"
printf 'Subject: dots\r\n\r\n.one dot\r\n..two dots\r\nbare LF\r\nCR only\r\nend\r\n' \
    >"$T_TMP/want"
RC=0
"$DRIVER" -a ::1 -a 127.0.0.1 -p "$PORT_sink" -r rcpt@example.net -t try \
    -T "$T" -b "$T_TMP/body" >"$T_TMP/o" 2>"$T_TMP/e" || RC=$?
sanitizer_check "$T_TMP/e" "smtp_driver (sink)"
check "sink: accepted, queue id from 'queued as'" \
    sh -c "[ $RC -eq 0 ] && grep -q '^result OK state DONE code 250 enh 2.0.0 queue 1 ' '$T_TMP/o'"
check "sink: ::1 tried first and its failure reported, then 127.0.0.1" \
    sh -c "grep -q '^\* connect to ::1 port $PORT_sink: Connection refused' '$T_TMP/o' &&
    grep -q '^\* connected to 127.0.0.1' '$T_TMP/o' && grep -q ' attempts 2 ' '$T_TMP/o'"
check "sink: the message arrives with dots and CRLF line ends intact" \
    cmp -s "$T_TMP/sink/1.eml" "$T_TMP/want"
check "sink: the transcript has C: and S: lines, the body summarised" \
    sh -c "grep -q '^C: MAIL FROM:<driver@example.org>' '$T_TMP/o' &&
    grep -q '^S: 354 ' '$T_TMP/o' && grep -q '^C: (the message: ' '$T_TMP/o' &&
    ! grep -q 'two dots' '$T_TMP/o'"

# --- connect failures.
"$DRIVER" -a 127.0.0.1 -a ::1 -p "$PORT_closed" -r r@example.net -T "$T" \
    >"$T_TMP/o" 2>"$T_TMP/e" || true
sanitizer_check "$T_TMP/e" "smtp_driver (closed)"
expect "nothing listening on 127.0.0.1 and ::1" CONNECT CONNECT
check "both addresses tried and named in the cause" \
    sh -c "grep -q ' attempts 2 ' '$T_TMP/o' && grep -q '^cause: .*127.0.0.1: Connection refused; ::1: Connection refused' '$T_TMP/o'"

# --- STARTTLS, verification, AUTH.
printf 's3cret\n' >"$T_TMP/pass"
B64=$(printf '\000alice\000s3cret' | base64)
send "$PORT_tls" -C "$W/ca.pem" -n localhost -v require -u alice \
    -P "$T_TMP/pass"
check "TLS: verified against the test CA, AUTH PLAIN, accepted" \
    sh -c "[ $RC -eq 0 ] && grep -q '^result OK .* queue 4Xk[0-9]*Qz9 tls 1 verified 1 ' '$T_TMP/o' &&
    grep -q '^\* certificate verified' '$T_TMP/o'"
check "TLS: EHLO again after the handshake, AUTH offered there" \
    sh -c "[ \$(grep -c '^C: EHLO ' '$T_TMP/o') -eq 2 ] && grep -q '^S: 250-AUTH PLAIN LOGIN' '$T_TMP/o'"
check "TLS: the AUTH line masked, no password nor its base64 anywhere" \
    sh -c "grep -q '^C: AUTH PLAIN \*\*\*\*\*\*\*\* (credentials hidden)' '$T_TMP/o' &&
    ! grep -q 's3cret' '$T_TMP/o' && ! grep -qF '$B64' '$T_TMP/o'"
send "$PORT_tls" -C "$W/ca.pem" -n localhost -u alice -P "$T_TMP/pass" \
    -m login
check "TLS: AUTH LOGIN, user name and password lines masked" \
    sh -c "[ $RC -eq 0 ] && grep -q '^C: \*\*\*\*\*\*\*\* (password hidden)' '$T_TMP/o' &&
    ! grep -q 's3cret' '$T_TMP/o' && ! grep -q 'czNjcmV0' '$T_TMP/o'"
if [ -n "$PORT_v6" ]; then
	n=0
	until grep -q ready "$T_TMP/v6.log" 2>/dev/null; do
		n=$((n + 1)); [ "$n" -gt $((TSTART * 10)) ] && break; sleep 0.1
	done
	RC=0
	"$DRIVER" -a ::1 -p "$PORT_v6" -r r@example.net -T "$T" -C "$W/ca.pem" \
	    >"$T_TMP/o" 2>"$T_TMP/e" || RC=$?
	sanitizer_check "$T_TMP/e" "smtp_driver (::1)"
	check "IPv6: TLS to ::1, the certificate checked against ::1, accepted" \
	    sh -c "[ $RC -eq 0 ] && grep -q '^\* connected to ::1 ' '$T_TMP/o' &&
	    grep -q ' tls 1 verified 1 ' '$T_TMP/o'"
else
	skip "IPv6: TLS to ::1" "no IPv6 loopback here"
fi
# A 4 MB message over TLS: partial writes, WANT_WRITE, every octet there.
"$PY" -c '
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"Subject: big\r\n\r\n")
    for i in range(40000):
        f.write((b"." if i % 7 == 0 else b"") + b"%05d " % i + b"y" * 93 + b"\r\n")' \
    "$T_TMP/big"
rm -f "$T_TMP/out"/tls-*.eml
send "$PORT_tls" -C "$W/ca.pem" -n localhost -b "$T_TMP/big"
check "TLS: a 4 MB message arrives whole, dots intact" \
    sh -c "[ $RC -eq 0 ] && cmp -s '$T_TMP/big' \$(ls '$T_TMP/out'/tls-*.eml | head -n 1)"
printf 'wrong\n' >"$T_TMP/badpass"
send "$PORT_tls" -C "$W/ca.pem" -n localhost -u alice -P "$T_TMP/badpass"
expect "TLS: a wrong password" REJECTED AUTH 535
send "$PORT_tls" -C "$W/otherca.pem" -n localhost -v require
expect "TLS: verification on, the wrong CA" TLS TLS
check "TLS: the wrong CA's reason reported, nothing sent after" \
    sh -c "grep -q '^verify: unable to get local issuer certificate' '$T_TMP/o' &&
    ! grep -q '^C: MAIL' '$T_TMP/o'"
send "$PORT_tls" -C "$W/otherca.pem" -n localhost
expect "TLS: the wrong CA, verification by default (not port 25)" TLS TLS
send "$PORT_tls" -C "$W/otherca.pem" -n localhost -v report
check "TLS: verification off (reported only): accepted, NOT verified shown" \
    sh -c "[ $RC -eq 0 ] && grep -q ' tls 1 verified 0 ' '$T_TMP/o' &&
    grep -q '^\* certificate NOT verified: .*(reported only' '$T_TMP/o'"
send "$PORT_tls" -n localhost -v require
expect "TLS: the system store does not know the test CA" TLS TLS
send "$PORT_tls" -C "$W/ca.pem" -n mail.example.org -v require
check "TLS: a certificate for another name" \
    sh -c "grep -q '^result TLS state TLS ' '$T_TMP/o' && grep -q '^verify: hostname mismatch' '$T_TMP/o'"
send "$PORT_tls" -C "$W/ca.pem" -v require
check "TLS: no server name: the certificate checked against 127.0.0.1" \
    sh -c "[ $RC -eq 0 ] && grep -q ' verified 1 ' '$T_TMP/o'"
send "$PORT_authclear" -u alice -P "$T_TMP/pass" -t try
expect "AUTH offered without STARTTLS: refused by the client" TLS EHLO
check "AUTH refused before TLS: no AUTH line was sent" \
    sh -c "! grep -q '^C: AUTH' '$T_TMP/o'"
send "$PORT_tls" -u alice -P "$T_TMP/pass" -t none
expect "AUTH with TLS off: refused by the client" TLS EHLO
send "$PORT_authclear" -t require
expect "TLS required, STARTTLS not offered" TLS EHLO
send "$PORT_inject" -C "$W/ca.pem" -n localhost -t require
expect "STARTTLS reply with injected bytes" PROTOCOL STARTTLS

# --- servers that misbehave.
send "$PORT_garbage" -t try
expect "a garbage greeting" PROTOCOL GREETING
send "$PORT_close0" -t try
expect "closed before the greeting" PROTOCOL GREETING
send "$PORT_close" -t try
expect "closed in the middle of the EHLO reply" PROTOCOL EHLO
check "the half reply is kept as the server's text" \
    grep -q '^reply: 250-bad.example' "$T_TMP/o"
send "$PORT_rej_greeting" -t try
expect "a 554 greeting" REJECTED GREETING 554
check "its enhanced code and text" \
    sh -c "grep -q ' enh 5.3.2 ' '$T_TMP/o' && grep -q '^reply: 554 5.3.2 bad.example ESMTP no service here' '$T_TMP/o'"
send "$PORT_rej_ehlo" -t try
expect "5xx to EHLO" REJECTED EHLO 550
send "$PORT_rej_mail" -t try
expect "5xx to MAIL" REJECTED MAIL 553
check "the server's ESC and BEL escaped in the transcript and the reply" \
    sh -c "[ \$(grep -c 'rejected \\\\x1b\[2J\\\\x07\$' '$T_TMP/o') -eq 2 ] &&
    ! grep -q \"\$(printf '\\033')\" '$T_TMP/o'"
send "$PORT_rej_rcpt" -t try
expect "5xx to RCPT" REJECTED RCPT 550
send "$PORT_greylist" -t try
expect "4xx to RCPT (greylisting)" REJECTED RCPT 450
send "$PORT_rej_data" -t try
expect "5xx to DATA" REJECTED DATA 554
send "$PORT_rej_end" -t try
expect "5xx after the data (Gmail's IPv6 reply)" REJECTED BODY 550
check "the three lines of Gmail's reply kept, enhanced code 5.7.1" \
    sh -c "[ \$(grep -c '^reply: 550.5.7.1 ' '$T_TMP/o') -eq 3 ] &&
    grep -q ' enh 5.7.1 ' '$T_TMP/o' && grep -q 'IPv6 sending guidelines' '$T_TMP/o'"
send "$PORT_helo" -t try
check "502 to EHLO: HELO instead, accepted" \
    sh -c "[ $RC -eq 0 ] && grep -q '^C: HELO driver.example' '$T_TMP/o'"
send "$PORT_longline" -t try
expect "a 1 MB reply line" PROTOCOL GREETING
check "the 1 MB line: refused at 512 octets, at most that much kept" \
    sh -c "grep -q 'longer than 512 octets' '$T_TMP/o' &&
    [ \$(sed -n 's/^S: //p' '$T_TMP/o' | wc -c) -lt 700 ]"
send "$PORT_lf" -t try
expect "replies ending in a bare LF" PROTOCOL GREETING
send "$PORT_toomany" -t try
expect "a greeting of 1000 lines" PROTOCOL GREETING
check "the line cap named" grep -q 'more than 100 lines' "$T_TMP/o"

# Timeouts: within the stage's timeout plus the slack.
LIM=$(ms "$("$PY" -c "print($T + $SLACK)")")
timed() {
	_d=$1 _s=$2 _min=$3 _max=$4
	if [ "$(result result)" = TIMEOUT ] && [ "$(result state)" = "$_s" ] &&
	    [ "$(result elapsed_ms)" -ge "$_min" ] && within "$_max"; then
		ok "$_d: TIMEOUT in $_s after $(result elapsed_ms) ms"
	else
		not_ok "$_d: want TIMEOUT $_s in $_min..$_max ms"
		sed 's/^/# /' "$T_TMP/o" | tail -n 20
	fi
}
send "$PORT_silence" -t try
timed "a silent server" GREETING "$(ms "$T")" "$LIM"
send "$PORT_noeol" -t try
timed "a greeting without a line end" GREETING "$(ms "$T")" "$LIM"
check "the unfinished greeting kept as the server's text" \
    grep -q '^reply: 220 hello$' "$T_TMP/o"
send "$PORT_tls_silent" -t require
timed "STARTTLS agreed, then no handshake" TLS "$(ms "$T")" "$LIM"
send "$PORT_silence_end" -t try
timed "silence after the data: its own timeout, shorter than -T" BODY \
    "$(ms "$TD")" \
    "$(ms "$T")"

echo "1..$T_N"
