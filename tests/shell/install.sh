#!/bin/sh
# make install into a DESTDIR puts the binary, the man page and the example
# settings where PREFIX says, and the installed binary runs.
. "${NOTSPAM_TOP:-.}/tests/lib.sh"
cd "$NOTSPAM_TOP" || exit 1
d="$T_TMP/dest"
RC=0
make -s install PREFIX=/usr/local DESTDIR="$d" >"$T_TMP/out" 2>&1 || RC=$?
check "make install exits 0" [ "$RC" -eq 0 ]
check "binary installed executable" [ -x "$d/usr/local/bin/notspam" ]
check "man page installed" [ -f "$d/usr/local/share/man/man1/notspam.1" ]
check "example settings installed" [ -f "$d/usr/local/share/notspam/notspam.conf.example" ]
check "installed binary answers --version" sh -c "'$d/usr/local/bin/notspam' --version | grep -q '^notspam [0-9]'"
check "man page documents the records JSON ids" grep -q 'ptr:' "$d/usr/local/share/man/man1/notspam.1"
check "man page documents the settings keys" grep -q 'public_ipv6' "$d/usr/local/share/man/man1/notspam.1"
