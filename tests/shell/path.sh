#!/bin/sh
# The signing path as a person reads it (core/site/path.h): status prints
# each hop "FROM -> ADDRESS -> TO" with its state and why, --json status
# gives the same as members, and the console's dashboard draws the hops
# with their state at 80x24 and 200x50 (tmux).  On the demo sandbox and on
# corpus-shaped fixtures (tests/fixtures/sites/corpus-*, each naming its
# source).  No lookup matters here: the resolver is a closed port.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

TM="tmux -L notspam-path-$$ -f /dev/null"
cleanup() {
	$TM kill-server 2>/dev/null
	rm -rf "$T_TMP"
}
trap cleanup EXIT
NODNS="--resolver 127.0.0.1:9"

# root NAME: a copy of a fixture site in $T_TMP (never --root into the tree).
root() {
	rm -rf "$T_TMP/root-$1"
	cp -a "tests/fixtures/sites/$1" "$T_TMP/root-$1"
	echo "$T_TMP/root-$1"
}
# paths: the path lines of the last run.
paths() { grep '^path ' "$T_TMP/out"; }
# no_question: no path line uses "?" for a name.
no_question() { ! paths | grep -q '?'; }

# --- the demo --------------------------------------------------------------
demo=$(sandbox demo)
run --root "$demo" $NODNS status
paths | sed 's/^/# /'
check "demo: the milter hop names both ends and the mismatch" has "$T_TMP/out" \
    '^path +postfix smtpd -> inet:\[::1\]:12345 -> opendkim +mismatch: opendkim listens on 127\.0\.0\.1:12345 \(IPv4 only\)$'
check "demo: cleanup's milter too" has "$T_TMP/out" \
    '^path +postfix cleanup -> inet:\[::1\]:12345 -> opendkim +mismatch: '
check "demo: OpenSMTPD -> dkimproxy linked" has "$T_TMP/out" \
    '^path +opensmtpd -> 127\.0\.0\.1:10027 -> dkimproxy +linked$'
check "demo: dkimproxy's relay reaches the listener tagged DKIM" has "$T_TMP/out" \
    '^path +dkimproxy -> 127\.0\.0\.1:10028 -> opensmtpd \(tag DKIM\) +linked$'
check "demo: the listeners are merged into the hops that dial them (4 lines)" \
    [ "$(paths | wc -l)" -eq 4 ]
check "demo: no \"?\" stands for a name" no_question
check "demo: the states start in one column" sh -c \
    "grep '^path ' '$T_TMP/out' | sed -E 's/(linked|mismatch).*//' | awk '{ print length }' | sort -u | wc -l | grep -qx 1"

run --root "$demo" $NODNS --json status
cat >"$T_TMP/q.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
hops = d["paths"]
m = [h for h in hops if h["from"] == "postfix smtpd"][0]
back = [h for h in hops if h["from"] == "dkimproxy"][0]
checks = {
    "every hop has from, address, to, kind, state, detail":
        all(set(("from", "address", "to", "kind", "state", "detail")) <= set(h) for h in hops),
    "the milter hop": (m["address"], m["to"], m["kind"], m["state"]) ==
        ("inet:[::1]:12345", "opendkim", "milter", "mismatch"),
    "its detail": m["detail"] == "opendkim listens on 127.0.0.1:12345 (IPv4 only)",
    "its listener as configured": m["listener"] == "inet:12345@localhost",
    "its source": m["source"].startswith("/etc/postfix/main.cf:"),
    "dkimproxy back to smtpd": (back["to"], back["state"], back["detail"]) ==
        ("opensmtpd (tag DKIM)", "linked", None),
    "no ? anywhere": all("?" not in (h[k] or "") for h in hops for k in ("from", "to")),
}
bad = [k for k, v in checks.items() if not v]
for k in bad:
    print("# bad: " + k)
sys.exit(1 if bad else 0)
EOF
check "demo --json status: each hop's members" "$PY" "$T_TMP/q.py" "$T_TMP/out"

# --- corpus-shaped fixtures ------------------------------------------------
r=$(root corpus-port-mismatch)
run --root "$r" $NODNS status
check "port mismatch: no listener named, and where OpenDKIM listens" has "$T_TMP/out" \
    '^path +postfix smtpd -> inet:localhost:8892 +no listener named: opendkim listens on 127\.0\.0\.1:8891 instead$'
check "port mismatch: OpenDKIM's listener on its own, idle" has "$T_TMP/out" \
    '^path +opendkim listens on inet:8891@localhost +idle: nothing hands it mail$'
check "port mismatch: no \"?\"" no_question

r=$(root corpus-chroot)
run --root "$r" $NODNS status
check "chroot: the file smtpd really opens, and OpenDKIM's" has "$T_TMP/out" \
    '^path +postfix smtpd -> unix:/run/opendkim/opendkim\.sock -> opendkim +mismatch: it opens /var/spool/postfix/run/opendkim/opendkim\.sock; opendkim listens on /run/opendkim/opendkim\.sock$'

r=$(root corpus-linode)
run --root "$r" $NODNS status
check "linode: linked through queue_directory, the socket file named" has "$T_TMP/out" \
    '^path +postfix smtpd -> local:opendkim/opendkim\.sock -> opendkim +linked: unix socket /var/spool/postfix/opendkim/opendkim\.sock \(a relative path is taken from queue_directory /var/spool/postfix\)$'

r=$(root corpus-poolp-new)
run --root "$r" $NODNS status
check "poolp-new: the relay to dkimproxy names no listener read here" has "$T_TMP/out" \
    '^path +opensmtpd -> 127\.0\.0\.1:10027 +no listener named$'
check "poolp-new: the DKIM-tagged listener nothing dials" has "$T_TMP/out" \
    '^path +opensmtpd listens on lo0:10028 tag DKIM +idle: nothing hands it mail$'
check "poolp-new: no \"?\"" no_question

r=$(root corpus-mailcow)
run --root "$r" $NODNS status
check "mailcow: rspamd's milter, unknown in words" has "$T_TMP/out" \
    "^path +postfix smtpd -> inet:rspamd:9900 -> rspamd +unknown: notspam does not read rspamd's configuration$"

r=$(root smtpd-dkimsign)
run --root "$r" $NODNS status
check "filter-dkimsign: run by smtpd, one line for two listen lines" \
    [ "$(paths | grep -Ec 'opensmtpd -> filter dkimsign -> filter-dkimsign +linked: opensmtpd runs it$')" -eq 1 ]

# --- the console -------------------------------------------------------------
if ! command -v tmux >/dev/null 2>&1; then
	skip "the dashboard's signing path" "tmux missing"
	exit 0
fi
screen() { $TM capture-pane -p -t c; }
# wait_for REGEX: poll the pane until the regex shows (5 s).
wait_for() {
	_n=0
	while [ "$_n" -lt 50 ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	screen | sed 's/^/# /'
	return 1
}
# start W H ROOT: the console on ROOT in a new session of W x H.
start() {
	$TM kill-session -t c 2>/dev/null
	$TM new-session -d -s c -x "$1" -y "$2" \
	    "cd $T_TMP && env TERM=xterm-256color LANG=C.UTF-8 $NOTSPAM --root $3 $NODNS 2>>$T_TMP/stderr; sleep 30"
}
$TM new-session -d -s keep "sleep 3600"

start 80 24 "$demo"
check "80x24: the Signing path block" wait_for 'Services +Signing path'
check "80x24: the milter hop drawn whole with the word mismatch" \
    wait_for 'mismatch postfix smtpd -> inet:\[::1\]:12345 -> opendkim$'
check "80x24: why, on the row below" wait_for '^ +.* opendkim listens on 127\.0\.0\.1:12345 \(IPv4 only\)$'
check "80x24: the linked hops say linked" \
    wait_for 'linked +dkimproxy -> 127\.0\.0\.1:10028 -> opensmtpd \(tag DKIM\)$'
check "80x24: no \"?\" in the path block" sh -c \
    "! $TM capture-pane -p -t c | sed -n '/Signing path/,/Findings/p' | grep -q '?'"
# fits: no line of the pane wider than W columns (characters, not bytes).
fits() {
	screen | "$PY" -c 'import sys
sys.exit(any(len(l) > int(sys.argv[1]) for l in sys.stdin.read().split("\n")))' "$1"
}
check "80x24: no line wider than the pane" fits 80

start 200 50 "$demo"
check "200x50: the hop and its why on one line, the services' details kept" \
    wait_for 'not probed: .* mismatch postfix smtpd -> inet:\[::1\]:12345 -> opendkim  opendkim listens on 127\.0\.0\.1:12345 \(IPv4 only\)$'

r=$(root corpus-port-mismatch)
start 80 24 "$r"
check "80x24 port mismatch: no listener named, in words" \
    wait_for 'no listener named postfix smtpd -> inet:localhost:8892$'
check "80x24 port mismatch: the idle listener" \
    wait_for 'idle +opendkim listens on inet:8891@localhost'
$TM send-keys -t c q
sleep 0.3
sanitizer_check "$T_TMP/stderr" "the console"
