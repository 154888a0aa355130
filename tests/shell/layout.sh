#!/bin/sh
# The console's text layout, driven in a detached tmux session against
# unbound on loopback: at 80x24, 100x30 and 200x60 the DNS screen shows
# every character of a 2048-bit and a 4096-bit DKIM key (its lines, joined,
# are what `records` prints), popups scroll to their last line, and what
# does not fit ends in an ellipsis instead of passing for another value.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
. "$NOTSPAM_TOP/tests/stack/unbound.sh"
cd "$NOTSPAM_TOP" || exit 1

TM="tmux -L notspam-layout-$$ -f /dev/null"
cleanup() {
	$TM kill-server 2>/dev/null
	unbound_stop "$T_TMP/dns"
	rm -rf "$T_TMP"
}
trap cleanup EXIT
[ -n "${LAYOUT_KEEP:-}" ] && trap 'cp -r "$T_TMP" "$LAYOUT_KEEP"; cleanup' EXIT

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
	$TM new-session -d -s c -x "$W" -y "$H" \
	    "cd $T_TMP && env TERM=xterm-256color LANG=${LANGNAME:-C.UTF-8} $NOTSPAM --root $root $* 2>>$T_TMP/stderr; echo EXITED \$?; sleep 30"
}
# fits: no line of the pane wider than the pane.
fits() {
	screen | "$PY" -c 'import sys
sys.exit(any(len(l) > int(sys.argv[1]) for l in sys.stdin.read().split("\n")))' "$W"
}

$TM new-session -d -s keep "sleep 3600"

# A sandbox whose example.net signs with a 4096-bit key (three strings);
# example.org keeps the demo's 2048-bit one.
root=$(sandbox site)
run --root "$root" keygen example.org --bits 4096 --selector big
check "a 4096-bit key is made in the sandbox (got $RC)" [ "$RC" -eq 0 ]
sed -i 's|example\.net:202611:/etc/dkimkeys/example-net\.private|example.net:202611:/etc/dkimkeys/example.org_big.private|' \
    "$root/etc/opendkim/key.table"
run --root "$root" records
cp "$T_TMP/out" "$T_TMP/records.txt"
check "records: example.net's key is the 4096-bit one" \
    has "$T_TMP/records.txt" '^; \[dkim:202611\] DKIM public key \(RSA 4096 bits\)'
# The values a person must be able to copy, as records prints them: the
# quoted strings of the zone line, and the one value.
"$PY" - "$T_TMP/records.txt" "$T_TMP/want" <<'PYEOF'
import re, sys
text = open(sys.argv[1]).read().split("\n")
for name, out in (("mail._domainkey.example.org.", "org"),
                  ("202611._domainkey.example.net.", "net")):
    i = next(k for k, l in enumerate(text) if l.startswith(name))
    zone = ""
    k = i
    while True:
        zone += text[k]
        if text[k].rstrip().endswith(")"):
            break
        k += 1
    strings = "".join(re.findall(r'"[^"]*"', zone))
    one = next(l for l in text[k:] if l.startswith("; as one value"))
    one = one.split(": ", 1)[1]
    open("%s.%s.strings" % (sys.argv[2], out), "w").write(strings)
    open("%s.%s.one" % (sys.argv[2], out), "w").write(one)
PYEOF
check "the 4096-bit value is three strings" \
    sh -c "[ \$(grep -o '\"\"' '$T_TMP/want.net.strings' | wc -l) -eq 2 ]"

run --root "$root" --json records
cp "$T_TMP/out" "$T_TMP/records.json"
# example.net's key is not published: a DKIM finding with a long fix.
"$PY" tests/stack/zones.py "$T_TMP/records.json" "$T_TMP/zones" \
    --drop dkim:202611@example.net >/dev/null
port=$(free_port)
check "unbound starts with the crafted zones" unbound_start "$T_TMP/dns" "$port" "$T_TMP"/zones/*.zone
RES="--resolver 127.0.0.1:$port"
run --root "$root" $RES status
fixline=$(grep -E '^ *fix: .*202611\._domainkey' "$T_TMP/out" | head -n 1)
check "status gives the fix of the missing DKIM record" [ -n "$fixline" ]

# collect FILE: every line of the DNS screen, scrolled through with j from
# the first record, put together by the screen's "lines A-B of N" marker.
collect() {
	"$PY" - "$TM" "$H" "$1" <<'PYEOF'
import re, subprocess, sys, time
tm, rows, out = sys.argv[1].split(), int(sys.argv[2]), sys.argv[3]
def cap():
    return subprocess.run(tm + ["capture-pane", "-p", "-t", "c"],
                          capture_output=True, text=True).stdout.split("\n")
doc = {}
prev = None
for step in range(400):
    for _ in range(40):
        s = cap()
        if s != prev:
            break
        time.sleep(0.05)
    if s == prev:
        break
    # A capture can fall in the middle of a redraw (the new position line
    # over the old lines, on a loaded machine): use the screen once two
    # captures 0.1 s apart agree.
    for _ in range(40):
        time.sleep(0.1)
        again = cap()
        if again == s:
            break
        s = again
    prev = s
    body = s[1:rows - 1]
    m = re.search(r"lines (\d+)-(\d+) of (\d+)", s[0])
    first, last, total = (int(m.group(1)), int(m.group(2)),
                          int(m.group(3))) if m else (1, len(body), len(body))
    for k, line in enumerate(body[:last - first + 1]):
        doc[first - 1 + k] = line
    if last >= total:
        break
    subprocess.run(tm + ["send-keys", "-t", "c", "j"])
open(out, "w").write("\n".join(doc[k] for k in sorted(doc)) + "\n")
PYEOF
}
# joined DOC LABEL: the text of the lines from the first that starts
# "    LABEL" (with a k=rsa key) to the last that continues it, each
# without its indent, joined.
joined() {
	"$PY" - "$1" "$2" <<'PYEOF'
import sys
lines = open(sys.argv[1]).read().split("\n")
label = "    " + sys.argv[2]
hang = len(label)
i = next(k for k, l in enumerate(lines)
         if l.startswith(label) and "k=rsa" in l)
text = lines[i][hang:]
for l in lines[i + 1:]:
    if not l.startswith(" " * hang) or len(l) <= hang:
        break
    text += l[hang:]
sys.stdout.write(text)
PYEOF
}

for size in 80x24 100x30 200x60; do
	W=${size%x*} H=${size#*x}
	start $RES
	check "$size: the dashboard comes up" wait_for '^ example\.net '
	check "$size: the header shows the resolver whole (127.0.0.1:$port)" \
	    wait_for "resolver 127\.0\.0\.1:$port( |\$)"
	check "$size: the checks end" wait_for 'last check'
	for d in org net; do
		# g: the first row, the mail host's; the domains below it.
		case $d in org) keys="g j" ;; net) keys="g j j" ;; esac
		$TM send-keys -t c Escape
		sleep 0.2
		$TM send-keys -t c $keys Enter
		wait_for "^ example\.$d +DNS records" >/dev/null
		$TM send-keys -t c g
		sleep 0.3
		collect "$T_TMP/doc.$d.$size"
		bits=2048; [ $d = net ] && bits=4096
		joined "$T_TMP/doc.$d.$size" "one value: " >"$T_TMP/got.one"
		if cmp -s "$T_TMP/got.one" "$T_TMP/want.$d.one"; then
			ok "$size: example.$d's $bits-bit key, its one value joined, is what records prints"
		else
			not_ok "$size: example.$d's $bits-bit key, its one value joined, is what records prints"
			diag "got  $(cut -c1-400 "$T_TMP/got.one")"
			diag "want $(cut -c1-400 "$T_TMP/want.$d.one")"
		fi
		# The strings, from "want:" on (the later ones under the first).
		"$PY" - "$T_TMP/doc.$d.$size" >"$T_TMP/got.strings" <<'PYEOF'
import sys
lines = open(sys.argv[1]).read().split("\n")
i = next(k for k, l in enumerate(lines)
         if l.startswith('    want: "v=DKIM1; k=rsa'))
text = lines[i][10:]
for l in lines[i + 1:]:
    if not l.startswith(" " * 10) or len(l) <= 10:
        break
    text += l[10:]
sys.stdout.write(text)
PYEOF
		check "$size: example.$d's $bits-bit key, its strings joined, are what records prints" \
		    cmp -s "$T_TMP/got.strings" "$T_TMP/want.$d.strings"
		check "$size: nothing wider than the pane" fits
	done
	$TM send-keys -t c Escape
	sleep 0.2
	# The finding of the missing key: its box scrolls to the fix, whole.
	$TM send-keys -t c / C-u 202611 Enter
	wait_for 'filter: 202611' >/dev/null
	$TM send-keys -t c Tab g Enter
	check "$size: Enter on the DKIM finding opens its box" wait_for 'dkim:202611'
	for _k in 1 2 3 4 5 6 7 8 9 10 11 12; do $TM send-keys -t c NPage; done
	sleep 0.3
	"$PY" - "$TM" "$fixline" <<'PYEOF' >"$T_TMP/fixcheck"
import subprocess, sys
tm, fix = sys.argv[1].split(), sys.argv[2].strip()
s = subprocess.run(tm + ["capture-pane", "-p", "-t", "c"],
                   capture_output=True, text=True).stdout
# The box's lines: between the borders, the text inside its margins.
inner = []
for l in s.split("\n"):
    if "\u2502" in l:
        parts = l.split("\u2502")
        if len(parts) >= 3:
            inner.append(parts[1].strip())
text = " ".join(inner)
tail = fix[-40:]
print("yes" if tail.replace(" ", "") in text.replace(" ", "") else "no: " + text[-200:])
PYEOF
	if [ "$(cat "$T_TMP/fixcheck")" = yes ]; then
		ok "$size: after PgDn the fix's last characters are in the box"
	else
		not_ok "$size: after PgDn the fix's last characters are in the box"
		diag "$(cut -c1-300 "$T_TMP/fixcheck")"
	fi
	check "$size: the box says where it is (lines A-B of N), or fits" \
	    wait_for 'lines [0-9]+-([0-9]+) of \1 |any key closes'
	$TM send-keys -t c x
	check "$size: another key closes the box" wait_for '^ Findings'
	# d opens the domain of the selected finding, not of the domain row.
	$TM send-keys -t c Tab g Tab d
	check "$size: d on example.net's finding opens example.net" \
	    wait_for '^ example\.net +DNS records'
	$TM send-keys -t c Escape
	wait_for '^ Findings' >/dev/null
	# "checking again" is said until the check ends, not until a key (it
	# used to stay up).  On loopback the check can end before the screen
	# is read, so only its end is asserted: the notice is gone.
	$TM send-keys -t c r
	check "$size: after r the notice goes when the check ends" \
	    wait_for 'Enter open +d DNS' 100
	# Help: the box fits and its lines are whole.
	$TM send-keys -t c '?'
	check "$size: help opens" wait_for 'this help'
	check "$size: help's lines are whole" wait_for 'filter the findings \(empty: all\)'
	$TM send-keys -t c x
	wait_for '^ Findings' >/dev/null
	$TM send-keys -t c / C-u no-such-thing Enter
	check "$size: a filter with no match says so" wait_for 'no finding matches "no-such-thing"'
	$TM send-keys -t c q
	check "$size: q quits with status 0" wait_for '^EXITED 0'
done

# The mail host's records once: the demo's zones (2001:db8::25 has no
# PTR) give one host line above the domain table and one finding, named
# by the host, not one per domain.
check "the demo's zones are made" \
    sh share/demo-zones.sh "$NOTSPAM" share/demo "$T_TMP/demo-zones"
for size in 80x24 200x60; do
	W=${size%x*} H=${size#*x}
	start --zones "$T_TMP/demo-zones"
	check "$size demo: the checks end" wait_for 'last check'
	check "$size demo: the mail host's line, under labels saying what they hold" \
	    wait_for '^ Mail host +IPv4 A\+PTR +IPv6 AAAA\+PTR +HELO SPF +Blocklists *$'
	# The addresses after the statuses when the line has room: not at 80
	# columns beside the Blocklists column.
	hostrow='^ mail\.example\.org +ok +192\.0\.2\.25 +FAIL +2001:db8::25 +ok +- *$'
	[ "$W" -lt 100 ] && hostrow='^ mail\.example\.org +ok +FAIL +ok +- *$'
	check "$size demo: the host's row: A+PTR ok, AAAA+PTR FAIL, HELO SPF ok" \
	    wait_for "$hostrow"
	check "$size demo: the domain table has MX SPF DKIM DMARC" \
	    wait_for '^ Domain +MX +SPF +DKIM +DMARC +Blocklists *$'
	screen >"$T_TMP/demo.$size"
	check "$size demo: the IPv6 PTR finding once, named by the host" \
	    sh -c "[ \$(grep -c 'ptr:2001:db8::25' '$T_TMP/demo.$size') -eq 1 ] &&
	    grep -Eq '^ FAIL +mail\.example\.org ptr:2001:db8::25: no PTR record' '$T_TMP/demo.$size'"
	check "$size demo: no PTR4/PTR6 column" sh -c "! grep -q 'PTR[46]' '$T_TMP/demo.$size'"
	check "$size demo: nothing wider than the pane" fits
	$TM send-keys -t c k Enter
	check "$size demo: k then Enter opens the mail host's records" \
	    wait_for '^ mail host mail\.example\.org +DNS records'
	check "$size demo:   the IPv6 PTR there, FAIL" wait_for '^ PTR +5\.2\.0\.0\..* FAIL *$'
	$TM send-keys -t c e
	wait_for 'export missing records to file:' >/dev/null
	$TM send-keys -t c C-u "$T_TMP/host.$size.zone" Enter
	check "$size demo:   e writes the host's records once" wait_for 'written to'
	check "$size demo:   one block, the PTR as a comment" sh -c "
	    [ \$(grep -c '^; the mail host mail\.example\.org: in its zone and in the reverse zones\$' '$T_TMP/host.$size.zone') -eq 1 ] &&
	    [ \$(grep -c 'IN PTR' '$T_TMP/host.$size.zone') -eq 1 ] &&
	    grep -q '^; 5\.2\.0\..*ip6\.arpa\. 3600 IN PTR mail\.example\.org\.\$' '$T_TMP/host.$size.zone'"
	$TM send-keys -t c Escape q
	check "$size demo: q quits with status 0" wait_for '^EXITED 0'
done

# A value that does not fit ends in an ellipsis: a long resolver list at
# 80 columns shows whole or cut with "…", never a shorter address.
W=80 H=24
start --resolver "127.0.0.1:$port,127.0.0.2:$port,127.0.0.3:$port,127.0.0.4:$port"
check "a long resolver list: the dashboard comes up" wait_for '^ example\.net '
check "  the header's resolver ends in an ellipsis" \
    sh -c "$TM capture-pane -p -t c | head -n 1 | grep -q 'resolver 127\.0\.0\.1.*…'"
$TM send-keys -t c q
wait_for '^EXITED' >/dev/null
LANGNAME=C start --resolver "127.0.0.1:$port,127.0.0.2:$port,127.0.0.3:$port,127.0.0.4:$port"
check "  without UTF-8 it ends in ..." \
    sh -c "sleep 1; $TM capture-pane -p -t c | head -n 1 | grep -q 'resolver 127\.0\.0\.1.*\.\.\. *\$'"
$TM send-keys -t c q
wait_for '^EXITED' >/dev/null

# The keys screen at 80 columns: owner, mode and the file's name.
start $RES
wait_for '^ example\.net ' >/dev/null
$TM send-keys -t c K
check "keys at 80 columns: the table is shown" wait_for '^ DKIM keys'
check "  the owner and mode of each key" wait_for 'example\.org +mail +rsa 2048 .* [a-z0-9]+:[a-z0-9]+ [0-7]{4}'
check "  and the end of its file name" wait_for 'mail\.private'
check "  nothing wider than the pane" fits
$TM send-keys -t c q
$TM send-keys -t c q
wait_for '^EXITED' >/dev/null
sanitizer_check "$T_TMP/stderr" "the console" &&
    ok "no sanitizer report from any console run"
