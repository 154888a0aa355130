# tests/stack/smtpd_pkg.sh: Debian's OpenSMTPD and filter-dkimsign for the
# suites that run the real daemons (sourced after tests/lib.sh).
#
# The packages opensmtpd, opensmtpd-filter-dkimsign and libopensmtpd0 are
# downloaded with apt-get download into build/debs/ (once, kept for the
# next runs: the same cache tests/shell/smtpd_real.sh and plan.sh use) and
# extracted, never installed (they conflict with Postfix); a suite lays
# the extracted usr/ over /usr with overlayfs inside its own namespace.
#
#   smtpd_pkg DIR
#	extract the three packages into DIR, with the library's soname link
#	(ldconfig makes it on install) and smtpctl setgid to group 9102 (the
#	postinst's dpkg-statoverride makes it setgid opensmtpq: a suite gives
#	that group the number 9102 in its copy of /etc/group); status 1 with
#	the reason in $SMTPD_PKG_WHY when a package cannot be had or holds no
#	smtpd or filter-dkimsign, or no overlayfs can lay it over /usr here.
# SMTPD_PKG_APT_S (default 120): the time limit of one download, seconds.

# _smtpd_deb NAME: the package's .deb in build/debs/ (downloaded once),
# its path on stdout; status 1, the reason in $SMTPD_PKG_WHY.
_smtpd_deb() {
	_sd_dir=$NOTSPAM_TOP/build/debs
	mkdir -p "$_sd_dir"
	_sd_f=$(ls "$_sd_dir/$1"_*.deb 2>/dev/null | tail -n 1)
	if [ -z "$_sd_f" ]; then
		if ! (cd "$_sd_dir" && timeout "${SMTPD_PKG_APT_S:-120}" \
		    apt-get download "$1") >"$T_TMP/apt.$1" 2>&1; then
			SMTPD_PKG_WHY="apt-get download $1 failed: $(grep -v '^W:' \
			    "$T_TMP/apt.$1" | tail -n 1)"
			return 1
		fi
		_sd_f=$(ls "$_sd_dir/$1"_*.deb 2>/dev/null | tail -n 1)
	fi
	[ -n "$_sd_f" ] || {
		SMTPD_PKG_WHY="apt-get download $1 left no .deb"
		return 1
	}
	echo "$_sd_f"
}

smtpd_pkg() {
	SMTPD_PKG_WHY=
	if ! command -v apt-get >/dev/null 2>&1 ||
	    ! command -v dpkg-deb >/dev/null 2>&1; then
		SMTPD_PKG_WHY="apt-get or dpkg-deb is missing"
		return 1
	fi
	mkdir -p "$1"
	for _sd_p in opensmtpd opensmtpd-filter-dkimsign libopensmtpd0; do
		_sd_deb=$(_smtpd_deb "$_sd_p") || return 1
		dpkg-deb -x "$_sd_deb" "$1" || {
			SMTPD_PKG_WHY="dpkg-deb -x $_sd_deb failed"
			return 1
		}
		diag "$_sd_p: $(basename "$_sd_deb")"
	done
	for _sd_so in "$1"/usr/lib/*/libopensmtpd.so.0.*; do
		[ -e "$_sd_so" ] &&
		    ln -sf "$(basename "$_sd_so")" "${_sd_so%.so.0.*}.so.0"
	done
	[ -x "$1/usr/sbin/smtpd" ] &&
	    [ -x "$1/usr/libexec/opensmtpd/filter-dkimsign" ] || {
		SMTPD_PKG_WHY="the packages hold no usr/sbin/smtpd or filter-dkimsign"
		return 1
	}
	chown 0:9102 "$1/usr/sbin/smtpctl" && chmod 2755 "$1/usr/sbin/smtpctl"
	if ! unshare -m --propagation private sh -c "mount -t overlay overlay \
	    -o lowerdir=$1/usr:/usr /usr" 2>"$T_TMP/ovl.err"; then
		SMTPD_PKG_WHY="no overlayfs to lay the packages over /usr: $(head -n 1 "$T_TMP/ovl.err")"
		return 1
	fi
}
