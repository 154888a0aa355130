#!/usr/bin/python3
"""tests/stack/devlog.py: a syslog listener on a unix datagram socket.

usage: devlog.py SOCKET LOGFILE

Appends every message received on SOCKET (/dev/log inside a test's private
mount namespace) to LOGFILE, one a line, the priority prefix dropped, so
daemons that log only to syslog (OpenDKIM) leave their lines as on a
server.
"""
import os
import re
import socket
import sys

path, log = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(log, "ab", buffering=0) as f:
    while True:
        msg = s.recv(65536)
        f.write(re.sub(rb"^<\d+>", b"", msg).rstrip(b"\n\0") + b"\n")
