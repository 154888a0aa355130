# tests/tmux.sh: the console in a detached tmux session, for the suites
# that drive a screen.  Source it after tests/lib.sh with TM_NAME set (the
# tmux server's name: one per suite and process).  Gives:
#   $TM                tmux on that server, with no configuration file
#   screen             what pane "c" shows now
#   wait_for RE [N]    poll until RE shows (N tenths, default 50), else
#                      print the pane as TAP comments and fail
#   gone RE            after 0.3 s, RE no longer shows
#   tm_start W H CMD   a W x H session "c" running CMD, then "EXITED rc"
#   tm_paste TEXT      paste TEXT into pane "c" as a terminal does: in
#                      bracketed paste markers when the program asked
#                      for them (ESC [ ? 2004 h), else as typed
#   tm_listen PORT     wait (5 s at most) until a loopback TCP port takes
#                      connections
# and kills the server on exit (with the temporary directory), and the
# processes whose ids are in $TM_PIDS.
TM="tmux -L ${TM_NAME:-notspam}-$$ -f /dev/null"
TM_PIDS=
tm_cleanup() {
	[ -n "$TM_PIDS" ] && kill $TM_PIDS 2>/dev/null
	$TM kill-server 2>/dev/null
	rm -rf "$T_TMP"
}
trap tm_cleanup EXIT

screen() { $TM capture-pane -p -t c; }
wait_for() {
	_n=0
	while [ "$_n" -lt "${2:-50}" ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	screen | sed 's/^/# /'
	return 1
}
gone() { sleep 0.3; ! screen | grep -Eq -- "$1"; }
tm_start() {
	_w=$1 _h=$2; shift 2
	$TM kill-session -t c 2>/dev/null
	$TM new-session -d -s c -x "$_w" -y "$_h" "$*; echo EXITED \$?; sleep 30"
}
tm_paste() {
	$TM set-buffer -b tm_paste -- "$1" && $TM paste-buffer -p -d -b tm_paste -t c
}
tm_listen() {
	"$PY" -c '
import socket, sys, time
for _ in range(50):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)' "$1"
}
