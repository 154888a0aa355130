# tests/tmux.sh: the console in a detached tmux session, for the suites
# that drive a screen.  Source it after tests/lib.sh with TM_NAME set (the
# tmux server's name: one per suite and process).  Gives:
#   $TM                tmux on that server, with no configuration file
#   screen             what pane "c" shows now
#   wait_for RE [N]    poll until RE shows (N tenths, default 50), else
#                      print the pane as TAP comments and fail
#   gone RE            after 0.3 s, RE no longer shows
#   tm_start W H CMD   a W x H session "c" running CMD, then "EXITED rc"
# and kills the server on exit (with the temporary directory).
TM="tmux -L ${TM_NAME:-notspam}-$$ -f /dev/null"
tm_cleanup() {
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
