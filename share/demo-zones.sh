#!/bin/sh
# share/demo-zones.sh NOTSPAM DEMO OUTDIR: the demo's zone files, made by the
# build (the DKIM keys they publish are the demo's, made by the build too).
#
# The records notspam says the demo needs (`NOTSPAM --root <copy of DEMO>
# records`), one zone per hosted domain and per reverse zone, with the
# guides' stories written in:
#   - 2001:db8::25 has no PTR (Gmail: "550-5.7.1 ... IPv6 address does not
#     have a PTR record"): the ip6.arpa PTR is left out;
#   - example.net's SPF uses `ptr` and `?all`; its key is 1024 bits (the
#     Makefile makes it so) and its DKIM record says t=y (testing);
#   - lists.example.com's reports go to example.org, which does not
#     authorize them (the _report._dmarc record is missing);
#   - example.org is right in every record.
# The DomainKeys line and the milter at [::1]:12345 while OpenDKIM listens
# on inet:12345@localhost are in DEMO's configs.  DEMO is never written:
# notspam reads a copy.
set -eu
notspam=$1 demo=$2 out=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/root"
cp -R "$demo/." "$tmp/root/"
# Exit 1 is the demo's configuration warnings: records are still printed.
rc=0
"$notspam" --root "$tmp/root" records >"$tmp/records" 2>/dev/null || rc=$?
if [ "$rc" -gt 1 ] || ! [ -s "$tmp/records" ]; then
	echo "demo-zones.sh: $notspam records failed (exit $rc)" >&2
	exit 1
fi
mkdir -p "$out"
rm -f "$out"/*.zone

awk -v out="$out" '
# One record per line: a record over several lines ( ... ) is joined.
# They are placed in zones at the end, once every domain is known: the
# mail host block comes first.
function flush() {
	if (rec == "")
		return
	gsub(/[()]/, "", rec)
	gsub(/[ \t]+/, " ", rec)
	recs[++nrecs] = rec
	rec = ""
}
function zone_of(owner,    z, best, n, i, labels) {
	best = ""
	for (z in domains)
		if ((owner == z || substr(owner, length(owner) - length(z)) \
		    == "." z) && length(z) > length(best))
			best = z
	if (best != "")
		return best
	n = split(owner, labels, ".")
	if (owner ~ /\.in-addr\.arpa$/)		# the /24
		return substr(owner, index(owner, ".") + 1)
	if (owner ~ /\.ip6\.arpa$/) {		# the /32
		best = "ip6.arpa"
		for (i = n - 2; i > n - 10; i--)
			best = labels[i] "." best
		return best
	}
	return ""
}
function emit(r,    f, owner, type, z) {
	split(r, f, " ")
	owner = f[1]; sub(/\.$/, "", owner); type = f[4]
	if (seen[r]++)
		return
	# The stories.
	if (type == "PTR" && owner ~ /ip6\.arpa$/) {
		zones[zone_of(owner)] = 1	# the zone is there, the name not
		return
	}
	if (owner ~ /^lists\.example\.com\._report\._dmarc\./)
		return		# the report address nobody authorized
	if (owner == "example.net" && type == "TXT" && r ~ /v=spf1/)
		r = "example.net. 3600 IN TXT \"v=spf1 mx ptr ?all\""
	if (owner ~ /_domainkey\.example\.net$/ && type == "TXT")
		sub(/"v=DKIM1; /, "\"v=DKIM1; t=y; \" \"", r)
	z = zone_of(owner)
	zones[z] = 1
	body[z] = body[z] r "\n"
}
/^; [^ ]+$/ { flush(); domains[substr($0, 3)] = 1; next }
/^;/ || /^$/ { flush(); next }
/^[ \t]/ { rec = rec " " $0; next }
{ flush(); rec = $0 }
END {
	flush()
	for (i = 1; i <= nrecs; i++)
		emit(recs[i])
	for (z in zones) {
		f = out "/" z ".zone"
		printf "; %s: made by share/demo-zones.sh (make demo-zones)\n", z > f
		printf "$ORIGIN %s.\n$TTL 3600\n", z > f
		printf "@ IN SOA ns1 hostmaster.example.org. ( 2026120101 ; serial\n" > f
		printf "\t3600 600 1209600 300 )\n" > f
		printf "@ IN NS ns1\nns1 IN A 192.0.2.53\n%s", body[z] > f
		close(f)
	}
}' "$tmp/records"
ls "$out"/*.zone >/dev/null
