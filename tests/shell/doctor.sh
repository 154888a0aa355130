#!/bin/sh
# doctor under --root: the causes the configuration alone shows
# (milter endpoint, family, chroot, milter_default_action = accept,
# non_smtpd_milters empty, milter_protocol, insecure keys), each with its
# evidence lines; --json; --fix through apply's plan and transaction, then
# the doctor again; exit statuses as check's.  Probes and logs have their
# own suites.  Every run is on a temporary copy.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

# copy NAME FROM: a copy of directory FROM in $T_TMP/NAME.
# No DNS in these runs but the zone-file ones: a closed port answers at
# once (the keys' records are then unknown: a note, not a finding).
DEAD=127.0.0.1:9

copy() {
	rm -rf "${T_TMP:?}/$1"
	cp -a "$2" "$T_TMP/$1"
	echo "$T_TMP/$1"
}

# --- the demo: the seed's case -------------------------------------------------
d=$(copy demo share/demo)
run --root "$d" --resolver "$DEAD" doctor
cp "$T_TMP/out" "$T_TMP/demo.txt"
check "demo: exit 2, failures (got $RC)" [ "$RC" -eq 2 ]
check "  the IPv4/IPv6 mismatch of smtpd, named" has "$T_TMP/demo.txt" \
    '^FAIL  milter-family: postfix smtpd dials inet:\[::1\]:12345: opendkim listens on 127\.0\.0\.1:12345 \(IPv4 only\)$'
check "  with both lines as evidence" sh -c "
    grep -q '^  seen     /etc/postfix/main.cf:58: smtpd_milters = inet:\[::1\]:12345\$' '$T_TMP/demo.txt' &&
    grep -q '^  seen     /etc/opendkim.conf:38: Socket inet:12345@localhost\$' '$T_TMP/demo.txt'"
check "  and cleanup's, through \$smtpd_milters" has "$T_TMP/demo.txt" \
    '^  seen     /etc/postfix/main\.cf:59: non_smtpd_milters = \$smtpd_milters$'
check "  milter_default_action = accept hides it: a failure" has \
    "$T_TMP/demo.txt" '^FAIL  milter-accept: milter_default_action = accept while a milter hop is broken'
check "  each says apply fixes it" [ "$(grep -c '^  apply    notspam doctor --fix milter-' "$T_TMP/demo.txt")" -eq 3 ]
check "  the why of the family mismatch" has "$T_TMP/demo.txt" \
    "^  why      libmilter's inet:PORT@localhost binds 127\.0\.0\.1 only"
check "  under --root nothing is probed, said" has "$T_TMP/demo.txt" \
    '^note +--root: the configuration and logs are read; nothing is probed'
check "  the summary line" has "$T_TMP/demo.txt" '^doctor: 3 failures, 0 warnings$'

run --root "$d" --resolver "$DEAD" --json doctor
check "--json: exit 2 (got $RC)" [ "$RC" -eq 2 ]
check "  the findings: ids, severities, file and line, apply_fixes" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
got = [(f["id"], f["severity"], f["file"], f["line"], f["apply_fixes"]) for f in d["findings"]]
want = [("milter-family", "FAIL", "/etc/postfix/main.cf", 58, True),
        ("milter-family", "FAIL", "/etc/postfix/main.cf", 59, True),
        ("milter-accept", "FAIL", "/etc/postfix/main.cf", 56, True)]
assert got == want, got
assert all(f["evidence"] and f["explanation"] and f["fix"] for f in d["findings"])
assert any("--root" in n for n in d["notes"])
' "$T_TMP/out"
check "  a hop's finding: the signer's side in also, the files apply writes" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = d["findings"][0]
assert f["also"] == ["/etc/opendkim.conf:38"], f["also"]
assert f["apply_files"] == ["/etc/postfix/main.cf"] and f["apply_commands"] == [], f
assert d["findings"][2]["also"] == [], d["findings"][2]
' "$T_TMP/out"

# --- the log (var/log/mail.log under the root) ------------------------------------
# Lines recorded from real Postfix (tests/fixtures/logs/real-postfix.log),
# dated now so they fall inside the doctor's 24-hour window.
now=$(date '+%b %d %H:%M:%S')
mkdir -p "$d/var/log"
{ grep -m1 'IPv6 sending' tests/fixtures/logs/real-postfix.log
  grep -m1 'connect to Milter service inet:\[::1\]' tests/fixtures/logs/real-postfix.log
  grep -m1 'connect to Milter service inet:\[::1\]' tests/fixtures/logs/real-postfix.log
} | sed "s/^Dec 01 [0-9:]*/$now/" >"$d/var/log/mail.log"
run --root "$d" --resolver "$DEAD" doctor
cp "$T_TMP/out" "$T_TMP/logs.txt"
check "log: the refused connect joins the smtpd hop's finding" has "$T_TMP/logs.txt" \
    '^  seen     log [0-9-]+ [0-9:]+ postfix/smtpd milter-refused inet:\[::1\]:12345 \(x2 since [0-9:]+\): .*connect to Milter service inet:\[::1\]:12345: Connection refused$'
check "  accept: the log says how many left unsigned" has "$T_TMP/logs.txt" \
    '^  seen     the log: 2 messages left unsigned after this \(inet:\[::1\]:12345\)$'
check "  Gmail's IPv6 bounce: a finding with the sending address" has "$T_TMP/logs.txt" \
    '^FAIL  remote-gmail-ipv6: .*from 2001:db8::25, to example\.net \(1 time\)$'
check "  and what Gmail wants" has "$T_TMP/logs.txt" \
    '^  fix      give the sending IPv6 address a PTR record'
check "  4 failures" has "$T_TMP/logs.txt" '^doctor: 4 failures, 0 warnings$'
run --root "$d" --resolver "$DEAD" --json doctor
check "  --json: the remote finding's id and its log evidence" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = [f for f in d["findings"] if f["id"] == "remote-gmail-ipv6"]
assert len(r) == 1 and r[0]["evidence"][0].startswith("log "), r
' "$T_TMP/out"
printf '\033]0;evil\007 postfix/smtpd[1]: warning: connect to Milter service inet:[::1]:12345\033[2J: Connection refused\n' |
    sed "s/^/$now mail/" >>"$d/var/log/mail.log"
run --root "$d" --resolver "$DEAD" doctor
check "  a hostile log line: no control byte reaches the terminal" sh -c "! LC_ALL=C tr -d '\n\t' <'$T_TMP/out' | LC_ALL=C grep -q '[[:cntrl:]]'"
rm -r "$d/var/log"

# --- the keys against the DNS (zone files standing in for it) ----------------------
cp -a share/demo-zones "$T_TMP/zones"
sed -i '/^mail\._domainkey\.example\.org\./d' "$T_TMP/zones/example.org.zone"
run --root "$d" --zones share/demo-zones doctor
check "the DNS publishes every key: no key-dns-mismatch" sh -c "! grep -q key-dns-mismatch '$T_TMP/out'"
run --root "$d" --zones "$T_TMP/zones" doctor
check "mail._domainkey.example.org missing from the DNS: key-dns-mismatch" has "$T_TMP/out" \
    '^FAIL  key-dns-mismatch: mail\._domainkey\.example\.org: the DNS does not publish the key opendkim signs with$'
check "  what the DNS said, and where the key is configured" sh -c "
    grep -q '^  seen     the DNS: NXDOMAIN' '$T_TMP/out' &&
    grep -q '^  seen     configured at /etc/opendkim/key.table:2 (key /etc/dkimkeys/mail.private)' '$T_TMP/out'"
check "  the Ed25519 key beside it is published: not named" sh -c "! grep -q 'ed202611._domainkey.example.org: the DNS' '$T_TMP/out'"

# --- --fix --------------------------------------------------------------------------
cp "$d/etc/postfix/main.cf" "$T_TMP/main.before"
run --root "$d" --resolver "$DEAD" doctor --fix milter-family --dry-run
check "--fix milter-family --dry-run: 1, a change pending (got $RC)" [ "$RC" -eq 1 ]
check "  the diff: smtpd_milters dials 127.0.0.1" has "$T_TMP/out" \
    '^[+]smtpd_milters = inet:127\.0\.0\.1:12345$'
check "  only main.cf" sh -c "[ \$(grep -c '^== ' '$T_TMP/out') -eq 1 ] && grep -q '^== /etc/postfix/main.cf ' '$T_TMP/out'"
check "  nothing written" cmp -s "$T_TMP/main.before" "$d/etc/postfix/main.cf"
run --root "$d" --resolver "$DEAD" doctor --fix milter-family
check "--fix with no terminal and no --yes: 64 (got $RC)" [ "$RC" -eq 64 ]
check "  nothing written" cmp -s "$T_TMP/main.before" "$d/etc/postfix/main.cf"
run --root "$d" --resolver "$DEAD" doctor --fix nosuch --yes
check "--fix of a finding that is not there: 2 (got $RC)" [ "$RC" -eq 2 ]
check "  says so" has "$T_TMP/err" 'doctor --fix nosuch: no such finding here'
run --root "$d" --resolver "$DEAD" doctor --fix milter-family --yes
check "--fix milter-family --yes: 0, fixed (got $RC)" [ "$RC" -eq 0 ]
check "  through the transaction (a backup)" has "$T_TMP/out" '^applied: 1 file written; `notspam restore '
check "  both hops said fixed" [ "$(grep -c '^fixed    milter-family: ' "$T_TMP/out")" -eq 2 ]
check "  the accept line went with the same file's edits, said" has "$T_TMP/out" \
    '^also     milter-accept: .*\(an edit of the same file fixed it\)$'
check "  main.cf dials where opendkim listens" grep -qx 'smtpd_milters = inet:127.0.0.1:12345' "$d/etc/postfix/main.cf"
run --root "$d" --resolver "$DEAD" doctor
check "the doctor afterwards: 0, no finding (got $RC)" sh -c "[ $RC -eq 0 ] && grep -q '^doctor: no finding' '$T_TMP/out'"
run --root "$d" restore
check "restore: the seed's main.cf again" cmp -s "$T_TMP/main.before" "$d/etc/postfix/main.cf"

# --- each cause on its own ---------------------------------------------------------
s=$(copy chroot tests/fixtures/sites/corpus-chroot)
run --root "$s" --resolver "$DEAD" doctor
check "chroot: milter-chroot, 2 (got $RC)" sh -c "[ $RC -eq 2 ] && grep -q '^FAIL  milter-chroot: postfix smtpd dials unix:/run/opendkim/opendkim.sock' '$T_TMP/out'"
check "  the socket the chrooted smtpd opens, and why" has "$T_TMP/out" \
    '^  seen     the socket it opens: /var/spool/postfix/run/opendkim/opendkim\.sock \(smtp/inet runs chrooted in /var/spool/postfix, /etc/postfix/master\.cf:14 column 5\)$'
run --root "$s" --resolver "$DEAD" --json doctor
check "  --json: its fix spans both files: also and apply_files name both" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = [f for f in d["findings"] if f["id"] == "milter-chroot"][0]
assert f["file"] == "/etc/postfix/main.cf" and f["also"] == ["/etc/opendkim.conf:39"], f
assert f["apply_fixes"] and f["apply_files"] == ["/etc/postfix/main.cf", "/etc/opendkim.conf"], f
' "$T_TMP/out"

s=$(copy port tests/fixtures/sites/corpus-port-mismatch)
run --root "$s" --resolver "$DEAD" doctor
check "port mismatch: milter-endpoint, 2 (got $RC)" sh -c "[ $RC -eq 2 ] && grep -q '^FAIL  milter-endpoint: postfix smtpd dials inet:localhost:8892: opendkim listens on 127.0.0.1:8891 instead' '$T_TMP/out'"
check "  with the line opendkim listens on" has "$T_TMP/out" \
    '^  seen     /etc/opendkim\.conf:15: Socket inet:8891@localhost$'

s=$(copy linode tests/fixtures/sites/corpus-linode)
run --root "$s" --resolver "$DEAD" doctor
check "linode: accept with a working hop is a warning, 1 (got $RC)" sh -c "[ $RC -eq 1 ] && grep -q '^WARN  milter-accept: milter_default_action = accept: a signer failure would send mail unsigned' '$T_TMP/out'"

s=$(copy local share/demo)
sed -i 's/^smtpd_milters = .*/smtpd_milters = inet:localhost:12345/; /^non_smtpd_milters/d' "$s/etc/postfix/main.cf"
sed -i 's/^milter_default_action = accept/milter_default_action = tempfail/; s/^milter_protocol = 6/milter_protocol = 2/' "$s/etc/postfix/main.cf"
run --root "$s" --resolver "$DEAD" doctor
check "non_smtpd_milters unset: milter-local, a warning (got $RC)" sh -c "[ $RC -eq 1 ] && grep -q '^WARN  milter-local: non_smtpd_milters is empty: mail from sendmail, cron and web apps leaves unsigned' '$T_TMP/out'"
check "  the fix names \$smtpd_milters" has "$T_TMP/out" '^  fix      non_smtpd_milters = \$smtpd_milters$'
check "milter_protocol = 2: milter-protocol, a warning" has "$T_TMP/out" '^WARN  milter-protocol: milter_protocol = 2: OpenDKIM needs 6$'
check "  no failure: the hop itself works" sh -c "! grep -q '^FAIL' '$T_TMP/out'"

s=$(copy keys tests/fixtures/sites/opendkim-debian-default)
chmod 644 "$s"/etc/dkimkeys/*.private
run --root "$s" --resolver "$DEAD" doctor
check "a key others can read: key-insecure, 2 (got $RC)" sh -c "[ $RC -eq 2 ] && grep -q '^FAIL  key-insecure: a._domainkey.example.org: the key /etc/dkimkeys/a.private is not safe' '$T_TMP/out'"
check "  the fix is the chmod" has "$T_TMP/out" '^  fix      chmod 0600 /etc/dkimkeys/a\.private$'
check "  no restart command for OpenDKIM here: not offered" sh -c "! grep -q '^  apply    notspam doctor --fix key-insecure' '$T_TMP/out'"
mkdir -p "$s/etc/init.d" && : >"$s/etc/init.d/opendkim"
run --root "$s" --resolver "$DEAD" doctor
check "  with its init script: apply fixes it, said" has "$T_TMP/out" '^  apply    notspam doctor --fix key-insecure$'
run --root "$s" --resolver "$DEAD" --json doctor
check "  --json: the commands it runs" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = [f for f in d["findings"] if f["id"] == "key-insecure"][0]
assert f["apply_fixes"] and f["apply_files"] == [], f
assert f["apply_commands"] == ["chown opendkim:opendkim /etc/dkimkeys/a.private",
    "chmod 0600 /etc/dkimkeys/a.private", "/etc/init.d/opendkim restart"], f
' "$T_TMP/out"
run --root "$s" --resolver "$DEAD" doctor --fix key-insecure --dry-run
check "--fix key-insecure --dry-run: 1, commands pending (got $RC)" [ "$RC" -eq 1 ]
check "  the steps: chown and chmod of each key" sh -c "
    grep -q '^step     chown opendkim:opendkim /etc/dkimkeys/a.private: the key is read by opendkim' '$T_TMP/out' &&
    grep -q '^step     chmod 0600 /etc/dkimkeys/a.private: ' '$T_TMP/out' &&
    grep -q '^step     chmod 0600 /etc/dkimkeys/b.private: ' '$T_TMP/out'"
check "  then OpenDKIM's restart" has "$T_TMP/out" '^then     /etc/init\.d/opendkim restart$'
check "  no file to change, said" has "$T_TMP/out" '^5 commands to run, no file to change; notspam doctor --fix key-insecure --yes runs them$'
check "  nothing changed" [ "$(stat -c %a "$s/etc/dkimkeys/a.private")" = 644 ]
run --root "$s" --resolver "$DEAD" doctor --fix key-insecure --yes
check "--fix key-insecure --yes under --root: nothing outside it runs, said" sh -c "
    grep -q '^note     --root: nothing outside the root is touched' '$T_TMP/out' &&
    grep -q '^applied: no file changed, 0 commands ran' '$T_TMP/out' &&
    grep -q '^still    key-insecure: a._domainkey.example.org' '$T_TMP/out'"
check "  exit 2: still failing (got $RC)" [ "$RC" -eq 2 ]
check "  the key as it was" [ "$(stat -c %a "$s/etc/dkimkeys/a.private")" = 644 ]
chmod 600 "$s"/etc/dkimkeys/*.private
run --root "$s" --resolver "$DEAD" doctor
check "  after chmod 0600: gone" sh -c "! grep -q key-insecure '$T_TMP/out'"

s=$(copy iredmail tests/fixtures/sites/corpus-iredmail)
run --root "$s" --resolver "$DEAD" doctor
check "iredmail (amavisd signs): no finding, 0, and the note says why (got $RC)" sh -c "[ $RC -eq 0 ] && grep -q '^note .*content filter .*amavisd' '$T_TMP/out'"

s=$(copy hostile tests/fixtures/sites/hostile)
run --root "$s" --resolver "$DEAD" doctor
check "hostile configs: no control byte reaches the terminal" sh -c "! LC_ALL=C tr -d '\n\t' <'$T_TMP/out' | LC_ALL=C grep -q '[[:cntrl:]]'"

run --root "$d" --resolver "$DEAD" doctor --bogus
check "an unknown option: 64 (got $RC)" [ "$RC" -eq 64 ]
run --root "$d" --resolver "$DEAD" doctor --yes
check "--yes without --fix: 64 (got $RC)" [ "$RC" -eq 64 ]
exit 0
