#!/bin/sh
# The console's Doctor screen (x), driven in tmux on a copy of the demo
# with a mail log of real Postfix lines (dated now): the findings by
# severity, a finding's box (what was seen, why, the fix), Enter again
# opens apply's plan for its file, A applies it there, and back on the
# Doctor screen the findings it fixed are gone ("no finding"); then, on a
# zone copy missing a key's record, key-dns-mismatch from the DNS answers
# (asked on the console's loop).  80x24.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
TM_NAME=notspam-doctor
. "$NOTSPAM_TOP/tests/tmux.sh"

root=$(sandbox site)
# Dated before the copy's files changed (whole seconds: a line of the
# second of a change counts as after it), so once apply fixed main.cf the
# refused connect is history for certain.
now=$(date -d '10 seconds ago' '+%b %d %H:%M:%S')
mkdir -p "$root/var/log"
{ grep -m1 'IPv6 sending' tests/fixtures/logs/real-postfix.log
  grep -m1 'connect to Milter service inet:\[::1\]' tests/fixtures/logs/real-postfix.log
} | sed "s/^Dec 01 [0-9:]*/$now/" >"$root/var/log/mail.log"

tm_start 80 24 "cd $T_TMP && env TERM=xterm-256color LANG=C.UTF-8 $NOTSPAM --root $root --zones $NOTSPAM_TOP/share/demo-zones 2>>$T_TMP/stderr"
check "dashboard: the bottom line names x" wait_for 'x doctor'
$TM send-keys -t c x
check "x: the Doctor screen, 4 failures" wait_for '^ Doctor +4 failures, 0 warnings'
check "  the smtpd hop's IPv4/IPv6 mismatch first" wait_for '^ FAIL  milter-family +(\(apply fixes it\) )?postfix smtpd dials inet:\[::1\]:12345'
check "  Gmail's IPv6 bounce from the log" wait_for 'FAIL  remote-gmail-ipv6 '
check "  under --root: the note" wait_for 'note: --root: the configuration and logs are read'
check "  the screen's keys" wait_for 'Enter details and fix'
check "  a fixable finding says so (once the plan is made)" wait_for '\(apply fixes it\)' 100
$TM send-keys -t c g Enter
check "Enter: the finding's box" wait_for 'seen: /etc/postfix/main\.cf:58: smtpd_milters = inet:\[::1\]:12345'
check "  the log line among what was seen" wait_for 'seen: log .*milter-refused'
check "  why" wait_for "why: libmilter's inet:PORT@localhost binds"
check "  and that apply fixes it" wait_for 'apply can fix this: Enter shows the plan for'
$TM send-keys -t c Enter
check "Enter again: Configs on main.cf's diff" wait_for '^ /etc/postfix/main\.cf +\(postfix, 2 changes\)'
$TM send-keys -t c Escape
check "  Esc: the Configs files" wait_for '^ Configs +changes pending'
$TM send-keys -t c A
check "  A asks" wait_for 'Write these 4 files under --root'
$TM send-keys -t c y
check "  applied" wait_for 'applied: 4 files written, backup [0-9]{8}T[0-9]{6}Z' 100
$TM send-keys -t c x Escape
check "  Esc: the Doctor again" wait_for '^ Doctor '
check "  the configuration's failures are gone: only the bounce from the log" wait_for '^ Doctor +1 failure, 0 warnings'
check "  (the old log's refused connect: a note now, main.cf changed since)" wait_for 'NOTE  milter-refused'
check "  milter-family is gone" gone 'milter-family'
check "main.cf dials 127.0.0.1 now" grep -qx 'smtpd_milters = inet:127.0.0.1:12345' "$root/etc/postfix/main.cf"
$TM send-keys -t c Escape q
check "q quits with 0" wait_for '^EXITED 0'

# The keys asked of the DNS, as notspam doctor does, on the console's
# loop: a zone copy without one key's record.
cp -a share/demo-zones "$T_TMP/zones"
sed -i '/^mail\._domainkey\.example\.org\./d' "$T_TMP/zones/example.org.zone"
tm_start 80 24 "cd $T_TMP && env TERM=xterm-256color LANG=C.UTF-8 $NOTSPAM --root $root --zones $T_TMP/zones 2>>$T_TMP/stderr"
check "the DNS without a key's record: the dashboard" wait_for 'x doctor'
$TM send-keys -t c x
check "  x: key-dns-mismatch, from the DNS answers" wait_for \
    '^ FAIL  key-dns-mismatch +mail\._domainkey\.example\.org: the DNS does not publish'
check "  the bounce and it: 2 failures" wait_for '^ Doctor +2 failures, 0 warnings'
$TM send-keys -t c g
sleep 0.3
$TM send-keys -t c Down Enter
check "  Enter: what the DNS said" wait_for 'seen: the DNS: NXDOMAIN'
$TM send-keys -t c Escape Escape q
check "  q quits with 0" wait_for '^EXITED 0'
check "nothing on stderr" [ ! -s "$T_TMP/stderr" ]
sanitizer_check "$T_TMP/stderr"
exit 0
