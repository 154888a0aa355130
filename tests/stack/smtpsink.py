#!/usr/bin/python3
"""tests/stack/smtpsink.py: an SMTP sink on loopback for the stack tests.

usage: smtpsink.py HOST PORT OUTDIR

Accepts every message (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and
writes each one's bytes as received (dot-stuffing undone, nothing else
changed, so DKIM signatures still verify) to OUTDIR/N.eml through a
temporary name and a rename, so a test can poll for *.eml.  The standard
library only (python3-aiosmtpd is not needed).
"""
import os
import socketserver
import sys
import threading

OUT = sys.argv[3]
COUNT = [0]
LOCK = threading.Lock()


class Session(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def data(self):
        self.reply("354 end with <CRLF>.<CRLF>")
        body = []
        for line in self.rfile:
            if line in (b".\r\n", b".\n"):
                break
            if line.startswith(b".."):
                line = line[1:]
            body.append(line)
        with LOCK:
            COUNT[0] += 1
            n = COUNT[0]
        tmp = os.path.join(OUT, ".%d.tmp" % n)
        with open(tmp, "wb") as f:
            f.write(b"".join(body))
        os.rename(tmp, os.path.join(OUT, "%d.eml" % n))
        self.reply("250 2.0.0 queued as %d" % n)

    def handle(self):
        self.reply("220 sink ESMTP")
        for line in self.rfile:
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 sink")
            elif verb == b"DATA":
                self.data()
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server((sys.argv[1], int(sys.argv[2])), Session).serve_forever()
