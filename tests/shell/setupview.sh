#!/bin/sh
# The guided setup's screens, driven in tmux at 80x24 on a copy of a stock
# Debian Postfix + OpenDKIM root (tests/fixtures/setup-deb12) in zone-file
# mode (--zones: a temporary directory the test writes the zones into):
# the first run opens on the setup; detect -> identity (an address edited,
# a domain added, a bad address refused) -> keys (made in the background,
# 0600, under the root) -> configs (the diff, "no" writes nothing, "y"
# applies under --root with a backup) -> DNS (the records exported, then
# written into the zone directory: the watch turns every row ok within
# its interval).  Quit at the DNS step and start again: it resumes there;
# the keys step revisited keeps the keys (the same files, none made).
# The settings file and setup.state are checked at each step.  With
# SETUP_CAPTURES=DIR each step's screen is kept in DIR (for notes).
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
TM_NAME=notspam-setup
. "$NOTSPAM_TOP/tests/tmux.sh"

fix=$NOTSPAM_TOP/tests/fixtures/setup-deb12
root=$T_TMP/root
zones=$T_TMP/zones
mkdir -p "$root" "$zones" "$T_TMP/export"
cp -R "$fix/etc" "$root/"
chmod -R u+w "$root"
state=$root/var/lib/notspam/setup.state
conf=$root/etc/notspam/notspam.conf

# A zone with nothing in it but its SOA and NS: nothing is published yet.
soa() {
	printf '$ORIGIN %s.\n$TTL 3600\n' "$1"
	printf '@ IN SOA ns1.example.com. hostmaster.example.com. ( 1 3600 600 1209600 60 )\n'
	printf '@ IN NS ns1.example.com.\n'
}
soa example.com >"$zones/example.com.zone"
echo 'ns1 IN A 192.0.2.53' >>"$zones/example.com.zone"

# capture NAME: the screen now, kept for the notes.
capture() {
	[ -n "${SETUP_CAPTURES:-}" ] || return 0
	mkdir -p "$SETUP_CAPTURES"
	screen >"$SETUP_CAPTURES/$1.txt"
}
# unchanged FILE: the MTA's or signer's file is still the fixture's.
unchanged() { cmp -s "$fix/$1" "$root/$1"; }
stock() {
	unchanged etc/postfix/main.cf && unchanged etc/postfix/master.cf &&
	    unchanged etc/opendkim.conf && unchanged etc/default/opendkim &&
	    [ ! -e "$root/etc/opendkim/key.table" ]
}
start() {
	tm_start 80 24 "cd $T_TMP && env TERM=xterm-256color LANG=C.UTF-8 $NOTSPAM --root $root --zones $zones $* 2>>$T_TMP/stderr"
}
# A session that outlives the console's: the server stays between starts.
$TM new-session -d -s keep "sleep 3600"
# The receiver of the test message: an SMTP sink on loopback.
mkdir -p "$T_TMP/sink"
sport=$(free_port)
"$PY" tests/stack/smtpsink.py 127.0.0.1 "$sport" "$T_TMP/sink" 2>"$T_TMP/sink.err" &
sink=$!
trap 'kill $sink 2>/dev/null; tm_cleanup' EXIT

# The command line.
run --root "$root" setup --watch-interval 0
check "setup --watch-interval 0: a usage error (64, got $RC)" [ "$RC" -eq 64 ]
check "  says what it takes" has "$T_TMP/err" 'watch-interval needs seconds \(1-86400\)'
run --root "$root" setup --frobnicate
check "setup with an unknown argument: 64 (got $RC)" [ "$RC" -eq 64 ]
run --help
check "--help lists setup" has "$T_TMP/out" '^  setup \[--watch-interval SECONDS\]'
run --root "$root" setup </dev/null
check "setup without a terminal: 64 (got $RC)" [ "$RC" -eq 64 ]
check "  nothing written without a terminal" [ ! -e "$state" ]

# No signer yet: the stack to install, with the command for this system,
# never run; once "installed" (its program there), the choice is written
# as the settings file's signer.
bare=$T_TMP/bare
mkdir -p "$bare/etc/postfix" "$bare/usr/sbin"
cp "$fix/etc/os-release" "$fix/etc/mailname" "$bare/etc/"
cp "$fix/etc/postfix/main.cf" "$fix/etc/postfix/master.cf" "$bare/etc/postfix/"
tm_start 80 24 "cd $T_TMP && env TERM=xterm-256color LANG=C.UTF-8 $NOTSPAM --root $bare --zones $zones setup 2>>$T_TMP/stderr"
check "no signer: said" wait_for 'Signer +none found: choose one below'
check "  the stack to install" wait_for '> Postfix \+ OpenDKIM +to install'
check "  the exact package command" wait_for 'apt-get install opendkim opendkim-tools'
capture 1-detect-nosigner
$TM send-keys -t c n
check "  n: install it first, the command again" wait_for 'install it first: apt-get install opendkim opendkim-tools'
check "  nothing written" sh -c "[ ! -e '$bare/var/lib/notspam/setup.state' ] && [ ! -e '$bare/etc/notspam' ]"
: >"$bare/usr/sbin/opendkim"
$TM send-keys -t c r
check "r: looked again, installed now" wait_for '> Postfix \+ OpenDKIM +installed'
$TM send-keys -t c n
check "  n: on to the identity" wait_for 'Step 2 of 6: Identity'
check "  the choice in the settings file" grep -qx 'signer = opendkim' "$bare/etc/notspam/notspam.conf"
check "  and in setup.state" grep -qx 'stack postfix opendkim' "$bare/var/lib/notspam/setup.state"
$TM send-keys -t c q q
check "  q q: out" wait_for '^EXITED 0'

# The first run: nothing configured (no key, no milter): the setup opens.
start
check "first run: the console opens on the setup" wait_for '^ Guided setup  --root '
check "  step 1: what runs here" wait_for 'Step 1 of 6: What runs here'
check "  the system from os-release" wait_for 'System +Debian GNU/Linux 12 \(bookworm\)'
check "  the MTA and its config" wait_for '/etc/postfix/main\.cf'
check "  the signer and its config" wait_for '/etc/opendkim\.conf'
check "  the stack, installed" wait_for '> Postfix \+ OpenDKIM +installed'
check "  the step list: 1 current, the rest blocked" wait_for 'blocked: 1 first'
check "  the keys line" wait_for 'n next  Up Down stack  r look again'
capture 1-detect
check "  80 columns: no line wider" sh -c "! $TM capture-pane -p -t c | awk 'length > 80' | grep -q ."
$TM send-keys -t c Escape
check "Esc: the dashboard under it" wait_for 'c configs  w setup'
check "  nothing written yet" [ ! -e "$state" ]
$TM send-keys -t c w
check "w opens the setup again" wait_for 'Step 1 of 6: What runs here'
$TM send-keys -t c q q
check "q q: the setup left, then the console: 0" wait_for '^EXITED 0'
check "  nothing written" [ ! -e "$state" ]

# The journey, with the DNS watched every second.
start setup --watch-interval 1
check "notspam setup: the setup at step 1" wait_for 'Step 1 of 6: What runs here'
$TM send-keys -t c n
check "n: step 2, identity" wait_for 'Step 2 of 6: Identity'
check "  the host name from main.cf" wait_for 'Host name +> mail\.example\.com'
check "  the domain from the configs" wait_for 'example\.com +from the configs'
check "  the addresses from the settings file" wait_for '2001:db8::9 +IPv6'
check "  setup.state: detect done, the stack, on identity" sh -c "
    grep -qx 'step identity' '$state' && grep -q '^done detect [0-9]*\$' '$state' &&
    grep -qx 'stack postfix opendkim' '$state'"
check "  setup.state is 0644" [ "$(stat -c %a "$state")" = 644 ]
check "  the settings file not written yet" cmp -s "$fix/etc/notspam/notspam.conf" "$conf"

# Identity: edit the IPv6 address (behind NAT, another one), add a domain;
# a bad address is refused with why.
$TM send-keys -t c j j j Enter
check "Enter edits the address" wait_for 'address: 2001:db8::9'
$TM send-keys -t c C-u '2001:DB8:0::25' Enter
check "  written canonically" wait_for '> 2001:db8::25 +IPv6'
$TM send-keys -t c a
check "a asks a domain or an address" wait_for 'add a domain or a public address:'
$TM send-keys -t c 'Example.NET' Enter
check "  a domain goes with the domains" wait_for 'example\.net +added'
$TM send-keys -t c a '192.0.2.300' Enter
check "  not an address: FAIL with why" wait_for 'FAIL "192\.0\.2\.300" is not an IP address'
$TM send-keys -t c n
check "  n refuses" wait_for 'first: "192\.0\.2\.300" is not an IP address'
check "  nothing written" cmp -s "$fix/etc/notspam/notspam.conf" "$conf"
$TM send-keys -t c d
check "d removes it" gone '192\.0\.2\.300'
capture 2-identity
$TM send-keys -t c n
check "n: step 3, keys" wait_for 'Step 3 of 6: Keys'
check "  the settings file: the addresses and the added domain" sh -c "
    grep -qx 'public_ipv4 = 203.0.113.9' '$conf' &&
    grep -qx 'public_ipv6 = 2001:db8::25' '$conf' &&
    grep -qx 'domains = example.net' '$conf'"
check "  the file as it was kept" cmp -s "$fix/etc/notspam/notspam.conf" \
    "$root/var/lib/notspam/setup/notspam.conf.before"
check "  setup.state: the identity" sh -c "
    grep -qx 'hostname mail.example.com' '$state' &&
    grep -qx 'domain example.com' '$state' && grep -qx 'domain example.net' '$state' &&
    grep -qx 'address 203.0.113.9' '$state' && grep -qx 'address 2001:db8::25' '$state' &&
    grep -qx 'step keys' '$state' && grep -q '^done identity ' '$state'"
check "  no MTA or signer file written" stock

# Keys: one per domain, made in the background.
sel=$(date +%Y%m)
check "  a key to make per domain" wait_for "example\\.net +$sel +rsa 2048 +to make"
check "  where it goes" wait_for "/etc/dkimkeys/example\\.com_$sel\\.private"
capture 3-keys-before
$TM send-keys -t c n
check "n before the keys are made: refused" wait_for 'g makes the keys first'
$TM send-keys -t c g
check "g: made, both" wait_for "example\\.net +$sel +rsa 2048 +made" 200
check "  and the first one" wait_for "example\\.com +$sel +rsa 2048 +made"
capture 3-keys
for d in example.com example.net; do
	k=$root/etc/dkimkeys/${d}_$sel.private
	check "  $d's key under the root, mode 0600" [ "$(stat -c %a "$k" 2>/dev/null)" = 600 ]
	check "  $d's key is a private key" grep -q 'BEGIN PRIVATE KEY' "$k"
	check "  setup.state names it" grep -qx "key $d $sel rsa /etc/dkimkeys/${d}_$sel.private" "$state"
	check "  keys.state: generated" grep -q "^$d $sel generated [0-9]* /etc/dkimkeys/${d}_$sel.private\$" \
	    "$root/var/lib/notspam/keys.state"
done
check "  still no MTA or signer file written" stock
sums=$(sha256sum "$root"/etc/dkimkeys/*)

# Configs: apply's plan; no writes before y.
$TM send-keys -t c n
check "n: step 4, configs" wait_for 'Step 4 of 6: Configs'
check "  the plan: 5 files, the key table new" wait_for "apply's plan: 5 files to change"
check "  key.table among them" wait_for '/etc/opendkim/key\.table +\([0-9]+ edits?, new\)'
capture 4-configs
$TM send-keys -t c n
check "  n before apply: refused" wait_for 'apply first: Enter shows the diffs'
$TM send-keys -t c Enter
check "Enter: the Configs screen" wait_for '^ Configs +changes pending'
$TM send-keys -t c Enter
check "  Enter: opendkim.conf's diff" wait_for '^ /etc/opendkim\.conf +\(opendkim, 4 changes\)'
$TM send-keys -t c G
check "  its end: the key table added" wait_for '^ \+KeyTable +/etc/opendkim/key\.table'
capture 4-configs-diff
$TM send-keys -t c Escape A
check "  A asks first" wait_for 'Write these 5 files under --root'
$TM send-keys -t c n
check "  any other key: nothing written" wait_for 'nothing written'
check "  and nothing is" stock
$TM send-keys -t c A
check "  A again" wait_for 'Write these 5 files under --root'
$TM send-keys -t c y
check "  y: applied, with a backup" wait_for 'applied: 5 files written, backup [0-9]{8}T[0-9]{6}Z' 100
check "  main.cf hands mail to OpenDKIM" grep -qx 'smtpd_milters = inet:127.0.0.1:8891' "$root/etc/postfix/main.cf"
check "  the key table names the key" grep -q "^$sel._domainkey.example.com example.com:$sel:/etc/dkimkeys/example.com_$sel.private\$" \
    "$root/etc/opendkim/key.table"
bk=$(ls -d "$root"/var/backups/notspam/*/ 2>/dev/null | head -1)
check "  the backup holds main.cf as it was" sh -c "[ -n '$bk' ] && cmp -s '$fix/etc/postfix/main.cf' '${bk}files/etc/postfix/main.cf'"
$TM send-keys -t c Escape
check "Esc: back on the setup, in sync" wait_for 'in sync: the configuration is what the'
capture 4-configs-applied

# DNS: the records, exported, then published: the watch turns them ok.
$TM send-keys -t c n
check "n: step 5, DNS" wait_for 'Step 5 of 6: DNS'
check "  the watch: nothing shown yet" wait_for '0 of 13 records shown'
check "  a record missing, with the negative TTL" wait_for 'example\.com MX +missing \(neg\. TTL 60 s\)'
check "  the DKIM record of the new key" wait_for "example\\.net DKIM $sel +missing"
capture 5-dns-missing
$TM send-keys -t c e
check "e asks a directory" wait_for 'export the records as zone files to the directory: \.'
$TM send-keys -t c C-u "$T_TMP/export" Enter
check "  written" wait_for "records written to $T_TMP/export/example\\.com\\.missing\\.zone"
check "  example.com's zone lines" grep -q "^example.com. 3600 IN MX 10 mail.example.com.\$" \
    "$T_TMP/export/example.com.missing.zone"
check "  example.net's DKIM record" grep -q "^$sel._domainkey.example.net. 3600 IN TXT" \
    "$T_TMP/export/example.net.missing.zone"
check "  the mail host's AAAA, the edited address" grep -q '^mail.example.com. 3600 IN AAAA 2001:db8::25$' \
    "$T_TMP/export/example.com.missing.zone"
# Published: the exported lines into the zones (the PTRs, which are
# comments, into reverse zones of their own, as the provider would).
cat "$T_TMP/export/example.com.missing.zone" >>"$zones/example.com.zone"
{ soa example.net; cat "$T_TMP/export/example.net.missing.zone"; } >"$T_TMP/net.zone"
mv "$T_TMP/net.zone" "$zones/example.net.zone"
for z in 113.0.203.in-addr.arpa 8.b.d.0.1.0.0.2.ip6.arpa; do
	{ soa $z; grep -h "^; [^ ]*\\.$z\\. 3600 IN PTR " "$T_TMP/export/example.com.missing.zone" |
	    sed 's/^; //'; } >"$T_TMP/rev.zone"
	mv "$T_TMP/rev.zone" "$zones/$z.zone"
done
check "the watch turns every row ok within its interval" wait_for '13 of 13 records shown' 60
check "  the DKIM record ok, with its TTL" wait_for "example\\.com DKIM $sel +ok, TTL 3600 s"
check "  the PTR of the edited address" wait_for 'PTR 2001:db8::25 +ok, TTL 3600 s'
check "  no row missing" gone ' missing( \(neg|$)'
capture 5-dns-shown
$TM send-keys -t c G Enter
check "Enter: the record's value and what the DNS says" wait_for 'publish: _dmarc\.example\.net\. 3600 IN TXT "v=DMARC1; p=quarantine"'
$TM send-keys -t c q
check "setup.state: on dns, configs done" sh -c "
    grep -qx 'step dns' '$state' && grep -q '^done configs ' '$state' &&
    ! grep -q '^done dns ' '$state'"

# Quit at the DNS step; the next start resumes there.
$TM send-keys -t c q
check "q: the dashboard" wait_for 'c configs  w setup'
$TM send-keys -t c q
check "  q quits with 0" wait_for '^EXITED 0'
start
check "started again: the dashboard (signing is configured now)" wait_for 'c configs  w setup'
$TM send-keys -t c q
wait_for '^EXITED 0' >/dev/null
start setup --watch-interval 1
check "notspam setup: resumes at the DNS step" wait_for 'Step 5 of 6: DNS'
check "  the records shown" wait_for '13 of 13 records shown' 60
check "  the step list: 1-4 done, 5 current, 6 blocked" sh -c "
    [ \$($TM capture-pane -p -t c | grep -c '^    done ') -eq 4 ] &&
    $TM capture-pane -p -t c | grep -q 'current' &&
    $TM capture-pane -p -t c | grep -q 'blocked: 5 first'"
capture 5-dns-resumed

# Revisit the keys: kept, none made.
$TM send-keys -t c 3
check "3: the keys step again" wait_for 'Step 3 of 6: Keys'
check "  the keys kept, in use by the signer now" wait_for "example\\.net +$sel +rsa 2048 +in use by the signer"
check "  the step says done" wait_for 'current \(done\)'
capture 3-keys-revisited
$TM send-keys -t c g
check "  g: nothing to make" wait_for 'every key is there'
check "  the same key files, no other" [ "$(sha256sum "$root"/etc/dkimkeys/*)" = "$sums" ]
check "  setup.state: the same two keys" [ "$(grep -c '^key ' "$state")" -eq 2 ]
$TM send-keys -t c n
check "  n: configs, in sync" wait_for 'in sync: the configuration is what the'
$TM send-keys -t c n
check "  n: the DNS again" wait_for 'Step 5 of 6: DNS'
$TM send-keys -t c n
check "n: step 6, the test" wait_for 'Step 6 of 6: Test'
check "  setup.state: dns done" grep -q '^done dns ' "$state"
check "  no address yet" wait_for 'To +\(none: a gives it\)'
$TM send-keys -t c n
check "  n before a test: refused" wait_for 'send a test first: a gives the address'
# The test message, to an SMTP sink standing in for the receiver (the
# server route; the local MTA is the default).
$TM send-keys -t c a
check "a asks the address" wait_for 'send the test to:'
$TM send-keys -t c -l "test-setup42@srv1.mail-tester.com"
$TM send-keys -t c Enter
check "  the address" wait_for 'To +test-setup42@srv1\.mail-tester\.com'
check "  the local MTA by default" wait_for 'Route +the local MTA, port 25'
$TM send-keys -t c s
$TM send-keys -t c -l "127.0.0.1:$sport"
$TM send-keys -t c Enter
check "s: the sink's address as the server" wait_for "Route +the server 127\\.0\\.0\\.1:$sport"
capture 6-test
$TM send-keys -t c Enter
check "Enter sends it: accepted" wait_for 'Verdict +accepted' 100
check "  mail-tester's result page" wait_for 'the result: https://www\.mail-tester\.com/test-setup42'
check "  the transcript's end: the sink's 250, QUIT" wait_for 'S: 250 2\.0\.0 queued as 1'
check "  the sink has it" sh -c "sleep 0.3; grep -qi '^To:.*test-setup42@srv1.mail-tester.com' '$T_TMP/sink/1.eml'"
check "  the history has it" grep -q 'test-setup42@srv1\.mail-tester\.com' "$root/var/lib/notspam/tests.jsonl"
capture 6-test-sent
$TM send-keys -t c n
check "n: the setup is done" wait_for 'the setup is done'
check "  every step done" sh -c "[ \$($TM capture-pane -p -t c | grep -c '^    done \|current (done)') -eq 6 ]"
check "  setup.state: the test, and test done" sh -c "
    grep -qx 'test test-setup42@srv1.mail-tester.com server' '$state' &&
    grep -q '^done test ' '$state'"
capture 6-done
$TM send-keys -t c 1
check "1: back at the start, done" wait_for 'Step 1 of 6: What runs here'
$TM send-keys -t c Escape q
check "q quits with 0" wait_for '^EXITED 0'
check "  the MTA's files as apply wrote them (not touched since)" \
    grep -qx 'smtpd_milters = inet:127.0.0.1:8891' "$root/etc/postfix/main.cf"
check "nothing on stderr" [ ! -s "$T_TMP/stderr" ]
sanitizer_check "$T_TMP/stderr" "the console"
exit 0
