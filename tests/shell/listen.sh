#!/bin/sh
# The doctor's probes (core/doctor/listen.h) against real OpenDKIM daemons
# started from a temporary directory on loopback, through
# tests/drivers/listen_driver (no --root: the live /proc and real
# connects).  One OpenDKIM listens on inet:PORT@127.0.0.1 (given by -p,
# while its config's Socket says another port), one on a unix socket
# owned by opendkim with mode 0700 (UMask 077).  Checked, from /proc and
# then by the probes: listening and the milter handshake; the IPv4/IPv6
# mismatch (the seed's [::1] against 127.0.0.1); permission denied probed
# as another user; a missing path; the chroot (a child chrooted into a
# directory, as opendkim: the socket outside it is ENOENT, the one inside
# answers); refused once OpenDKIM is stopped, its socket file left stale.
# Skipped unless root (OpenDKIM's UserID, the probes' setuid) with
# opendkim installed.  Nothing outside the temporary directory is written.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

DRIVER=${LISTEN_DRIVER:-$(dirname "$NOTSPAM")/tests/drivers/listen_driver}
[ -x "$DRIVER" ] || DRIVER=$NOTSPAM_TOP/build/asan/tests/drivers/listen_driver
why=
if [ "$(id -u)" -ne 0 ]; then why="not root"
elif ! command -v opendkim >/dev/null 2>&1; then why="opendkim is not installed"
elif ! id opendkim >/dev/null 2>&1; then why="no opendkim user"
elif ! id nobody >/dev/null 2>&1; then why="no nobody user"
fi
if [ -n "$why" ]; then
	skip "listen probes against real OpenDKIM" "$why"
	echo "1..$T_N"
	exit 0
fi
if [ ! -x "$DRIVER" ]; then
	not_ok "the test driver $DRIVER is not built (make unit)"
	echo "1..$T_N"
	exit 0
fi

PIDS=
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# A directory opendkim may create its socket in; the run directory of the
# unix one is reached from inside a chroot at $T_TMP as /run.
mkdir -p "$T_TMP/run" "$T_TMP/jail"
chown opendkim:opendkim "$T_TMP/run"
chmod 755 "$T_TMP/run"
P=$(free_port)
P2=$(free_port)
SOCK=$T_TMP/run/od.sock
cat >"$T_TMP/opendkim.conf" <<CONF
Syslog			no
Mode			v
UserID			opendkim
PidFile			$T_TMP/run/opendkim.pid
Socket			inet:$P2@localhost
CONF
cat >"$T_TMP/od2.conf" <<CONF
Syslog			no
Mode			v
UserID			opendkim
UMask			077
PidFile			$T_TMP/run/od2.pid
Socket			local:$SOCK
CONF
cat >"$T_TMP/notspam.conf" <<CONF
opendkim_conf = $T_TMP/opendkim.conf
domains = example.org
public_ipv4 = 192.0.2.25
CONF

# start CONF ARGS...: OpenDKIM in the foreground, its pid once its pid
# file appears, in $OD.
start() {
	_pf=$(awk '$1 == "PidFile" { print $2 }' "$1")
	rm -f "$_pf"
	setsid opendkim -f -x "$@" </dev/null >>"$T_TMP/od.log" 2>&1 &
	PIDS="$PIDS $!"
	_n=0
	while [ ! -s "$_pf" ] && [ $_n -lt 50 ]; do sleep 0.1; _n=$((_n + 1)); done
	OD=$(tr -d ' \n' <"$_pf" 2>/dev/null)
	PIDS="$PIDS $OD"
}
start "$T_TMP/opendkim.conf" -p "inet:$P@127.0.0.1"
OD1=$OD
start "$T_TMP/od2.conf"
OD2=$OD
n=0
while [ ! -S "$SOCK" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
check "two OpenDKIMs started (pids $OD1 and $OD2), the unix socket is there" \
    sh -c "[ -n '$OD1' ] && [ -n '$OD2' ] && [ -S '$SOCK' ]"
diag "$(ls -l "$SOCK" 2>&1)"

# drive FILE ARGS...: the driver's output in FILE (sanitizer reports fail).
drive() {
	_o=$1; shift
	"$DRIVER" -c "$T_TMP/notspam.conf" "$@" >"$_o" 2>"$_o.err"
	_rc=$?
	sanitizer_check "$_o.err" "listen_driver $*"
	[ $_rc -eq 0 ] || { not_ok "listen_driver $* exited $_rc"; sed 's/^/# /' "$_o.err"; }
}
# line FILE ENDPOINT: the endpoint's line and the two that follow.
line() { grep -A2 -F "endpoint driver $2 " "$1"; }
# has_ep FILE ENDPOINT REGEX: the endpoint's lines, joined, match REGEX.
has_ep() { line "$1" "$2" | tr '\n' ' ' | grep -Eq -- "$3"; }
# show FILE: the output as TAP comments.
show() { sed 's/^/# /' "$1"; }

EPS="-e inet:127.0.0.1:$P -e inet:[::1]:$P -e inet:localhost:$P
    -e unix:$SOCK -u nobody -e unix:$SOCK -u opendkim
    -e unix:$T_TMP/run/missing.sock -u opendkim
    -e unix:$SOCK -u opendkim -C $T_TMP/jail
    -e unix:/run/od.sock -u opendkim -C $T_TMP"

# ---- From /proc and the file system alone ----
# shellcheck disable=SC2086
drive "$T_TMP/seen" $EPS
O=$T_TMP/seen
check "the signer runs: pid $OD1 from its pid file" \
    has "$O" "^signer opendkim running pid $OD1 "
check "  its socket is -p's, read from /proc/$OD1/cmdline, not Socket's port $P2" \
    has "$O" "^signer opendkim running pid $OD1 socket inet:$P@127.0.0.1 from /proc/$OD1/cmdline -p listening 1$"
check "127.0.0.1:$P: listening, by opendkim (pid $OD1)" \
    has_ep "$O" "inet:127.0.0.1:$P" "state=listening cause=none pid=$OD1 comm=opendkim"
check "[::1]:$P: refused, the family mismatch named with who listens on IPv4" \
    has_ep "$O" "inet:[::1]:$P" "state=refused cause=address family mismatch pid=$OD1"
check "  detail: nothing on [::1], opendkim on 127.0.0.1 only" \
    has_ep "$O" "inet:[::1]:$P" "detail: nothing listens on \[::1\]:$P; opendkim \(pid $OD1, uid [0-9]+\) listens on 127.0.0.1:$P only \(IPv4\)"
check "localhost:$P: listening (127.0.0.1 takes it)" \
    has_ep "$O" "inet:localhost:$P" "state=listening cause=none pid=$OD1"
check "the 0700 socket as nobody: permission denied, the mode named" \
    has_ep "$O" "unix:$SOCK" "state=permission denied cause=permissions"
want="nobody may not write the socket $SOCK (srwx------ opendkim:opendkim; the others' bits)"
check "  detail: nobody may not write srwx------ opendkim:opendkim" \
    sh -c 'grep -A1 -F "endpoint driver unix:$1 state=permission denied" "$2" |
    grep -Fq "$3"' sh "$SOCK" "$O" "$want"
check "the same socket as opendkim: listening, by pid $OD2" \
    sh -c "grep -qF 'endpoint driver unix:$SOCK state=listening cause=none pid=$OD2 comm=opendkim' '$O'"
check "a missing path: no such file" \
    has_ep "$O" "unix:$T_TMP/run/missing.sock" "state=no such file .*detail: $T_TMP/run/missing.sock does not exist"
check "chrooted in $T_TMP/jail: no such file, the chroot named" \
    has_ep "$O" "unix:$SOCK" "state=no such file cause=chroot"
check "chrooted in $T_TMP, unix:/run/od.sock: the socket inside, listening" \
    has_ep "$O" "unix:/run/od.sock" "state=listening cause=none pid=$OD2"
show "$O"

# ---- Probed ----
# shellcheck disable=SC2086
drive "$T_TMP/probed" -p -t 3 $EPS
O=$T_TMP/probed
check "probe 127.0.0.1:$P: handshake ok (SMFIC_OPTNEG answered)" \
    has_ep "$O" "inet:127.0.0.1:$P" "state=handshake ok cause=none"
check "  the probe says a milter answered" \
    has_ep "$O" "inet:127.0.0.1:$P" "probe: a milter answered SMFIC_OPTNEG \(protocol 6\) at 127.0.0.1:$P"
check "probe [::1]:$P: refused (or no ::1 here), still the family mismatch" \
    has_ep "$O" "inet:[::1]:$P" "state=(refused|no address) cause=address family mismatch"
check "  the probe's own words: connect to [::1]:$P" \
    has_ep "$O" "inet:[::1]:$P" "probe: connect to \[::1\]:$P: (Connection refused|Cannot assign requested address)"
check "probe localhost:$P: handshake ok" \
    has_ep "$O" "inet:localhost:$P" "state=handshake ok"
check "probe the 0700 socket as nobody: permission denied, from the child's own connect" \
    sh -c "grep -A2 -F 'endpoint driver unix:$SOCK state=permission denied' '$O' |
    grep -Fq 'probe: connect to unix:$SOCK: Permission denied (as nobody)'"
check "probe it as opendkim: handshake ok" \
    sh -c "grep -qF 'endpoint driver unix:$SOCK state=handshake ok cause=none pid=$OD2' '$O'"
check "probe the missing path: no such file (ENOENT)" \
    has_ep "$O" "unix:$T_TMP/run/missing.sock" "probe: connect to unix:$T_TMP/run/missing.sock: No such file or directory \(as opendkim\)"
check "probe chrooted in $T_TMP/jail: ENOENT inside the chroot" \
    sh -c "grep -A2 -F 'endpoint driver unix:$SOCK state=no such file cause=chroot' '$O' |
    grep -Fq 'probe: connect to unix:$SOCK in the chroot $T_TMP/jail: No such file or directory (as opendkim, chrooted)'"
check "probe chrooted in $T_TMP, /run/od.sock: handshake ok" \
    has_ep "$O" "unix:/run/od.sock" "state=handshake ok cause=none"
show "$O"

# ---- OpenDKIM stopped ----
kill -KILL $OD1 $OD2 2>/dev/null
n=0
while kill -0 $OD1 2>/dev/null || kill -0 $OD2 2>/dev/null; do
	[ $n -lt 50 ] || break
	sleep 0.1; n=$((n + 1))
done
# shellcheck disable=SC2086
drive "$T_TMP/stopped" -p -t 2 -e "inet:127.0.0.1:$P" -e "unix:$SOCK" -u opendkim
O=$T_TMP/stopped
check "stopped: the signer is not running (its pid file stale)" \
    has "$O" "^signer opendkim stopped pid 0 "
check "stopped: 127.0.0.1:$P refused, the signer not running named" \
    has_ep "$O" "inet:127.0.0.1:$P" "state=refused cause=signer not running"
check "  the probe: Connection refused" \
    has_ep "$O" "inet:127.0.0.1:$P" "probe: connect to 127.0.0.1:$P: Connection refused"
check "stopped: the socket file left behind is refused (stale), the probe agrees" \
    sh -c "grep -A2 -F 'endpoint driver unix:$SOCK state=refused cause=signer not running' '$O' |
    grep -q 'is a socket file nobody listens on' &&
    grep -A2 -F 'endpoint driver unix:$SOCK state=refused' '$O' |
    grep -Fq 'probe: connect to unix:$SOCK: Connection refused'"
show "$O"
echo "1..$T_N"
