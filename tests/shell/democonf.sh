#!/bin/sh
# Every demo configuration (share/demo) through the daemon's own checker:
#   postconf -c DIR -n and -M   main.cf and master.cf (a warning fails)
#   postfix -c DIR check        the whole Postfix setup, in a mount namespace
#                               where only the test's temp dir is writable
#   opendkim -n -x FILE         opendkim.conf and the tables it opens
#   smtpd -n -f FILE            smtpd.conf, with OpenSMTPD's smtpd from the
#                               Debian package, extracted (never installed:
#                               it conflicts with postfix)
#   sh -n FILE                  /etc/default/opendkim, which the init script
#                               and the unit generator source with sh
# A checker that is not there is a skip with the reason.  dkimproxy has no
# checker of its configuration: dkimproxy_out.conf is a skip too.
#
# The checks run on a copy of the demo, $R, never on share/demo, and the
# copy is rewritten so the daemons open the demo's files, not this
# machine's:
#  - every absolute /etc/ path after a blank, '=', ':' or '"' (and at a
#    line's start) in the copy's configuration files becomes $R/etc/
#    (myorigin = /etc/mailname, hash:/etc/postfix/virtual, KeyTable
#    /etc/opendkim/key.table, table aliases file:/etc/mail/aliases, the
#    pki files); comments change too, which no checker minds;
#  - files the checkers open that the demo does not carry are made in $R:
#    a throwaway self-signed certificate and key for smtpd.conf's pki lines
#    (smtpd -n loads them);
#  - Postfix's queue_directory and data_directory point into the temp dir
#    (postfix check creates the queue's directories);
#  - smtpd.conf's OpenBSD interface names become Linux's: lo0 (the loopback)
#    and egress (OpenBSD's group of the default route's interfaces, which
#    Linux does not have) are both written lo.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1

R=$T_TMP/root
cp -a share/demo "$R"
for f in "$R/etc/postfix/main.cf" "$R/etc/postfix/master.cf" \
    "$R/etc/opendkim.conf" "$R/etc/opendkim/key.table" \
    "$R/etc/opendkim/signing.table" "$R/etc/mail/smtpd.conf" \
    "$R/etc/dkimproxy_out.conf" "$R/etc/default/opendkim"; do
	sed -i "s#^/etc/#$R/etc/#; s#\\([[:space:]=:\"]\\)/etc/#\\1$R/etc/#g" "$f"
done
check "the copy's paths point into it (main.cf myorigin)" \
    grep -qx "myorigin = $R/etc/mailname" "$R/etc/postfix/main.cf"

# quiet OUT ERR CMD...: run CMD with its output in OUT and ERR; true when it
# exits 0 and says nothing on stderr (a warning is a failure); the stderr is
# quoted as TAP comments otherwise.
quiet() {
	_out=$1 _err=$2; shift 2
	_rc=0
	"$@" >"$_out" 2>"$_err" || _rc=$?
	[ "$_rc" -eq 0 ] && [ ! -s "$_err" ] && return 0
	diag "$* exited $_rc"
	sed 's/^/# /' "$_err" | head -n 20
	return 1
}

# --- Postfix ------------------------------------------------------------------
if command -v postconf >/dev/null 2>&1; then
	check "postconf -n accepts the demo's main.cf, no warning" \
	    quiet "$T_TMP/out" "$T_TMP/err" postconf -c "$R/etc/postfix" -n
	check "  it reads the demo's settings (smtpd_milters)" \
	    grep -qx 'smtpd_milters = inet:\[::1\]:12345' "$T_TMP/out"
	check "postconf -M accepts the demo's master.cf, no warning" \
	    quiet "$T_TMP/out" "$T_TMP/err" postconf -c "$R/etc/postfix" -M
	check "  it lists the smtp inet service" \
	    grep -Eq '^smtp +inet ' "$T_TMP/out"
else
	skip "postconf -n / -M on the demo's main.cf and master.cf" \
	    "postconf is not installed (Debian package postfix)"
fi

# postfix check writes (it makes the queue's directories and would fix
# their owners): only in a mount namespace where / is read-only and the
# temp dir is the one writable place, so nothing outside it can change.
# Its messages go to syslog unless stderr is a terminal: script(1) gives
# it one.
pc_why=
if ! command -v postfix >/dev/null 2>&1; then
	pc_why="postfix is not installed"
elif [ "$(id -u)" -ne 0 ]; then
	pc_why="postfix check runs as root only"
elif ! command -v script >/dev/null 2>&1; then
	pc_why="script(1) is not installed (util-linux)"
elif ! unshare -m --propagation private sh -c \
    "mount -o remount,bind,ro / && [ ! -w / ]" 2>/dev/null; then
	pc_why="no mount namespace with a read-only / (unshare -m)"
fi
if [ -z "$pc_why" ]; then
	mkdir -p "$T_TMP/spool" "$T_TMP/data"
	chown postfix "$T_TMP/data" 2>/dev/null
	postconf -c "$R/etc/postfix" -e "queue_directory = $T_TMP/spool" \
	    "data_directory = $T_TMP/data"
	rc=0
	unshare -m --propagation private sh -c "
		mount --bind '$T_TMP' '$T_TMP' &&
		mount -o remount,bind,ro / &&
		script -qec 'postfix -c $R/etc/postfix check' /dev/null" \
	    >"$T_TMP/out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ] && ! grep -Eq 'warning|fatal|error' "$T_TMP/out"; then
		ok "postfix check accepts the demo, no warning"
	else
		not_ok "postfix check accepts the demo, no warning (got $rc)"
		tr -d '\r' <"$T_TMP/out" | sed 's/^/# /' | head -n 20
	fi
	check "  it ran on the copy (the queue made in the temp dir)" \
	    [ -d "$T_TMP/spool/maildrop" ]
else
	skip "postfix check on the demo" "$pc_why"
fi

# --- OpenDKIM -----------------------------------------------------------------
if command -v opendkim >/dev/null 2>&1; then
	check "opendkim -n accepts the demo's opendkim.conf" \
	    quiet "$T_TMP/out" "$T_TMP/err" opendkim -n -x "$R/etc/opendkim.conf"
else
	skip "opendkim -n on the demo's opendkim.conf" \
	    "opendkim is not installed"
fi
check "sh -n accepts the demo's /etc/default/opendkim" \
    quiet "$T_TMP/out" "$T_TMP/err" sh -n "$R/etc/default/opendkim"
skip "dkimproxy_out.conf" "dkimproxy has no checker of its configuration"

# --- OpenSMTPD ------------------------------------------------------------------
# smtpd_find: OpenSMTPD's smtpd into $SMTPD: the installed one when the
# opensmtpd package is there, else the Debian package downloaded (apt-get
# download, kept in build/debs/ for the next run) and extracted into the
# temp dir (dpkg-deb -x: no maintainer script runs, nothing is installed).
# Empty, with the reason in $smtpd_why, when neither can be had.
smtpd_find() {
	SMTPD= smtpd_why=
	if dpkg-query -W -f '${Status}' opensmtpd 2>/dev/null |
	    grep -q 'ok installed' && [ -x /usr/sbin/smtpd ]; then
		SMTPD=/usr/sbin/smtpd
		return
	fi
	for c in apt-get dpkg-deb; do
		command -v $c >/dev/null 2>&1 && continue
		smtpd_why="$c is not available"
		return
	done
	debs=$NOTSPAM_TOP/build/debs
	mkdir -p "$debs"
	if ! ls "$debs"/opensmtpd_*.deb >/dev/null 2>&1 &&
	    ! (cd "$debs" && timeout 120 apt-get download opensmtpd) \
	    >"$T_TMP/apt" 2>&1; then
		smtpd_why="apt-get download opensmtpd failed: $(tail -n 1 "$T_TMP/apt")"
		return
	fi
	deb=$(ls "$debs"/opensmtpd_*.deb | tail -n 1)
	if ! dpkg-deb -x "$deb" "$T_TMP/opensmtpd"; then
		smtpd_why="dpkg-deb -x $deb failed"
		return
	fi
	if ldd "$T_TMP/opensmtpd/usr/sbin/smtpd" 2>/dev/null | grep -q 'not found'; then
		smtpd_why="the extracted smtpd needs libraries this machine lacks"
		return
	fi
	SMTPD=$T_TMP/opensmtpd/usr/sbin/smtpd
}

smtpd_find
if [ -n "$SMTPD" ]; then
	diag "smtpd: $SMTPD"
	sm=$R/etc/mail/smtpd.conf
	sed -i 's/\blo0\b/lo/g; s/\begress\b/lo/g' "$sm"
	mkdir -p "$R/etc/ssl/private"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	    -subj /CN=mail.example.org \
	    -keyout "$R/etc/ssl/private/mail.example.org.key" \
	    -out "$R/etc/ssl/mail.example.org.fullchain.pem" 2>/dev/null
	chmod 600 "$R/etc/ssl/private/mail.example.org.key"
	rc=0
	"$SMTPD" -n -f "$sm" >"$T_TMP/out" 2>&1 || rc=$?
	check "smtpd -n accepts the demo's smtpd.conf (got $rc)" \
	    sh -c "[ $rc -eq 0 ] && grep -qx 'configuration OK' '$T_TMP/out' &&
	    [ \$(wc -l <'$T_TMP/out') -eq 1 ]"
	[ "$rc" -eq 0 ] || sed 's/^/# /' "$T_TMP/out" | head -n 20
else
	skip "smtpd -n on the demo's smtpd.conf" "$smtpd_why"
fi
exit 0
