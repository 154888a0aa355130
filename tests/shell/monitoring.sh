#!/bin/sh
# notspam check --nagios and --prometheus FILE, offline (--zones, or a
# resolver on 127.0.0.1:9 that is not there), on copies of the demo:
# each state's exit status and status word; the plugin output read by a
# parser written to the Monitoring Plugins guidelines
# (tests/stack/nagios_parse.py: first line, perfdata grammar, thresholds,
# long output); the textfile read by python3-prometheus-client's text
# parser (and promtool where it is installed); hostile DNS and
# configuration text in both; the textfile replaced atomically, and
# clear errors for a missing, read-only or full directory.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

NP=tests/stack/nagios_parse.py

# nag FILE RC: the plugin output in FILE parsed (JSON in FILE.json);
# fails when it is not as the guidelines say or its state is not RC's.
nag() {
	"$PY" "$NP" "$1" --exit "$2" --service NOTSPAM >"$1.json" 2>"$1.why"
	_r=$?
	[ "$_r" -eq 0 ] || sed 's/^/# /' "$1.why"
	return "$_r"
}
# nj FILE EXPR: EXPR on the parsed plugin output of FILE.
nj() { jget "$1.json" "$2"; }
# perf FILE LABEL: a perfdata value as an integer.
perf() { nj "$1" "int([p['value'] for p in d['perfdata'] if p['label'] == '$2'][0])"; }

# The textfile reader: prom.py FILE [QUERY]: parse with the client library
# (every family typed, documented, its samples without timestamps), then
# print a JSON digest {name: {type, help, samples: [[labels, value]]}}.
cat >"$T_TMP/prom.py" <<'PYEOF'
import json, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1], encoding="utf-8").read()
assert text.endswith("\n"), "no final newline"
out = {}
for fam in text_string_to_metric_families(text):
    assert fam.name not in out, "family %s twice" % fam.name
    assert fam.type == "gauge", "%s is %s" % (fam.name, fam.type)
    assert fam.documentation, "%s has no HELP" % fam.name
    seen = set()
    for s in fam.samples:
        assert s.timestamp is None, "a timestamp on %s" % s.name
        key = tuple(sorted(s.labels.items()))
        assert key not in seen, "%s twice: %s" % (s.name, key)
        seen.add(key)
    out[fam.name] = {"type": fam.type, "help": fam.documentation,
                     "samples": [[s.labels, s.value] for s in fam.samples]}
print(json.dumps(out))
PYEOF
HAVE_PROM=0
"$PY" -c 'import prometheus_client.parser' 2>/dev/null && HAVE_PROM=1
# prom FILE: parse FILE into its digest (beside the other temporary
# files, not in FILE's directory); fails with why.
prom() {
	"$PY" "$T_TMP/prom.py" "$1" >"$T_TMP/$(basename "$1").json" \
	    2>"$T_TMP/prom.why"
	_r=$?
	[ "$_r" -eq 0 ] || tail -n 3 "$T_TMP/prom.why" | sed 's/^/# /'
	return "$_r"
}
# pj FILE EXPR: EXPR on the digest of FILE (d).
pj() { jget "$T_TMP/$(basename "$1").json" "$2"; }
# pcheck DESC FILE EXPR: with the client library, a check that EXPR (on
# the digest) is True; skipped without it.
pcheck() {
	if [ "$HAVE_PROM" -eq 1 ]; then
		check "$1" [ "$(pj "$2" "$3")" = True ]
	else
		skip "$1" "python3-prometheus-client is not installed"
	fi
}

# ---- the roots and zones ------------------------------------------------
root=$(sandbox demo)
check "demo-zones.sh makes the demo's zones" \
    sh share/demo-zones.sh "$NOTSPAM" share/demo "$T_TMP/demo-zones"
run --root "$root" --json records
cp "$T_TMP/out" "$T_TMP/records.json"
"$PY" tests/stack/zones.py "$T_TMP/records.json" "$T_TMP/good" >/dev/null
check "zones.py makes zones with every record right" \
    test -s "$T_TMP/good/example.org.zone"
# Hostile text in answers: an SPF record and a DMARC record holding '|',
# double quotes, backslashes, a line break and an escape sequence.
spf=$(printf 'v=spf1 ip4:192.0.2.25 | "q" \\b\nx\033[31m -all')
dmarc=$(printf 'v=DMARC1; p=none; rua=mailto:a|b@"x"\\\n.org')
"$PY" tests/stack/zones.py "$T_TMP/records.json" "$T_TMP/hzones" \
    --set "spf@example.org=$spf" --set "dmarc@example.org=$dmarc" >/dev/null
# And in the configuration: a milter address with a quote, a backslash and
# a '|' (the signing path's labels and the configuration warnings).
hroot=$(sandbox hostile)
sed -i 's/^smtpd_milters = .*/smtpd_milters = unix:\/run\/op"en\\dk|im.sock/' \
    "$hroot/etc/postfix/main.cf"
check "the hostile root's main.cf has the milter address" \
    grep -q '^smtpd_milters = unix:/run/op"en\\dk|im\.sock$' \
    "$hroot/etc/postfix/main.cf"

Z="--zones $T_TMP/good"
DZ="--zones $T_TMP/demo-zones"

# ---- --nagios: each state --------------------------------------------
# shellcheck disable=SC2086
run --root "$root" $Z check --nagios example.org
cp "$T_TMP/out" "$T_TMP/ok.txt"
check "nagios OK: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "nagios OK: the output is as the guidelines say" nag "$T_TMP/ok.txt" "$RC"
check "nagios OK: status word OK" [ "$(nj "$T_TMP/ok.txt" "d['state']")" = OK ]
check "nagios OK: the summary counts the checks of 1 domain" \
    has "$T_TMP/ok.txt" '^NOTSPAM OK - [0-9]+ checks ok for 1 domain \| '
check "nagios OK: perfdata warn=0 fail=0 unknown=0" \
    [ "$(perf "$T_TMP/ok.txt" warn)$(perf "$T_TMP/ok.txt" fail)$(perf "$T_TMP/ok.txt" unknown)" = 000 ]
check "nagios: nothing on stderr (the monitoring system reads stdout only)" \
    [ ! -s "$T_TMP/err" ]

# shellcheck disable=SC2086
run --root "$root" $Z check --nagios example.net
cp "$T_TMP/out" "$T_TMP/warn.txt"
check "nagios WARNING: exit 1 (got $RC)" [ "$RC" -eq 1 ]
check "nagios WARNING: the output is as the guidelines say" nag "$T_TMP/warn.txt" "$RC"
check "nagios WARNING: status word WARNING" \
    [ "$(nj "$T_TMP/warn.txt" "d['state']")" = WARNING ]
check "nagios WARNING: the long output names the short key" \
    [ "$(nj "$T_TMP/warn.txt" "d['long'][0]")" = \
    "WARN example.net dkim:202611: an RSA key of 1024 bits: 2048 is the norm now; the key matches /etc/dkimkeys/example-net.private (rsa, 1024 bits)" ]
check "nagios WARNING: perfdata warn=1 with the warning range 0" \
    [ "$(nj "$T_TMP/warn.txt" "[(p['value'], p['warn']) for p in d['perfdata'] if p['label'] == 'warn'][0]")" = "(1.0, '0')" ]

# The demo's counts, from check --json of the same zones (other checks may
# join the demo; the figures follow).
# shellcheck disable=SC2086
run --root "$root" $DZ --json check
cp "$T_TMP/out" "$T_TMP/crit.json"
sum() { jget "$T_TMP/crit.json" "d['summary']['$1']"; }
TOTAL=$(jget "$T_TMP/crit.json" "sum(d['summary'].values())")
# shellcheck disable=SC2086
run --root "$root" $DZ check --nagios
cp "$T_TMP/out" "$T_TMP/crit.txt"
check "nagios CRITICAL: exit 2 (got $RC)" [ "$RC" -eq 2 ]
check "nagios CRITICAL: the output is as the guidelines say" nag "$T_TMP/crit.txt" "$RC"
check "nagios CRITICAL: status word CRITICAL, the counts in words" \
    has "$T_TMP/crit.txt" "^NOTSPAM CRITICAL - $(sum fail) fail, $(sum warn) warn in $TOTAL checks of 4 domains; worst: "
check "nagios CRITICAL: the worst named is the first finding" \
    [ "$(nj "$T_TMP/crit.txt" "d['text'].split('worst: ')[1]")" = \
    "$(nj "$T_TMP/crit.txt" "' '.join(d['long'][0].split(' ')[1:3]).rstrip(':')")" ]
check "nagios CRITICAL: the long output, failures first, then unknowns, then warnings" \
    [ "$(nj "$T_TMP/crit.txt" "(lambda w: w == sorted(w, key=['FAIL', 'UNKNOWN', 'WARN'].index) and len(w) == $(sum fail) + $(sum warn) + $(sum unknown))([l.split(' ')[0] for l in d['long'] if l.split(' ')[0] in ('FAIL', 'WARN', 'UNKNOWN')])")" = True ]
check "nagios CRITICAL: the demo's failures and warnings among them" \
    sh -c 'grep -q "^FAIL mail\.example\.org ptr:2001:db8::25: no PTR record" "$1" &&
    grep -q "^FAIL lists\.example\.com dmarc: reports to dmarc-reports@example\.org are not authorized" "$1" &&
    grep -q "^WARN example\.net spf: uses the ptr mechanism" "$1" &&
    grep -q "^WARN example\.net dkim:202611: an RSA key of 1024 bits" "$1"' sh "$T_TMP/crit.txt"
check "nagios CRITICAL: the configuration warnings follow (the milter mismatch)" \
    has "$T_TMP/crit.txt" '^config: /etc/postfix/main\.cf:58: postfix smtpd dials inet:\[::1\]:12345, but opendkim listens'
check "nagios: no second perfdata part (no '|' in the long output)" \
    [ "$(nj "$T_TMP/crit.txt" "d['perfdata2']")" = "[]" ]
check "nagios perfdata ok/warn/fail/unknown = check --json's summary" \
    [ "$(perf "$T_TMP/crit.txt" ok) $(perf "$T_TMP/crit.txt" warn) $(perf "$T_TMP/crit.txt" fail) $(perf "$T_TMP/crit.txt" unknown)" = \
    "$(sum ok) $(sum warn) $(sum fail) $(sum unknown)" ]
check "nagios: perfdata max is the number of checks ($TOTAL)" \
    [ "$(nj "$T_TMP/crit.txt" "[int(p['max']) for p in d['perfdata'] if p['label'] == 'fail'][0]")" = "$TOTAL" ]
check "nagios: time in seconds (UOM s, min 0)" \
    [ "$(nj "$T_TMP/crit.txt" "[(p['uom'], p['min']) for p in d['perfdata'] if p['label'] == 'time'][0]")" = "('s', 0.0)" ]

run --root "$root" --resolver 127.0.0.1:9 check --nagios
cp "$T_TMP/out" "$T_TMP/unk.txt"
check "nagios UNKNOWN (resolver unreachable): exit 3, not 75 (got $RC)" [ "$RC" -eq 3 ]
check "nagios UNKNOWN: the output is as the guidelines say" nag "$T_TMP/unk.txt" "$RC"
# With a resolver, the blocklists are asked too (zone-file mode asks only
# the lists the zone files hold): this run's own total, from its perfdata.
UTOTAL=$(nj "$T_TMP/unk.txt" "[int(p['max']) for p in d['perfdata'] if p['label'] == 'unknown'][0]")
check "nagios UNKNOWN: the status line names the resolver, counts the unknown" \
    has "$T_TMP/unk.txt" "^NOTSPAM UNKNOWN - the resolver 127\\.0\\.0\\.1:9 did not answer: $(perf "$T_TMP/unk.txt" unknown) of $UTOTAL checks unknown \\| "
check "nagios UNKNOWN: one line for the unknown checks, not one each" \
    sh -c '! grep -q "^UNKNOWN " "$1"' sh "$T_TMP/unk.txt"
run --root "$root" --resolver 127.0.0.1:9 check
check "plain check, the same resolver: exit 75 (got $RC)" [ "$RC" -eq 75 ]

run --root "$root" --config "$T_TMP/nonexistent.conf" check --nagios
cp "$T_TMP/out" "$T_TMP/noconf.txt"
check "nagios UNKNOWN (unreadable configuration): exit 3 (got $RC)" [ "$RC" -eq 3 ]
check "nagios UNKNOWN (unreadable configuration): as the guidelines say" \
    nag "$T_TMP/noconf.txt" "$RC"
check "nagios UNKNOWN: one line, saying which file" \
    sh -c '[ "$(wc -l <"$1")" -eq 1 ] &&
    grep -q "^NOTSPAM UNKNOWN - .*nonexistent\.conf" "$1"' sh "$T_TMP/noconf.txt"
run --root "$root" --config "$T_TMP/nonexistent.conf" check
check "plain check, the same configuration: exit 66 (got $RC)" [ "$RC" -eq 66 ]
# shellcheck disable=SC2086
run --root "$root" $Z check --nagios --bogus
check "nagios UNKNOWN (unknown option): exit 3, the option named (got $RC)" \
    sh -c '[ "$1" -eq 3 ] && grep -q "^NOTSPAM UNKNOWN - check: unknown option --bogus; usage: " "$2"' \
    sh "$RC" "$T_TMP/out"
# shellcheck disable=SC2086
run --root "$root" $Z --json check --nagios
check "nagios with --json: UNKNOWN, exit 3 (got $RC)" \
    sh -c '[ "$1" -eq 3 ] && grep -q "^NOTSPAM UNKNOWN - --nagios prints" "$2"' sh "$RC" "$T_TMP/out"
# shellcheck disable=SC2086
run --root "$root" $Z check --nagios nosuch.example
check "nagios, a domain not hosted here: UNKNOWN, exit 3 (got $RC)" \
    sh -c '[ "$1" -eq 3 ] && grep -q "^NOTSPAM UNKNOWN - " "$2"' sh "$RC" "$T_TMP/out"

# ---- --nagios: hostile text --------------------------------------------
run --root "$hroot" --zones "$T_TMP/hzones" check --nagios
cp "$T_TMP/out" "$T_TMP/hostile.txt"
check "nagios, hostile answers and configuration: still as the guidelines say" \
    nag "$T_TMP/hostile.txt" "$RC"
check "nagios, hostile: one '|' in the whole output, the status line's" \
    [ "$(tr -cd '|' <"$T_TMP/hostile.txt" | wc -c)" -eq 1 ]
check "nagios, hostile: no control byte (ESC, a line break inside a line)" \
    sh -c '! LC_ALL=C grep -q "[[:cntrl:]]" "$1"' sh "$T_TMP/hostile.txt"
check "nagios, hostile: every long line is a finding or a warning (no line injected)" \
    sh -c '! sed 1d "$1" | grep -Ev "^(FAIL|WARN|UNKNOWN|config:|no query|and [0-9]+ more)" | grep -q .' \
    sh "$T_TMP/hostile.txt"
check "nagios, hostile: the DMARC text shown escaped (the pipe as x7c, the quote, backslashes, the line break)" \
    has "$T_TMP/hostile.txt" '^FAIL example\.org dmarc: .*mailto:a\\x7cb@"x"\\\\\\n\.org'
check "nagios, hostile: the milter address's '|' escaped in the warning" \
    has "$T_TMP/hostile.txt" '^config: .*unix:/run/op"en\\dk\\x7cim\.sock'

# ---- --prometheus FILE -------------------------------------------------
mkdir -p "$T_TMP/tf"
PF=$T_TMP/tf/notspam.prom
t0=$(date +%s)
# shellcheck disable=SC2086
run --root "$root" $DZ check --prometheus "$PF"
t1=$(date +%s)
check "prometheus: exit as plain check, 2 (got $RC)" [ "$RC" -eq 2 ]
check "prometheus: stdout still the check's table" has "$T_TMP/out" '^resolver zones:'
check "prometheus: the file is written, mode 644 (node_exporter reads it)" \
    [ "$(stat -c %a "$PF" 2>/dev/null)" = 644 ]
if [ "$HAVE_PROM" -eq 1 ]; then
	check "prometheus: python3-prometheus-client parses the textfile" prom "$PF"
else
	skip "prometheus: python3-prometheus-client parses the textfile" \
	    "python3-prometheus-client is not installed"
fi
pcheck "prometheus: every family (records, counts, domains, resolver, path, times)" "$PF" \
    "sorted(d) == sorted(['notspam_record_status', 'notspam_records', 'notspam_domains', 'notspam_resolver_up', 'notspam_signing_path_ok', 'notspam_last_run_timestamp_seconds', 'notspam_run_duration_seconds'])"
# The JSON check of the same run's zones: (domain, id, status) for every
# check; the mail host's named by the host.
jget "$T_TMP/crit.json" "'\n'.join(sorted('%s %s %s' % (x['name'] if k == 'mail_host' else x['domain'], c['id'], c['status']) for k, x in [('mail_host', d['mail_host'])] + [('d', y) for y in d['domains']] for c in x['checks']))" >"$T_TMP/want.rows"
if [ "$HAVE_PROM" -eq 1 ]; then
	pj "$PF" "'\n'.join(sorted('%s %s %s' % (l['domain'], l['record'], l['status']) for l, v in d['notspam_record_status']['samples']))" >"$T_TMP/got.rows"
	check "prometheus: one record_status series a check, its status as check --json has it ($TOTAL)" \
	    sh -c 'cmp -s "$1" "$2" && [ "$(wc -l <"$1")" -eq "$3" ]' sh "$T_TMP/want.rows" "$T_TMP/got.rows" "$TOTAL"
else
	skip "prometheus: one record_status series a check" "python3-prometheus-client is not installed"
fi
pcheck "prometheus: every record_status value is 1" "$PF" \
    "all(v == 1 for l, v in d['notspam_record_status']['samples'])"
pcheck "prometheus: notspam_records = check --json's summary" "$PF" \
    "dict((l['status'], int(v)) for l, v in d['notspam_records']['samples']) == $(jget "$T_TMP/crit.json" "d['summary']")"
pcheck "prometheus: notspam_domains 4, resolver up" "$PF" \
    "d['notspam_domains']['samples'][0][1] == 4 and d['notspam_resolver_up']['samples'][0][1] == 1"
pcheck "prometheus: the signing path: postfix smtpd's milter mismatch 0" "$PF" \
    "[l['state'] for l, v in d['notspam_signing_path_ok']['samples'] if l['from'] == 'postfix smtpd' and v == 0] == ['mismatch']"
pcheck "prometheus: the signing path: opensmtpd -> dkimproxy linked 1" "$PF" \
    "[(l['address'], l['state']) for l, v in d['notspam_signing_path_ok']['samples'] if l['from'] == 'opensmtpd' and l['to'] == 'dkimproxy' and v == 1] == [('127.0.0.1:10027', 'linked')]"
run --root "$root" --json status
cp "$T_TMP/out" "$T_TMP/status.json"
pcheck "prometheus: a path series for each hop status --json shows" "$PF" \
    "len(d['notspam_signing_path_ok']['samples']) == $(jget "$T_TMP/status.json" "len(d['paths'])")"
pcheck "prometheus: the last run's time is the run's ($t0..$t1), its duration >= 0" "$PF" \
    "$t0 <= d['notspam_last_run_timestamp_seconds']['samples'][0][1] <= $t1 + 1 and d['notspam_run_duration_seconds']['samples'][0][1] >= 0"
check "prometheus: every family has # HELP and # TYPE before its samples" \
    awk '/^# HELP /{h[$3]=NR} /^# TYPE /{if (!($3 in h) || h[$3] != NR-1 || $4 != "gauge") bad=1; t[$3]=NR}
	!/^#/{n=$0; sub(/[{ ].*/, "", n); if (!(n in t)) bad=1} END{exit bad}' "$PF"
if command -v promtool >/dev/null 2>&1; then
	check "promtool check metrics accepts the textfile" sh -c 'promtool check metrics <"$1"' sh "$PF"
else
	skip "promtool check metrics accepts the textfile" "promtool is not installed (not installed for this: the prometheus package starts a server)"
fi

# --json and --prometheus: stdout the JSON document, the file written.
rm -f "$PF"
# shellcheck disable=SC2086
run --root "$root" $Z --json check --prometheus "$PF" example.org
check "prometheus with --json: exit 0, stdout JSON, the file written" \
    sh -c '[ "$1" -eq 0 ] && "$4" -c "import json,sys; json.load(open(sys.argv[1]))" "$2" && [ -s "$3" ]' \
    sh "$RC" "$T_TMP/out" "$PF" "$PY"
[ "$HAVE_PROM" -eq 1 ] && prom "$PF"
pcheck "prometheus, all ok: no record is anything but ok" "$PF" \
    "{l['status'] for l, v in d['notspam_record_status']['samples']} == {'ok'}"

# Unreachable: the file still written, the resolver down, every check unknown.
run --root "$root" --resolver 127.0.0.1:9 check --prometheus "$PF"
check "prometheus, resolver unreachable: exit 75 as plain check (got $RC)" [ "$RC" -eq 75 ]
if [ "$HAVE_PROM" -eq 1 ] && prom "$PF"; then
	check "prometheus, unreachable: notspam_resolver_up 0, the unknown counted as the plugin counts them" [ "$(pj "$PF" \
	    "(d['notspam_resolver_up']['samples'][0][1], int([v for l, v in d['notspam_records']['samples'] if l['status'] == 'unknown'][0]))")" = "(0.0, $(perf "$T_TMP/unk.txt" unknown))" ]
else
	skip "prometheus, unreachable: notspam_resolver_up 0, the unknown counted" "no parsed textfile"
fi

# --nagios and --prometheus together: the plugin output, and the file.
rm -f "$PF"
# shellcheck disable=SC2086
run --root "$root" $Z check --nagios --prometheus "$PF" example.net
check "nagios and prometheus together: WARNING (exit 1) and the file" \
    sh -c '[ "$1" -eq 1 ] && grep -q "^NOTSPAM WARNING - " "$2" && [ -s "$3" ]' sh "$RC" "$T_TMP/out" "$PF"

# ---- --prometheus: hostile configuration text ---------------------------
HF=$T_TMP/tf/hostile.prom
run --root "$hroot" --zones "$T_TMP/hzones" check --prometheus "$HF"
check "prometheus, hostile: exit 2 (got $RC)" [ "$RC" -eq 2 ]
if [ "$HAVE_PROM" -eq 1 ]; then
	check "prometheus, hostile: the textfile still parses" prom "$HF"
else
	skip "prometheus, hostile: the textfile still parses" "python3-prometheus-client is not installed"
fi
pcheck "prometheus, hostile: the milter address label as status shows it (quote, backslash, '|')" "$HF" \
    "[l['address'] for l, v in d['notspam_signing_path_ok']['samples'] if l['from'] == 'postfix smtpd'] == ['unix:/run/op\"en\\\\\\\\dk|im.sock']"
check "prometheus, hostile: the quote and backslashes escaped in the file" \
    grep -qF 'address="unix:/run/op\"en\\\\dk|im.sock"' "$HF"
check "prometheus, hostile: no control byte in the file" \
    sh -c '! LC_ALL=C tr -d "\n" <"$1" | LC_ALL=C grep -q "[[:cntrl:]]"' sh "$HF"
if command -v promtool >/dev/null 2>&1; then
	check "promtool check metrics accepts the hostile textfile" sh -c 'promtool check metrics <"$1"' sh "$HF"
else
	skip "promtool check metrics accepts the hostile textfile" "promtool is not installed"
fi

# ---- --prometheus: atomic replacement ------------------------------------
rm -f "$HF"
# shellcheck disable=SC2086
run --root "$root" $DZ check --prometheus "$PF"
ino1=$(stat -c %i "$PF")
chmod 640 "$PF"
# A reader that reads the file over and over while it is replaced: every
# read must be a whole file (ending with the last family's sample).
cat >"$T_TMP/reader.py" <<'PYEOF'
import os, sys, time
path, stop = sys.argv[1], sys.argv[2]
reads = partial = 0
while not os.path.exists(stop) or reads < 50:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        partial += 1
        continue
    reads += 1
    lines = data.split(b"\n")
    if not data.endswith(b"\n") or not lines[-2].startswith(b"notspam_run_duration_seconds "):
        partial += 1
print(reads, partial)
PYEOF
"$PY" "$T_TMP/reader.py" "$PF" "$T_TMP/stop" >"$T_TMP/reader.out" &
reader=$!
for _ in 1 2 3; do
	# shellcheck disable=SC2086
	run --root "$root" $DZ check --prometheus "$PF"
done
: >"$T_TMP/stop"
wait "$reader"
ino2=$(stat -c %i "$PF")
check "atomic: the file was replaced by a rename (a new inode)" [ "$ino1" != "$ino2" ]
check "atomic: a reader never saw a partial or missing file ($(cat "$T_TMP/reader.out") reads/partial)" \
    sh -c 'set -- $(cat "$1"); [ "$1" -ge 50 ] && [ "$2" -eq 0 ]' sh "$T_TMP/reader.out"
check "atomic: no temporary file left in the directory" \
    [ "$(ls -A "$T_TMP/tf")" = notspam.prom ]
check "atomic: the replaced file keeps its mode (640)" [ "$(stat -c %a "$PF")" = 640 ]

# ---- the examples in share/examples ------------------------------------
EX=share/examples
PROMPATH=/var/lib/prometheus/node-exporter/notspam.prom
# exrun DESC WANT CMDLINE: run an example's notspam command line (its
# words after the notspam binary, the textfile's path made a test path)
# on the demo root; ok when it exits WANT.
exrun() {
	_d=$1 _w=$2; shift 2
	# shellcheck disable=SC2046
	set -- $(printf '%s\n' "$*" | sed "s|^.*/usr/local/bin/notspam ||; s|$PROMPATH|$T_TMP/ex.prom|; s| *>/dev/null\$||")
	rm -f "$T_TMP/ex.prom"
	# shellcheck disable=SC2086
	run --root "$root" $DZ "$@"
	check "$_d (exit $RC)" [ "$RC" -eq "$_w" ]
}
svc=$(sed -n 's/^ExecStart=//p' "$EX/notspam-prometheus.service")
exrun "example: the service's ExecStart runs" 2 "$svc"
check "example: the service's run writes the textfile" [ -s "$T_TMP/ex.prom" ]
cp "$T_TMP/ex.prom" "$T_TMP/rules.prom" 2>/dev/null
check "example: the service's SuccessExitStatus takes 1 and 2 (the checks' verdict)" \
    grep -qx 'SuccessExitStatus=1 2' "$EX/notspam-prometheus.service"
cron=$(grep -v '^#' "$EX/notspam.cron" | grep . | cut -f3-)
exrun "example: the cron line's command runs" 2 "$cron"
check "example: the cron line writes the textfile" [ -s "$T_TMP/ex.prom" ]
check "example: cron and the service write the same file" \
    sh -c 'grep -qF "$1" "$2" && grep -qF "$1" "$3"' sh "$PROMPATH" \
    "$EX/notspam.cron" "$EX/notspam-prometheus.service"
nagcmd=$(sed -n 's/^[[:space:]]*command_line[[:space:]]*//p' "$EX/nagios.cfg")
exrun "example: the Nagios command_line runs (CRITICAL on the demo)" 2 "$nagcmd"
check "example: the Nagios command's output is a plugin's" nag "$T_TMP/out" 2
check "example: the sudoers line allows exactly the command_line's command" \
    grep -qF "NOPASSWD: ${nagcmd#/usr/bin/sudo }" "$EX/nagios.cfg"
check "example: the NRPE line runs the same command" \
    grep -qF "command[check_notspam]=$nagcmd" "$EX/nagios.cfg"
icmd=$(sed -n 's/^[[:space:]]*command = \[ \(.*\) \]$/\1/p' "$EX/icinga2.conf" | tr -d '",')
check "example: the Icinga 2 CheckCommand is the Nagios command" [ "$icmd" = "$nagcmd" ]
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$T_TMP/units"
	for u in notspam-prometheus.service notspam-prometheus.timer; do
		# The binary where it is here; no man page lookup.
		sed "s|/usr/local/bin/notspam|$NOTSPAM|; /^Documentation=/d" \
		    "$EX/$u" >"$T_TMP/units/$u"
	done
	RC=0
	systemd-analyze verify "$T_TMP/units/notspam-prometheus.service" \
	    "$T_TMP/units/notspam-prometheus.timer" >"$T_TMP/verify.out" 2>&1 || RC=$?
	check "example: systemd-analyze verify accepts the service and timer, no warning" \
	    sh -c '[ "$1" -eq 0 ] && [ ! -s "$2" ]' sh "$RC" "$T_TMP/verify.out"
	[ -s "$T_TMP/verify.out" ] && sed 's/^/# /' "$T_TMP/verify.out"
else
	skip "example: systemd-analyze verify accepts the service and timer" \
	    "systemd-analyze is not installed"
fi
# The alert rules: YAML, each rule complete, and every series and label
# it names one the textfile has.
cat >"$T_TMP/rules.py" <<'PYEOF'
import json, re, sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))
fams = json.load(open(sys.argv[2]))
n = 0
for g in rules["groups"]:
    assert g["name"] and g["rules"], g
    for r in g["rules"]:
        n += 1
        assert set(r) <= {"alert", "expr", "for", "labels", "annotations"}, r
        assert re.fullmatch(r"Notspam[A-Za-z]+", r["alert"]), r["alert"]
        assert r["labels"]["severity"] in ("critical", "warning"), r
        assert r["annotations"]["summary"], r
        assert re.fullmatch(r"[0-9]+[smhd]", r.get("for", "1m")), r
        for m in re.finditer(r"(notspam_[a-z_]+)(\{([^}]*)\})?", r["expr"]):
            assert m.group(1) in fams, "%s: no %s" % (r["alert"], m.group(1))
            labels = set()
            for s in fams[m.group(1)]["samples"]:
                labels |= set(s[0])
            for sel in (m.group(3) or "").split(","):
                if sel.strip():
                    name = re.match(r"\s*([a-z_]+)", sel).group(1)
                    assert name in labels, "%s: %s has no label %s" % (
                        r["alert"], m.group(1), name)
print(n)
PYEOF
if [ "$HAVE_PROM" -eq 1 ] && "$PY" -c 'import yaml' 2>/dev/null && prom "$T_TMP/rules.prom"; then
	RC=0
	"$PY" "$T_TMP/rules.py" "$EX/notspam.rules.yml" "$T_TMP/rules.prom.json" \
	    >"$T_TMP/rules.out" 2>&1 || RC=$?
	check "example: the alert rules parse, each complete, naming only the textfile's series and labels ($(tail -n 1 "$T_TMP/rules.out") rules)" \
	    [ "$RC" -eq 0 ]
	[ "$RC" -eq 0 ] || tail -n 3 "$T_TMP/rules.out" | sed 's/^/# /'
else
	skip "example: the alert rules parse, naming only the textfile's series" \
	    "python3-yaml or python3-prometheus-client is not installed"
fi
if command -v promtool >/dev/null 2>&1; then
	check "promtool check rules accepts the alert rules" \
	    promtool check rules "$EX/notspam.rules.yml"
else
	skip "promtool check rules accepts the alert rules" "promtool is not installed"
fi
RC=0
make -s install PREFIX=/usr/local DESTDIR="$T_TMP/dest" >"$T_TMP/install.out" 2>&1 || RC=$?
check "make install puts every example under share/notspam/examples" \
    sh -c '[ "$1" -eq 0 ] && for f in "$2"/*; do
	cmp -s "$f" "$3/usr/local/share/notspam/examples/$(basename "$f")" || exit 1
    done' sh "$RC" "$EX" "$T_TMP/dest"

# ---- --prometheus: errors ----------------------------------------------
# shellcheck disable=SC2086
run --root "$root" $DZ check --prometheus "$T_TMP/nodir/notspam.prom"
check "a missing directory: exit 74 (got $RC)" [ "$RC" -eq 74 ]
check "a missing directory: the message names the directory" \
    has "$T_TMP/err" "^notspam: cannot write $T_TMP/nodir/notspam\.prom: the directory $T_TMP/nodir does not exist"
check "a missing directory: stdout still has the check's table" has "$T_TMP/out" '^resolver zones:'
# shellcheck disable=SC2086
run --root "$root" $DZ check --nagios --prometheus "$T_TMP/nodir/notspam.prom"
check "a missing directory with --nagios: UNKNOWN, exit 3, naming the file" \
    sh -c '[ "$1" -eq 3 ] && grep -q "^NOTSPAM UNKNOWN - cannot write .*nodir/notspam\.prom" "$2"' \
    sh "$RC" "$T_TMP/out"
mkdir -p "$T_TMP/adir/notspam.prom"
# shellcheck disable=SC2086
run --root "$root" $DZ check --prometheus "$T_TMP/adir/notspam.prom"
check "a directory where the file goes: exit 74 (got $RC)" \
    sh -c '[ "$1" -eq 74 ] && grep -q "^notspam: .*adir/notspam\.prom" "$2"' sh "$RC" "$T_TMP/err"
run --root "$root" check --prometheus
check "--prometheus without a file: usage error 64 (got $RC)" \
    sh -c '[ "$1" -eq 64 ] && grep -q "^notspam: --prometheus needs a file name" "$2"' sh "$RC" "$T_TMP/err"

# Read-only and full file systems: mounts in a private namespace (root).
why=
if [ "$(id -u)" -ne 0 ]; then why="not root"
elif ! command -v unshare >/dev/null 2>&1; then why="unshare is missing"
elif ! unshare -m --propagation private true 2>/dev/null; then
	why="no private mount namespace here (unshare -m)"
fi
if [ -n "$why" ]; then
	skip "a read-only directory: exit 74, the file untouched" "$why"
	skip "a full file system: exit 74, the old file whole" "$why"
else
	mkdir -p "$T_TMP/ro" "$T_TMP/full"
	cp "$PF" "$T_TMP/ro/notspam.prom"
	# Room for one textfile of this run, not for two: the old one and
	# the temporary copy of the new.
	pages=$((($(stat -c %s "$PF") + 4095) / 4096))
	# shellcheck disable=SC2016,SC2086
	unshare -m --propagation private sh -c '
	    mount --bind -o ro "$1/ro" "$1/ro" || exit 90
	    "$2" --root "$3" --zones "$1/demo-zones" check --prometheus "$1/ro/notspam.prom" \
		>"$1/ro.out" 2>"$1/ro.err"
	    echo $? >"$1/ro.rc"
	    mount -t tmpfs -o "size=$(($4 * 4))k" tmpfs "$1/full" || exit 91
	    "$2" --root "$3" --zones "$1/demo-zones" check --prometheus "$1/full/notspam.prom" \
		>/dev/null 2>"$1/full1.err"
	    echo $? >"$1/full1.rc"
	    cp "$1/full/notspam.prom" "$1/full1.prom"
	    "$2" --root "$3" --zones "$1/demo-zones" check --prometheus "$1/full/notspam.prom" \
		>/dev/null 2>"$1/full2.err"
	    echo $? >"$1/full2.rc"
	    cmp -s "$1/full/notspam.prom" "$1/full1.prom"; echo $? >"$1/full.same"
	    ls -A "$1/full" >"$1/full.ls"
	' sh "$T_TMP" "$NOTSPAM" "$root" "$pages"
	sanitizer_check "$T_TMP/ro.err" "the read-only run"
	check "a read-only directory: exit 74, 'read-only file system' said, the file untouched" \
	    sh -c '[ "$(cat "$1/ro.rc")" = 74 ] && grep -q "^notspam: cannot write .*ro/notspam\.prom: .*[Rr]ead-only" "$1/ro.err" &&
	    cmp -s "$1/ro/notspam.prom" "$2"' sh "$T_TMP" "$PF"
	check "a full file system: the first write fits (exit 2), the next one exits 74 with ENOSPC said" \
	    sh -c '[ "$(cat "$1/full1.rc")" = 2 ] && [ "$(cat "$1/full2.rc")" = 74 ] &&
	    grep -q "^notspam: cannot write .*full/notspam\.prom: .*[Nn]o space" "$1/full2.err"' sh "$T_TMP"
	check "a full file system: the old file whole, no temporary file left" \
	    sh -c '[ "$(cat "$1/full.same")" = 0 ] && [ "$(cat "$1/full.ls")" = notspam.prom ]' sh "$T_TMP"
fi

echo "1..$T_N"
