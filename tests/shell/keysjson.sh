#!/bin/sh
# keys switch, retire and revoke with --json: one JSON object on standard
# output saying what was found or done (before, they printed text).
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

sb=$(sandbox kj)
dead="127.0.0.1:$(free_port)"
# jout KEY: the member KEY of the JSON object in $T_TMP/out, as Python
# prints it (fails when the output is not one JSON object).
jout() {
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
	    "$T_TMP/out" "$1"
}

run --root "$sb" keygen example.org --selector s9
check "keygen s9 for the transitions (exit $RC)" [ "$RC" -le 1 ]
run --root "$sb" --json keys retire example.org s9
check "retire --json: exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "retire --json: one object, action retire" [ "$(jout action)" = retire ]
retired() { [ "$(jout done)" = True ] && [ "$(jout state)" = retired ]; }
check "retire --json: done, state retired" retired
later() { [ "$(jout publish_until)" -gt "$(date +%s)" ]; }
check "retire --json: the date to keep publishing until" later
check "retire --json: nothing on stderr" [ ! -s "$T_TMP/err" ]

run --root "$sb" --json keys revoke example.org s9
check "revoke --json: exit 0 (got $RC)" [ "$RC" -eq 0 ]
empty_p() { jout record | grep -q '^s9._domainkey.example.org. 3600 IN TXT "v=DKIM1; k=rsa; p="$'; }
check "revoke --json: the p= empty record to publish" empty_p
check "revoke --json: within the grace period, said" [ "$(jout within_grace)" = True ]

run --root "$sb" keygen example.org --selector s8
run --root "$sb" --resolver "$dead" --json keys switch example.org s8
check "switch --json with no DNS: exit 75 (got $RC)" [ "$RC" -eq 75 ]
untold() {
	[ "$(jout done)" = False ] && jout detail | grep -q "could not tell" &&
	    jout record | grep -q '^s8._domainkey.example.org. 3600 IN TXT ( "v=DKIM1'
}
check "switch --json with no DNS: not done, could not tell, record to publish" untold
run --root "$sb" --json keys switch example.org mail
in_use() { [ "$RC" -eq 0 ] && [ "$(jout detail)" = "already in use" ]; }
check "switch --json of the active key: already in use, exit 0 (got $RC)" in_use
run --root "$sb" --json keys retire example.org mail
check "retire --json of the active key: refused, exit 2 (got $RC)" [ "$RC" -eq 2 ]
refused() { [ ! -s "$T_TMP/out" ] && grep -q "still used by opendkim" "$T_TMP/err"; }
check "retire --json refused: nothing on stdout, the reason on stderr" refused
