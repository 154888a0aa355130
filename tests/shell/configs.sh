#!/bin/sh
# The console's Configs screen, driven in a detached tmux session on a copy
# of the demo (--root, its zone files answering): each file's state, the
# edits with reasons and the diff of main.cf (scrolled), apply in a child
# while the screen keeps taking keys (another transaction holds the lock
# for a while), the planned bytes written and a backup made, "in sync"
# after, the backup listed and restored to the demo's exact bytes; the
# dashboard's warning an edit fixes says so.  80x24, 80x16 and 200x60.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

TM="tmux -L notspam-configs-$$ -f /dev/null"
LOCKER=
cleanup() {
	[ -n "$LOCKER" ] && kill "$LOCKER" 2>/dev/null
	$TM kill-server 2>/dev/null
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
	screen | sed 's/^/# /'
	return 1
}
gone() { sleep 0.3; ! screen | grep -Eq -- "$1"; }
# start W H: the console on $root.
start() {
	$TM kill-session -t c 2>/dev/null
	$TM new-session -d -s c -x "$1" -y "$2" \
	    "cd $T_TMP && env TERM=xterm-256color LANG=C.UTF-8 $NOTSPAM --root $root --zones $NOTSPAM_TOP/share/demo-zones 2>>$T_TMP/stderr; echo EXITED \$?; sleep 30"
}
$TM new-session -d -s keep "sleep 3600"
FILES="etc/postfix/main.cf etc/default/opendkim etc/opendkim/trusted.hosts etc/dkimproxy_out.conf"
root=$(sandbox site)

# The bytes apply should write: the CLI's plan on another copy.
want=$(sandbox want)
"$NOTSPAM" --root "$want" --zones share/demo-zones apply --yes >"$T_TMP/cli" 2>&1
check "the CLI applies on a second copy (the bytes to expect)" has "$T_TMP/cli" '^applied: 4 files written'

start 80 24
check "dashboard: the bottom line names c" wait_for 'c configs'
check "  the check ends" wait_for 'last check'
# The plan is made once the PTR answers are in: c shows it is.
$TM send-keys -t c c
check "  c: the plan is made" wait_for '^ Configs +changes pending'
$TM send-keys -t c Escape
check "  Esc: the dashboard again" wait_for 'c configs'
$TM send-keys -t c Tab g Enter
check "  the milter warning's box: apply can fix it" wait_for 'apply can fix this: Enter shows the plan for this'
$TM send-keys -t c Enter
check "  Enter: the plan of main.cf, its diff open" wait_for '^ /etc/postfix/main\.cf +\(postfix, 2 changes\)'
$TM send-keys -t c Escape
check "  Esc: the files, the cursor on main.cf" wait_for '^ Configs +changes pending'
$TM send-keys -t c Escape
check "  Esc: the dashboard again" wait_for 'c configs'
$TM send-keys -t c / m a i n . c f : 5 9 Enter
check "  / main.cf:59: the cleanup's milter warning alone" wait_for '^ Findings 1 \(filter: main\.cf:59\)'
$TM send-keys -t c Enter
check "  its box: apply can fix it too (line 59 reads \$smtpd_milters, which line 58's edit sets)" wait_for 'apply can fix this: Enter shows the plan for this'
$TM send-keys -t c x / C-u Enter
gone 'apply can fix this' || true
$TM send-keys -t c / D o m a i n K e y s Enter
check "  / DomainKeys: its warning alone" wait_for '^ Findings 1 \(filter: DomainKeys\)'
$TM send-keys -t c Enter
check "  the DomainKeys warning's box (an edit removes its line) too" wait_for 'apply can fix this: Enter shows the plan for this'
$TM send-keys -t c x / C-u Enter
$TM send-keys -t c / d k i m : 2 0 2 6 1 1 Enter
check "  / dkim:202611: a DNS finding alone" wait_for '^ Findings 1 \(filter: dkim:202611\)'
$TM send-keys -t c Enter
check "  its box: no apply line (no edit fixes a DNS record)" wait_for 'fix: make a 2048-bit key'
check "  (none)" gone 'apply can fix this'
$TM send-keys -t c x / C-u Enter
$TM send-keys -t c c
check "c opens Configs" wait_for '^ Configs +changes pending'
check "  main.cf: changes pending (2 edits)" wait_for '^ /etc/postfix/main\.cf +changes pending \(2 edits\)'
for f in /etc/default/opendkim /etc/opendkim/trusted.hosts; do
	check "  $f: changes pending (1 edit)" wait_for "^ $f +changes pending \(1 edit\)"
done
# The DomainKeys line goes, and the DKIM signature gets a=rsa-sha256.
check "  /etc/dkimproxy_out.conf: changes pending (2 edits)" \
    wait_for '^ /etc/dkimproxy_out\.conf +changes pending \(2 edits\)'

check "  master.cf: in sync" wait_for '^ /etc/postfix/master\.cf +in sync'
check "  the totals" wait_for '4 files to change, 6 edits: A applies them'
check "  a reload of the plan" wait_for '^ then +/usr/sbin/postfix reload'
check "  an offer of the plan" wait_for '^ offered +smtp_address_preference = ipv4'
check "  the screen's keys" wait_for 'Enter diff  A apply  b backups'
# main.cf is the sixth row.
$TM send-keys -t c g j j j j j Enter
check "Enter on main.cf: its title" wait_for '^ /etc/postfix/main\.cf +\(postfix, 2 changes\)'
check "  the milter edit's reason" wait_for "^ line 58: Postfix's smtpd hands SMTP mail to opendkim at inet:127\.0\.0\.1:12345,"
check "  the diff's added line" wait_for '^ \+smtpd_milters = inet:127\.0\.0\.1:12345$'
check "  and its removed line" wait_for '^ -smtpd_milters = inet:\[::1\]:12345$'
$TM send-keys -t c G
check "  G: the last line, with the position" wait_for '^  non_smtpd_milters = \$smtpd_milters$'
check "  the position marker" wait_for 'lines 1-19 of 19'
$TM send-keys -t c Escape
check "  Esc: back to the files" wait_for '^ Configs +changes pending'

# Another transaction holds the lock for 3 s: the apply waits in its
# child, and the screen still takes keys.
mkdir -p "$root/var/backups/notspam"
chmod 700 "$root/var/backups/notspam"
flock "$root/var/backups/notspam/txn.lock" sleep 3 &
LOCKER=$!
sleep 0.3
$TM send-keys -t c A
check "A asks first, naming the files" wait_for 'Write these 4 files under --root'
check "  main.cf among them" wait_for '/etc/postfix/main\.cf \(2 edits\)'
$TM send-keys -t c n
check "  n: nothing written" wait_for 'nothing written'
check "  main.cf as it was" cmp -s share/demo/etc/postfix/main.cf "$root/etc/postfix/main.cf"
$TM send-keys -t c A
sleep 0.2
$TM send-keys -t c y
check "y: applying... on the title" wait_for 'Configs +changes pending .*applying\.\.\.'
$TM send-keys -t c '?'
check "  a key while the apply waits for the lock: the help opens" wait_for 'Every file notspam manages'
check "  while the apply still runs" wait_for 'applying\.\.\.'
check "  and main.cf is not written yet" cmp -s share/demo/etc/postfix/main.cf "$root/etc/postfix/main.cf"
$TM send-keys -t c x
check "the apply ends: applied, with its backup" wait_for 'applied: 4 files written, backup [0-9]{8}T[0-9]{6}Z' 100
wait "$LOCKER"
LOCKER=
check "  the title says in sync" wait_for '^ Configs +in sync'
check "  main.cf in sync" wait_for '^ /etc/postfix/main\.cf +in sync'
check "  trusted.hosts keeps its row, in sync" wait_for '^ /etc/opendkim/trusted\.hosts +in sync'
check "  nothing to do" wait_for 'nothing to do: the configuration is what the site needs'
for f in $FILES; do
	check "  /$f holds the planned bytes" cmp -s "$want/$f" "$root/$f"
done
check "  a backup under the root's /var/backups/notspam" \
    sh -c "ls '$root/var/backups/notspam' | grep -Eq '^[0-9]{8}T[0-9]{6}Z$'"
$TM send-keys -t c Escape
check "the dashboard's check ran again: the milter FAIL is gone" \
    gone 'config postfix/main\.cf:58'
$TM send-keys -t c c
check "  c again: in sync" wait_for '^ Configs +in sync'
$TM send-keys -t c b
check "b lists the backup: apply, done, 4 files" wait_for '^ [0-9]{8}T[0-9]{6}Z +apply +done +4 files'
check "  each file as written then" wait_for '^ /etc/postfix/main\.cf +as written then'
$TM send-keys -t c Enter
check "Enter asks to restore it" wait_for 'Restore backup [0-9]{8}T[0-9]{6}Z \(apply\)\?'
$TM send-keys -t c y
check "  restored: 4 files" wait_for 'restored [0-9]{8}T[0-9]{6}Z: 4 files' 100
check "  the list: the apply restored, the restore's own backup" wait_for '^ [0-9]{8}T[0-9]{6}Z(-[0-9]+)? +restore +done'
for f in $FILES; do
	check "  /$f: the demo's exact bytes" cmp -s "share/demo/$f" "$root/$f"
done
$TM send-keys -t c Escape
check "  Esc: the files, pending again" wait_for '^ /etc/postfix/main\.cf +changes pending \(2 edits\)'
$TM send-keys -t c Escape q
check "  q quits with 0" wait_for '^EXITED 0'

# 80x16: the diff does not fit; it scrolls.
start 80 16
check "80x16: the dashboard" wait_for 'last check'
$TM send-keys -t c c
check "  Configs" wait_for '^ Configs +changes pending'
$TM send-keys -t c g j j j j j Enter
check "  main.cf's diff, its first lines" wait_for 'lines 1-13 of 19'
$TM send-keys -t c j
check "  j scrolls one line" wait_for 'lines 2-14 of 19'
$TM send-keys -t c NPage
check "  PgDn to the end" wait_for 'lines 7-19 of 19'
check "  the last line shown" wait_for '^  non_smtpd_milters = \$smtpd_milters$'
$TM send-keys -t c g
check "  g: back to the top" wait_for 'lines 1-13 of 19'
$TM send-keys -t c Escape Escape q
check "  q quits with 0" wait_for '^EXITED 0'

# 200x60: the same list, the plan's lines in full.
start 200 60
check "200x60: the dashboard" wait_for 'last check'
$TM send-keys -t c c
check "  main.cf changes pending" wait_for '^ /etc/postfix/main\.cf +changes pending \(2 edits\)'
check "  the checker lines" wait_for '^ check +/usr/sbin/postconf -c /etc/postfix -n$'
check "  an offer in full" wait_for 'offered +smtp_address_preference = ipv4 \(set "ipv6_fallback = ipv4" in notspam\.conf\): 2001:db8::25 has no PTR record'
$TM send-keys -t c Escape q
check "  q quits with 0" wait_for '^EXITED 0'

check "nothing on stderr" [ ! -s "$T_TMP/stderr" ]
sanitizer_check "$T_TMP/stderr"
