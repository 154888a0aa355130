#!/bin/sh
# share/deps.sh [--build-only]: install the packages notspam needs to build
# and to run its tests, only those missing.  Debian/Ubuntu: apt-get,
# non-interactive (sudo when not root).  OpenBSD: prints the pkg_add line.
set -eu

build="make gcc pkg-config libncurses-dev libssl-dev libc-ares-dev openssl"
tests="libcmocka-dev tmux clang libclang-rt-14-dev postfix opendkim
opendkim-tools unbound dnsutils python3-dkim python3-spf python3-dnspython
python3-yaml"

openbsd() {
	echo "OpenBSD equivalent (ncurses and LibreSSL are in base):"
	echo "  doas pkg_add gmake libcares cmocka opendkim dkimproxy unbound tmux"
}
if [ "$(uname -s)" = OpenBSD ]; then
	openbsd
	exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: not a Debian-like system; install: $build $tests" >&2
	exit 69
fi

want=$build
[ "${1:-}" = "--build-only" ] || want="$build $tests"
missing=
for p in $want; do
	case $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ "${1:-}" = "--quiet" ] || openbsd
[ -n "$missing" ] || { echo "deps.sh: all packages present"; exit 0; }

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "deps.sh: installing$missing"
# Postfix asks a question on install; "No configuration" leaves /etc alone.
echo "postfix postfix/main_mailer_type select No configuration" |
	$sudo debconf-set-selections
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends $missing
