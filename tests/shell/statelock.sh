#!/bin/sh
# keys.state is read, changed and replaced under its lock: notspam runs at
# the same time (twelve keygens with different selectors; keygens beside
# "keys" runs that advance states) each keep their own entries.  Before
# the lock, 12 concurrent keygens all succeeded and keys.state kept 1 or 2.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

SANLOG="$T_TMP/sanitizer.log"
: >"$SANLOG"
# sancheck ERRFILE LABEL: collect sanitizer reports of one run.
sancheck() {
	if grep -q 'Sanitizer\|runtime error' "$1"; then
		echo "$2" >>"$SANLOG"
		cat "$1" >>"$SANLOG"
	fi
}
no_sanitizer_report() {
	[ ! -s "$SANLOG" ] || { head -n 40 "$SANLOG"; return 1; }
}
# Not as root the new keys stay owned by the running user, which the
# safety check reports: exit 1 then, 0 as root.
if [ "$(id -u)" -eq 0 ]; then want=0; else want=1; fi

sb=$(sandbox lock)
state="$sb/var/lib/notspam/keys.state"

# --- twelve keygens at once ------------------------------------------------
i=1
while [ "$i" -le 12 ]; do
	( "$NOTSPAM" --root "$sb" keygen example.org --selector "s$i" \
	    >"$T_TMP/kg$i.out" 2>"$T_TMP/kg$i.err"
	  echo $? >"$T_TMP/kg$i.rc" ) &
	i=$((i + 1))
done
wait
bad=
i=1
while [ "$i" -le 12 ]; do
	rc=$(cat "$T_TMP/kg$i.rc")
	[ "$rc" -eq "$want" ] || bad="$bad s$i:$rc"
	sancheck "$T_TMP/kg$i.err" "keygen s$i"
	i=$((i + 1))
done
check "12 concurrent keygens all exit $want (bad:${bad:- none})" [ -z "$bad" ]
n=$(ls "$sb/etc/dkimkeys" | grep -c '^example\.org_s[0-9]*\.private$')
check "  12 key files made ($n)" [ "$n" -eq 12 ]
n=$(grep -c '^example\.org s[0-9]* generated [0-9]* /etc/dkimkeys/example\.org_s[0-9]*\.private$' "$state")
check "  keys.state holds all 12 keys ($n)" [ "$n" -eq 12 ]
missing=
i=1
while [ "$i" -le 12 ]; do
	grep -q "^example\.org s$i generated [0-9]* /etc/dkimkeys/example\.org_s$i\.private$" "$state" ||
	    missing="$missing s$i"
	i=$((i + 1))
done
check "  each selector is there (missing:${missing:- none})" [ -z "$missing" ]
check "  every line is a comment or DOMAIN SELECTOR STATE SINCE PATH" \
    sh -c "! grep -v '^#' '$state' | grep -qv '^[^ ]* [^ ]* [a-z]* [0-9]* /[^ ]*$'"
check "  the lock file beside it, mode 0600" \
    [ "$(stat -c %a "$state.lock" 2>/dev/null)" = 600 ]
check "  the state file mode 0644" [ "$(stat -c %a "$state")" = 644 ]
check "  no temporary file left in /var/lib/notspam" \
    sh -c "! ls -a '$sb/var/lib/notspam' | grep -q tmp"

# --- keygens and "keys" (which saves advanced states) at once --------------
i=1
while [ "$i" -le 6 ]; do
	( "$NOTSPAM" --root "$sb" keygen example.net --selector "m$i" \
	    >"$T_TMP/m$i.out" 2>"$T_TMP/m$i.err"
	  echo $? >"$T_TMP/m$i.rc" ) &
	( "$NOTSPAM" --root "$sb" keys --offline \
	    >"$T_TMP/l$i.out" 2>"$T_TMP/l$i.err"
	  echo $? >"$T_TMP/l$i.rc" ) &
	i=$((i + 1))
done
wait
bad=
i=1
while [ "$i" -le 6 ]; do
	rc=$(cat "$T_TMP/m$i.rc")
	[ "$rc" -eq "$want" ] || bad="$bad m$i:$rc"
	sancheck "$T_TMP/m$i.err" "keygen m$i"
	sancheck "$T_TMP/l$i.err" "keys $i"
	grep -q 'not saved' "$T_TMP/l$i.err" && bad="$bad keys$i:not-saved"
	i=$((i + 1))
done
check "6 keygens beside 6 keys runs: keygens exit $want, states saved (bad:${bad:- none})" [ -z "$bad" ]
n=$(grep -c '^example\.net m[1-6] generated ' "$state")
check "  the 6 new example.net keys are in keys.state ($n)" [ "$n" -eq 6 ]
n=$(grep -c '^example\.org s[0-9]* generated ' "$state")
check "  the 12 earlier ones are still there ($n)" [ "$n" -eq 12 ]
check "  the configured demo key is recorded active by the keys runs" \
    grep -q '^example\.org mail active ' "$state"
check "no sanitizer report in any run" no_sanitizer_report
exit 0
