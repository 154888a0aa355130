#!/bin/sh
# The console's Test screen (t), driven in tmux on a copy of the demo:
# an address pasted (bracketed paste: the paste opens the address editor
# by itself) and one typed fast, the server route pointed at an SMTP sink
# on loopback (tests/stack/smtpsink.py), the live transcript with the
# sink's 250 and its queue id, the verdict "accepted" with mail-tester's
# result page, the history list and a test sent again from it; the sink
# received each message; a paste holding a line end.  Then servers that do not take it: a port where
# nothing listens (unreachable at once), a reply holding ESC and BEL (shown
# escaped, the screen intact), Gmail's multi-line 550-5.7.1 after the data
# (rejected, with the cause); the local route (its port set with p) to
# another sink, the queue id followed in the root's mail log to Postfix's
# bounce line, the cause mapped; and one whose connect hangs (a full listen
# backlog): the screen keeps answering keys while it waits, a second send
# is refused, the time limit given with o ends it as unreachable, and Esc
# cancels the next one cleanly.  80x24, then a resize.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
if ! command -v tmux >/dev/null 2>&1; then
	skip "the Test screen in tmux" "tmux is not installed"
	exit 0
fi
TM_NAME=notspam-testview
. "$NOTSPAM_TOP/tests/tmux.sh"

root=$(sandbox site)
mkdir -p "$T_TMP/sink" "$T_TMP/bad"
sport=$(free_port)
"$PY" tests/stack/smtpsink.py 127.0.0.1 "$sport" "$T_TMP/sink" \
    2>"$T_TMP/sink.err" &
TM_PIDS="$TM_PIDS $!"
bmail=$(free_port)
bend=$(free_port)
"$PY" tests/stack/smtpbad.py --out "$T_TMP/bad" "rej-mail=$bmail" \
    "rej-end=$bend" >"$T_TMP/bad.out" 2>"$T_TMP/bad.err" &
TM_PIDS="$TM_PIDS $!"
# A port whose connects hang: its backlog is full and nobody accepts, so
# the kernel drops every new SYN.
hport=$(free_port)
"$PY" -c '
import socket, sys, time
port = int(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(0)
fill = []
for _ in range(4):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    fill.append(c)
time.sleep(0.3)
open(sys.argv[2], "w").write("ready\n")
time.sleep(600)' "$hport" "$T_TMP/hang.ready" 2>"$T_TMP/hang.err" &
TM_PIDS="$TM_PIDS $!"
dead=$(free_port)
# The local MTA: another sink, on a port of its own (p); what the MTA
# would log of the message's relay is written into the root's mail log.
mkdir -p "$T_TMP/lsink" "$root/var/log"
: >"$root/var/log/mail.log"
lport=$(free_port)
"$PY" tests/stack/smtpsink.py 127.0.0.1 "$lport" "$T_TMP/lsink" \
    2>"$T_TMP/lsink.err" &
TM_PIDS="$TM_PIDS $!"

ready() {
	_n=0
	while [ "$_n" -lt 50 ]; do
		[ -s "$1" ] && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}
check "the sink listens" tm_listen "$sport"
check "the local MTA's sink listens" tm_listen "$lport"
check "the misbehaving servers listen" ready "$T_TMP/bad.out"
check "the hanging port is ready" ready "$T_TMP/hang.ready"

# The title's elapsed time ("sending  1.4 s"), for seeing it move.
elapsed() { screen | sed -n '1s/.* \([0-9][0-9]*\.[0-9]\) s .*/\1/p'; }
# The pane again after at least 0.5 s: has the elapsed time moved?
moves() {
	_a=$(elapsed)
	sleep 0.6
	_b=$(elapsed)
	[ -n "$_a" ] && [ -n "$_b" ] && [ "$_a" != "$_b" ]
}
# g, then j until RE shows (a line of the transcript above its end).
scroll_to() {
	$TM send-keys -t c g
	_n=0
	while [ "$_n" -lt 60 ]; do
		sleep 0.1
		screen | grep -Eq -- "$1" && return 0
		$TM send-keys -t c j
		_n=$((_n + 1))
	done
	screen | sed 's/^/# /'
	return 1
}
# s, the server's HOST:PORT, Enter.
server() {
	$TM send-keys -t c s C-u
	$TM send-keys -t c -l "$1"
	$TM send-keys -t c Enter
}

tm_start 80 24 "cd $T_TMP && env TERM=xterm-256color LANG=C.UTF-8 $NOTSPAM --root $root --zones $NOTSPAM_TOP/share/demo-zones 2>>$T_TMP/stderr"
check "dashboard: the bottom line names t" wait_for 't test'
$TM send-keys -t c t
check "t: the Test screen" wait_for '^ Test message *$'
check "  no address yet, it says how to give one" wait_for '^ To +\(none: a or Enter'
check "  the local MTA is the route chosen" wait_for '^ Route +\[local\]  submission'
check "  the keys" wait_for 'Enter send  a To  Tab route  s server  h history'
check "  no history yet" gone 'History'

# A paste straight onto the screen (not a key typed first): bracketed,
# it opens the editor and arrives whole; as plain keys its "s" would
# have opened the server's editor instead.
tm_paste "test-abc123@srv1.mail-tester.com"
check "a paste opens the address editor with all of it" wait_for '^To: test-abc123@srv1\.mail-tester\.com'
check "  and the field shows it as it is typed" wait_for '^ To +test-abc123@srv1\.mail-tester\.com'
check "  not the server's editor" gone 'server HOST'
$TM send-keys -t c Enter
check "Enter takes it: the result page is known" wait_for '^ Page +https://www\.mail-tester\.com/test-abc123$'
check "  the editor closed" gone '^To: '
$TM send-keys -t c Tab Tab
check "Tab Tab: the server route" wait_for '^ Route +local +submission +\[server\] +sendmail'
$TM send-keys -t c BTab
check "Shift-Tab: back to submission" wait_for '\[submission\]'
server "127.0.0.1:$sport"
check "s: the server route to the sink" wait_for "\\[server 127\\.0\\.0\\.1:$sport\\]"
check "  what the route does" wait_for 'SMTP to the server given with s'
$TM send-keys -t c Enter
check "Enter sends: the sink's 250 with the queue id in the transcript" wait_for '^ S: 250 2\.0\.0 queued as 1'
check "  the recipient" wait_for '^ C: RCPT TO:<test-abc123@srv1\.mail-tester\.com>'
check "  the transcript follows its end" wait_for '^ Transcript +lines [0-9]+-([0-9]+) of \1 '
$TM send-keys -t c g
check "g: its start, the sink's greeting" wait_for '^ S: 220 sink ESMTP'
check "  the header says where" wait_for '^ Transcript +lines 1-[0-9]+ of [0-9]+ '
$TM send-keys -t c G
check "G: its end again" wait_for '^ C: QUIT'
check "  the verdict: accepted" wait_for '^ Verdict +accepted +after [0-9]+\.[0-9] s'
check "  the title says done" wait_for '^ Test message +done: accepted in '
check "  the summary: who took it, with its reply" wait_for "^ accepted by 127\\.0\\.0\\.1:$sport: 250 2\\.0\\.0 queued as 1"
check "  the queue id" wait_for '^ queue id: 1'
check "  mail-tester's result page" wait_for '^ result page: https://www\.mail-tester\.com/test-abc123'
check "the sink received the message" ready "$T_TMP/sink/1.eml"
check "  addressed to the address pasted" grep -qi '^To:.*test-abc123@srv1\.mail-tester\.com' "$T_TMP/sink/1.eml"
check "the test is in the history file" grep -q 'test-abc123@srv1\.mail-tester\.com' "$root/var/lib/notspam/tests.jsonl"
$TM send-keys -t c h
check "h: the history, one test" wait_for '^ History +1 test'
check "  the bottom line: the history's keys" wait_for '^ Enter one in full  Up Down move  h transcript'
check "  its line: accepted, server, the address" wait_for '^ [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} accepted +server +test-abc123@srv1\.mail-tester\.com'
$TM send-keys -t c Enter
check "  Enter: the test in full" wait_for 'to: test-abc123@srv1\.mail-tester\.com'
check "  with the way to send it again" wait_for 'Enter sends this test again'
$TM send-keys -t c Enter
check "  Enter again sends it again: the sink's second" wait_for '^ S: 250 2\.0\.0 queued as 2'
check "  accepted" wait_for '^ Verdict +accepted'
check "  the sink has it" ready "$T_TMP/sink/2.eml"
$TM send-keys -t c h
check "  the history has both, the newest first" wait_for '^ History +2 tests'
$TM send-keys -t c h

# Typed fast: every character lands (one write of all of them).
$TM send-keys -t c a C-u
$TM send-keys -t c -l "postmaster+fast.typing-1234567890@example.net"
$TM send-keys -t c Enter
check "an address typed fast arrives whole" wait_for '^ To +postmaster\+fast\.typing-1234567890@example\.net *$'
check "  not a mail-tester one: no result page" gone '^ Page '
$TM send-keys -t c Enter
check "  sent: the sink's third" wait_for '^ S: 250 2\.0\.0 queued as 3'
check "  the sink has it, to that address" sh -c "sleep 0.3; grep -qi '^To:.*postmaster+fast.typing-1234567890@example.net' '$T_TMP/sink/3.eml'"

# A paste with a line end inside: the line end takes the address (as
# Enter), what follows it is pasted text, not keys (its q would have gone
# back).
tm_paste "$(printf 'pasted@example.org\nqqqq')"
check "a paste holding a line end: the address before it" wait_for '^ To +pasted@example\.org *$'
check "  the editor closed" gone '^To: '
check "  what follows it was not taken as keys" wait_for '^ Route '
check "  (not the dashboard)" gone 't test  x doctor'

# A resize keeps the screen whole.
$TM resize-window -t c -x 60 -y 16
check "resized to 60x16: the title" wait_for '^ Test message +done: accepted'
check "  the route line too narrow for all: the chosen one" wait_for "\\[server 127\\.0\\.0\\.1:$sport\\] +3 of 5, Tab"
check "  the verdict still shows" wait_for '^ Verdict +accepted'
$TM resize-window -t c -x 80 -y 24
check "back to 80x24: all the routes" wait_for '^ Route +local +submission +\[server'

# Nothing listens: unreachable at once.
server "127.0.0.1:$dead"
$TM send-keys -t c Enter
check "a port where nothing listens: unreachable" wait_for '^ Verdict +unreachable'
check "  the connect's failure in the transcript" wait_for "127\\.0\\.0\\.1.*$dead.*refused|refused.*$dead"

# A reply with ESC [2J and BEL: escaped, the screen not cleared.
server "127.0.0.1:$bmail"
$TM send-keys -t c Enter
check "a reply holding ESC and BEL: shown escaped" wait_for 'Sender address rejected \\x1b\[2J\\x07'
check "  the verdict: rejected" wait_for '^ Verdict +rejected'
check "  the screen was not cleared" wait_for '^ Test message +done: rejected'

# Gmail's bounce after the data: rejected, and what it means.
server "127.0.0.1:$bend"
$TM send-keys -t c Enter
check "Gmail's 550-5.7.1 after the data: rejected" wait_for '^ Verdict +rejected'
check "  the cause it maps to" wait_for '^ cause: Gmail refused mail sent over IPv6'
check "  its fix" wait_for '^ fix: '
check "  its lines in the transcript (scrolled to)" scroll_to '^ S: 550-5\.7\.1 IPv6 sending guidelines'
$TM send-keys -t c v
check "  v: the whole verdict in a box, the explanation" wait_for '│ why: Gmail accepts mail over IPv6 only'
$TM send-keys -t c Escape

# The local route on the sink's port: the queue id followed in the log,
# where (1.5 s after the sink took it) Postfix's bounce line appears.
$TM send-keys -t c BTab BTab
check "the local route" wait_for '^ Route +\[local\]'
$TM send-keys -t c p C-u
$TM send-keys -t c -l "$lport"
$TM send-keys -t c Enter
check "  p: its port" wait_for "^ Route +\\[local :$lport\\]"
(
	ready "$T_TMP/lsink/1.eml" && sleep 1.5 &&
	printf '%s mail postfix/smtp[458]: 1: to=<someone@gmail.com>, relay=gmail-smtp-in.l.google.com[2a00:1450:400c:c0b::1b]:25, delay=1.2, delays=0.1/0/0.6/0.5, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[2a00:1450:400c:c0b::1b] said: 550-5.7.1 [2001:db8::25] Our system has detected that this message does not meet 550-5.7.1 IPv6 sending guidelines regarding PTR records and authentication. 550 5.7.1 Please review https://support.google.com/mail/?p=IPv6AuthError x1 - gsmtp (in reply to end of DATA command))\n' \
	    "$(date '+%b %e %H:%M:%S')" >>"$root/var/log/mail.log"
) &
wpid=$!
$TM send-keys -t c a C-u
$TM send-keys -t c -l someone@gmail.com
$TM send-keys -t c Enter Enter
check "  the MTA took it: the queue id followed in the log" wait_for '^ Test message +following 1 in the log +[0-9]+\.[0-9] s +Esc cancels'
check "  the MTA's 250 in the transcript" wait_for '^ S: 250 2\.0\.0 queued as 1'
wait "$wpid"
check "  the bounce in the log: rejected" wait_for '^ Verdict +rejected' 100
check "  the cause: Gmail's IPv6 rules" wait_for '^ cause: Gmail refused mail sent over IPv6'
check "  the records it asks for" wait_for '^ records: PTR +5\.2\.0\.0'
check "  the log's line in the transcript" scroll_to 'postfix/smtp\[458\]: 1: to=<someone@gmail\.com>'
$TM send-keys -t c v
check "  v: followed in the log, bounced" wait_for '│ followed: bounced'
check "  the receiver's reply as the MTA logged it" wait_for '│ receiver: 550-5\.7\.1 \[2001:db8::25\]'
$TM send-keys -t c Escape

# A connect that hangs, with 2 s a stage: the loop goes on meanwhile.
$TM send-keys -t c o C-u 2 Enter
check "o: 2 s a stage, said on the route's line" wait_for 'each SMTP stage 2 s at most'
server "127.0.0.1:$hport"
$TM send-keys -t c Enter
check "a hanging connect: the title says sending" wait_for '^ Test message +(resolving|sending) +[0-9]+\.[0-9] s +Esc cancels'
check "  the elapsed time moves (the screen redraws)" moves
check "  the bottom line: Esc cancels" wait_for '^ Esc cancel the test  h history'
$TM send-keys -t c h
check "  a key is answered meanwhile (h: the history)" wait_for '^ History +[0-9]+ tests'
check "  while the test still runs" wait_for '^ Test message +(resolving|sending) '
$TM send-keys -t c h Enter
check "  a second send is refused" wait_for 'a test is (resolving|sending) .*one at a time; Esc cancels it'
check "  the time limit ends it: unreachable" wait_for '^ Verdict +unreachable' 80

# The same with RFC 5321's times: Esc cancels it and stays.
$TM send-keys -t c o C-u 0 Enter
$TM send-keys -t c Enter
check "sent again without the limit: it waits" wait_for '^ Test message +(resolving|sending) '
sleep 0.5
$TM send-keys -t c Escape
check "  Esc cancels it" wait_for '^ Test message +cancelled after [0-9]+\.[0-9] s'
check "  the transcript says so" wait_for '^ \* cancelled after'
check "  the verdict: cancelled" wait_for '^ Verdict +cancelled'
check "  still on the Test screen" wait_for '^ Route '
$TM send-keys -t c Escape
check "Esc again: the dashboard" wait_for 't test  x doctor'
$TM send-keys -t c q
check "q quits with 0" wait_for '^EXITED 0'
check "nothing on stderr" [ ! -s "$T_TMP/stderr" ]
sanitizer_check "$T_TMP/stderr" "the console"
check "the history file has a line per test sent" sh -c "[ \$(grep -c . '$root/var/lib/notspam/tests.jsonl') -ge 7 ]"
echo "1..$T_N"
exit 0
