#!/usr/bin/python3
"""share/sandbox-devlog.py: the syslog of notspam's live sandbox.

usage: sandbox-devlog.py LOGDIR SOCKET...

Listens on each SOCKET (unix datagram: /dev/log inside the sandbox, and
Postfix's /var/spool/postfix/dev/log for its chrooted daemons, as
Debian's rsyslog does) and appends every message to LOGDIR/mail.log when
its facility is mail, else to LOGDIR/syslog, one a line, the way rsyslog
writes them on a server ("Mon DD HH:MM:SS host tag[pid]: text"), so that
OpenDKIM, which logs only to syslog, and Postfix leave their lines where
notspam reads them.  Control bytes are written as \\ooo.  The standard
library only.
"""
import os
import re
import select
import socket
import sys
import time

LOGDIR, PATHS = sys.argv[1], sys.argv[2:]
HOST = socket.gethostname().split(".")[0] or "localhost"
MAIL = 2  # LOG_MAIL >> 3
STAMP = re.compile(rb"^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} ")
PRI = re.compile(rb"^<([0-9]{1,3})>")


def clean(b):
    """The message as one printable line."""
    return re.sub(rb"[\x00-\x08\x0a-\x1f\x7f]",
                  lambda m: b"\\%03o" % m.group()[0], b)


def line(msg):
    """(facility, the log line) of one datagram."""
    m = PRI.match(msg)
    pri = int(m.group(1)) if m else 13
    if m:
        msg = msg[m.end():]
    msg = msg.rstrip(b"\n\0")
    if STAMP.match(msg):
        stamp, rest = msg[:15], msg[16:]
    else:
        stamp, rest = time.strftime("%b %e %H:%M:%S").encode(), msg
    return pri >> 3, b"%s %s %s\n" % (stamp, HOST.encode(), clean(rest))


socks = []
for path in PATHS:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)
    socks.append(s)
logs = {True: open(os.path.join(LOGDIR, "mail.log"), "ab", buffering=0),
        False: open(os.path.join(LOGDIR, "syslog"), "ab", buffering=0)}
while True:
    ready, _, _ = select.select(socks, [], [])
    for s in ready:
        fac, text = line(s.recv(65536))
        logs[fac == MAIL].write(text)
