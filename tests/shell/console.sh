#!/bin/sh
# The console, driven for real in a detached tmux session against unbound
# on loopback serving crafted zones for the demo sandbox's domains.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
. "$NOTSPAM_TOP/tests/stack/unbound.sh"
cd "$NOTSPAM_TOP" || exit 1

TM="tmux -L notspam-test-$$ -f /dev/null"
cleanup() {
	$TM kill-server 2>/dev/null
	unbound_stop "$T_TMP/dns"
	[ -n "${FAUX:-}" ] && kill "$FAUX" 2>/dev/null
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# screen: the pane's text now.
screen() { $TM capture-pane -p -t c; }
# wait_for REGEX [TENTHS]: poll the pane until the regex shows (default 5 s).
wait_for() {
	_n=0
	while [ "$_n" -lt "${2:-50}" ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	screen >"$T_TMP/last-screen"
	return 1
}
# start ARGS...: the console in a new session of W x H.
start() {
	$TM kill-session -t c 2>/dev/null
	rm -f "$T_TMP/exit"
	$TM new-session -d -s c -x "${W:-100}" -y "${H:-30}" \
	    "cd $T_TMP && env TERM=${TERMNAME:-xterm-256color} LANG=${LANGNAME:-C.UTF-8} ${EXTRAENV:-} $NOTSPAM --root $root $* 2>>$T_TMP/stderr; echo \$? >$T_TMP/exit; stty -echo; echo EXITED \$(cat $T_TMP/exit); sleep 30"
}

# A session that outlives the console's, so the tmux server never exits
# between two starts.
$TM new-session -d -s keep "sleep 3600"

root=$(sandbox site)
# No domain blocklist: none can answer through this unbound (their own
# suite: tests/shell/dnsbl.sh); the Blocklists columns show "-".
echo "domain_blocklists = none" >>"$root/etc/notspam/notspam.conf"
run --root "$root" --json records
check "records of the demo sandbox: exit 1, the demo's warnings (got $RC)" [ "$RC" -eq 1 ]
cp "$T_TMP/out" "$T_TMP/records.json"
# example.org: every record right.  example.net: no SPF.  example.com:
# a DKIM key that is not the local one.
other=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
    openssl pkey -pubout -outform DER 2>/dev/null | base64 -w0)
"$PY" tests/stack/zones.py "$T_TMP/records.json" "$T_TMP/zones" \
    --drop spf@example.net \
    --set "dkim:obsd@example.com=v=DKIM1; k=rsa; p=$other" >/dev/null
port=$(free_port)
check "unbound starts with the crafted zones" unbound_start "$T_TMP/dns" "$port" "$T_TMP"/zones/*.zone
RES="--resolver 127.0.0.1:$port"

# notspam status: the same data as text.
run --root "$root" $RES status
check "status exits 2 (failures found), got $RC" [ "$RC" -eq 2 ]
check "status: example.org all ok" has "$T_TMP/out" '^example\.org +ok +ok +ok +ok +- *$'
check "status: the mail host's line, labelled, once" sh -c "grep -Eq '^mail host +IPv4 A\+PTR +IPv6 AAAA\+PTR +HELO SPF +Blocklists *\$' '$T_TMP/out' &&
    [ \$(grep -Ec '^mail\.example\.org +ok +ok +ok +- *\$' '$T_TMP/out') -eq 1 ]"
check "  and the domain table has MX SPF DKIM DMARC Blocklists only" has "$T_TMP/out" '^domain +MX +SPF +DKIM +DMARC +Blocklists *$'
check "status: example.net SPF FAIL" has "$T_TMP/out" '^example\.net +ok +FAIL '
check "status: the fix for the SPF is given" has "$T_TMP/out" 'fix: example\.net\. 3600 IN TXT "v=spf1 ip4:192\.0\.2\.25 ip6:2001:db8::25 -all"'
check "status: the signing path is shown, the milter hop's mismatch named" has "$T_TMP/out" '^path +postfix smtpd -> inet:\[::1\]:12345 -> opendkim +mismatch: opendkim listens on 127\.0\.0\.1:12345'

start $RES
check "the dashboard shows example.org" wait_for '^ example\.org '
for d in example.net example.com lists.example.com; do
	check "the dashboard shows $d" wait_for "^ $d "
done
check "example.org turns ok in every column" wait_for '^ example\.org +ok +ok +ok +ok +- *$'
check "the mail host's line above the domains: A+PTR, AAAA+PTR, HELO SPF ok" \
    wait_for '^ mail\.example\.org +ok +192\.0\.2\.25 +ok +2001:db8::25 +ok +- *$'
check "  under labels that say what they hold" \
    wait_for '^ Mail host +IPv4 A\+PTR +IPv6 AAAA\+PTR +HELO SPF +Blocklists *$'
check "example.net shows SPF FAIL" wait_for '^ example\.net +ok +FAIL '
check "example.com shows DKIM FAIL" wait_for '^ example\.com +ok +ok +FAIL '
check "the findings name the missing SPF" wait_for 'FAIL +example\.net spf'
check "the keys line is shown" wait_for 'q quit'

# A mouse click (SGR 1006, what xterm sends) on example.net's row selects it
# (the 6th line: the title, the mail host's two, the domain header, then
# example.org).
$TM send-keys -t c -l "$(printf '\033[<0;6;6M')"
$TM send-keys -t c -l "$(printf '\033[<0;6;6m')"
sleep 0.3
$TM send-keys -t c Enter
check "a click on the example.net row, then Enter, opens it" wait_for '^ example\.net +DNS records'
$TM send-keys -t c Escape
wait_for '^ Findings' >/dev/null
$TM send-keys -t c g Enter
check "g then Enter opens the mail host's DNS records (the first row)" \
    wait_for '^ mail host mail\.example\.org +DNS records'
check "  its PTR records, with the same wrapping" wait_for '^ PTR +25\.2\.0\.192\.in-addr\.arpa\. +ok'
check "  and none of a domain's" sh -c "! $TM capture-pane -p -t c | grep -Eq '^ (MX|DKIM) '"
$TM send-keys -t c Escape
wait_for '^ Findings' >/dev/null
$TM send-keys -t c g j Enter
check "Enter opens the DNS screen of the first domain" wait_for '^ example\.org +DNS records'
check "  without the mail host's records" sh -c "! $TM capture-pane -p -t c | grep -Eq '^ (PTR|A|AAAA) '"
$TM send-keys -t c G
check "  G goes to the last records; the live DKIM answer shows" wait_for 'live: v=DKIM1; k=ed25519'
$TM send-keys -t c Escape
check "Esc goes back to the dashboard" wait_for '^ Findings'
$TM send-keys -t c j Enter
check "j then Enter opens example.net" wait_for '^ example\.net +DNS records'
check "  with the SPF record to publish" wait_for 'want: v=spf1 ip4:192\.0\.2\.25 ip6:2001:db8::25 -all'
$TM send-keys -t c e
check "e asks for a file name" wait_for 'export missing records to file:'
$TM send-keys -t c C-u "$T_TMP/export.zone" Enter
check "the export reports what it wrote" wait_for 'written to'
check "the export file exists" [ -s "$T_TMP/export.zone" ]
# The exported lines load into a DNS server, which then answers them.
{ echo '$ORIGIN example.net.'; echo '$TTL 300'
  echo '@ IN SOA ns.example.net. h.example.net. 2 3600 600 86400 300'
  echo '@ IN NS ns.example.net.'; echo 'ns IN A 127.0.0.1'
  cat "$T_TMP/export.zone"; } >"$T_TMP/exported.zone"
p2=$(free_port)
check "unbound loads the exported zone" unbound_start "$T_TMP/dns2" "$p2" "$T_TMP/exported.zone"
check "  and answers the exported SPF record" sh -c "dig +short -p $p2 @127.0.0.1 example.net TXT | grep -q 'v=spf1 ip4:192.0.2.25'"
unbound_stop "$T_TMP/dns2"
$TM send-keys -t c Escape

# The keys screen: every key listed; n makes a key in the background.
$TM send-keys -t c K
check "K opens the keys screen" wait_for '^ DKIM keys'
check "  it lists the demo's RSA key, published" wait_for '^ example\.org +mail +rsa 2048 +active +yes'
check "  and the Ed25519 key" wait_for '^ example\.org +ed202611 +ed25519 256'
$TM send-keys -t c n
check "n asks the selector of a new key" wait_for 'rsa key for example\.org, selector: [0-9]{6}'
$TM send-keys -t c C-u s2027 Enter
check "  the key is made and listed as generated, not published" wait_for '^ example\.org +s2027 +rsa 2048 +generated +no'
check "  the key file is 0600" sh -c "[ \"\$(stat -c %a '$root/etc/dkimkeys/example.org_s2027.private')\" = 600 ]"
$TM send-keys -t c G Enter
check "Enter shows the TXT to publish and the switch" wait_for 'once the DNS has it, switch the signer'
$TM send-keys -t c x R
check "R retires the new key, which the signer does not use" wait_for '^ example\.org +s2027 +rsa 2048 +retired'
$TM send-keys -t c g R
check "R on the key the signer uses is refused" wait_for 'still what the signer uses'
$TM send-keys -t c x Escape
check "Esc goes back to the dashboard" wait_for '^ Findings'

# Resize: 80x24 and 200x60, no garbage.
$TM resize-window -t c -x 80 -y 24
check "at 80x24 the dashboard still shows its rows" wait_for '^ lists\.example\.com '
check "  and the keys line" wait_for 'q quit'
# Counted in characters, not bytes: a cut value ends in a 3-byte "…".
check "  nothing wider than 80 columns" sh -c "$TM capture-pane -p -t c | $PY -c 'import sys; sys.exit(any(len(l) > 80 for l in sys.stdin.read().splitlines()))'"
$TM resize-window -t c -x 200 -y 60
check "at 200x60 the dashboard uses the width" wait_for 'resolver 127\.0\.0\.1'
check "  and the findings are shown" wait_for '^ Findings'
$TM send-keys -t c q
check "q quits with status 0" wait_for '^EXITED 0'
check "the terminal left the alternate screen" sh -c "[ \"\$($TM display -p -t c '#{alternate_on}')\" = 0 ]"
check "the cursor is visible again" sh -c "[ \"\$($TM display -p -t c '#{cursor_flag}')\" = 1 ]"

# Monochrome: NO_COLOR keeps the status words and emits no colour.
W=100 H=30 EXTRAENV="NO_COLOR=1" start $RES
check "NO_COLOR: status words still shown" wait_for '^ example\.net +ok +FAIL '
check "NO_COLOR: no colour sequences on screen" sh -c "! $TM capture-pane -e -p -t c | grep -q '\[3[1-6]m'"
$TM send-keys -t c q
wait_for '^EXITED' >/dev/null
EXTRAENV="" LANGNAME=C start $RES --no-color
check "C locale: ASCII pending marks or words only" wait_for '^ example\.org '
check "  no UTF-8 bytes on screen" sh -c "! $TM capture-pane -p -t c | grep -q \"\$(printf '\\342')\""
$TM send-keys -t c q
wait_for '^EXITED' >/dev/null

# A resolver that never answers: keys still work at once.
fport=$(free_port)
/usr/bin/python3 tests/stack/fauxdns.py --port "$fport" --mode silent \
    --pidfile "$T_TMP/faux.pid" >/dev/null 2>&1 &
FAUX=$!
sleep 0.5
start --resolver "127.0.0.1:$fport"
check "silent resolver: the dashboard comes up" wait_for '^ example\.org '
$TM send-keys -t c j Enter
check "  j and Enter answer within a second" wait_for '^ example\.net +DNS records' 10
$TM send-keys -t c Escape '?'
check "  help opens within a second" wait_for 'this help' 10
$TM send-keys -t c x
check "  any key closes help" wait_for '^ Findings' 10
$TM send-keys -t c q
check "  q quits within a second" wait_for '^EXITED 0' 10
kill "$FAUX" 2>/dev/null; FAUX=

# SIGTERM (and SIGINT): the terminal is restored on that path too.
for sig in TERM INT; do
	start $RES
	wait_for '^ example\.org ' >/dev/null
	pid=$(pgrep -P "$($TM display -p -t c '#{pane_pid}')" -f notspam | head -n 1)
	kill -s "$sig" "$pid" 2>/dev/null
	check "SIG$sig: the console exits with status 0" wait_for '^EXITED 0' 30
	check "SIG$sig: the alternate screen is left" sh -c "[ \"\$($TM display -p -t c '#{alternate_on}')\" = 0 ]"
done

# 2,000 random keys and resizes: no crash (this is the ASan build).
start $RES
wait_for '^ example\.org ' >/dev/null
"$PY" - "$TM" <<'PYEOF' >"$T_TMP/keys.log" 2>&1
import random, subprocess, sys
tm = sys.argv[1].split()
random.seed(2026)
# No Escape or q: at the top they quit, and the point is to survive.
# Left and Backspace go back; Enter closes the line editor.
keys = ["j", "k", "Tab", "Enter", "?", "/", "a", "e", "d", "r",
        "Up", "Down", "PageUp", "PageDown", "Home", "End", "Left", "x",
        "BSpace", "C-u", "g", "G", "space", "F1", "Enter", "Left"]
sizes = [(80, 24), (120, 40), (60, 15), (200, 60), (100, 30), (41, 11), (30, 8)]
sent = 0
while sent < 2000:
    batch = []
    for _ in range(25):
        k = random.choice(keys)
        batch.append(k)
    subprocess.run(tm + ["send-keys", "-t", "c"] + batch)
    sent += len(batch)
    if random.random() < 0.3:
        w, h = random.choice(sizes)
        subprocess.run(tm + ["resize-window", "-t", "c", "-x", str(w), "-y", str(h)])
print(sent)
PYEOF
sleep 1
$TM resize-window -t c -x 100 -y 30
if [ -s "$T_TMP/exit" ]; then
	not_ok "random keys: the console exited early with status $(cat "$T_TMP/exit")"
else
	# Close whatever is open (line editor, dialog, help, screens), one
	# key at a time so that no Escape is read as a meta prefix.
	for k in Escape Escape Escape Escape Escape Escape q; do
		screen | grep -q '^EXITED' && break
		$TM send-keys -t c "$k"
		sleep 0.2
	done
	check "random keys: still alive, then quits with status 0" wait_for '^EXITED 0' 30
fi
sanitizer_check "$T_TMP/stderr" "the console" &&
    ok "no sanitizer report from any console run"
