#!/bin/sh
# share/sandbox.sh [--shell]: notspam's live sandbox (`make sandbox`).
#
# A mail server to try the guided setup on, for whoever has none at hand:
# in a private mount, PID, UTS and network namespace (util-linux unshare)
# it runs, at their real paths, Postfix and OpenDKIM in the shape Debian's
# packages install them (Postfix "Internet Site" from
# /usr/share/postfix/main.cf.debian, OpenDKIM's stock opendkim.conf: no
# key, no milter, nothing signs), started and reloaded by their own init
# scripts; a receiver standing in for the rest of the world
# (share/sandbox-sink.py: Postfix relays every message to it), the DNS of
# the sandbox's domains as zone files that notspam reads (--zones) and
# that the records the setup exports are published into
# (share/sandbox-dns.py), and a syslog (share/sandbox-devlog.py: OpenDKIM
# logs only there).  Then it opens `notspam setup` on that server.
#
# The machine's own files, processes and ports are not touched: /etc is a
# copy bound over /etc, the spool, logs, /var/lib, /run and /dev are the
# sandbox's own, the network has only its loopback.  Everything lives in
# one temporary directory; on the console's q (or Ctrl-C) every process
# is stopped by its PID, and the directory is removed.
#
# With --shell, a shell inside the sandbox follows the console (exit ends
# the sandbox).  It installs nothing: when a program is missing it names
# the Debian packages to install, and stops.  Root only (namespaces).
#
# Environment: NOTSPAM (the notspam binary; default: the one built beside
# this script, else the one on PATH), TMPDIR (where the sandbox's
# directory goes), and for the tests SANDBOX_POSTFIX, SANDBOX_OPENDKIM,
# SANDBOX_OPENDKIM_TOOLS, SANDBOX_PYTHON, SANDBOX_UNSHARE (the programs
# looked for).
set -u

SB_HOST=mail.sandbox.example
SB_DOMAIN=sandbox.example
SB_DOMAIN2=second.example
SB_IPV4=192.0.2.25		# RFC 5737 documentation addresses
SB_IPV6=2001:db8::25		# RFC 3849
SB_SINK=2526			# the receiver's port (the sandbox's loopback)
SB_WATCH=2			# the DNS watch's interval, seconds

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}
export PATH
here=$(cd "$(dirname "$0")" && pwd)
me="notspam sandbox"

say() { printf '%s\n' "$*"; }
warn() { printf '%s: %s\n' "$me" "$*" >&2; }

# ---- The host side: checks, the directory, the namespace. ----------------

# need PATH PACKAGE WHAT: note a missing program (or file) and its
# package.
missing=
packages=
need() {
	[ -x "$1" ] || { [ -f "$1" ] && [ "${1#/usr/share/}" != "$1" ]; } &&
	    return 0
	missing="$missing
  $1 ($3): Debian package $2"
	case " $packages " in *" $2 "*) ;; *) packages="${packages:+$packages }$2" ;; esac
}

# The newest stamp for timings (seconds, with a fraction where date has it).
now() { date +%s.%N 2>/dev/null | sed 's/\.N*$//; s/\(\.[0-9][0-9]\).*/\1/'; }

outside() {
	shell=
	case ${1:-} in
	"") ;;
	--shell) shell=1 ;;
	-h|--help)
		sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0 ;;
	*)	warn "usage: sh share/sandbox.sh [--shell]"; exit 64 ;;
	esac

	PY=${SANDBOX_PYTHON:-/usr/bin/python3}
	UNSHARE=${SANDBOX_UNSHARE:-$(command -v unshare || echo /usr/bin/unshare)}
	need "${SANDBOX_POSTFIX:-/usr/sbin/postfix}" postfix "the MTA"
	need "${SANDBOX_OPENDKIM:-/usr/sbin/opendkim}" opendkim "the signer"
	need "${SANDBOX_OPENDKIM_TOOLS:-/usr/sbin/opendkim-testkey}" \
	    opendkim-tools "the signer's tools"
	need "$PY" python3 "the receiver, the DNS host and the syslog"
	need "$UNSHARE" util-linux "the namespaces"
	# Debian's own shape of them: the stock main.cf, the init scripts.
	if [ -z "${SANDBOX_POSTFIX:-}" ]; then
		need /usr/share/postfix/main.cf.debian postfix \
		    "Debian's stock main.cf"
		need /etc/init.d/postfix postfix "Postfix's init script"
	fi
	[ -n "${SANDBOX_OPENDKIM:-}" ] ||
	    need /etc/init.d/opendkim opendkim "OpenDKIM's init script"
	if [ -n "$missing" ]; then
		warn "these programs are missing:$missing"
		say "Install them, then run the sandbox again:" >&2
		say "  apt-get install $packages" >&2
		case " $packages " in *" postfix "*)
			say "(Postfix's package asks how to configure it: any" \
			    "answer does," >&2
			say "the sandbox starts from Debian's defaults in its" \
			    "own copy of /etc.)" >&2 ;;
		esac
		say "The sandbox installs nothing itself; nothing was started." >&2
		exit 69
	fi
	if [ "$(id -u)" -ne 0 ]; then
		warn "it must run as root: its private mount, PID and network" \
		    "namespaces need root (try: sudo make sandbox).  Nothing" \
		    "was started."
		exit 77
	fi
	NOTSPAM=${NOTSPAM:-}
	if [ -z "$NOTSPAM" ]; then
		if [ -x "$here/../notspam" ]; then
			NOTSPAM=$(cd "$here/.." && pwd)/notspam
		else
			NOTSPAM=$(command -v notspam || :)
		fi
	fi
	case $NOTSPAM in /*) ;; ?*) NOTSPAM=$(pwd)/$NOTSPAM ;; esac
	if [ -z "$NOTSPAM" ] || [ ! -x "$NOTSPAM" ]; then
		warn "no notspam binary (build it first: make; or set NOTSPAM)"
		exit 69
	fi
	if ! err=$("$UNSHARE" -m -u -p -f -n --propagation private true 2>&1); then
		warn "no private namespaces here (unshare: $err); a container" \
		    "may forbid them.  Nothing was started."
		exit 71
	fi

	D=$(mktemp -d "${TMPDIR:-/tmp}/notspam-sandbox.XXXXXX") || exit 73
	case $D in */notspam-sandbox.*) ;; *) exit 73 ;; esac
	# The postfix and opendkim users must reach their directories.
	chmod 755 "$D"
	# Removed whatever ends the sandbox; the namespace's processes are
	# gone by then (its PID 1 stopped them, the kernel kills the rest).
	trap 'rm -rf "$D"' EXIT
	# Ctrl-C (and a hang-up) reaches the whole terminal's group, the
	# sandbox too: its PID 1 stops everything, and this shell goes on
	# to remove the directory once it is done.
	trap ':' INT TERM HUP
	say "$me: starting in $D ..."
	export NOTSPAM PY D
	"$UNSHARE" -m -u -p -f --kill-child --mount-proc -n \
	    --propagation private /bin/sh "$0" --inside "$D" "$shell"
	rc=$?
	rm -rf "$D"
	if [ -e "$D" ]; then warn "could not remove $D"
	else say "$me: stopped; $D removed."; fi
	exit "$rc"
}

# ---- Inside the namespace (PID 1 there). ---------------------------------

# The stock Debian 12 files the sandbox starts from when the machine's own
# were edited (their dpkg checksum differs): opendkim 2.11.0~beta2-8.
debian_opendkim_conf() {
	cat <<'EOF'
# This is a basic configuration for signing and verifying. It can easily be
# adapted to suit a basic installation. See opendkim.conf(5) and
# /usr/share/doc/opendkim/examples/opendkim.conf.sample for complete
# documentation of available configuration parameters.

Syslog			yes
SyslogSuccess		yes
#LogWhy			no

# Common signing and verification parameters. In Debian, the "From" header is
# oversigned, because it is often the identity key used by reputation systems
# and thus somewhat security sensitive.
Canonicalization	relaxed/simple
#Mode			sv
#SubDomains		no
OversignHeaders		From

# Signing domain, selector, and key (required). For example, perform signing
# for domain "example.com" with selector "2020" (2020._domainkey.example.com),
# using the private key stored in /etc/dkimkeys/example.private. More granular
# setup options can be found in /usr/share/doc/opendkim/README.opendkim.
#Domain			example.com
#Selector		2020
#KeyFile		/etc/dkimkeys/example.private

# In Debian, opendkim runs as user "opendkim". A umask of 007 is required when
# using a local socket with MTAs that access the socket as a non-privileged
# user (for example, Postfix). You may need to add user "postfix" to group
# "opendkim" in that case.
UserID			opendkim
UMask			007

# Socket for the MTA connection (required). If the MTA is inside a chroot jail,
# it must be ensured that the socket is accessible. In Debian, Postfix runs in
# a chroot in /var/spool/postfix, therefore a Unix socket would have to be
# configured as shown on the last line below.
Socket			local:/run/opendkim/opendkim.sock
#Socket			inet:8891@localhost
#Socket			inet:8891
#Socket			local:/var/spool/postfix/opendkim/opendkim.sock

PidFile			/run/opendkim/opendkim.pid

# Hosts for which to sign rather than verify, default is 127.0.0.1. See the
# OPERATION section of opendkim(8) for more information.
#InternalHosts		192.168.0.0/16, 10.0.0.0/8, 172.16.0.0/12

# The trust anchor enables DNSSEC. In Debian, the trust anchor file is provided
# by the package dns-root-data.
TrustAnchorFile		/usr/share/dns/root.key
#Nameservers		127.0.0.1
EOF
}

debian_opendkim_default() {
	cat <<'EOF'
# NOTE: This is a legacy configuration file. It is not used by the opendkim
# systemd service. Please use the corresponding configuration parameters in
# /etc/opendkim.conf instead.
#
# Previously, one would edit the default settings here, and then execute
# /lib/opendkim/opendkim.service.generate to generate systemd override files at
# /etc/systemd/system/opendkim.service.d/override.conf and
# /etc/tmpfiles.d/opendkim.conf. While this is still possible, it is now
# recommended to adjust the settings directly in /etc/opendkim.conf.
#
#DAEMON_OPTS=""
# Change to /var/spool/postfix/run/opendkim to use a Unix socket with
# postfix in a chroot:
#RUNDIR=/var/spool/postfix/run/opendkim
RUNDIR=/run/opendkim
#
# Uncomment to specify an alternate socket
# Note that setting this will override any Socket value in opendkim.conf
# default:
SOCKET=local:$RUNDIR/opendkim.sock
# listen on all interfaces on port 54321:
#SOCKET=inet:54321
# listen on loopback on port 12345:
#SOCKET=inet:12345@localhost
# listen on 192.0.2.1 on port 12345:
#SOCKET=inet:12345@192.0.2.1
USER=opendkim
GROUP=opendkim
PIDFILE=$RUNDIR/$NAME.pid
EXTRAAFTER=
EOF
}

# stock PATH PACKAGE WRITER: the file as the package installed it: the
# machine's own when dpkg's checksum says it is unchanged, else WRITER's.
stock() {
	sum=$(dpkg-query -W -f='${Conffiles}\n' "$2" 2>/dev/null |
	    awk -v p="$1" '$1 == p { print $2 }')
	if [ -n "$sum" ] && [ -f "$1" ] &&
	    [ "$(md5sum <"$1" | cut -d' ' -f1)" = "$sum" ]; then
		cp "$1" "$M$1"
	else
		"$3" >"$M$1"
	fi
}

# The copy of /etc, without the machine's secrets and mail configuration
# (built afresh below), as root made it.
copy_etc() {
	tar -C / --exclude=./etc/shadow --exclude=./etc/shadow- \
	    --exclude=./etc/gshadow --exclude=./etc/gshadow- \
	    --exclude=./etc/ssh --exclude=./etc/letsencrypt \
	    --exclude=./etc/ssl/private --exclude=./etc/dkimkeys \
	    --exclude=./etc/opendkim --exclude=./etc/postfix \
	    --exclude=./etc/notspam --exclude=./etc/mail \
	    --exclude=./etc/dkimproxy --exclude=./etc/smtpd.conf \
	    -cf - ./etc 2>/dev/null | tar -C "$M" -xf - || return 1
	[ -f "$M/etc/passwd" ] || return 1
	mkdir -p "$M/etc/ssl/private" "$M/etc/postfix" "$M/etc/notspam"
	chmod 710 "$M/etc/ssl/private"
	chgrp ssl-cert "$M/etc/ssl/private" 2>/dev/null
	# Debian's self-signed certificate, as the ssl-cert package made it.
	[ -f /etc/ssl/private/ssl-cert-snakeoil.key ] &&
	    cp -p /etc/ssl/private/ssl-cert-snakeoil.key "$M/etc/ssl/private/"
	# Postfix's own files, then Debian's stock configuration: postinst's
	# "Internet Site" answers, for this host; the one change the sandbox
	# needs, relayhost, where the answer "smarthost" would put it.
	for f in post-install postfix-files postfix-script dynamicmaps.cf \
	    postfix-files.d dynamicmaps.cf.d sasl makedefs.out; do
		[ -e "/etc/postfix/$f" ] && cp -a "/etc/postfix/$f" "$M/etc/postfix/"
	done
	cat /usr/share/postfix/main.cf.debian /usr/share/postfix/main.cf.tls \
	    >"$M/etc/postfix/main.cf" &&
	    cp /usr/share/postfix/master.cf.dist "$M/etc/postfix/master.cf" ||
	    return 1
	printf '# See man 5 aliases for format\npostmaster:    root\n' \
	    >"$M/etc/aliases"
	echo "$SB_DOMAIN" >"$M/etc/mailname"
	echo "${SB_HOST%%.*}" >"$M/etc/hostname"
	rm -f "$M/etc/hosts" "$M/etc/resolv.conf"
	cat >"$M/etc/hosts" <<EOF
127.0.0.1	localhost
127.0.1.1	$SB_HOST	${SB_HOST%%.*}
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
EOF
	cat >"$M/etc/resolv.conf" <<'EOF'
# notspam sandbox: no DNS server answers here (only the loopback exists);
# notspam answers from the sandbox's zone files (--zones).
nameserver 127.0.0.1
EOF
	# OpenDKIM as its package installs it: no key, no signing.
	stock /etc/opendkim.conf opendkim debian_opendkim_conf
	mkdir -p "$M/etc/default"
	stock /etc/default/opendkim opendkim debian_opendkim_default
	mkdir -p "$M/etc/dkimkeys" && chmod 700 "$M/etc/dkimkeys" &&
	    chown opendkim:opendkim "$M/etc/dkimkeys" || return 1
	[ -f /etc/dkimkeys/README.PrivateKeys ] &&
	    cp /etc/dkimkeys/README.PrivateKeys "$M/etc/dkimkeys/"
	# What notspam cannot read from the configs: the addresses (the
	# documentation ones), and a second domain the mail server hosts.
	cat >"$M/etc/notspam/notspam.conf" <<EOF
# notspam's settings (notspam sandbox): the mail host's public addresses,
# RFC 5737 and RFC 3849 documentation ones, and a second hosted domain.
public_ipv4 = $SB_IPV4
public_ipv6 = $SB_IPV6
domains = $SB_DOMAIN2
EOF
}

# The mounts: the copy of /etc over /etc, the sandbox's own /var/lib (the
# machine's dpkg database, read-only, for package versions), spool, logs,
# backups, mailboxes (a local delivery, a bounce to postmaster, lands
# there), /run, and a /dev with only the devices daemons use.
mounts() {
	mount --bind "$M/etc" /etc &&
	    mount --bind /var/lib "$M/mnt/lib" &&
	    mount -t tmpfs -o mode=755 tmpfs /var/lib &&
	    mkdir -p /var/lib/dpkg /var/lib/postfix /var/lib/notspam &&
	    { [ ! -d "$M/mnt/lib/dpkg" ] ||
	    mount --bind -o ro "$M/mnt/lib/dpkg" /var/lib/dpkg; } &&
	    chown postfix:postfix /var/lib/postfix &&
	    mount --bind "$M/spool" /var/spool/postfix &&
	    mount --bind "$D/log" /var/log &&
	    mount --bind "$M/backups" /var/backups &&
	    { [ ! -d /var/mail ] || mount --bind "$M/mail" /var/mail; } &&
	    mount -t tmpfs -o mode=755 tmpfs /run &&
	    mkdir -p /run/lock && chmod 1777 /run/lock || return 1
	mount --rbind /dev "$M/mnt/dev" &&
	    mount -t tmpfs -o mode=755 tmpfs /dev || return 1
	for n in null zero full random urandom tty; do
		touch "/dev/$n" && mount --bind "$M/mnt/dev/$n" "/dev/$n" ||
		    return 1
	done
	mkdir /dev/pts /dev/shm && chmod 1777 /dev/shm &&
	    mount --bind "$M/mnt/dev/pts" /dev/pts &&
	    ln -s pts/ptmx /dev/ptmx && ln -s /proc/self/fd /dev/fd &&
	    ln -s /proc/self/fd/0 /dev/stdin && ln -s /proc/self/fd/1 /dev/stdout &&
	    ln -s /proc/self/fd/2 /dev/stderr
}

# The loopback up (127.0.0.1 and ::1), without iproute2.
lo_up() {
	"$PY" -c '
import fcntl, socket, struct
s = socket.socket()
ifr = fcntl.ioctl(s, 0x8913, struct.pack("16sH22x", b"lo", 0))
flags = struct.unpack("16sH22x", ifr)[1]
fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", flags | 1))'
}

# bg NAME CMD...: a helper started in its own session, its PID kept.
bg() {
	_n=$1; shift
	setsid "$@" </dev/null >>"/var/log/sandbox-$_n.log" 2>&1 &
	echo $! >"$D/pids/$_n"
}

# until_ok TENTHS CMD...: poll CMD.
until_ok() {
	_w=$1; shift
	while ! "$@" 2>/dev/null; do
		[ "$_w" -gt 0 ] || return 1
		sleep 0.1; _w=$((_w - 1))
	done
}

# stop_pid PID: TERM, a second, then KILL.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	until_ok 10 sh -c "! kill -0 $1" || kill -KILL "$1" 2>/dev/null
}

# Everything the sandbox started, by PID.  (Anything left is killed by
# the kernel as this PID 1 exits.)
teardown() {
	trap '' INT TERM HUP
	postfix stop >/dev/null 2>&1
	[ -s /var/spool/postfix/pid/master.pid ] &&
	    stop_pid "$(tr -dc 0-9 </var/spool/postfix/pid/master.pid)"
	# OpenDKIM keeps no state: no need to wait for its slow TERM.
	[ -s /run/opendkim/opendkim.pid ] &&
	    kill -KILL "$(tr -dc 0-9 </run/opendkim/opendkim.pid)" 2>/dev/null
	for f in "$D"/pids/*; do
		[ -s "$f" ] && stop_pid "$(cat "$f")"
	done
}

failed() {
	warn "$*"
	for f in /var/log/mail.log /var/log/sandbox-*.log /var/log/syslog; do
		[ -s "$f" ] || continue
		say "--- ${f#/var/log/}" >&2
		tail -n 8 "$f" | cut -c1-200 >&2
	done
	exit 1
}

inside() {
	D=$1 shell=$2
	t0=$(now)
	trap teardown EXIT
	# Until the console runs, a signal ends the sandbox; then the console
	# takes it (it quits) and the sandbox ends after it.
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	# What the daemons write lives in memory ($M, a tmpfs only this
	# namespace sees): faster than a disk by far, and gone with it.  What
	# a person may look at from outside stays in $D: the logs, the
	# receiver's messages, the zones.
	M=$D/ns
	mkdir -p "$M" "$D/log" "$D/pids" "$D/zones" "$D/publish" "$D/dns" \
	    "$D/sink" && chmod 755 "$D/log" &&
	    mount -t tmpfs -o mode=755 tmpfs "$M" &&
	    mkdir -p "$M/mnt/lib" "$M/mnt/dev" "$M/spool" "$M/backups" \
	    "$M/mail" && chmod 755 "$M/spool" && chmod 2775 "$M/mail" &&
	    { chgrp mail "$M/mail" 2>/dev/null || :; } ||
	    failed "could not make the sandbox's tmpfs"
	copy_etc || failed "could not copy /etc into $M"
	echo "$SB_HOST" >/proc/sys/kernel/hostname || failed "no host name"
	mounts || failed "could not set up the sandbox's mounts"
	lo_up || failed "could not bring the loopback up"

	mkdir -p /var/spool/postfix/dev
	bg devlog "$PY" "$here/sandbox-devlog.py" /var/log /dev/log \
	    /var/spool/postfix/dev/log
	bg sink "$PY" "$here/sandbox-sink.py" 127.0.0.1 "$SB_SINK" "$D/sink" \
	    "$SB_IPV4" "$SB_IPV6"
	bg dns "$PY" "$here/sandbox-dns.py" "$D/zones" "$D/dns" "$D/publish" \
	    "$SB_DOMAIN" "$SB_DOMAIN2" 2.0.192.in-addr.arpa \
	    8.b.d.0.1.0.0.2.ip6.arpa
	# The rest of Debian's postinst answers, as `postconf -e` sets them.
	postconf -e 'smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination' \
	    "myhostname = $SB_HOST" 'alias_maps = hash:/etc/aliases' \
	    'alias_database = hash:/etc/aliases' 'myorigin = /etc/mailname' \
	    "mydestination = \$myhostname, $SB_DOMAIN, $SB_HOST, localhost.$SB_DOMAIN, localhost" \
	    "relayhost = [127.0.0.1]:$SB_SINK" \
	    'mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128' \
	    'mailbox_size_limit = 0' 'recipient_delimiter = +' \
	    'inet_interfaces = all' 'inet_protocols = all' ||
	    failed "postconf -e"
	# Postfix waits for a configuration file changed within the last
	# second to settle (up to seconds, at every command): these were
	# written just now, by the sandbox, and are done.
	ago=$(($(date +%s) - 2))
	touch -d "@$ago" /etc/postfix/main.cf /etc/postfix/master.cf \
	    /etc/aliases || failed "touch"
	newaliases || failed "newaliases"
	until_ok 50 test -S /dev/log || failed "the syslog did not start"
	# Both by their init scripts, as Debian starts them without systemd
	# (and as apply reloads and restarts them), side by side.
	/etc/init.d/opendkim start >/var/log/sandbox-opendkim.log 2>&1 &
	odk=$!
	/etc/init.d/postfix start >/var/log/sandbox-postfix.log 2>&1 ||
	    failed "Postfix did not start (/etc/init.d/postfix start)"
	wait "$odk" ||
	    failed "OpenDKIM did not start (/etc/init.d/opendkim start)"
	until_ok 50 test -s "$D/zones/$SB_DOMAIN.zone" ||
	    failed "the DNS host did not start"
	until_ok 50 grep -q listening /var/log/sandbox-sink.log ||
	    failed "the receiver did not start"
	t1=$(now)
	cat <<EOF
$me: up in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s.  $SB_HOST: Postfix and OpenDKIM
  as Debian installs them (nothing signs yet), at their real paths.
  The receiver keeps every message in:  $D/sink/
  The DNS is the zone files in:         $D/zones/
  (what the DNS step exports, e then Enter, is published there at once)
Opening the guided setup; q there stops the sandbox.
EOF
	cd "$D/publish" || exit 1
	trap ':' INT TERM HUP
	"$NOTSPAM" --zones "$D/zones" setup --watch-interval "$SB_WATCH"
	rc=$?
	cd "$D" || exit 1
	received
	if [ -n "$shell" ]; then
		cat <<EOF
A shell inside the sandbox, in $D (exit ends it).  For instance:
  notspam --zones zones verify sink/1.eml
  postconf -n; cat /etc/opendkim.conf; tail /var/log/mail.log
EOF
		# No job control: the terminal's process group belongs to the
		# machine's PID namespace, which this shell cannot name.
		SANDBOX=$D PS1='sandbox# ' PATH=${NOTSPAM%/*}:$PATH sh -i +m
	fi
	exit "$rc"
}

# What the receiver got, each message judged by notspam verify against the
# sandbox's zones.
received() {
	n=0
	for f in "$D"/sink/*.eml; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		say "$me: the receiver got $f;"
		say "notspam verify, against the sandbox's zones, says:"
		"$NOTSPAM" --zones "$D/zones" verify "$f" 2>&1
	done
	[ "$n" -gt 0 ] || say "$me: the receiver got no message."
}

case ${1:-} in
--inside) shift; inside "$@" ;;
*) outside "$@" ;;
esac
