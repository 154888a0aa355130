#!/bin/sh
# Nothing lost: `notspam apply --yes` itself (the command, not the engine
# alone: tests/shell/txn.sh drives core/apply/txn.h through a test driver)
# under faults, on copies of share/demo and of the stock Debian fixture
# roots (tests/fixtures/plan: Postfix + OpenDKIM, Postfix + dkimproxy,
# OpenSMTPD + filter-dkimsign), offline (--zones).
#
#  1. SIGKILL at random moments: APPLY_KILLS kills on each root (20 by
#     default, 200 for the full count; APPLY_KILL_SEED the seed, printed),
#     a third over the whole run (0 to 1.1 times an uninterrupted run), a
#     third from the moment its backup directory appears (to 1.1 times the
#     rest of the run), a third from the moment its journal appears (to 1.2
#     times the time until it says done: the files are replaced then),
#     all measured from outside by tests/shell/apply_kill.py: no code of
#     the program is there for the test.  After each kill: every file is
#     its old or its new entry (bytes, mode, owner; the new from an
#     uninterrupted apply on another copy), never partial; a temporary
#     file left beside the configs is counted and must be gone once the
#     next restore or apply ran (the stage directories left in $TMPDIR
#     once the next apply ran, a minute later); the backup is complete
#     whenever a file changed; the next command (status, apply --dry-run
#     or records, in turn) says the apply was interrupted and how to
#     finish or restore it, exactly when the journal says so; restore
#     gives back the old tree exactly (every third interrupted one is
#     first finished by apply, then restored by its stamp).  The outcomes
#     (before any write, mid-write, after) are TAP comments.
#  2. ENOSPC: the root on a small tmpfs filled page by page, the backup
#     base on a tmpfs of its own filled page by page, the root's file
#     system filled up by another program while the commit runs
#     (APPLY_FILLS times, 20 by default), the stage directory ($TMPDIR)
#     full: applied, or a clear error naming the file and the cause with
#     every file as it was and no backup claiming to be complete.
#  3. Read-only: /etc/postfix, /etc, the backup base, the whole root bound
#     read-only: a clear error, nothing changed; a restore on a read-only
#     /etc/postfix too.
#  4. Reloads: (a) under --root no reload ever runs, by design, whatever
#     the `*.reload` settings say (checked); (b) on the real paths, in a
#     private mount namespace (a copy of /etc bound over /etc), a reload
#     command that fails puts every file back and reloads again
#     (apply_real.sh covers a signing path that does not answer after
#     the reload, with the real daemons).
# 2, 3 and 4b need root and unshare -m (mounts in a private namespace,
# nothing reaches the host); skipped with the reason otherwise.  Time
# limits, in seconds: APPLY_FAULTS_LIMIT (any one notspam run, default 60).
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
TOP=$(pwd)
FIX=tests/fixtures/plan
KP="$PY $TOP/tests/shell/apply_kill.py"
KILLS=${APPLY_KILLS:-20}
FILLS=${APPLY_FILLS:-20}
SEED=${APPLY_KILL_SEED:-$(date +%s)}
LIMIT=${APPLY_FAULTS_LIMIT:-60}
export APPLY_KILL_LIMIT="$LIMIT"
# The stage directories go here, to be counted.
export TMPDIR="$T_TMP/tmp"
mkdir -p "$TMPDIR"
ROOTUSER=0
[ "$(id -u)" -eq 0 ] && ROOTUSER=1

# ns ARGS...: notspam within the time limit; stdout, stderr, $RC as run.
ns() {
	RC=0
	timeout "$LIMIT" "$NOTSPAM" "$@" >"$T_TMP/out" 2>"$T_TMP/err" || RC=$?
	sanitizer_check "$T_TMP/err" "notspam $*"
}

# reset SRC R: R a fresh copy of SRC, flushed (so the commit's fsyncs do
# not write the copy).
reset() {
	rm -rf "$2"
	cp -a "$1" "$2"
	sync
}

# least: the smallest of the numbers on stdin (the run least slowed down
# by the rest of the machine).
least() { sort -n | head -n 1; }

# rnd SEED I MAX: a pseudo-random integer in 0..MAX from SEED and I (a
# Lehmer generator: awk's srand takes few bits of a large seed).
rnd() {
	_x=$(( ($1 % 2147483647 + $2 * 2654435761) % 2147483646 + 1 ))
	for _k in 1 2 3 4; do _x=$(( _x * 48271 % 2147483647 )); done
	echo $(( _x % ($3 + 1) ))
}

# --- the roots -------------------------------------------------------------
# Each NAME.src is a root before any apply (keys made), with a file of
# another owner and mode when root; zones NAME says its zones.
setup() {
	_n=$1 _from=$2
	rm -rf "$T_TMP/$_n.src"
	cp -a "$_from" "$T_TMP/$_n.src"
	shift 2
	"$NOTSPAM" --root "$T_TMP/$_n.src" keygen example.com "$@" \
	    >"$T_TMP/keygen.out" 2>&1 ||
	    { diag "$_n: keygen failed"; sed 's/^/# /' "$T_TMP/keygen.out"; }
}
setup demo share/demo
# A config edited through its symlink.
mkdir -p "$T_TMP/demo.src/srv"
mv "$T_TMP/demo.src/etc/default/opendkim" "$T_TMP/demo.src/srv/default-opendkim"
ln -s /srv/default-opendkim "$T_TMP/demo.src/etc/default/opendkim"
setup deb12-opendkim "$FIX/deb12-opendkim"
setup postfix-dkimproxy "$FIX/postfix-dkimproxy"
rm -rf "$T_TMP/dkimsign"
cp -a "$FIX/deb12-opensmtpd" "$T_TMP/dkimsign"
printf 'signer = filter-dkimsign\ndomains = example.com example.net\n' \
    >>"$T_TMP/dkimsign/etc/notspam/notspam.conf"
setup opensmtpd-dkimsign "$T_TMP/dkimsign" --signer filter-dkimsign
if [ "$ROOTUSER" -eq 1 ]; then
	for n in demo deb12-opendkim postfix-dkimproxy; do
		chown 4242:4343 "$T_TMP/$n.src/etc/postfix/main.cf"
		chmod 0640 "$T_TMP/$n.src/etc/postfix/main.cf"
	done
	chown 4242:4343 "$T_TMP/opensmtpd-dkimsign.src/etc/smtpd.conf"
	chmod 0604 "$T_TMP/opensmtpd-dkimsign.src/etc/smtpd.conf"
fi
ROOTS="demo deb12-opendkim postfix-dkimproxy opensmtpd-dkimsign"
zones() { case $1 in demo) echo share/demo-zones ;; *) echo "$FIX/zones" ;; esac; }

# --- 1. SIGKILL at random moments ----------------------------------------
# Totals over every root.
t_kills=0 t_before=0 t_incomplete=0 t_mid=0 t_after=0 t_ended=0
bad=0 backup_bad=0 notice_bad=0 restore_bad=0 finish_bad=0 other=0
tmp_left=0 tmp_gone_bad=0 stage_left=0 stage_bad=0 t_finished=0

# after_kill LABEL HOW: what the kill left in $R, checked and counted;
# then the next command, and the restore (or the finishing apply).
after_kill() {
	_l=$1 _how=$2
	outcome=other nnew=0 nchanged=0 nbad=1 ntmp=0 btmp=0 backup_bad_n=0
	stamp='' journal=''
	eval "$($KP state "$SRC" "$WANT" "$R" 2>"$T_TMP/state.diag" |
	    sed 's/backup_bad=/backup_bad_n=/')"
	if [ "$nbad" -gt 0 ]; then
		bad=$((bad + 1)); diag "$_l: $nbad entries neither old nor new"
		cat "$T_TMP/state.diag"
	fi
	if [ "$backup_bad_n" -gt 0 ]; then
		backup_bad=$((backup_bad + 1)); diag "$_l: the backup is not complete"
		cat "$T_TMP/state.diag"
	fi
	tmp_left=$((tmp_left + ntmp + btmp))
	case $outcome in
	before) a_before=$((a_before + 1)) ;;
	incomplete) a_incomplete=$((a_incomplete + 1)) ;;
	mid) a_mid=$((a_mid + 1)); a_hist="$a_hist $nnew/$nchanged" ;;
	after) if [ "$_how" = killed ]; then a_after=$((a_after + 1));
		else a_ended=$((a_ended + 1)); fi ;;
	*) other=$((other + 1)); diag "$_l: journal '$journal'" ;;
	esac
	# The next command, whichever it is, says it (only) when interrupted.
	case $((t_kills % 3)) in
	0) _cmd=status ;; 1) _cmd="apply --dry-run" ;; 2) _cmd=records ;;
	esac
	# shellcheck disable=SC2086
	ns --root "$R" --zones "$Z" $_cmd
	if [ "$outcome" = mid ]; then
		grep -qF "notspam: the apply of $stamp was interrupted ($nnew of $nchanged files written): run \"notspam --root $R apply\" to finish it, or \"notspam --root $R restore $stamp\" to put the files back" "$T_TMP/err" ||
		    { notice_bad=$((notice_bad + 1)); diag "$_l: $_cmd: no notice"
		      sed 's/^/#   /' "$T_TMP/err" | head -n 3; }
	elif grep -q interrupted "$T_TMP/err"; then
		notice_bad=$((notice_bad + 1))
		diag "$_l: $_cmd: a notice with journal '$journal'"
	fi
	case $outcome in
	mid|after)
		if [ "$outcome" = mid ] && [ $((a_mid % 3)) -eq 0 ]; then
			finish "$_l"
			_rs=$stamp
		else
			_rs=
		fi
		ns --root "$R" restore ${_rs:+"$_rs"}
		if [ "$RC" -ne 0 ]; then
			restore_bad=$((restore_bad + 1))
			diag "$_l: restore $_rs: $RC: $(head -c 300 "$T_TMP/err")"
		elif ! $KP same "$SRC" "$R" 2>"$T_TMP/same.diag"; then
			restore_bad=$((restore_bad + 1))
			diag "$_l: after the restore, not the old tree:"
			head -n 5 "$T_TMP/same.diag"
		fi
		;;
	incomplete)
		# The next apply removes the backup the kill left unfinished.
		ns --root "$R" --zones "$Z" apply --yes
		_n=$(ls "$R/var/backups/notspam" | grep -c '^[0-9]')
		if [ "$RC" -ne 0 ] || [ "$_n" -ne 1 ] ||
		    ! $KP same "$WANT" "$R" 2>"$T_TMP/same.diag"; then
			finish_bad=$((finish_bad + 1))
			diag "$_l: the apply after an incomplete backup: $RC, $_n backups"
			head -n 5 "$T_TMP/same.diag"
		fi
		;;
	esac
	# Nothing to run after a kill before the backup: nothing may be left.
	if [ "$outcome" = before ] && [ $((ntmp + btmp)) -gt 0 ]; then
		tmp_gone_bad=$((tmp_gone_bad + 1))
		diag "$_l: temporary files left, and no backup to restore"
	elif [ "$outcome" != before ]; then
		_n=$(find "$R" -name '.*.notspam-*.tmp' | wc -l)
		[ "$_n" -eq 0 ] || { tmp_gone_bad=$((tmp_gone_bad + 1))
			diag "$_l: $_n temporary files left after the next run"
			find "$R" -name '.*.notspam-*.tmp' | sed 's/^/#   /'; }
	fi
}

# finish LABEL: apply --yes finishes the interrupted apply: the new tree,
# the journal done, no notice; then restore of its stamp (in $_rs).
finish() {
	t_finished=$((t_finished + 1))
	ns --root "$R" --zones "$Z" apply --yes
	_ok=1 _rc=$RC
	[ "$RC" -eq 0 ] || _ok=0
	$KP same "$WANT" "$R" 2>"$T_TMP/same.diag" || _ok=0
	grep -q '^done finished by' "$R/var/backups/notspam/$stamp/journal" ||
	    _ok=0
	ns --root "$R" --zones "$Z" status
	! grep -q interrupted "$T_TMP/err" || _ok=0
	if [ "$_ok" -eq 0 ]; then
		finish_bad=$((finish_bad + 1))
		diag "$1: apply did not finish it: exit $_rc"
		head -n 5 "$T_TMP/same.diag"
		sed 's/^/#   /' "$T_TMP/err" | head -n 3
	fi
}

ri=0
for n in $ROOTS; do
	ri=$((ri + 1))
	SRC=$T_TMP/$n.src R=$T_TMP/$n Z=$(zones "$n")
	WANT=$T_TMP/$n.want
	# Uninterrupted runs: their length, when the commit starts; the last
	# one is the new tree.
	: >"$T_TMP/m.total"; : >"$T_TMP/m.commit"; : >"$T_TMP/m.journal"
	for i in 1 2 3; do
		reset "$SRC" "$WANT"
		set -- $($KP measure "$WANT/var/backups/notspam" "$NOTSPAM" \
		    --root "$WANT" --zones "$Z" apply --yes)
		[ "$1 $2" = "exited 0" ] || { diag "$n: uninterrupted apply: $*"; continue; }
		echo "$3" >>"$T_TMP/m.total"
		echo $(($3 - $4)) >>"$T_TMP/m.commit"
		echo $(($6 - $5)) >>"$T_TMP/m.journal"
	done
	T=$(least <"$T_TMP/m.total") C=$(least <"$T_TMP/m.commit")
	J=$(least <"$T_TMP/m.journal")
	ns --root "$SRC" --zones "$Z" --json apply --dry-run
	files=$($PY tests/shell/plan_json.py files "$T_TMP/out" | wc -l)
	check "$n: an uninterrupted apply changes the plan's $files files and takes ${T:-?} us (from the backup on ${C:-?} us; from its journal to done ${J:-?} us)" \
	    sh -c '[ -n "$1" ] && [ "$1" -gt 0 ] && [ "$($2 state "$3" "$4" "$4" | sed "s/.*nchanged=\([0-9]*\).*/\1/")" -eq "$5" ]' \
	    sh "$T" "$KP" "$SRC" "$WANT" "$files"
	[ -n "$T" ] || continue
	a_before=0 a_incomplete=0 a_mid=0 a_after=0 a_ended=0 a_hist=
	i=0
	while [ "$i" -lt "$KILLS" ]; do
		i=$((i + 1))
		reset "$SRC" "$R"
		case $((i % 3)) in
		1)	us=$(rnd "$SEED" $((ri * 1000 + i)) $((T * 11 / 10)))
			how=$($KP run "$us" "$NOTSPAM" --root "$R" --zones "$Z" apply --yes)
			l="$n kill $i at $us us" ;;
		2)	us=$(rnd "$SEED" $((ri * 1000 + i)) $((C * 11 / 10)))
			how=$($KP commit "$us" "$R/var/backups/notspam" "$NOTSPAM" \
			    --root "$R" --zones "$Z" apply --yes)
			l="$n kill $i at $us us into the commit" ;;
		0)	us=$(rnd "$SEED" $((ri * 1000 + i)) $((J * 12 / 10)))
			how=$($KP commit "$us" "$R/var/backups/notspam/*/journal" \
			    "$NOTSPAM" --root "$R" --zones "$Z" apply --yes)
			l="$n kill $i at $us us after the journal" ;;
		esac
		case $how in
		killed*) how=killed ;;
		"exited 0 "*) how=ended ;;
		*) diag "$l: $how"; other=$((other + 1)) ;;
		esac
		t_kills=$((t_kills + 1))
		after_kill "$l" "$how"
	done
	# The stage directories the kills left (the checkers' copies) are
	# removed by the next apply that stages, once a minute old.
	_st=$(ls "$TMPDIR" | grep -c '^notspam-stage-')
	stage_left=$((stage_left + _st))
	if [ "$_st" -gt 0 ]; then
		touch -d '-2 minutes' "$TMPDIR"/notspam-stage-*
		reset "$SRC" "$R"
		ns --root "$R" --zones "$Z" apply --yes
		_n=$(ls "$TMPDIR" | grep -c '^notspam-stage-')
		[ "$_n" -eq 0 ] || { stage_bad=$((stage_bad + 1))
			diag "$n: $_n of $_st stage directories left after the next apply"; }
		rm -rf "${TMPDIR:?}"/notspam-stage-*
	fi
	# shellcheck disable=SC2086
	a_hist=$(printf '%s\n' $a_hist | sort | uniq -c |
	    awk '{ printf "%s%s x%d", (NR > 1 ? ", " : " "), $2, $1 }')
	diag "$n: $KILLS kills (a third within 0..$((T * 11 / 10)) us of the run, a third" \
	    "within 0..$((C * 11 / 10)) us of the backup's start, a third within" \
	    "0..$((J * 12 / 10)) us of its journal): $a_before before any write," \
	    "$a_incomplete with the backup begun (no journal), $a_mid mid-write" \
	    "(files new of changed:${a_hist:- none}), $a_after after it was done," \
	    "$a_ended ended before the kill"
	t_before=$((t_before + a_before)) t_incomplete=$((t_incomplete + a_incomplete))
	t_mid=$((t_mid + a_mid)) t_after=$((t_after + a_after)) t_ended=$((t_ended + a_ended))
done
# The sweep of stage directories spares those in use: one locked by a
# live process (an hour old), one made less than a minute ago (unlocked).
R=$T_TMP/sweep
mkdir -p "$TMPDIR/notspam-stage-live" "$TMPDIR/notspam-stage-fresh" \
    "$TMPDIR/notspam-stage-dead"
touch -d '-1 hour' "$TMPDIR/notspam-stage-live" "$TMPDIR/notspam-stage-dead"
"$PY" -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))' "$TMPDIR/notspam-stage-live" "$T_TMP/locked" "$LIMIT" &
holder=$!
i=0
while [ ! -e "$T_TMP/locked" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
reset "$T_TMP/deb12-opendkim.src" "$R"
ns --root "$R" --zones "$FIX/zones" apply --yes
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check "the next apply removes an old unlocked stage, keeps a locked one and a fresh one" \
    [ "$RC:$(ls "$TMPDIR" | grep '^notspam-stage-' | tr '\n' ' ')" = \
    "0:notspam-stage-fresh notspam-stage-live " ]
rm -rf "${TMPDIR:?}"/notspam-stage-*

K="$t_kills kills"
diag "$K on 4 roots (seed $SEED): $t_before before any write, $t_incomplete" \
    "with the backup begun, $t_mid mid-write ($t_finished of them finished by" \
    "apply), $t_after after, $t_ended ended first; $tmp_left temporary files" \
    "left by the kills, $stage_left stage directories left in \$TMPDIR"
check "$K: every file its old or its new bytes, mode and owner, never partial" [ "$bad" -eq 0 ]
check "$K: a complete backup whenever a file changed" [ "$backup_bad" -eq 0 ]
check "$K: the next command reports every interrupted apply, and only those" [ "$notice_bad" -eq 0 ]
check "$K: restore gives back the old tree exactly" [ "$restore_bad" -eq 0 ]
check "$K: apply finishes an interrupted apply, and clears an unfinished backup" [ "$finish_bad" -eq 0 ]
check "$K: no temporary file left once the next restore or apply ran" [ "$tmp_gone_bad" -eq 0 ]
check "$K: the stage directories they left are removed by the next apply" [ "$stage_bad" -eq 0 ]
check "$K: every kill's outcome is one of before, mid, after" [ "$other" -eq 0 ]
if [ "$KILLS" -ge 10 ]; then
	check "$K: some kills hit the apply mid-write ($t_mid)" [ "$t_mid" -gt 0 ]
else
	skip "some kills hit the apply mid-write" "APPLY_KILLS=$KILLS is below 10"
fi

# --- 4a. Under --root no reload runs, whatever the settings say --------------
R=$T_TMP/reload-root
reset "$T_TMP/deb12-opendkim.src" "$R"
printf 'postfix.reload = /bin/false\nopendkim.restart = /bin/false\n' \
    >>"$R/etc/notspam/notspam.conf"
ns --root "$R" --zones "$FIX/zones" apply --yes
check "--root with reload settings that fail: applied, 0 (got $RC)" [ "$RC" -eq 0 ]
check "  no reload ran, and it says so" sh -c '
    grep -q "^note     --root: nothing outside the root is touched (no step, reload or signing-path check ran)" "$1" &&
    ! grep -q "^ran " "$1"' sh "$T_TMP/out"

# --- 2, 3, 4b: in a private mount namespace ----------------------------------
why=
if [ "$ROOTUSER" -ne 1 ]; then why="not root"
elif ! command -v unshare >/dev/null 2>&1; then why="unshare is missing"
elif ! unshare -m --propagation private true 2>/dev/null; then
	why="no private mount namespace here (unshare -m)"
fi
if [ -n "$why" ]; then
	skip "ENOSPC, read-only mounts and a failing reload" "$why"
	echo "1..$T_N"
	exit 0
fi

cat >"$T_TMP/inner.sh" <<'EOS'
# Inside a private mount namespace: nothing mounted here reaches the host.
set -u
T=$1 NS=$2 KP=$3 FIX=$4 LIMIT=$5 SRC=$6 WANT=$7 FRACS=$8
RES=$T/results
: >"$RES"
res() { echo "$*" >>"$RES"; }
t() { _d=$1; shift; if "$@"; then res "ok $_d"; else res "not ok $_d"; fi; }
# ns ARGS...: notspam, its output in $T/o and $T/e, its status in $RC.
ns() { RC=0; timeout "$LIMIT" "$NS" "$@" >"$T/o" 2>"$T/e" || RC=$?; }
stamps() { ls "$1/var/backups/notspam" 2>/dev/null | grep -c '^[0-9]'; }
# complete R: a backup of R claims to be complete (in-progress or done).
complete() {
	for _j in "$1"/var/backups/notspam/*/journal; do
		[ -f "$_j" ] || continue
		case $(cut -d' ' -f1 "$_j") in in-progress|done) return 0 ;; esac
	done
	return 1
}
# same A B: the trees are the same (apply_kill.py), the differences quoted.
same() { $KP same "$1" "$2" 2>"$T/same.diag" || { sed 's/^/#   /' "$T/same.diag" | head -n 5 >>"$RES"; return 1; }; }
mount --make-rprivate / || { res "not ok make / private"; exit 1; }

# sweep WHAT M R MAX: for k = 0, 1, ... MAX free pages left on the tmpfs at M
# (the rest filled), apply on R; each run either applies (the new tree, a
# backup done) or fails clearly (a file and the cause named) with
# nothing changed and no backup claiming to be complete.  Sets s_ok s_fail
# s_bad s_first (the first k that applied) and s_msgs.
sweep() {
	_w=$1 _m=$2 _r=$3 _max=$4
	s_ok=0 s_fail=0 s_bad=0 s_first=- s_codes=
	k=0
	while [ "$k" -le "$_max" ]; do
		rm -rf "$_r" "$_m/fill"
		cp -a "$SRC" "$_r"
		[ "$_w" = backup ] && mount -t tmpfs -o size=128k tmpfs "$_r/var/backups"
		_avail=$(stat -f -c %a "$_m")
		[ "$_avail" -gt "$k" ] &&
		    dd if=/dev/zero of="$_m/fill" bs=4096 count=$((_avail - k)) 2>/dev/null
		ns --root "$_r" --zones "$FIX/zones" apply --yes
		if [ "$RC" -eq 0 ]; then
			s_ok=$((s_ok + 1))
			[ "$s_first" = - ] && s_first=$k
			same "$WANT" "$_r" && complete "$_r" ||
			    { s_bad=$((s_bad + 1)); res "# $_w, $k pages free: applied, but not the new tree"; }
		else
			s_fail=$((s_fail + 1))
			case " $s_codes " in *" $RC "*) ;; *) s_codes="$s_codes $RC" ;; esac
			if ! grep -Eq 'cannot [a-z ]+ /[^ ]*: No space left on device' "$T/e" ||
			    ! same "$SRC" "$_r" || complete "$_r"; then
				s_bad=$((s_bad + 1))
				res "# $_w, $k pages free: exit $RC, $(head -c 300 "$T/e")"
			fi
			[ "$s_fail" -eq 1 ] && cp "$T/e" "$T/$_w.first.err"
		fi
		[ "$_w" = backup ] && umount "$_r/var/backups"
		[ "$s_first" != - ] && [ "$k" -ge $((s_first + 2)) ] && break
		k=$((k + 1))
	done
	rm -rf "$_r" "$_m/fill"
}

# 2a. The root on a small tmpfs, filled page by page.
M=$T/full
mkdir -p "$M"
mount -t tmpfs -o size=512k tmpfs "$M" || { res "not ok mount a tmpfs"; exit 1; }
sweep root "$M" "$M/r" 64
res "# ENOSPC, the root's file system: $((s_ok + s_fail)) runs at 0..$k free pages: $s_fail refused (exit$s_codes), $s_ok applied (from $s_first pages free)"
t "ENOSPC on the root's file system: every run applied or refused cleanly ($s_bad not)" [ "$s_bad" -eq 0 -a "$s_fail" -gt 0 -a "$s_ok" -gt 0 ]
t "  the refusal names the file and the cause: $(head -c 160 "$T/root.first.err")" \
    grep -q 'cannot write /etc/[^ ]*: No space left on device: .*nothing was changed' "$T/root.first.err"
# 2b. The backup base on a tmpfs of its own, filled.
mkdir -p "$SRC/var/backups"
sweep backup "$M/r/var/backups" "$M/r" 32
res "# ENOSPC, the backup base's file system: $((s_ok + s_fail)) runs at 0..$k free pages: $s_fail refused (exit$s_codes), $s_ok applied (from $s_first pages free)"
t "ENOSPC on the backup's file system: every run applied or refused cleanly ($s_bad not)" [ "$s_bad" -eq 0 -a "$s_fail" -gt 0 ]
t "  the refusal names the backup directory: $(head -c 160 "$T/backup.first.err")" \
    grep -q 'cannot write /var/backups/notspam: No space left on device' "$T/backup.first.err"
rmdir "$SRC/var/backups" "$SRC/var" 2>/dev/null
umount "$M"
# 2c. The file system filled while the commit runs (another program's
# writes): at random moments from when the journal is written (just before
# the first file is replaced) to 1.2 times the time it takes to say done
# (measured here: a tmpfs does not wait for fsync), the root's file
# system is filled up and the apply goes on.  Either it applied, or it refused
# before replacing a file (74), or it put every file back (2); nothing
# else (a rollback that cannot be written for want of room: 70).
f_ok=0 f_refused=0 f_back=0 f_bad=0
mount -t tmpfs -o size=512k tmpfs "$M"
# How long it takes here from the journal to done (the least of three).
: >"$T/m.j"
for f in 1 2 3; do
	rm -rf "$M/r"; cp -a "$SRC" "$M/r"
	set -- $($KP measure "$M/r/var/backups/notspam" "$NS" --root "$M/r" \
	    --zones "$FIX/zones" apply --yes)
	[ "$1 $2" = "exited 0" ] && echo $(($6 - $5)) >>"$T/m.j"
done
J=$(sort -n "$T/m.j" | head -n 1)
FILLS=0
for f in $FRACS; do
	us=$((${J:-400} * f / 1000))
	FILLS=$((FILLS + 1))
	rm -rf "$M/r" "$M/fill"; cp -a "$SRC" "$M/r"
	how=$(APPLY_KILL_STDERR=$T/e $KP fill "$us" "$M/r/var/backups/notspam/*/journal" "$M/fill" \
	    "$NS" --root "$M/r" --zones "$FIX/zones" apply --yes | tail -n 1)
	rc=$(echo "$how" | cut -d' ' -f2)
	rm -f "$M/fill"
	eval "$($KP state "$SRC" "$WANT" "$M/r" 2>/dev/null | sed 's/backup_bad=/backup_bad_n=/')"
	case $rc in
	0) f_ok=$((f_ok + 1)); same "$WANT" "$M/r" && [ "$journal" = done ] ||
	    { f_bad=$((f_bad + 1)); res "# fill at $us us: applied, not the new tree"; } ;;
	74) f_refused=$((f_refused + 1)); same "$SRC" "$M/r" && ! complete "$M/r" ||
	    { f_bad=$((f_bad + 1)); res "# fill at $us us: refused, but changed"; } ;;
	2) f_back=$((f_back + 1))
	    same "$SRC" "$M/r" && ! complete "$M/r" &&
	    grep -q 'No space left on device.*every file was put back as it was' "$T/e" ||
	    { f_bad=$((f_bad + 1)); res "# fill at $us us: put back? journal $journal: $(head -c 300 "$T/e")"; } ;;
	*) f_bad=$((f_bad + 1)); res "# fill at $us us: $how, journal $journal, $nbad partial: $(head -c 400 "$T/e")"
	    if [ "$journal" = in-progress ]; then
		ns --root "$M/r" restore
		[ "$RC" -eq 0 ] && same "$SRC" "$M/r" ||
		    res "# fill at $us us: the restore after it: $RC"
	    fi ;;
	esac
done
umount "$M"
res "# the file system filled during the commit, $FILLS times (0..$((${J:-400} * 12 / 10)) us after its journal; it says done $J us after it): $f_ok applied, $f_refused refused before replacing a file, $f_back put every file back, $f_bad neither"
t "the file system filled during the commit: applied, or refused and nothing changed ($f_bad not)" [ "$f_bad" -eq 0 ]

# 2c. The stage directory ($TMPDIR) full: the checkers' copies cannot be
# written.
mount -t tmpfs -o size=16k tmpfs "$M"
dd if=/dev/zero of="$M/fill" bs=4096 count=$(stat -f -c %a "$M") 2>/dev/null
rm -rf "$T/stage"; cp -a "$SRC" "$T/stage"
TMPDIR=$M ns --root "$T/stage" --zones "$FIX/zones" apply --yes
cp "$T/e" "$T/stage.err"
t "the stage directory on a full file system: refused, 74 (got $RC)" [ "$RC" -eq 74 ]
t "  naming the file and the cause: $(head -c 160 "$T/stage.err")" \
    grep -q 'cannot stage the edited /etc/[^ ]* for its check: .*No space left on device' "$T/stage.err"
t "  nothing changed, no backup" sh -c '$1 same "$2" "$3" && [ "$(ls "$3/var/backups/notspam" 2>/dev/null | grep -c "^[0-9]")" -eq 0 ]' sh "$KP" "$SRC" "$T/stage"
t "  no stage left behind" [ "$(ls "$M" | grep -c notspam-stage)" -eq 0 ]
umount "$M"

# 3. Read-only: a bind mount of DIR (under the root) remounted read-only.
ro() {
	_r=$T/ro
	rm -rf "$_r"; cp -a "$SRC" "$_r"
	mkdir -p "$_r$1"
	mount --bind "$_r$1" "$_r$1" && mount -o remount,bind,ro "$_r$1" ||
	    { res "not ok bind $1 read-only"; return; }
	ns --root "$_r" --zones "$FIX/zones" apply --yes
	t "$1 read-only: refused, 74 (got $RC)" [ "$RC" -eq 74 ]
	t "  naming $2 and the cause: $(head -c 160 "$T/e")" \
	    grep -q "cannot [a-z ]* $2[^ ]*: Read-only file system" "$T/e"
	umount "$_r$1"
	t "  nothing changed, no backup" sh -c '$1 same "$2" "$3" && [ "$(ls "$3/var/backups/notspam" 2>/dev/null | grep -c "^[0-9]")" -eq 0 ]' sh "$KP" "$SRC" "$_r"
}
ro /etc/postfix /etc/postfix/main.cf
ro /etc /etc/
ro /var/backups /var/backups
ro / /
# A restore when /etc/postfix became read-only after the apply.
_r=$T/ro
rm -rf "$_r"; cp -a "$SRC" "$_r"
ns --root "$_r" --zones "$FIX/zones" apply --yes
mount --bind "$_r/etc/postfix" "$_r/etc/postfix" && mount -o remount,bind,ro "$_r/etc/postfix"
ns --root "$_r" restore
t "restore on a read-only /etc/postfix: refused, 74 (got $RC), said" \
    sh -c '[ "$1" -eq 74 ] && grep -q "cannot write /etc/postfix/main.cf: Read-only file system" "$2"' sh "$RC" "$T/e"
t "  nothing changed: still the applied files" same "$WANT" "$_r"
umount "$_r/etc/postfix"
ns --root "$_r" restore
t "  once it is writable again, restore gives back the old tree" \
    sh -c '[ "$1" -eq 0 ] && $2 same "$3" "$4"' sh "$RC" "$KP" "$SRC" "$_r"

# 4b. A reload that fails, on the real paths: a copy of /etc with the
# stock Debian Postfix and OpenDKIM configs bound over /etc, a tmpfs over
# /var/lib (notspam's key states; the package database bound back),
# scratch directories over Postfix's queue directory and /var/backups.
# The reload commands are the settings' (postfix.reload fails the first
# time, with the output Postfix gives when it is not running).
rl_why=
for p in postfix postconf opendkim; do
	[ -x /usr/sbin/$p ] || rl_why="/usr/sbin/$p is not installed"
done
[ -d /var/spool/postfix ] && [ -d /var/lib/postfix ] ||
    rl_why="Postfix's queue or data directory is missing"
if [ -n "$rl_why" ]; then
	res "ok a reload that fails puts every file back # SKIP $rl_why"
	res "done"
	exit 0
fi
D=$T/rl
mkdir -p "$D/spool" "$D/lib" "$D/backups"
cp -a /etc "$D/etc"
cp -a "$SRC/etc/." "$D/etc/"
rm -rf "$D/etc/dkimkeys"
rm -f "$D/etc/aliases.db"
cat >"$D/reload" <<EOR
#!/bin/sh
echo "\$*" >>$D/reload.log
if [ "\$1" = postfix ] && [ ! -e $D/reload.failed ]; then
	: >$D/reload.failed
	echo "postfix/postfix-script: fatal: the Postfix mail system is not running" >&2
	exit 1
fi
exit 0
EOR
chmod 755 "$D/reload"
printf 'postfix.reload = %s postfix\nopendkim.restart = %s opendkim\n' \
    "$D/reload" "$D/reload" >>"$D/etc/notspam/notspam.conf"
mount --bind "$D/etc" /etc && mount --bind "$D/spool" /var/spool/postfix &&
    mount --bind /var/lib "$D/lib" && mount -t tmpfs -o mode=755 tmpfs /var/lib &&
    mkdir -p /var/lib/dpkg /var/lib/postfix &&
    mount --bind "$D/lib/dpkg" /var/lib/dpkg &&
    chown postfix:postfix /var/lib/postfix &&
    mount --bind "$D/backups" /var/backups ||
    { res "not ok bind the copy of /etc and the scratch directories"; exit 1; }
ns keygen example.com
t "no --root: keygen example.com (exit $RC)" [ "$RC" -eq 0 ]
rm -rf "$D/before"; cp -a /etc "$D/before"
ns --zones "$FIX/zones" apply --yes --timeout "$LIMIT"
cp "$T/o" "$D/apply.out"; cp "$T/e" "$D/apply.err"
t "no --root, the Postfix reload fails: refused, 2 (got $RC)" [ "$RC" -eq 2 ]
t "  the checkers ran on the real machine" \
    grep -q '^checked  /usr/sbin/postfix -c /etc/postfix check' "$D/apply.out"
t "  the reload's own output, and that every file was put back" sh -c '
    grep -q "fatal: the Postfix mail system is not running" "$1" &&
    grep -q "every file was put back as it was" "$1"' sh "$D/apply.err"
t "  /etc exactly as before (bytes, modes, owners; the new tables and their directory gone)" \
    same "$D/before" /etc
t "  the programs reloaded again after the rollback (OpenDKIM first)" \
    [ "$(tr '\n' ' ' <"$D/reload.log")" = "opendkim postfix opendkim postfix " ]
t "  the backup says rolled-back" sh -c '
    grep -qx rolled-back "$1"/notspam/*/journal' sh "$D/backups"
ns --zones "$FIX/zones" status
t "  and the next command reports no interrupted apply" \
    sh -c '! grep -q interrupted "$1"' sh "$T/e"
res "done"
EOS
# The fill moments, in thousandths of the time from the journal to done
# (0 to 1.2).
fracs='' j=0
while [ "$j" -lt "$FILLS" ]; do
	j=$((j + 1)); fracs="$fracs $(rnd "$SEED" $((9000 + j)) 1200)"
done
host_before=$(ls -d /var/lib/notspam /var/backups/notspam 2>/dev/null)
unshare -m --propagation private sh "$T_TMP/inner.sh" "$T_TMP" "$NOTSPAM" \
    "$KP" "$FIX" "$LIMIT" "$T_TMP/deb12-opendkim.src" "$T_TMP/deb12-opendkim.want" \
    "$fracs" >"$T_TMP/inner.out" 2>&1
sanitizer_check "$T_TMP/inner.out" "the namespace runs"
if ! grep -q '^done$' "$T_TMP/results" 2>/dev/null; then
	not_ok "the namespace run ended early"
	sed 's/^/# /' "$T_TMP/inner.out" | tail -n 20
fi
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok }" ;;
	"not ok "*) not_ok "${line#not ok }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$T_TMP/results"
check "nothing of those mounts reached the host" \
    sh -c '! grep -q "$1" /proc/mounts' sh "$T_TMP"
check "nothing was written on the host's own paths" \
    [ "$(ls -d /var/lib/notspam /var/backups/notspam 2>/dev/null)" = "$host_before" ]

echo "1..$T_N"
