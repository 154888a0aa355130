#!/bin/sh
# The live sandbox (share/sandbox.sh, `make sandbox`), driven in tmux at
# 80x24 as a person would use it: it starts (timed) in a namespace of its
# own with Postfix and OpenDKIM in Debian's stock shape (no milter, no
# key); the setup's screens walked through: detect -> identity (the
# sandbox's host name, two domains, the documentation addresses) -> keys
# made -> configs applied (Postfix reloaded, OpenDKIM restarted by their
# init scripts) -> the records exported into the console's directory,
# published by the sandbox's DNS host -> the watch shows every record ->
# the test message, accepted, the line naming the file the receiver kept.
# That message (and one from the second domain) is signed for its domain:
# notspam verify (and the sandbox's own verify on q) and dkimpy (against
# the zone files read by dnspython) pass it.  q stops it: no process of
# its PID namespace is left, its directory and mounts are gone, the
# machine's mail files are as they were.  Ctrl-C on a second run stops it
# the same way.  Without its packages (SANDBOX_* pointing at absent
# programs) it names the Debian packages and starts nothing; not root, it
# says so.  Skipped only without tmux or unshare.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

# Time limits, in tenths of a second (wait_for) unless said.
W_START=300	# the sandbox up, the console on the setup
W_SCREEN=100	# a screen showing what it should
W_KEYS=600	# the two keys made (ASan is slow)
W_APPLY=300	# apply, Postfix's reload and OpenDKIM's restart included
W_WATCH=150	# the watch (every 2 s) showing what was published
W_MAIL=300	# the test message accepted, followed to the receiver
W_STOP=300	# q to everything gone

if ! command -v tmux >/dev/null 2>&1; then
	skip "the live sandbox" "tmux is not installed"
	echo "1..$T_N"; exit 0
fi
if ! command -v unshare >/dev/null 2>&1; then
	skip "the live sandbox" "unshare (util-linux) is missing"
	echo "1..$T_N"; exit 0
fi
TM_NAME=notspam-sandbox
. "$NOTSPAM_TOP/tests/tmux.sh"
SB=$NOTSPAM_TOP/share/sandbox.sh
mkdir -p "$T_TMP/o" "$T_TMP/asan"

# ---- Without its packages, and not root: a message, nothing started. ----
mkdir -p "$T_TMP/mp"
RC=0
TMPDIR=$T_TMP/mp SANDBOX_POSTFIX=/nonexistent/postfix \
    SANDBOX_OPENDKIM_TOOLS=/nonexistent/opendkim-testkey \
    SANDBOX_OPENDKIM=/bin/sh SANDBOX_PYTHON=/bin/sh SANDBOX_UNSHARE=/bin/sh \
    sh "$SB" >"$T_TMP/o/mp.out" 2>"$T_TMP/o/mp.err" || RC=$?
check "postfix and opendkim-tools missing: exit 69" [ "$RC" -eq 69 ]
check "  names the programs" sh -c "grep -q '/nonexistent/postfix (the MTA): Debian package postfix' '$T_TMP/o/mp.err' &&
    grep -q '/nonexistent/opendkim-testkey .*: Debian package opendkim-tools' '$T_TMP/o/mp.err'"
check "  says exactly what to install" grep -qx '  apt-get install postfix opendkim-tools' "$T_TMP/o/mp.err"
check "  installs nothing, starts nothing" sh -c "
    grep -q 'installs nothing itself; nothing was started' '$T_TMP/o/mp.err' &&
    [ -z \"\$(ls -A '$T_TMP/mp')\" ] && [ ! -s '$T_TMP/o/mp.out' ]"
RC=0
TMPDIR=$T_TMP/mp SANDBOX_POSTFIX=/nonexistent/a SANDBOX_OPENDKIM=/nonexistent/b \
    SANDBOX_OPENDKIM_TOOLS=/nonexistent/c SANDBOX_PYTHON=/nonexistent/d \
    SANDBOX_UNSHARE=/nonexistent/e sh "$SB" >/dev/null 2>"$T_TMP/o/mp5.err" || RC=$?
check "everything missing: the five packages, once each" sh -c "[ $RC -eq 69 ] &&
    grep -qx '  apt-get install postfix opendkim opendkim-tools python3 util-linux' '$T_TMP/o/mp5.err'"

# Not root: as nobody (setpriv), with every program "there".
if [ "$(id -u)" -ne 0 ]; then
	RC=0; sh "$SB" >/dev/null 2>"$T_TMP/o/nr.err" || RC=$?
elif command -v setpriv >/dev/null 2>&1; then
	cp "$SB" "$T_TMP/sandbox.sh" && chmod 755 "$T_TMP/sandbox.sh"
	RC=0
	env TMPDIR="$T_TMP/mp" SANDBOX_POSTFIX=/bin/sh SANDBOX_OPENDKIM=/bin/sh \
	    SANDBOX_OPENDKIM_TOOLS=/bin/sh SANDBOX_PYTHON=/bin/sh \
	    SANDBOX_UNSHARE=/bin/sh setpriv --reuid=65534 --regid=65534 \
	    --clear-groups sh "$T_TMP/sandbox.sh" >/dev/null \
	    2>"$T_TMP/o/nr.err" || RC=$?
else
	RC=skip
fi
if [ "$RC" = skip ]; then
	skip "not root: says so" "root, and no setpriv to drop it"
else
	check "not root: exit 77, says it must run as root" sh -c "[ $RC -eq 77 ] &&
	    grep -q 'it must run as root' '$T_TMP/o/nr.err' &&
	    grep -q 'Nothing was started' '$T_TMP/o/nr.err' &&
	    [ -z \"\$(ls -A '$T_TMP/mp')\" ]"
fi

# ---- The journey. ----
why=
if [ "$(id -u)" -ne 0 ]; then why="not root"
elif [ ! -x /usr/sbin/postfix ]; then why="postfix is not installed"
elif [ ! -x /usr/sbin/opendkim ]; then why="opendkim is not installed"
elif [ ! -x /usr/sbin/opendkim-testkey ]; then why="opendkim-tools is not installed"
elif [ ! -x /usr/bin/python3 ]; then why="/usr/bin/python3 is missing"
elif ! unshare -m -u -p -f -n --propagation private true 2>/dev/null; then
	why="no private namespaces here (unshare)"
fi
if [ -n "$why" ]; then
	skip "the sandbox's setup journey" "$why"
	echo "1..$T_N"; exit 0
fi

# The machine's mail files, as they are before.
host_state() {
	for f in /etc/postfix/main.cf /etc/postfix/master.cf /etc/opendkim.conf \
	    /etc/default/opendkim /etc/mailname /etc/hostname /etc/hosts \
	    /etc/aliases /etc/notspam/notspam.conf /var/lib/notspam/setup.state; do
		if [ -e "$f" ]; then sha256sum "$f"; else echo "absent $f"; fi
	done
	ls -la /etc/dkimkeys /etc/opendkim /var/lib/notspam /var/backups/notspam \
	    /var/spool/postfix /var/mail 2>&1 | grep -v ' \.\.\?$'
	ls -l /dev/log 2>&1
	hostname
}
host_state >"$T_TMP/host.before"

SBT=$T_TMP/sb
mkdir -p "$SBT" && chmod 755 "$SBT"
asan=${ASAN_OPTIONS:-}:log_path=$T_TMP/asan/console
# The pane's shell survives a Ctrl-C (a trap), to say how the sandbox
# ended.  A session that outlives the sandbox's keeps the tmux server
# between two starts.
$TM new-session -d -s keep "sleep 3600"
start_sandbox() {
	$TM kill-session -t c 2>/dev/null
	$TM new-session -d -s c -x 80 -y 24 "trap : INT; env TERM=xterm-256color LANG=C.UTF-8 TMPDIR=$SBT NOTSPAM=$NOTSPAM ASAN_OPTIONS=$asan sh $SB; echo EXITED \$?; sleep 30"
}
# ns_init: the sandbox's PID 1 (as the host numbers it), from its command
# line; nspids: every process in its PID namespace.
ns_init() {
	for p in $(pgrep -f -- "--inside $D" 2>/dev/null); do
		[ "$(readlink "/proc/$p/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] &&
		    { echo "$p"; return 0; }
	done
	return 1
}
nspids() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$NSID" ] && echo "${p#/proc/}"
	done
}
inns() { nsenter -t "$INIT" -m -n -- "$@"; }
# A safety net: whatever happens, the sandbox is asked to stop before the
# temporary directory goes.
cleanup() {
	if [ -n "${INIT:-}" ] && kill -0 "$INIT" 2>/dev/null; then
		$TM send-keys -t c C-c 2>/dev/null
		_n=0
		while kill -0 "$INIT" 2>/dev/null && [ $_n -lt 100 ]; do
			sleep 0.1; _n=$((_n + 1))
		done
	fi
	# NOTSPAM_KEEP=DIR keeps the outputs, messages and screens for a look.
	[ -n "${NOTSPAM_KEEP:-}" ] && mkdir -p "$NOTSPAM_KEEP" &&
	    cp -a "$T_TMP/o" "$NOTSPAM_KEEP/" 2>/dev/null
	tm_cleanup
}
trap cleanup EXIT

t0=$(date +%s.%N)
start_sandbox
see() { if wait_for "$2" "${3:-$W_SCREEN}"; then ok "$1"; else not_ok "$1"; fi; }
see "the sandbox starts, the console on the setup" 'Step 1 of 6: What runs here' "$W_START"
t1=$(date +%s.%N)
diag "the sandbox took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s to start (the console on its first step)"
D=$(ls -d "$SBT"/notspam-sandbox.* 2>/dev/null | head -n 1)
check "  its directory in TMPDIR" [ -d "$D" ]
INIT=$(ns_init) || INIT=
check "  its PID 1 in a PID namespace of its own" [ -n "$INIT" ]
NSID=$(readlink "/proc/$INIT/ns/pid" 2>/dev/null)
PIDS=$(nspids)
names=$(for p in $PIDS; do cat "/proc/$p/comm"; done 2>/dev/null | sort | tr '\n' ' ')
diag "its processes: $names"
check "  Postfix's master, OpenDKIM, the 3 helpers and the console there" sh -c "
    echo '$names' | grep -qw master && echo '$names' | grep -qw opendkim &&
    [ \$(echo '$names' | grep -ow python3 | wc -l) -eq 3 ] &&
    echo '$names' | grep -qw notspam"
check "  its network is its own (loopback only, ::1 there)" sh -c "
    [ '$(readlink "/proc/$INIT/ns/net")' != '$(readlink /proc/self/ns/net)' ] &&
    nsenter -t $INIT -n -- cat /proc/net/if_inet6 | grep -q '^0\{31\}1 .* lo\$'"
# Debian's stock shape, at the real paths inside.
inns cat /etc/postfix/main.cf >"$T_TMP/o/main.cf.0" 2>&1
cat /usr/share/postfix/main.cf.debian /usr/share/postfix/main.cf.tls >"$T_TMP/stock.cf"
check "  main.cf: Debian's main.cf.debian + main.cf.tls, then postinst's answers" sh -c "
    head -c \$(wc -c <'$T_TMP/stock.cf') '$T_TMP/o/main.cf.0' | cmp -s - '$T_TMP/stock.cf' &&
    grep -qx 'myhostname = mail.sandbox.example' '$T_TMP/o/main.cf.0' &&
    grep -qx 'relayhost = \[127.0.0.1\]:2526' '$T_TMP/o/main.cf.0'"
check "  no milter, no key: nothing signs yet" sh -c "
    ! grep -q milters '$T_TMP/o/main.cf.0' &&
    ! nsenter -t $INIT -m -- grep -Eq '^(KeyTable|SigningTable|KeyFile|Domain)' /etc/opendkim.conf &&
    [ -z \"\$(nsenter -t $INIT -m -- ls /etc/dkimkeys | grep -v README)\" ]"
check "  master.cf: Debian's master.cf.dist" sh -c "
    nsenter -t $INIT -m -- cat /etc/postfix/master.cf |
    cmp -s - /usr/share/postfix/master.cf.dist"
see "  Postfix found, its version" 'MTA +postfix [0-9]+\.[0-9]+'
see "  OpenDKIM found, its version" 'Signer +opendkim [0-9]+\.[0-9]+'
see "  the stack installed" '> Postfix \+ OpenDKIM +installed'

$TM send-keys -t c n
see "n: identity: the sandbox's host name" 'Host name +> mail\.sandbox\.example'
see "  its domain, from the configs" 'sandbox\.example +from the configs'
see "  the second one, from the settings" 'second\.example +added'
see "  the documentation addresses" '192\.0\.2\.25 +IPv4'
see "  (IPv6 too)" '2001:db8::25 +IPv6'
$TM send-keys -t c n
see "n: the keys, two to make" 'second\.example +[0-9]{6} +rsa 2048 +to make'
$TM send-keys -t c g
see "g: both made" 'second\.example +[0-9]{6} +rsa 2048 +made' "$W_KEYS"
see "  (the first too)" 'sandbox\.example +[0-9]{6} +rsa 20.* made'
$TM send-keys -t c n
see "n: configs, apply's plan" "apply's plan: [0-9]+ files to change"
$TM send-keys -t c Enter
see "Enter: the Configs screen" '^ Configs +changes pending'
$TM send-keys -t c A
see "  A asks" 'Write these [0-9]+ files, then reload'
$TM send-keys -t c y
see "  y: applied" 'applied: [0-9]+ files written, backup [0-9]{8}T[0-9]{6}Z' "$W_APPLY"
log=$D/log/mail.log
check "  Postfix reloaded by its init script (its log says so)" \
    grep -q 'postfix/postfix-script\[[0-9]*\]: refreshing the Postfix mail system' "$log"
check "  OpenDKIM restarted (started twice)" \
    [ "$(grep -c 'OpenDKIM Filter v[0-9.]* starting' "$log")" -ge 2 ]
check "  main.cf now hands mail to OpenDKIM" sh -c "
    nsenter -t $INIT -m -- postconf -h smtpd_milters | grep -q ."
$TM send-keys -t c Escape
see "Esc: the setup, in sync" 'in sync: the configuration is what the'
$TM send-keys -t c n
see "n: the DNS step, nothing published yet" '0 of [0-9]+ records shown'
$TM send-keys -t c e
see "e asks the directory (the console's: .)" 'export the records as zone files to the directory: \.'
$TM send-keys -t c Enter
see "  Enter: written" 'records written to \./sandbox\.example\.missing\.zone'
see "the sandbox publishes them: the watch shows every record" '([1-9][0-9]*) of \1 records shown' "$W_WATCH"
see "  the DKIM records with their TTL" 'second\.example DKIM [0-9]{6} +ok, TTL 3600 s'
check "  the snippets moved out, published" sh -c "
    ls '$D/dns/published' | grep -q 'sandbox.example.missing.zone' &&
    [ -z \"\$(ls '$D/publish')\" ] &&
    grep -q '_domainkey.second.example. 3600 IN TXT' '$D/zones/second.example.zone'"

$TM send-keys -t c n
see "n: the test step" 'Step 6 of 6: Test'
see "  the local MTA is the route" 'Route +the local MTA, port 25'
$TM send-keys -t c a
$TM send-keys -t c -l rcpt@receiver.example
$TM send-keys -t c Enter
see "  a: the address" 'To +rcpt@receiver\.example'
$TM send-keys -t c Enter
see "Enter sends it: accepted, followed to the receiver's answer" 'Verdict +accepted' "$W_MAIL"
see "  the line: where the message is" 'kept as'
# The right-hand column, its lines joined, every blank out (the path is
# wrapped wherever the column ends).
column_has() { screen | sed 's/^[^│]*│//' | tr -d ' \n' | grep -qF -- "$1"; }
check "  (its file: $D/sink/1.eml)" column_has "keptas$D/sink/1.eml;"
see "  and that notspam verify judges it" 'verify FILE judges it'
# A message from the other domain, by SMTP inside the sandbox's network.
inns /usr/bin/python3 -c '
import smtplib
m = ("From: <user@second.example>\r\nTo: <rcpt@receiver.example>\r\n"
     "Subject: from the second domain\r\n\r\nsigned in the sandbox\r\n")
s = smtplib.SMTP("127.0.0.1", 25, timeout=10)
s.sendmail("user@second.example", ["rcpt@receiver.example"], m)
s.quit()' >"$T_TMP/o/submit" 2>&1
check "a message from second.example is accepted" [ $? -eq 0 ]
two() { [ -f "$D/sink/2.eml" ]; }
_n=0; while ! two && [ $_n -lt 100 ]; do sleep 0.1; _n=$((_n + 1)); done
check "  it reaches the receiver" two
# A local delivery (the sandbox hosts sandbox.example): into the
# sandbox's own mailboxes, the machine's /var/mail untouched (host_state).
inns /usr/bin/python3 -c '
import smtplib
s = smtplib.SMTP("127.0.0.1", 25, timeout=10)
s.sendmail("user@second.example", ["postmaster@sandbox.example"],
           "From: <user@second.example>\r\nSubject: local\r\n\r\nhi\r\n")
s.quit()' >>"$T_TMP/o/submit" 2>&1
mbox() { nsenter -t "$INIT" -m -- test -s /var/mail/root; }
_n=0; while ! mbox && [ $_n -lt 100 ]; do sleep 0.1; _n=$((_n + 1)); done
check "a local delivery (postmaster@sandbox.example) lands in the sandbox's /var/mail" mbox
cp -R "$D/zones" "$T_TMP/zones"
cp "$D"/sink/*.eml "$T_TMP/o/" 2>/dev/null

# dkimpy, with the zone files read by dnspython (not notspam's reader).
if /usr/bin/python3 -c 'import dkim, dns.zone' 2>/dev/null; then
	dkimpy() {
		/usr/bin/python3 - "$T_TMP/zones" "$1" <<'EOP'
import glob, os, sys
import dkim, dns.name, dns.rdatatype, dns.zone
zones = [dns.zone.from_file(f, origin=os.path.basename(f)[:-5],
                            relativize=False)
         for f in glob.glob(os.path.join(sys.argv[1], "*.zone"))]
def txt(name, timeout=5):
    n = dns.name.from_text(name.decode() if isinstance(name, bytes) else name)
    for z in zones:
        rs = z.get_rdataset(n, dns.rdatatype.TXT) if n.is_subdomain(z.origin) else None
        if rs:
            return b"".join(b"".join(r.strings) for r in rs)
    return b""
raw = open(sys.argv[2], "rb").read()
d = dkim.DKIM(raw)
ok = d.verify(dnsfunc=txt)
print("d=%s %s" % (d.domain.decode() if d.domain else "?", "ok" if ok else "fail"))
sys.exit(0 if ok else 1)
EOP
	}
	for n in 1 2; do
		dom=sandbox.example; [ $n -eq 2 ] && dom=second.example
		v=$(dkimpy "$T_TMP/o/$n.eml" 2>&1)
		check "message $n: dkimpy verifies it, signed for $dom ($v)" [ "$v" = "d=$dom ok" ]
	done
else
	skip "dkimpy verifies the messages" "python3-dkim or python3-dnspython is missing"
fi
for n in 1 2; do
	dom=sandbox.example; [ $n -eq 2 ] && dom=second.example
	run --zones "$T_TMP/zones" verify "$T_TMP/o/$n.eml"
	cp "$T_TMP/out" "$T_TMP/o/verify.$n" 2>/dev/null
	check "message $n: notspam verify passes its DKIM (d=$dom)" has "$T_TMP/out" "^  pass +d=$dom "
	check "  and its SPF (the receiver's Received: 192.0.2.25)" sh -c "
	    grep -A1 '^SPF' '$T_TMP/out' | grep -Eq '^  pass +192\.0\.2\.25 for $dom'"
	check "  and its DMARC" sh -c "grep -A1 '^DMARC' '$T_TMP/out' | grep -Eq '^  pass +From $dom'"
done

$TM send-keys -t c n
see "n: the setup is done" 'the setup is done'
screen >"$T_TMP/o/done.screen"
$TM send-keys -t c q
see "q: the dashboard" ' q quit'
$TM send-keys -t c q
see "q again: the sandbox stops, exit 0" '^EXITED 0' "$W_STOP"
# What it said on the way out, from the pane's history, its lines as
# written (-J: the terminal's wrapping undone).
$TM capture-pane -p -J -S -300 -t c >"$T_TMP/o/end"
check "  it names what the receiver got" grep -qF "the receiver got $D/sink/1.eml;" "$T_TMP/o/end"
check "  its verify passes message 1's DKIM" grep -Eq '^  pass +d=sandbox\.example ' "$T_TMP/o/end"
check "  and message 2's" grep -Eq '^  pass +d=second\.example ' "$T_TMP/o/end"
check "  stopped, its directory removed" grep -qxF "notspam sandbox: stopped; $D removed." "$T_TMP/o/end"
# left: the processes of the sandbox still there: its namespace's, and of
# the PIDs seen while it ran, those still in it or naming its directory
# (a PID reused by another program is neither).
left() {
	for p in $PIDS; do
		[ -e "/proc/$p" ] || continue
		if [ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$NSID" ] ||
		    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$D"; then
			echo "$p"
		fi
	done
	nspids
}
check "no process of the sandbox is left (its $(echo $PIDS | wc -w) PIDs, its namespace)" \
    [ -z "$(left)" ]
nodir() { ! pgrep -f -- "$D" >/dev/null; }
check "  nothing runs with its directory on the command line" nodir
check "  its directory is gone" [ ! -e "$D" ]
check "  TMPDIR as it was (empty)" [ -z "$(ls -A "$SBT")" ]
check "  no mount of it is left" sh -c "! grep -q '$SBT' /proc/mounts"
host_state >"$T_TMP/host.after"
check "  the machine's mail files, keys, state and /dev/log as they were" \
    cmp -s "$T_TMP/host.before" "$T_TMP/host.after"
[ -f "$T_TMP/host.after" ] && ! cmp -s "$T_TMP/host.before" "$T_TMP/host.after" &&
    diff "$T_TMP/host.before" "$T_TMP/host.after" | sed 's/^/# /'

# Ctrl-C: the same stop.
start_sandbox
see "started again" 'Step 1 of 6: What runs here' "$W_START"
D=$(ls -d "$SBT"/notspam-sandbox.* 2>/dev/null | head -n 1)
INIT=$(ns_init) || INIT=
NSID=$(readlink "/proc/$INIT/ns/pid" 2>/dev/null)
PIDS=$(nspids)
$TM send-keys -t c C-c
see "Ctrl-C: the sandbox stops" '^EXITED ' "$W_STOP"
$TM capture-pane -p -J -S -300 -t c >"$T_TMP/o/end2"
check "  stopped, its directory removed" grep -qxF "notspam sandbox: stopped; $D removed." "$T_TMP/o/end2"
check "  no process left" [ -n "$PIDS" -a -z "$(left)" ]
check "  its directory is gone" [ -n "$D" -a ! -e "$D" ]

for f in "$T_TMP"/asan/*; do
	[ -f "$f" ] && sanitizer_check "$f" "the console in the sandbox (${f##*/})"
done
sanitizer_check "$T_TMP/o/end" "the sandbox's notspam verify"
echo "1..$T_N"
