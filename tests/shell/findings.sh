#!/bin/sh
# The dashboard's findings at 80x24, driven in a detached tmux session: the
# configuration's warnings listed among them with their severity (the
# demo's milter at [::1]:12345 while OpenDKIM listens on IPv4 only: FAIL;
# its DomainKeys signature line: warn), Enter showing the file, line and
# fix, the filter and d on them; and a resolver that never answers shown
# as one line, not as an unknown finding per check (console and status).
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

TM="tmux -L notspam-findings-$$ -f /dev/null"
cleanup() {
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
# gone REGEX: the regex is not on the pane (after the screen settled).
gone() { sleep 0.3; ! screen | grep -Eq -- "$1"; }
# start ARGS...: the console at 80x24.
start() {
	$TM kill-session -t c 2>/dev/null
	$TM new-session -d -s c -x 80 -y 24 \
	    "cd $T_TMP && env TERM=xterm-256color LANG=C.UTF-8 $NOTSPAM --root $root $* 2>>$T_TMP/stderr; echo EXITED \$?; sleep 30"
}
$TM new-session -d -s keep "sleep 3600"
root=$(sandbox site)

# ---- The demo (its zone files answer): the configuration's warnings.
start --zones "$NOTSPAM_TOP/share/demo-zones"
check "demo: the check ends" wait_for 'last check'
check "  the milter mismatch is a FAIL finding, on the first screen" \
    wait_for '^ FAIL +config postfix/main\.cf:58: postfix smtpd dials inet:\[::1\]:12345, but'
check "  the findings count it with the checks (4 checks, 4 warnings)" wait_for '^ Findings 8 '
$TM send-keys -t c Tab
sleep 0.2
$TM send-keys -t c G
check "  the DomainKeys line is a warn finding (at the end of the list)" \
    wait_for '^ warn +config dkimproxy_out\.conf:12: DomainKeys signatures are obsolete'
$TM send-keys -t c g Enter
check "  Enter on the milter mismatch: the box names the file and line" \
    wait_for 'FAIL  /etc/postfix/main\.cf:58'
check "  the problem" wait_for 'opendkim listens on'
check "  and the fix" wait_for 'fix: make the two agree'
$TM send-keys -t c x
check "  any key closes it" gone 'fix: make the two agree'
$TM send-keys -t c d
check "  d on it: a warning has no domain, said so" \
    wait_for 'a configuration warning belongs to no domain'
check "  and the dashboard stays" wait_for '^ Findings'
$TM send-keys -t c / D o m a i n K e y s Enter
check "  / DomainKeys leaves that one finding" wait_for '^ Findings 1 \(filter: DomainKeys\)'
$TM send-keys -t c Enter
check "  Enter on it: the fix" wait_for 'fix: remove this signature line'
check "  with its file and line" wait_for 'warn  /etc/dkimproxy_out\.conf:12'
$TM send-keys -t c x / C-u c o n f i g Enter
check "  / config: the configuration's four warnings" wait_for '^ Findings 4 \(filter: config\)'
$TM send-keys -t c q
check "  q quits" wait_for '^EXITED 0'

# ---- A resolver nothing listens on: one line, not 27 unknown findings (6
# of the mail host, 21 of the four domains, Spamhaus DBL among them).
start --resolver 127.0.0.1:9
check "no resolver: the line at the top says it once" \
    wait_for '^ the resolver 127\.0\.0\.1:9 did not answer: every result below is unknown'
check "  the rows still say unknown" wait_for '^ example\.org +unknown +unknown'
check "  the findings leave the unknown checks out, counting them" \
    wait_for '^ Findings 4 \(and 27 unknown: see the top line\)'
check "  no finding row says unknown" gone '^ unknown '
check "  the configuration's warnings are still listed" \
    wait_for '^ FAIL +config postfix/main\.cf:58'
$TM send-keys -t c q
wait_for '^EXITED' >/dev/null

run --root "$root" --resolver 127.0.0.1:9 status
check "status: exit 75, the resolver was not reached (got $RC)" [ "$RC" -eq 75 ]
check "  one line stands for every unknown check" sh -c \
    "[ \$(grep -c '^the resolver 127\.0\.0\.1:9 did not answer: every result below is unknown$' '$T_TMP/out') -eq 1 ]"
check "  no unknown finding is listed" sh -c "! grep -q '^unknown ' '$T_TMP/out'"
check "  the findings line counts them" has "$T_TMP/out" '^findings 0 \(and 27 unknown: the resolver did not answer\)$'
check "  stderr says why the status is 75" has "$T_TMP/err" 'the resolver did not answer at all'
check "nothing from the consoles on stderr" [ ! -s "$T_TMP/stderr" ]
