#!/bin/sh
# The round trip, judged three ways: a test message per hosted domain
# (example.com, example.org) through SMTP and through sendmail, sent by a
# real Postfix signing with a real OpenDKIM (Debian's stock configs,
# tests/fixtures/plan/deb12-opendkim, wired by `notspam apply --yes`), each
# relayed from 127.0.0.2 (the site's public_ipv4 here, smtp_bind_address)
# to an SMTP sink (tests/stack/smtpsink.py --envelope: the bytes as
# received, and the peer address, HELO and MAIL FROM of the relay).  Each
# queue id is followed in the mail log to `status=sent (250 ... queued as
# N)`, which names the sink's file.  On each received file `notspam
# verify --ip PEER --helo HELO --mail-from FROM` must say pass for DKIM,
# SPF and DMARC, and so must dkimpy (DKIM) and authheaders (DKIM, SPF
# through pyspf, DMARC) on the same file (tests/stack/judges.py), all of
# them asking the same unbound on 127.0.0.1:53, which serves the zones
# `notspam records` printed (resolv.conf in the namespace names it, so
# notspam runs with no --resolver, as on a server).  The agreement
# figures (each message x dkim/spf/dmarc, how many agree) are TAP
# comments.  Negative cases: a copy of a received message with one body
# byte changed must be a DKIM fail for all three; example.org's SPF record
# made "v=spf1 -all" in unbound at run time must be an SPF fail for
# notspam and pyspf alike (DMARC passing on DKIM), which also shows that
# they ask the same server.
# The messages are sent by `notspam send-test`: per domain by the local
# route (SMTP to 127.0.0.1 port 25) and by --sendmail, each with its exit
# status, its queue id (the one Postfix logged for its Message-ID) and its
# follow to status=sent; one more by --server 127.0.0.1:25 (a route that
# is not followed: the test follows it in the log); the history then has
# the 5 tests.
# Everything runs in a private mount, PID and network namespace set up as
# apply_real.sh does (nothing on the host touched).  Skipped unless root
# with unshare and the daemons; the judges' checks are skipped, with the
# reason, when one is missing.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

# Time limits, in seconds.
T_ALL=150	# the whole namespace run
T_SENT=20	# a queue id reaching status=sent (send-test --follow-timeout too)
T_APPLY=20	# apply --timeout
T_SEND=20	# send-test --timeout: each SMTP stage

why=
if [ "$(id -u)" -ne 0 ]; then why="not root"
elif ! command -v unshare >/dev/null 2>&1; then why="unshare is missing"
elif ! command -v postfix >/dev/null 2>&1; then why="postfix is not installed"
elif ! command -v opendkim >/dev/null 2>&1; then why="opendkim is not installed"
elif ! command -v unbound >/dev/null 2>&1; then why="unbound is not installed"
elif ! command -v dig >/dev/null 2>&1; then why="dig is not installed"
elif ! unshare -m -p -f -n --propagation private true 2>/dev/null; then
	why="no private mount, PID and network namespace here (unshare)"
fi
if [ -n "$why" ]; then
	skip "send-test and verify against real Postfix and OpenDKIM" "$why"
	echo "1..$T_N"
	exit 0
fi

D=$T_TMP/ns
mkdir -p "$D"
cp -a /etc "$D/etc"
cp -a tests/fixtures/plan/deb12-opendkim/etc/. "$D/etc/"
rm -f "$D/etc/aliases.db" "$D/etc/resolv.conf"
# Every resolver in the namespace asks the test's unbound.
echo "nameserver 127.0.0.1" >"$D/etc/resolv.conf"
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
# The server sends from 127.0.0.2: the records name it, Postfix binds it.
cat >"$D/etc/notspam/notspam.conf" <<EOS
domains = example.com example.org
public_ipv4 = 127.0.0.2
public_ipv6 =
opendkim.restart = $D/bin/opendkim-restart
opendkim.reload = $D/bin/opendkim-restart
EOS
cp tests/stack/unbound.sh tests/stack/zones.py tests/stack/smtpsink.py \
    tests/stack/devlog.py tests/stack/judges.py "$D/bin/"
cat >"$D/limits" <<EOS
T_SENT=$T_SENT T_APPLY=$T_APPLY T_SEND=$T_SEND
EOS

# The inside: one result line per check ("ok DESC", "not ok DESC",
# "skip DESC # REASON", "diag TEXT").
cat >"$D/inner.sh" <<'EOS'
set -u
D=$1 NS=$2 PY=$3
. "$D/limits"
R=$D/results
: >"$R"
res() { echo "$*" >>"$R"; }
t() { _d=$1; shift; if "$@"; then res "ok $_d"; else res "not ok $_d"; fi; }
skipped() { res "skip $1 # $2"; }
die() { res "not ok $*"; exit 1; }
stopall() {
	postfix stop >/dev/null 2>&1
	for p in $(cat "$D"/*.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
}
trap stopall EXIT
# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
	_w=$(( $1 * 10 )); shift
	while ! "$@"; do
		[ "$_w" -gt 0 ] || return 1
		sleep 0.1; _w=$((_w - 1))
	done
}
jv() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }

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

# Harness settings only (the milters are apply's): loopback, the sink as
# relayhost, relayed from 127.0.0.2, the log file, no TLS.
postconf -e 'inet_interfaces = loopback-only' \
    'relayhost = [127.0.0.1]:2526' 'smtp_bind_address = 127.0.0.2' \
    'maillog_file = /var/log/mail.log' \
    'smtp_dns_support_level = disabled' 'smtp_host_lookup = native' \
    'smtpd_peername_lookup = no' 'smtpd_tls_security_level = none' \
    'smtp_tls_security_level = none' || die "postconf -e"
mkdir -p /var/spool/postfix/etc
cp /etc/resolv.conf /etc/hosts /etc/services /var/spool/postfix/etc/ 2>/dev/null
newaliases 2>/dev/null

DOMS="example.com example.org"
for dom in $DOMS; do
	"$NS" keygen "$dom" >"$D/out/keygen.$dom" 2>&1
	t "keygen $dom" [ $? -eq 0 ]
done
setsid "$PY" "$D/bin/smtpsink.py" 127.0.0.1 2526 "$D/sink" --envelope \
    </dev/null >"$D/log/sink.out" 2>&1 &
echo $! >"$D/sink.pid"
postfix start >"$D/log/postfix.start" 2>&1 || die "postfix start"
"$D/bin/opendkim-restart"
"$NS" apply --yes --timeout "$T_APPLY" >"$D/out/apply" 2>&1
t "apply --yes wires OpenDKIM into Postfix: 0 (got $?)" [ $? -eq 0 ]

# The DNS: the records notspam prints, served by unbound on 127.0.0.1:53.
"$NS" --json records >"$D/records.json" 2>"$D/out/records.err"
"$PY" "$D/bin/zones.py" "$D/records.json" "$D/dns" >"$D/zones.list" ||
    die "zones.py"
. "$D/bin/unbound.sh"
# shellcheck disable=SC2046
UNBOUND_ADDRS=127.0.0.1 unbound_start "$D/dns" 53 $(cat "$D/zones.list") ||
    die "unbound on 127.0.0.1:53"
cp "$D/dns/unbound.pid" "$D/unbound.pid" 2>/dev/null
for dom in $DOMS; do
	spf=$(dig +short @127.0.0.1 "$dom" TXT | tr -d '"')
	t "DNS: $dom TXT $spf" [ "$spf" = "v=spf1 ip4:127.0.0.2 -all" ]
	dk=$(jv "$D/records.json" '" ".join(r["name"] for x in d["domains"] if x["domain"] == "'"$dom"'" for r in x["records"] if "._domainkey." in r["name"] and r["type"] == "TXT")')
	key=$(dig +short @127.0.0.1 "${dk:-none.}" TXT | tr -d '" \n')
	y=no; [ -n "$dk" ] && [ "${key#v=DKIM1;}" != "$key" ] && y=yes
	t "DNS: ${dk:-no DKIM record in notspam records} has the key (${key%%;*}; ...)" \
	    [ $y = yes ]
done

# ---- sending ------------------------------------------------------------------
# sent DOM ROUTE QID: one message to follow.
: >"$D/sent"
sent() { echo "$1 $2 $3" >>"$D/sent"; }
cleanup_qid() {
	grep -F ": message-id=<$1>" /var/log/mail.log |
	    sed -n 's/.*postfix\/cleanup\[[0-9]*\]: \([0-9A-F][0-9A-F]*\): message-id=.*/\1/p' |
	    head -n 1
}
has_cleanup() { [ -n "$(cleanup_qid "$1")" ]; }
# send DOM ROUTE ARGS...: one send-test, its checks; the route's words
# ("local", "sendmail", "server") name it in the checks.
send() {
	_dom=$1 _route=$2; shift 2
	o=$D/out/send.$_dom.$_route
	"$NS" --json send-test rcpt@receiver.example "$@" --from "user@$_dom" \
	    --timeout "$T_SEND" --follow-timeout "$T_SENT" \
	    >"$o.json" 2>"$o.err" </dev/null
	rc=$?
	name="send-test $* from user@$_dom"
	[ $# -gt 0 ] || name="send-test (the local route) from user@$_dom"
	t "$name: exit 0 (got $rc)" [ "$rc" -eq 0 ]
	t "  verdict accepted, route $_route ($(jv "$o.json" 'd["verdict"] + ", " + d["route"]'))" \
	    [ "$(jv "$o.json" 'd["verdict"] + " " + d["route"]')" = "accepted $_route" ]
	qid=$(jv "$o.json" 'd["queue_id"] or ""')
	mid=$(jv "$o.json" '(d["message_id"] or "").strip("<>")')
	wait_for 5 has_cleanup "$mid"
	lq=$(cleanup_qid "$mid")
	y=no; [ -n "$qid" ] && [ "$qid" = "$lq" ] && y=yes
	t "  its queue id $qid is the one Postfix logged for its Message-ID ($lq)" [ $y = yes ]
	f=$(jv "$o.json" 'd["follow"]')
	if [ "$_route" = server ]; then
		t "  not followed: the server route is any server's (follow $f)" [ "$f" = None ]
	else
		t "  its follow: status=sent ($f: $(jv "$o.json" 'd["remote_reply"]'))" [ "$f" = sent ]
	fi
	sent "$_dom" "$_route" "${qid:-none}"
}
for dom in $DOMS; do
	send "$dom" local
	send "$dom" sendmail --sendmail
done
send example.org server --server 127.0.0.1:25
hist=$(grep -c . /var/lib/notspam/tests.jsonl 2>/dev/null)
t "the history (/var/lib/notspam/tests.jsonl) has the 5 tests (${hist:-no file})" \
    [ "${hist:-0}" -eq 5 ]
# One transcript, for the record.
res "diag the transcript of send-test from user@example.com (local route):"
jv "$D/out/send.example.com.local.json" '"\n".join(d["transcript"])' |
    sed 's/^/diag   /' >>"$R"

# ---- following each queue id to the sink --------------------------------------
# The smtp client's line for QID: status=sent (250 2.0.0 queued as N): N
# names the sink's file.
sentline() {
	grep -E "postfix/smtp\\[[0-9]+\\]: $1: to=<rcpt@receiver\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:2526, .* status=sent \\(250 2\\.0\\.0 queued as [0-9]+\\)" \
	    /var/log/mail.log | head -n 1
}
has_sent() { [ -n "$(sentline "$1")" ]; }
: >"$D/files"
while read -r dom route qid; do
	wait_for "$T_SENT" has_sent "$qid"
	line=$(sentline "$qid")
	n=$(printf '%s' "$line" | sed -n 's/.*queued as \([0-9]*\))$/\1/p')
	y=no; [ -n "$n" ] && [ -f "$D/sink/$n.eml" ] && y=yes
	t "$dom $route: $qid status=sent in the mail log, the sink's message $n" \
	    [ $y = yes ]
	[ -n "$n" ] && echo "$dom $route $qid $n" >>"$D/files"
done <"$D/sent"
t "5 messages at the sink ($(ls "$D/sink" | grep -c '\.eml$'))" \
    [ "$(ls "$D/sink" | grep -c '\.eml$')" -eq 5 ]

# ---- each received message judged ------------------------------------------------
# agree WHAT WORD...: one case; it agrees when every judge's word is the
# first (notspam's).
CASES=0 AGREE=0 NCASES=0 NAGREE=0
agree() {
	_what=$1 _w=$2; shift 2
	_ok=1
	for _x in "$@"; do [ "$_x" = "$_w" ] || _ok=0; done
	if [ "$NEG" = yes ]; then
		NCASES=$((NCASES + 1)); NAGREE=$((NAGREE + _ok))
	else
		CASES=$((CASES + 1)); AGREE=$((AGREE + _ok))
	fi
	[ "$_ok" -eq 1 ]
}
# judge NAME FILE DOM IP HELO FROM: notspam verify, dkimpy, authheaders.
judge() {
	_n=$1 _f=$2 _dom=$3 _ip=$4 _helo=$5 _from=$6
	"$NS" --json verify "$_f" --ip "$_ip" --helo "$_helo" \
	    --mail-from "$_from" >"$D/out/verify.$_n.json" 2>"$D/out/verify.$_n.err"
	VRC=$?
	"$NS" verify "$_f" --ip "$_ip" --helo "$_helo" --mail-from "$_from" \
	    >"$D/out/verify.$_n.txt" 2>&1
	V=$D/out/verify.$_n.json
	NDKIM=$(jv "$V" '" ".join(s["result"] for s in d["dkim"]) or "none"')
	NSPF=$(jv "$V" 'd["spf"]["result"]')
	NDMARC=$(jv "$V" 'd["dmarc"]["result"]')
	"$PY" "$D/bin/judges.py" 127.0.0.1 53 "$_f" --ip "$_ip" --helo "$_helo" \
	    --mail-from "$_from" >"$D/out/judges.$_n.json" 2>"$D/out/judges.$_n.err"
	J=$D/out/judges.$_n.json
	PDKIM=$(jv "$J" 'd["dkimpy"]["dkim"]')
	ADKIM=$(jv "$J" 'd["authheaders"]["dkim"]')
	ASPF=$(jv "$J" 'd["authheaders"]["spf"]')
	ADMARC=$(jv "$J" 'd["authheaders"]["dmarc"]')
	MISS=$(jv "$J" '"; ".join("%s: %s" % kv for kv in d["missing"].items())')
	[ -n "$MISS" ] || [ -s "$J" ] || MISS="judges.py failed: $(head -c 300 "$D/out/judges.$_n.err" | tr '\n' ' ')"
}
# compare NAME: the agreement checks of the last judge run.
compare() {
	if [ -n "$MISS" ]; then
		skipped "$1: the judges agree" "a judge is missing: $MISS"
		return
	fi
	t "$1: dkim: notspam $NDKIM, dkimpy $PDKIM, authheaders $ADKIM" \
	    agree dkim "$NDKIM" "$PDKIM" "$ADKIM"
	t "$1: spf: notspam $NSPF, authheaders (pyspf) $ASPF" \
	    agree spf "$NSPF" "$ASPF"
	t "$1: dmarc: notspam $NDMARC, authheaders $ADMARC" \
	    agree dmarc "$NDMARC" "$ADMARC"
}
NEG=no
FIRST=
while read -r dom route qid n; do
	f=$D/sink/$n.eml
	e=$D/sink/$n.env
	name="$dom $route"
	[ -n "$FIRST" ] || FIRST="$n $dom $route"
	nsig=$(grep -ci '^DKIM-Signature:' "$f")
	t "$name: signed once ($nsig DKIM-Signature)" [ "$nsig" -eq 1 ]
	t "$name:   with d=$dom" sh -c "sed -n '/^DKIM-Signature:/I,/^[^ 	]/p' '$f' | tr -d '\r\n' | grep -Eq 'd=$dom;'"
	ip=$(jv "$e" 'd["peer"]') helo=$(jv "$e" 'd["helo"]') from=$(jv "$e" 'd["mail_from"]')
	y=no; [ "$ip" = 127.0.0.2 ] && [ -n "$helo" ] && [ "$from" = "user@$dom" ] && y=yes
	t "$name: Postfix relayed from $ip, HELO $helo, MAIL FROM $from" [ $y = yes ]
	judge "$n" "$f" "$dom" "$ip" "$helo" "$from"
	t "$name: notspam verify: DKIM $NDKIM, SPF $NSPF, DMARC $NDMARC, exit $VRC" \
	    [ "$NDKIM $NSPF $NDMARC $VRC" = "pass pass pass 0" ]
	t "$name:   SPF for $ip, domain $dom" \
	    [ "$(jv "$V" 'd["spf"]["ip"] + " " + d["spf"]["domain"]')" = "$ip $dom" ]
	t "$name:   DMARC aligned on both" \
	    [ "$(jv "$V" 'd["dmarc"]["alignment"]')" = "dkim spf" ]
	compare "$name"
done <"$D/files"

# ---- the negative case: one body byte changed after the sink -----------------------
NEG=yes
if [ -n "$FIRST" ]; then
	set -- $FIRST
	n=$1 dom=$2
	cp "$D/sink/$n.eml" "$D/altered.eml"
	# The body's third byte, its low bit flipped ("This": "Thhs").
	"$PY" - "$D/altered.eml" <<'EOP'
import sys
p = sys.argv[1]
raw = open(p, "rb").read()
i = raw.index(b"\r\n\r\n") + 4 if b"\r\n\r\n" in raw else raw.index(b"\n\n") + 2
raw = raw[:i + 2] + bytes([raw[i + 2] ^ 1]) + raw[i + 3:]
open(p, "wb").write(raw)
EOP
	t "altered: the copy differs from the received file in one byte" \
	    [ "$(cmp -l "$D/sink/$n.eml" "$D/altered.eml" | wc -l)" -eq 1 ]
	e=$D/sink/$n.env
	judge altered "$D/altered.eml" "$dom" "$(jv "$e" 'd["peer"]')" \
	    "$(jv "$e" 'd["helo"]')" "$(jv "$e" 'd["mail_from"]')"
	t "altered: notspam verify: DKIM fail ($NDKIM: $(jv "$V" 'd["dkim"][0]["reason"]'))" \
	    [ "$NDKIM" = fail ]
	t "altered:   DMARC still passes on SPF alone: exit 1 (got $VRC, SPF $NSPF, DMARC $NDMARC)" \
	    [ "$VRC" -eq 1 ]
	if [ -n "$MISS" ]; then
		skipped "altered: dkimpy and authheaders say fail" "a judge is missing: $MISS"
	else
		t "altered: dkimpy: DKIM fail ($PDKIM)" [ "$PDKIM" = fail ]
		t "altered: authheaders: DKIM fail ($ADKIM)" [ "$ADKIM" = fail ]
	fi
	compare altered
else
	die "no received message to alter"
fi

# ---- the same DNS for every judge: example.org's SPF made -all at run time ----
# (unbound's local data overrides the zone file): SPF fails for all of
# them now, DMARC passes on DKIM alone.
LAST=$(grep '^example\.org ' "$D/files" | head -n 1)
if [ -n "$LAST" ]; then
	set -- $LAST
	dom=$1 n=$4
	unbound_add "$D/dns" "$dom. 300 IN TXT \"v=spf1 -all\""
	spf=$(dig +short @127.0.0.1 "$dom" TXT | tr -d '"')
	t "spf -all: unbound now answers $dom TXT $spf" [ "$spf" = "v=spf1 -all" ]
	e=$D/sink/$n.env
	judge spfall "$D/sink/$n.eml" "$dom" "$(jv "$e" 'd["peer"]')" \
	    "$(jv "$e" 'd["helo"]')" "$(jv "$e" 'd["mail_from"]')"
	t "spf -all: notspam verify: SPF fail, DKIM $NDKIM, DMARC $NDMARC: exit 1 (got $VRC, SPF $NSPF)" \
	    [ "$NSPF $NDKIM $NDMARC $VRC" = "fail pass pass 1" ]
	compare "spf -all"
else
	die "no message from example.org"
fi
echo "$CASES $AGREE $NCASES $NAGREE" >"$D/agreement"
[ -n "$FIRST" ] && cp "$D/out/verify.${FIRST%% *}.txt" "$D/report.txt"
EOS

t0=$(date +%s)
timeout -k 5 "$T_ALL" unshare -m -p -f --kill-child --mount-proc -n \
    --propagation private sh "$D/inner.sh" "$D" "$NOTSPAM" "$PY" \
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
		"skip "*) line=${line#skip }; skip "${line% \# *}" "${line##* \# }" ;;
		"diag "*) diag "${line#diag }" ;;
		*) not_ok "${line#not ok }" ;;
		esac
	done <"$D/results"
fi
[ "$rc" -eq 0 ] || not_ok "the namespace run ended with $rc (124: over $T_ALL s)"
if [ -s "$D/agreement" ]; then
	read -r c a nc na <"$D/agreement"
	diag "agreement (notspam, dkimpy $(dpkg-query -W -f '${Version}' python3-dkim 2>/dev/null), authheaders $(dpkg-query -W -f '${Version}' python3-authheaders 2>/dev/null)): received messages x dkim/spf/dmarc: $c cases, $a agree; the negative cases (a body byte changed, SPF -all) x dkim/spf/dmarc: $nc cases, $na agree"
fi
if [ -s "$D/report.txt" ]; then
	diag "one notspam verify report:"
	sed 's/^/#   /' "$D/report.txt"
fi
for f in "$D"/out/*; do
	[ -f "$f" ] && sanitizer_check "$f" "notspam (${f##*/})"
done
if grep -q '^not ok' "$D/results" 2>/dev/null || [ "$rc" -ne 0 ]; then
	for f in "$D"/out/* "$D/inner.out" "$D/log/mail.log" \
	    "$D/log/sink.out"; do
		[ -s "$f" ] || continue
		diag "--- ${f#"$D"/}"
		tail -n 30 "$f" | sed 's/^/# /'
	done
fi
# NOTSPAM_KEEP=DIR keeps the outputs, logs and received messages.
[ -n "${NOTSPAM_KEEP:-}" ] && mkdir -p "$NOTSPAM_KEEP" &&
    cp -a "$D/out" "$D/log" "$D/sink" "$D/results" "$NOTSPAM_KEEP/" 2>/dev/null
echo "1..$T_N"
