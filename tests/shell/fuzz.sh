#!/bin/sh
# Run every libFuzzer target briefly (FUZZ_SECONDS, default 10) from a seed
# corpus of the test fixtures.  A crash, leak or sanitizer report fails.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
secs=${FUZZ_SECONDS:-10}
found=0
for f in build/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	found=1
	name=$(basename "$f")
	corpus="$T_TMP/corpus-$name"
	mkdir -p "$corpus"
	seeds="tests/fuzz/seeds/${name#fuzz_}"
	[ -d "$seeds" ] && cp "$seeds"/* "$corpus"/ 2>/dev/null
	find tests/fixtures -type f -size -64k 2>/dev/null | head -200 |
	    while read -r s; do cp "$s" "$corpus/$(echo "$s" | tr / _)"; done
	if "$f" -max_total_time="$secs" -rss_limit_mb=1024 -max_len=65536 \
	    -artifact_prefix="$T_TMP/" "$corpus" >"$T_TMP/$name.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$T_TMP/$name.log" | tail -1)
		check "$name: ${runs:-no run reported} in ${secs}s without a crash" \
		    sh -c "echo '$runs' | grep -Eq '^Done [1-9][0-9]* runs$'"
	else
		not_ok "$name found a crash:"
		tail -n 30 "$T_TMP/$name.log" | sed 's/^/# /'
	fi
done
[ "$found" -eq 1 ] || not_ok "no fuzz target was built (make fuzz)"
