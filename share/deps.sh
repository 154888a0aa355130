#!/bin/sh
# share/deps.sh [--tests]: install the packages notspam needs, only those
# missing.  Without an argument: what building and the demo need (the demo
# answers from its own zone files: no DNS server, no mail server).  With
# --tests: the test packages too, among them Postfix, OpenDKIM and unbound;
# refused when another mail server is installed, since Debian's postfix
# package would remove it.  Debian/Ubuntu: apt-get, non-interactive (sudo
# when not root).  OpenBSD: prints the pkg_add line.
set -eu

build="make gcc pkg-config libncurses-dev libssl-dev libc-ares-dev openssl"
tests="libcmocka-dev tmux clang libclang-rt-14-dev postfix opendkim
opendkim-tools unbound dnsutils bind9-utils python3-dkim python3-spf
python3-dnspython python3-authheaders python3-yaml libmail-dkim-perl
python3-prometheus-client"

mode=build
case ${1:-} in
"") ;;
--tests) mode=tests ;;
*)	echo "usage: sh share/deps.sh [--tests]" >&2; exit 64 ;;
esac

if [ "$(uname -s)" = OpenBSD ]; then
	echo "OpenBSD equivalent (ncurses and LibreSSL are in base):"
	if [ $mode = tests ]; then
		echo "  doas pkg_add gmake libcares cmocka opendkim dkimproxy" \
		    "unbound tmux"
	else
		echo "  doas pkg_add gmake libcares"
	fi
	exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
	want=$build
	[ $mode = build ] || want="$build $tests"
	echo "deps.sh: not a Debian-like system; install:" $want >&2
	exit 69
fi

installed() {
	case $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) in
	*" installed") return 0 ;;
	esac
	return 1
}

want=$build
if [ $mode = tests ]; then
	# Debian's MTAs conflict with each other (mail-transport-agent):
	# installing postfix would remove the machine's own mail server.
	if ! installed postfix; then
		for p in exim4-daemon-light exim4-daemon-heavy opensmtpd \
		    sendmail-bin courier-mta dma msmtp-mta nullmailer ssmtp; do
			if installed "$p"; then
				echo "deps.sh: $p is installed: the tests need" \
				    "postfix, whose Debian package would remove" \
				    "$p (and this machine's mail server with it)." \
				    "Run the tests on another machine or in a" \
				    "container." >&2
				exit 69
			fi
		done
	fi
	want="$build $tests"
fi
missing=
for p in $want; do
	installed "$p" || missing="$missing $p"
done
[ -n "$missing" ] || { echo "deps.sh: all packages present"; exit 0; }

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "deps.sh: installing$missing"
case $missing in
*" postfix"*)
	# Postfix asks a question on install; "No configuration" leaves /etc
	# alone.
	echo "postfix postfix/main_mailer_type select No configuration" |
		$sudo debconf-set-selections ;;
esac
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends $missing
