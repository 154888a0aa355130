#!/bin/sh
# Same bytes as postconf: for every main.cf of the corpus
# (tests/fixtures/plan/postconf/ROOT, copied verbatim from
# ../shared/corpus/roots/ROOT/etc/postfix), the main.cf apply plans is
# byte-identical to what `postconf -c COPY -e name=value` writes for the
# same settings, given in the plan's order (postconf appends the names a
# single call adds in its hash table's order, so one call per name), on a
# copy of the directory with its master.cf.  Each main.cf is planned in a
# Postfix + OpenDKIM root (Debian 12's opendkim.conf beside it, a key for
# example.com, the PTR naming mx.example.com, ipv6_fallback = ipv4) so
# that milters, HELO and the IPv6 preference are all set; postconf -n and
# -M warn of nothing new on the edited files.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
FIX=tests/fixtures/plan
PJ="$PY tests/shell/plan_json.py"
edited=0

for d in "$FIX"/postconf/*/; do
	n=$(basename "$d")
	r="$T_TMP/root-$n"
	rm -rf "$r"
	mkdir -p "$r/etc/postfix" "$r/etc/default" "$r/etc/notspam"
	cp "$d/main.cf" "$r/etc/postfix/main.cf"
	[ -f "$d/master.cf" ] && cp "$d/master.cf" "$r/etc/postfix/master.cf"
	cp "$FIX/deb12-opendkim/etc/opendkim.conf" "$r/etc/"
	cp "$FIX/deb12-opendkim/etc/default/opendkim" "$r/etc/default/"
	echo example.com >"$r/etc/mailname"
	printf 'public_ipv4 = 203.0.113.9\npublic_ipv6 = 2001:db8::9\ndomains = example.com\nipv6_fallback = ipv4\n' \
	    >"$r/etc/notspam/notspam.conf"
	"$NOTSPAM" --root "$r" keygen example.com >/dev/null 2>&1
	run --root "$r" --zones "$FIX/zones" --json apply --dry-run
	case $RC in 0|1) ;; *)
		not_ok "$n: apply --dry-run exits 0 or 1 (got $RC)"
		sed 's/^/# /' "$T_TMP/err" | head -n 5
		continue ;;
	esac
	cp "$T_TMP/out" "$T_TMP/plan.json"
	$PJ sets "$T_TMP/plan.json" /etc/postfix/main.cf >"$T_TMP/sets"
	[ -s "$T_TMP/sets" ] && edited=$((edited + 1))
	# The plan's main.cf.
	rm -rf "$T_TMP/planned"; cp -a "$r" "$T_TMP/planned"
	if ! $PJ write "$T_TMP/plan.json" "$T_TMP/planned" 2>"$T_TMP/w.err"; then
		not_ok "$n: the plan's diffs apply"; sed 's/^/# /' "$T_TMP/w.err"
		continue
	fi
	# postconf's, one name=value a call, in the plan's order.
	pc="$T_TMP/pc-$n"
	rm -rf "$pc"; mkdir -p "$pc"
	cp "$d/main.cf" "$pc/main.cf"
	if [ -f "$d/master.cf" ]; then cp "$d/master.cf" "$pc/"; else : >"$pc/master.cf"; fi
	while IFS= read -r nv; do
		postconf -c "$pc" -e "$nv" 2>/dev/null
	done <"$T_TMP/sets"
	if cmp -s "$pc/main.cf" "$T_TMP/planned/etc/postfix/main.cf"; then
		ok "$n: main.cf as planned = postconf -e's ($(wc -l <"$T_TMP/sets") settings)"
	else
		not_ok "$n: main.cf as planned = postconf -e's"
		diff -u "$pc/main.cf" "$T_TMP/planned/etc/postfix/main.cf" |
		    head -n 20 | sed 's/^/# /'
	fi
	# No new postconf warning on the edited files.
	for v in "$r/etc/postfix" "$T_TMP/planned/etc/postfix"; do
		{ postconf -c "$v" -n >/dev/null; postconf -c "$v" -M >/dev/null; } \
		    2>&1 | sed "s#$v#DIR#g" | sort -u >"$v.warn"
	done
	if comm -13 "$r/etc/postfix.warn" "$T_TMP/planned/etc/postfix.warn" |
	    grep -q .; then
		not_ok "$n: postconf -n and -M warn of nothing new"
		comm -13 "$r/etc/postfix.warn" "$T_TMP/planned/etc/postfix.warn" |
		    head -n 5 | sed 's/^/# /'
	else
		ok "$n: postconf -n and -M warn of nothing new"
	fi
done
check "most corpus main.cf files got edits ($edited of them)" [ "$edited" -ge 10 ]
