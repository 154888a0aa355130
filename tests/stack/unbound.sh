# tests/stack/unbound.sh: unbound on loopback serving test zones.
#
# Source this file, then:
#   unbound_start DIR PORT ZONEFILE...
#	serve each zone file as an auth-zone on 127.0.0.1@PORT and ::1@PORT
#	(or on the addresses in UNBOUND_ADDRS, e.g. "127.0.0.2": several
#	servers on one port, as authoritative nameservers are)
#	(the origin is the file's $ORIGIN line, else its name without .zone);
#	everything else is answered from `local-zone: "." static` (NXDOMAIN),
#	nothing is resolved outside.  Writes DIR/unbound.conf, DIR/unbound.log
#	and DIR/unbound.pid; returns once the server answers (status 1 if it
#	does not within 10 s).
#   unbound_add DIR 'name TTL IN TYPE rdata'
#	add a record at run time (it overrides the zone file for that name
#	and type).
#   unbound_stop DIR
#	TERM, then KILL after 5 s, the PID in DIR/unbound.pid.
# Rate limits are off (ratelimit: 0, ip-ratelimit: 0) so benchmarks can
# send tens of thousands of queries a second.

# The origin of a zone file, without the final dot.
_unbound_origin() {
	_uo=$(sed -n 's/^\$ORIGIN[ 	]*\([^ 	;]*\).*/\1/p' "$1" | head -n 1)
	[ -n "$_uo" ] || _uo=$(basename "$1" .zone)
	echo "${_uo%.}"
}

# The default addresses: 127.0.0.1, and ::1 when this host has IPv6 on lo.
_unbound_addrs() {
	if grep -q ' lo$' /proc/net/if_inet6 2>/dev/null; then
		echo "127.0.0.1 ::1"
	else
		echo "127.0.0.1"
	fi
}

unbound_start() {
	_ud=$1 _up=$2
	shift 2
	mkdir -p "$_ud" || return 1
	_ud=$(cd "$_ud" && pwd)
	{
		echo "server:"
		for _ua in ${UNBOUND_ADDRS:-$(_unbound_addrs)}; do
			echo "	interface: $_ua@$_up"
		done
		# A second server on a port in use must fail, not share it.
		echo "	so-reuseport: no"
		echo "	port: $_up"
		echo "	do-ip6: yes"
		echo "	do-daemonize: no"
		echo "	username: \"\""
		echo "	chroot: \"\""
		echo "	directory: \"$_ud\""
		echo "	pidfile: \"\""
		echo "	use-syslog: no"
		echo "	logfile: \"$_ud/unbound.log\""
		echo "	verbosity: 1"
		echo "	num-threads: 1"
		echo "	module-config: \"iterator\""
		echo "	access-control: 127.0.0.0/8 allow"
		echo "	access-control: ::1/128 allow"
		echo "	ratelimit: 0"
		echo "	ip-ratelimit: 0"
		echo "	edns-buffer-size: 1232"
		echo "	local-zone: \".\" static"
		for _uz in "$@"; do
			_uo=$(_unbound_origin "$_uz")
			echo "	local-zone: \"$_uo.\" transparent"
		done
		echo "remote-control:"
		echo "	control-enable: yes"
		echo "	control-use-cert: no"
		echo "	control-interface: \"$_ud/ctl\""
		for _uz in "$@"; do
			_uf=$(cd "$(dirname "$_uz")" && pwd)/$(basename "$_uz")
			echo "auth-zone:"
			echo "	name: \"$(_unbound_origin "$_uz").\""
			echo "	zonefile: \"$_uf\""
			echo "	for-downstream: yes"
			echo "	for-upstream: no"
			echo "	fallback-enabled: no"
		done
	} >"$_ud/unbound.conf"
	unbound-checkconf "$_ud/unbound.conf" >"$_ud/checkconf.log" 2>&1 ||
	    { cat "$_ud/checkconf.log" >&2; return 1; }
	# The inner shell records its own PID, then becomes unbound: right
	# whether or not setsid had to fork.
	rm -f "$_ud/unbound.pid"
	setsid sh -c 'echo $$ >"$1/unbound.pid"
	    exec unbound -d -c "$1/unbound.conf"' sh "$_ud" \
	    </dev/null >>"$_ud/unbound.log" 2>&1 &
	_uq=$(_unbound_origin "${1:-.}")
	_ui=0
	while [ ! -s "$_ud/unbound.pid" ] && [ $_ui -lt 50 ]; do
		sleep 0.02
		_ui=$((_ui + 1))
	done
	_ui=0
	while [ $_ui -lt 100 ]; do
		_uaddr=$(echo "${UNBOUND_ADDRS:-127.0.0.1}" | cut -d' ' -f1)
		if dig +time=1 +tries=1 -p "$_up" @"$_uaddr" "$_uq." SOA \
		    2>/dev/null | grep -q 'status: NOERROR'; then
			return 0
		fi
		kill -0 "$(cat "$_ud/unbound.pid")" 2>/dev/null || break
		sleep 0.1
		_ui=$((_ui + 1))
	done
	echo "unbound did not start on port $_up; see $_ud/unbound.log" >&2
	tail -n 5 "$_ud/unbound.log" >&2
	unbound_stop "$_ud"
	return 1
}

unbound_add() {
	unbound-control -c "$1/unbound.conf" local_data "$2" >/dev/null
}

unbound_stop() {
	[ -f "$1/unbound.pid" ] || return 0
	_us=$(cat "$1/unbound.pid")
	rm -f "$1/unbound.pid"
	kill -TERM "$_us" 2>/dev/null || return 0
	_ui=0
	while kill -0 "$_us" 2>/dev/null && [ $_ui -lt 50 ]; do
		sleep 0.1
		_ui=$((_ui + 1))
	done
	kill -KILL "$_us" 2>/dev/null
	return 0
}
