#!/bin/sh
# Hostile input on the way to a terminal, and bad options: every command
# refuses a bad --resolver alike (exit 64, one line, the value escaped and
# bounded); the console says what is wrong with TERM or the terminal's size
# in words that fit; text from the DNS is escaped once on the console (no
# "\\x1b", no literal "\t"); bidirectional controls are escaped in JSON;
# status --json is JSON.  The console is driven in a detached tmux session,
# as tests/shell/console.sh does, against unbound on loopback.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
. "$NOTSPAM_TOP/tests/stack/unbound.sh"
cd "$NOTSPAM_TOP" || exit 1

TM="tmux -L notspam-term-$$ -f /dev/null"
cleanup() {
	$TM kill-server 2>/dev/null
	unbound_stop "$T_TMP/dns"
	rm -rf "$T_TMP"
}
trap cleanup EXIT

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
# start ENV ARGS...: the console in a new session of W x H, with the
# environment changes ENV (an env(1) argument list: "TERM=dumb", "-u TERM"),
# through the program WRAP when set.
start() {
	_env=$1; shift
	$TM kill-session -t c 2>/dev/null
	$TM new-session -d -s c -x "${W:-100}" -y "${H:-30}" \
	    "cd $T_TMP && env LANG=C.UTF-8 TERM=xterm-256color env $_env ${WRAP:-} $NOTSPAM --root $root $* 2>>$T_TMP/stderr; echo EXITED \$?; sleep 30"
}
# fits COLS: no line of the pane is wider than COLS.
fits() { screen | awk -v w="$1" 'length > w { bad = 1 } END { exit bad }'; }

$TM new-session -d -s keep "sleep 3600"
root=$(sandbox site)
# No domain blocklist: none can answer through this unbound (their own
# suite: tests/shell/dnsbl.sh); the Blocklists columns are null.
echo "domain_blocklists = none" >>"$root/etc/notspam/notspam.conf"
ESC=$(printf '\033')

# ---- --resolver: refused by every command alike, before anything runs.
LONG=$("$PY" -c 'print("1" * 10000)')
n=0
for v in bogus 1.2.3.4:99999 '[::1' '::1:53:x' '' '1.2.3.4,' "$LONG" \
    "1.2.3.4${ESC}[2J"; do
	n=$((n + 1))
	shown=$(printf '%s' "$v" | cut -c1-16 | sed "s/$ESC/ESC/g")
	for c in console status records check spf keys keygen; do
		case $c in
		console) set -- ;;
		spf) set -- spf example.org 192.0.2.25 ;;
		keygen) set -- keygen example.org --selector bad$n ;;
		*) set -- "$c" ;;
		esac
		run --root "$root" --resolver "$v" "$@" </dev/null
		lines=$(wc -l <"$T_TMP/err")
		bytes=$(wc -c <"$T_TMP/err")
		if [ "$RC" -eq 64 ] && [ "$lines" -eq 1 ] && [ "$bytes" -lt 300 ] &&
		    [ ! -s "$T_TMP/out" ] && has "$T_TMP/err" '^notspam: --resolver' &&
		    has "$T_TMP/err" 'e\.g\. --resolver 192\.0\.2\.1 or --resolver \[2001:db8::53\]:53' &&
		    ! grep -q "$ESC" "$T_TMP/err"; then
			ok "--resolver '$shown' $c: exit 64, one line naming it and the fix"
		else
			not_ok "--resolver '$shown' $c: exit 64, one line naming it and the fix (got $RC, $lines lines)"
			sed 's/^/# /' "$T_TMP/err" | cut -c1-200 | head -3
		fi
	done
done
check "keygen made no key when --resolver was bad" \
    sh -c "! ls '$root'/etc/dkimkeys/ | grep -q bad"
run --root "$root" --resolver "1.2.3.4${ESC}[2J" records
check "the ESC byte is shown escaped once (\\x1b, not \\\\x1b)" \
    grep -qF '"1.2.3.4\x1b[2J"' "$T_TMP/err"
run --root "$root" --resolver "$LONG" records
check "a 10,000-character value is quoted bounded, ending in ..." \
    grep -qE '"1{40}"\.\.\.: ' "$T_TMP/err"
run --root "$root" --resolver 1.2.3.4:99999 records
check "the port out of range is named as such" has "$T_TMP/err" 'port is not a number from 1 to 65535'
run --root "$root" --resolver '[::1' records
check "the missing ] is named" has "$T_TMP/err" 'no closing \]'
run --root "$root" --resolver '1.2.3.4,' records
check "the empty entry is named" has "$T_TMP/err" 'empty entry'
run --root "$root" --resolver= records
check "--resolver= (empty): exit 64 and one line" sh -c "[ $RC -eq 64 ] && [ \$(wc -l <'$T_TMP/err') -eq 1 ]"
run --root "$root" records --resolver
check "--resolver without a value at the end: exit 64" [ "$RC" -eq 64 ]
run --root "$root" --resolver ' 127.0.0.1:9 , [::1]:9' records
check "a good list with blanks is taken (records runs: exit 1 for the demo's warnings, got $RC)" [ "$RC" -eq 1 ]

# ---- TERM the console cannot draw on: a clear message, exit 64.
start "TERM=dumb" --resolver 127.0.0.1:9
check "TERM=dumb: exit 64" wait_for '^EXITED 64'
check "  the message says the terminal cannot move the cursor" \
    grep -q 'TERM=dumb cannot move the cursor' "$T_TMP/stderr"
check "  and what to do" grep -q 'notspam status' "$T_TMP/stderr"
: >"$T_TMP/stderr"
start "TERM=no-such-terminal" --resolver 127.0.0.1:9
check "an unknown TERM: exit 64" wait_for '^EXITED 64'
check "  the message names it as unknown" \
    grep -q 'TERM=no-such-terminal is a terminal type this system does not know' "$T_TMP/stderr"
: >"$T_TMP/stderr"
start "-u TERM" --resolver 127.0.0.1:9
check "TERM unset: exit 64" wait_for '^EXITED 64'
check "  the message says TERM is not set" grep -q 'TERM is not set' "$T_TMP/stderr"
: >"$T_TMP/stderr"
printf '#!/bin/sh\nTERM=$(printf "x\\033]0;pwned\\007"); export TERM\nexec "$@"\n' \
    >"$T_TMP/evilterm"
chmod +x "$T_TMP/evilterm"
WRAP=$T_TMP/evilterm start "" --resolver 127.0.0.1:9
check "a TERM holding escapes: exit 64" wait_for '^EXITED 64'
check "  quoted escaped" grep -qF 'TERM=x\x1b]0;pwned\x07 is a terminal type' "$T_TMP/stderr"

# ---- A terminal too small says so, in words that fit.
W=30 H=8 start "" --resolver 127.0.0.1:9
check "30x8: the console says the terminal is too small" wait_for 'too small'
check "  with the size it needs and the size it has" wait_for 'needs at least'
# The words of the message, wherever the lines break.
check "  the whole message shows" sh -c "$TM capture-pane -p -t c | tr -s '\\n ' '  ' | grep -q 'press q to quit'"
check "  every line fits in 30 columns" fits 30
$TM resize-window -t c -x 20 -y 5
check "20x5: a shorter message" wait_for 'Too small: needs'
check "  that shows whole" wait_for 'quits\.'
check "  in 20 columns" fits 20
$TM resize-window -t c -x 9 -y 2
check "9x2: still the words \"too small\"" wait_for '^too small'
check "  in 9 columns" fits 9
$TM resize-window -t c -x 100 -y 30
check "back at 100x30 the dashboard shows" wait_for '^ example\.org '
$TM send-keys -t c q
check "  and q quits with status 0" wait_for '^EXITED 0'

# ---- DNS text on the console: escaped once, tabs as blanks.
run --root "$root" --json records
cp "$T_TMP/out" "$T_TMP/records.json"
"$PY" tests/stack/zones.py "$T_TMP/records.json" "$T_TMP/zones" \
    --drop dkim:mail@example.org \
    --set "dmarc@example.net=v=DMARC1; p=${ESC}[2Jreject" \
    --set "spf@example.com=v=spf1 ip4:192.0.2.25 $(printf '\342\200\256')-all" >/dev/null
port=$(free_port)
check "unbound starts with the crafted zones" unbound_start "$T_TMP/dns" "$port" "$T_TMP"/zones/*.zone
RES="--resolver 127.0.0.1:$port"

W=200 H=60 start "" $RES
check "the dashboard shows example.net" wait_for '^ example\.net '
check "  the checks end" wait_for 'last check'
$TM send-keys -t c j Enter
check "example.net's DNS records open" wait_for '^ example\.net +DNS records'
$TM send-keys -t c G
check "  the DMARC answer with ESC shows \\x1b (escaped once)" \
    wait_for 'live: v=DMARC1; p=\\x1b\[2Jreject'
check "  the answer is never shown as \\\\x1b (escaped twice)" \
    sh -c "! $TM capture-pane -p -t c | grep -qF 'live: v=DMARC1; p=\\\\x1b'"
$TM send-keys -t c Escape
wait_for '^ Findings' >/dev/null
# g: the first row, the mail host's; then the domains.
$TM send-keys -t c g j Enter
check "example.org's DNS records open" wait_for '^ example\.org +DNS records'
$TM send-keys -t c G
check "  the DKIM fix (a zone line in parentheses) shows" wait_for 'fix: +mail\._domainkey\.example\.org\. 3600 IN TXT \('
check "  with no literal \\t" sh -c "! $TM capture-pane -p -t c | grep -qF '\\t'"
$TM send-keys -t c Escape
wait_for '^ Findings' >/dev/null
$TM send-keys -t c g j j j Enter
check "example.com's DNS records open" wait_for '^ example\.com +DNS records'
check "  the SPF answer's U+202E shows as \\u202e" wait_for 'live: v=spf1 ip4:192\.0\.2\.25 \\u202e-all'
$TM send-keys -t c Escape
wait_for '^ Findings' >/dev/null
$TM send-keys -t c Tab / dkim:mail Enter
check "the findings filtered to dkim:mail" wait_for 'FAIL +example\.org dkim:mail'
$TM send-keys -t c g Enter
check "the finding's detail box opens with the fix" wait_for 'fix: mail\._domainkey\.example\.org\. 3600 IN TXT \('
check "  with no literal \\t" sh -c "! $TM capture-pane -p -t c | grep -qF '\\t'"
$TM send-keys -t c x
wait_for '^ Findings' >/dev/null
$TM send-keys -t c / C-u dmarc Enter
check "the findings filtered to dmarc" wait_for 'FAIL +example\.net dmarc'
$TM send-keys -t c g Enter
check "example.net's DMARC finding opens" wait_for 'live: v=DMARC1; p='
check "  its answer escaped once" sh -c "$TM capture-pane -p -t c | grep -qF 'live: v=DMARC1; p=\\x1b[2Jreject'"
$TM send-keys -t c x q
check "q quits with status 0" wait_for '^EXITED 0'

# ---- status --json: JSON, shaped like check --json.
run --root "$root" $RES --json status
check "status --json exits as status does (2: failures), got $RC" [ "$RC" -eq 2 ]
check "  its output is one JSON object" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, dict)' "$T_TMP/out"
cat >"$T_TMP/q.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
doms = {x["domain"]: x["status"] for x in d["domains"]}
find = {(f["domain"], f["id"]): f for f in d["findings"]}
checks = {
    "host": d["host"] == "mail.example.org",
    "programs": any(p["name"] == "postfix" and p["role"] == "mta" for p in d["programs"]),
    "addresses": "192.0.2.25" in d["addresses"],
    "keys": any(k["selector"] == "mail" and k["signer"] == "opendkim" for k in d["keys"]),
    "services": all("state" in s for s in d["services"]) and len(d["services"]) > 0,
    "paths": any(p["kind"] == "milter" and p["address"] == "inet:[::1]:12345" for p in d["paths"]),
    "example.org ok mx, fail dkim": doms["example.org"]["mx"] == "ok" and doms["example.org"]["dkim"] == "fail",
    "domains have a domain's columns only": all(set(v) == {"mx", "spf", "dkim", "dmarc", "blocklists"} for v in doms.values()),
    "mail_host once, its columns": d["mail_host"]["name"] == "mail.example.org" and d["mail_host"]["status"] == {"ipv4_a_ptr": "ok", "ipv6_aaaa_ptr": "ok", "helo_spf": "ok", "blocklists": None},
    "example.net dmarc not ok": doms["example.net"]["dmarc"] in ("fail", "warn"),
    "finding dkim:mail with its fix": find[("example.org", "dkim:mail")]["fix"].startswith("mail._domainkey.example.org."),
    "summary counts": d["summary"]["fail"] >= 1 and d["summary"]["ok"] >= 1,
    "resolver": d["resolver"].startswith("127.0.0.1:"),
    "checked": len(d["checked"]) == 20 and d["checked"].endswith("Z"),
    "warnings": len(d["warnings"]) >= 1,
}
bad = [k for k, v in checks.items() if not v]
if bad:
    print("# missing: " + " ".join(bad))
sys.exit(1 if bad else 0)
EOF
check "  with the dashboard's members and values" "$PY" "$T_TMP/q.py" "$T_TMP/out"
check "  and nothing on stderr" [ ! -s "$T_TMP/err" ]

# ---- Bidirectional controls from a configuration, escaped in JSON.
RLO=$(printf '\342\200\256')
cp "$root/etc/dkimkeys/mail.private" "$root/etc/dkimkeys/mail${RLO}.private"
sed -i "s|/etc/dkimkeys/mail.private|/etc/dkimkeys/mail${RLO}.private|" "$root/etc/opendkim/key.table"
run --root "$root" $RES --json status
check "status --json with U+202E in a key path: not the raw character" \
    sh -c "! grep -qF '$RLO' '$T_TMP/out'"
check "  the path quoted with \\u202e, in valid JSON" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert not any("\u202e" in w["text"] for w in d["warnings"])
assert any("mail\\u202e.private" in w["text"] for w in d["warnings"])' "$T_TMP/out"
run --root "$root" $RES status
check "status (text): \\u202e, not the raw character" sh -c "grep -qF 'mail\\u202e.private' '$T_TMP/out' && ! grep -qF '$RLO' '$T_TMP/out'"
