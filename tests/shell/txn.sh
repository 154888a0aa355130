#!/bin/sh
# tests/shell/txn.sh: the transaction engine (core/apply/txn.h) seen from
# outside, with tests/drivers/txn_driver committing a transaction of five
# files of the demo sandbox (four edited, one created):
#   - notspam backups and restore on what it left: text and JSON, refusal of
#     a file changed since, --force, exact bytes, owner and mode back, the
#     created file removed, a symlinked config edited at its target and the
#     link kept, the restore undone by its own backup;
#   - the kill -9 matrix: the commit SIGKILLed at every one of its durable
#     steps (before and after each mkdir, fsync, rename, unlink), and at
#     random moments from outside (APPLY_KILLS runs, 20 by default; 200 for
#     the full count), after which every file is its old or its new bytes,
#     never partial, a complete backup exists once any file was replaced,
#     notspam reports the interrupted apply, and restore puts everything
#     back;
#   - a full and a read-only file system (tmpfs mounts inside unshare -m, so
#     nothing leaks to the host): a clear error and nothing changed.
. "$NOTSPAM_TOP/tests/lib.sh"

DRIVER=${TXN_DRIVER:-$(dirname "$NOTSPAM")/tests/drivers/txn_driver}
[ -x "$DRIVER" ] || DRIVER=$NOTSPAM_TOP/build/asan/tests/drivers/txn_driver
KILLS=${APPLY_KILLS:-20}
FILES="/etc/postfix/main.cf /etc/postfix/master.cf /etc/opendkim.conf
/etc/opendkim/key.table +/etc/opendkim/new.table"
PAD=16384

if [ ! -x "$DRIVER" ]; then
	not_ok "the test driver $DRIVER is not built (make unit)"
	exit 0
fi

# save ROOT DIR: a copy of each file of FILES (the created one: none).
save() {
	mkdir -p "$2"
	for f in $FILES; do
		case $f in +*) continue ;; esac
		cp "$1$f" "$2/$(echo "$f" | tr / _)"
	done
}

# reset ROOT DIR: the files back as saved, the created one and the backups
# gone.
reset() {
	for f in $FILES; do
		case $f in
		+*) rm -f "$1${f#+}" ;;
		*) cp "$2/$(echo "$f" | tr / _)" "$1$f" ;;
		esac
	done
	find "$1/etc" -name '.*.notspam-*.tmp' -exec rm -f {} +
	rm -rf "$1/var/backups/notspam"
	mkdir -p "$1/var/backups"
	# What was just written is flushed now, not by the commit's first
	# fsync (the kills' moments are measured from the commit's start).
	sync
}

# expect ROOT DIR: the new bytes of each file into DIR/new_<name>.
expect() {
	for f in $FILES; do
		case $f in
		+*) "$DRIVER" edit $PAD - >"$2/new$(echo "${f#+}" | tr / _)" ;;
		*) "$DRIVER" edit $PAD "$1$f" >"$2/new$(echo "$f" | tr / _)" ;;
		esac
	done
}

# classify ROOT DIR: "NOLD NNEW NBAD" (a file that is neither is bad).
classify() {
	_o=0 _n=0 _b=0
	for f in $FILES; do
		_p=${f#+}
		_k=$(echo "$_p" | tr / _)
		if [ "$f" != "$_p" ] && [ ! -e "$1$_p" ]; then
			_o=$((_o + 1))
		elif [ "$f" = "$_p" ] && cmp -s "$1$_p" "$2/$_k"; then
			_o=$((_o + 1))
		elif cmp -s "$1$_p" "$2/new$_k"; then
			_n=$((_n + 1))
		else
			_b=$((_b + 1))
			echo "# partial or foreign: $_p" >>"$T_TMP/classify.diag"
		fi
	done
	echo "$_o $_n $_b"
}

# stamp ROOT: the one backup's stamp, or nothing.
stamp() {
	ls "$1/var/backups/notspam" 2>/dev/null | grep -E '^[0-9]{8}T[0-9]{6}Z' |
	    tail -n 1
}

# --- notspam backups and restore ------------------------------------------
R=$(sandbox b)
save "$R" "$T_TMP/b.orig"
if [ "$(id -u)" -eq 0 ]; then
	chown 4242:4343 "$R/etc/postfix/main.cf"
fi
chmod 0640 "$R/etc/postfix/main.cf"
mkdir -p "$R/srv"
mv "$R/etc/opendkim.conf" "$R/srv/opendkim.conf"
ln -s /srv/opendkim.conf "$R/etc/opendkim.conf"

run --root "$R" backups
check "backups with none: says so, exit 0" \
    test "$RC" -eq 0 -a "$(cat "$T_TMP/out")" = "no backups in /var/backups/notspam"

# shellcheck disable=SC2086
S=$("$DRIVER" commit "$R" 100 $FILES 2>"$T_TMP/derr")
check "the driver commits five files" test -n "$S"
run --root "$R" backups
check "backups: the stamp, the kind and the state" \
    has "$T_TMP/out" "^$S apply: done, 5 files, in /var/backups/notspam/$S\$"
check "backups: each file written, the created one said" \
    has "$T_TMP/out" '^    written +/etc/opendkim/new.table \(created\)$'
check "backups: the symlinked config by the name it is configured by" \
    has "$T_TMP/out" '^    written +/etc/opendkim.conf$'
check "the backup directory is 0700" \
    test "$(stat -c %a "$R/var/backups/notspam/$S")" = 700
check "its copies are 0600 and hold the old bytes" sh -c '
    test "$(stat -c %a "$1/var/backups/notspam/$2/files/etc/postfix/main.cf")" = 600 &&
    cmp -s "$1/var/backups/notspam/$2/files/etc/postfix/main.cf" "$3/_etc_postfix_main.cf"' \
    sh "$R" "$S" "$T_TMP/b.orig"
check "the symlink is kept, its target edited" sh -c '
    test -L "$1/etc/opendkim.conf" && grep -q "edited by txn_driver" "$1/srv/opendkim.conf"' \
    sh "$R"
if [ "$(id -u)" -eq 0 ]; then
	check "the edited main.cf keeps its owner and mode" \
	    test "$(stat -c '%u:%g %a' "$R/etc/postfix/main.cf")" = "4242:4343 640"
fi
run --root "$R" --json backups
check "backups --json: stamp, state, files as after, modes and hashes" \
    test "$(jget "$T_TMP/out" '(j["backups"][0]["stamp"], j["backups"][0]["state"],
        [f["now"] for f in j["backups"][0]["files"]],
        j["backups"][0]["files"][0]["mode"],
        len(j["backups"][0]["files"][0]["sha256_before"]),
        j["backups"][0]["files"][4]["sha256_before"],
        j["backups"][0]["files"][2]["target"])')" = \
    "('$S', 'done', ['after', 'after', 'after', 'after', 'after'], '0640', 64, None, '/srv/opendkim.conf')"
run --root "$R" records
check "no interrupted-apply notice after a finished one" \
    sh -c '! grep -q interrupted "$1"' sh "$T_TMP/err"

echo "# edited by hand" >>"$R/etc/postfix/master.cf"
run --root "$R" restore
check "restore refuses a file changed since the apply (exit 65)" test "$RC" -eq 65
check "the refusal names the file and --force" sh -c '
    grep -q "/etc/postfix/master.cf" "$1" && grep -q -- "--force" "$1"' sh "$T_TMP/err"
check "the refusal wrote nothing" grep -q "edited by txn_driver" "$R/etc/postfix/main.cf"
run --root "$R" backups
check "backups: the file changed since" \
    has "$T_TMP/out" '^    changed since +/etc/postfix/master.cf$'

run --root "$R" restore --force
check "restore --force: exit 0" test "$RC" -eq 0
check "restore: main.cf back with its owner and mode said" \
    has "$T_TMP/out" '^restored /etc/postfix/main.cf \(mode 0640, uid [0-9]+, gid [0-9]+, [0-9]+ bytes\)$'
check "restore: the created file removed" \
    has "$T_TMP/out" '^removed /etc/opendkim/new.table \(the transaction created it\)$'
check "restore under --root reloads nothing" \
    has "$T_TMP/out" '^not reloaded: --root'
check "restore: the old bytes of every file, the created one gone" sh -c '
    for f in _etc_postfix_main.cf _etc_postfix_master.cf _etc_opendkim_key.table; do
        cmp -s "$2/$f" "$1/$(echo "$f" | tr _ /)" || exit 1
    done
    cmp -s "$2/_etc_opendkim.conf" "$1/srv/opendkim.conf" &&
    test -L "$1/etc/opendkim.conf" && test ! -e "$1/etc/opendkim/new.table"' \
    sh "$R" "$T_TMP/b.orig"
if [ "$(id -u)" -eq 0 ]; then
	check "restore: main.cf's owner and mode exactly" \
	    test "$(stat -c '%u:%g %a' "$R/etc/postfix/main.cf")" = "4242:4343 640"
fi
U=$(sed -n 's/.*"notspam restore \([0-9TZ-]*\)" undoes it.*/\1/p' "$T_TMP/out")
run --root "$R" backups
check "backups: the apply restored, by the restore's own backup" \
    has "$T_TMP/out" "^$S apply: restored by $U, 5 files"
check "backups: the restore's backup" \
    has "$T_TMP/out" "^$U restore of $S: done, 5 files"
run --root "$R" restore
check "a bare restore with nothing left to restore: exit 66" \
    sh -c 'test "$1" -eq 66 && grep -q "no backup to restore" "$2"' sh "$RC" "$T_TMP/err"
run --root "$R" --json restore "$U"
check "restore --json of the restore's backup undoes it" \
    test "$RC:$(jget "$T_TMP/out" '(j["restored"], [f["action"] for f in j["files"]], j["reload_skipped"])')" = \
    "0:('$U', ['restored', 'restored', 'restored', 'restored', 'restored'], True)"
check "the files are the applied ones again (the hand edit of master.cf too)" sh -c '
    grep -q "edited by txn_driver" "$1/srv/opendkim.conf" &&
    test -f "$1/etc/opendkim/new.table" &&
    tail -n 1 "$1/etc/postfix/master.cf" | grep -q "edited by hand"' sh "$R"
run --root "$R" restore a b
check "restore with two stamps: usage (64)" test "$RC" -eq 64
run --root "$R" backups now
check "backups with an argument: usage (64)" test "$RC" -eq 64
run --root "$R" restore ../../etc
check "restore of a name that is no stamp: 66, said" \
    sh -c 'test "$1" -eq 66 && grep -q "not a backup stamp" "$2"' sh "$RC" "$T_TMP/err"

# --- the kill -9 matrix ---------------------------------------------------
R=$(sandbox k)
O=$T_TMP/k.orig
save "$R" "$O"
expect "$R" "$O"
bad=0 backup_bad=0 notice_bad=0 restore_bad=0 tmp_left=0
before=0 incomplete=0 pending=0 done_=0 finished=0 hist=""

# after_kill LABEL HOW: check what a killed commit left (HOW: killed or
# finished), count it, and restore for the next run.
after_kill() {
	set -- "$1" "$2" $(classify "$R" "$O")
	_l=$1 _how=$2 _nnew=$4 _nbad=$5
	if [ "$_nbad" -gt 0 ]; then
		bad=$((bad + 1)); diag "$_l: $_nbad partial file(s)"
		cat "$T_TMP/classify.diag"; : >"$T_TMP/classify.diag"
	fi
	_s=$(stamp "$R")
	_j=
	[ -n "$_s" ] && _j=$(cat "$R/var/backups/notspam/$_s/journal" 2>/dev/null)
	# A file replaced: the backup complete (every copy, the manifest).
	if [ "$_nnew" -gt 0 ]; then
		case $_j in
		in-progress|done)
			for _f in $FILES; do
				case $_f in +*) continue ;; esac
				cmp -s "$R/var/backups/notspam/$_s/files$_f" \
				    "$O/$(echo "$_f" | tr / _)" ||
				    { backup_bad=$((backup_bad + 1)); diag "$_l: no copy of $_f"; }
			done
			grep -q '^file path=/etc/opendkim/new.table ' \
			    "$R/var/backups/notspam/$_s/manifest" ||
			    { backup_bad=$((backup_bad + 1)); diag "$_l: manifest incomplete"; }
			;;
		*) backup_bad=$((backup_bad + 1)); diag "$_l: $_nnew file(s) new, journal '$_j'" ;;
		esac
	fi
	[ "$_j" = done ] && [ "$_nnew" -ne 5 ] &&
	    { bad=$((bad + 1)); diag "$_l: done with $_nnew new"; }
	# What the next command says.
	"$NOTSPAM" --root "$R" records >/dev/null 2>"$T_TMP/kerr"
	sanitizer_check "$T_TMP/kerr" "notspam records after $_l" || bad=$((bad + 1))
	if [ "$_j" = in-progress ]; then
		grep -q "notspam: the apply of $_s was interrupted ($_nnew of 5 files written): run \"notspam --root $R apply\" to finish it, or \"notspam --root $R restore $_s\" to put the files back" "$T_TMP/kerr" ||
		    { notice_bad=$((notice_bad + 1)); diag "$_l: no notice"; sed 's/^/# /' "$T_TMP/kerr" | head -3; }
	elif grep -q interrupted "$T_TMP/kerr"; then
		notice_bad=$((notice_bad + 1)); diag "$_l: a notice with journal '$_j'"
	fi
	case $_j in
	'') if [ -n "$_s" ]; then incomplete=$((incomplete + 1)); else before=$((before + 1)); fi ;;
	in-progress) pending=$((pending + 1)); hist="$hist $_nnew" ;;
	done) if [ "$_how" = finished ]; then finished=$((finished + 1)); else done_=$((done_ + 1)); fi ;;
	esac
	tmp_left=$((tmp_left + $(find "$R/etc" -name '.*.notspam-*.tmp' | wc -l)))
	# Restore puts every file back, and what the kill left beside them.
	if [ -n "$_j" ]; then
		"$NOTSPAM" --root "$R" restore >/dev/null 2>"$T_TMP/rerr" ||
		    { restore_bad=$((restore_bad + 1)); diag "$_l: restore failed: $(head -c 300 "$T_TMP/rerr")"; }
		set -- $(classify "$R" "$O")
		[ "$1" -eq 5 ] || { restore_bad=$((restore_bad + 1)); diag "$_l: after restore $1 old"; }
		_n=$(find "$R/etc" -name '.*.notspam-*.tmp' | wc -l)
		[ "$_n" -eq 0 ] || { restore_bad=$((restore_bad + 1)); diag "$_l: $_n temporary file(s) left after the restore"; }
	fi
}

# summary WHAT: the counts as a TAP comment, then reset them.
summary() {
	diag "$1: $before before the backup, $incomplete with an incomplete" \
	    "backup (no journal), $pending mid-write (files new:$hist), $done_" \
	    "killed after done, $finished finished; $tmp_left temporary file(s)" \
	    "left by the kills (the restore's commit removed them)"
	before=0 incomplete=0 pending=0 done_=0 finished=0 hist="" tmp_left=0
}

# Every crash point: the commit SIGKILLs itself at each of its durable
# steps (mkdir, fsync, rename, unlink): before each one (the state after a
# step is the state before the next) and after the last; with the full
# count (APPLY_KILLS of 200 and more) also after each one.
reset "$R" "$O"
# shellcheck disable=SC2086
N=$("$DRIVER" crash "$R" $PAD 1000000 before $FILES | awk '$1 == "finished" && $3 == 0 { print $2 }')
check "a commit has durable steps to crash at (${N:-0})" test "${N:-0}" -gt 20
k=0 miss=0 points=0
while [ "$k" -lt "${N:-0}" ]; do
	k=$((k + 1))
	whens=before
	[ "$k" -eq "$N" ] || [ "$KILLS" -ge 200 ] && whens="before after"
	for when in $whens; do
		reset "$R" "$O"
		# shellcheck disable=SC2086
		how=$("$DRIVER" crash "$R" $PAD "$k" "$when" $FILES | awk '{ print $1 }')
		[ "$how" = killed ] || { miss=$((miss + 1)); diag "step $k $when: $how"; }
		after_kill "step $k $when" "$how"
		points=$((points + 1))
	done
done
sweep_pending=$pending
summary "every crash point: $points kills at $N steps"
check "every crash point was reached" test "$miss" -eq 0
check "every crash point: some left the journal in-progress" test "$sweep_pending" -gt 0

# Random moments: SIGKILL from outside, over 0..1.2 T of a commit.
T=0
for i in 1 2 3 4 5; do
	reset "$R" "$O"
	# shellcheck disable=SC2086
	t=$("$DRIVER" kill "$R" $PAD -1 $FILES | awk '$1 == "finished" && $3 == 0 { print $2 }')
	[ -n "$t" ] && { [ "$T" -eq 0 ] || [ "$t" -lt "$T" ]; } && T=$t
done
check "a commit runs to its end unkilled (the quickest of five: $T us)" test "$T" -gt 0
i=0
while [ "$i" -lt "$KILLS" ]; do
	i=$((i + 1))
	reset "$R" "$O"
	us=$(awk -v s="$i" -v t="$T" 'BEGIN { srand(s * 7919); printf "%d", rand() * t * 1.2 }')
	# shellcheck disable=SC2086
	how=$("$DRIVER" kill "$R" $PAD "$us" $FILES | awk '{ print $1 }')
	after_kill "kill $i at $us us" "$how"
done
summary "$KILLS kills at random moments over 0..$((T * 12 / 10)) us"
K="$points crash points and $KILLS random kills"
check "$K: every file its old or its new bytes, never partial" test "$bad" -eq 0
check "$K: a complete backup whenever a file was replaced" test "$backup_bad" -eq 0
check "$K: notspam reports every interrupted apply, and only those" test "$notice_bad" -eq 0
check "$K: restore puts every file back, no temporary file left" test "$restore_bad" -eq 0

# --- full and read-only file systems ---------------------------------------
if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
	skip "a full and a read-only file system" "needs root and unshare -m"
	exit 0
fi
R=$(sandbox f)
cp -a "$R/etc/postfix" "$T_TMP/f.postfix"
cp -a "$R/etc/opendkim" "$T_TMP/f.opendkim"
cat >"$T_TMP/fs.sh" <<'EOF'
# Inside a private mount namespace: $1 root, $2 driver, $3 notspam, $4 tmp.
R=$1 D=$2 N=$3 T=$4
mount --make-rprivate /
mount -t tmpfs -o size=64k tmpfs "$R/etc/postfix"
cp -a "$T/f.postfix/." "$R/etc/postfix/"
# A change too large for the file system.
"$D" commit "$R" 200000 /etc/postfix/main.cf /etc/opendkim.conf >/dev/null 2>"$T/full.err"
echo "full-rc $?"
cmp -s "$R/etc/postfix/main.cf" "$T/f.postfix/main.cf" && echo "full-main-same"
grep -q "edited by txn_driver" "$R/etc/opendkim.conf" || echo "full-opendkim-same"
ls "$R/var/backups/notspam" 2>/dev/null | grep -q '^[0-9]' || echo "full-no-backup"
# A restore when the disk has filled up since the apply.
"$D" commit "$R" 100 /etc/postfix/main.cf >/dev/null 2>&1 && echo "small-ok"
dd if=/dev/zero of="$R/etc/postfix/fill" bs=1k count=1000 2>/dev/null
"$N" --root "$R" restore >/dev/null 2>"$T/rfull.err"
echo "rfull-rc $?"
grep -q "edited by txn_driver" "$R/etc/postfix/main.cf" && echo "rfull-still-new"
rm -f "$R/etc/postfix/fill"
"$N" --root "$R" restore >/dev/null 2>&1 && echo "rfull-later-ok"
cmp -s "$R/etc/postfix/main.cf" "$T/f.postfix/main.cf" && echo "rfull-later-same"
rm -rf "$R/var/backups/notspam"
# A read-only file system.
mount -t tmpfs -o size=64k tmpfs "$R/etc/opendkim"
cp -a "$T/f.opendkim/." "$R/etc/opendkim/"
mount -o remount,ro "$R/etc/opendkim"
"$D" commit "$R" 100 /etc/postfix/main.cf /etc/opendkim/key.table >/dev/null 2>"$T/ro.err"
echo "ro-rc $?"
cmp -s "$R/etc/postfix/main.cf" "$T/f.postfix/main.cf" && echo "ro-main-same"
cmp -s "$R/etc/opendkim/key.table" "$T/f.opendkim/key.table" && echo "ro-table-same"
ls "$R/var/backups/notspam" 2>/dev/null | grep -q '^[0-9]' || echo "ro-no-backup"
EOF
unshare -m sh "$T_TMP/fs.sh" "$R" "$DRIVER" "$NOTSPAM" "$T_TMP" >"$T_TMP/fs.out" 2>&1
sanitizer_check "$T_TMP/fs.out" "the file system runs"
sanitizer_check "$T_TMP/rfull.err" "notspam restore on a full disk"
check "a full file system: the commit fails" has "$T_TMP/fs.out" '^full-rc 1$'
check "a full file system: said clearly, by name" \
    has "$T_TMP/full.err" 'cannot write /etc/postfix/main.cf: No space left on device: .*nothing was changed'
check "a full file system: nothing changed, no backup left" sh -c '
    grep -q "^full-main-same$" "$1" && grep -q "^full-opendkim-same$" "$1" &&
    grep -q "^full-no-backup$" "$1"' sh "$T_TMP/fs.out"
check "restore on a disk full since the apply: exit 74, said" sh -c '
    grep -q "^small-ok$" "$1" && grep -q "^rfull-rc 74$" "$1" &&
    grep -q "No space left on device" "$2"' sh "$T_TMP/fs.out" "$T_TMP/rfull.err"
check "... nothing changed, and once there is room it restores" sh -c '
    grep -q "^rfull-still-new$" "$1" && grep -q "^rfull-later-ok$" "$1" &&
    grep -q "^rfull-later-same$" "$1"' sh "$T_TMP/fs.out"
check "a read-only file system: the commit fails, said by name" sh -c '
    grep -q "^ro-rc 1$" "$1" &&
    grep -q "cannot write /etc/opendkim/key.table: Read-only file system; .*remount it read-write" "$2"' \
    sh "$T_TMP/fs.out" "$T_TMP/ro.err"
check "a read-only file system: nothing changed, no backup left" sh -c '
    grep -q "^ro-main-same$" "$1" && grep -q "^ro-table-same$" "$1" &&
    grep -q "^ro-no-backup$" "$1"' sh "$T_TMP/fs.out"
check "nothing of those mounts reached the host" \
    sh -c '! grep -q "$1" /proc/mounts' sh "$R"
