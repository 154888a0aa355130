#!/usr/bin/python3
"""tests/stack/smtpsink.py: an SMTP sink on loopback for the stack tests.

usage: smtpsink.py HOST PORT OUTDIR [--envelope]

Accepts every message (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and
writes each one's bytes as received (dot-stuffing undone, nothing else
changed, so DKIM signatures still verify) to OUTDIR/N.eml through a
temporary name and a rename, so a test can poll for *.eml.  The standard
library only (python3-aiosmtpd is not needed).

With --envelope, OUTDIR/N.env is written before N.eml appears: one JSON
object with what the client said and where it came from, "peer" (its
address), "port", "helo", "mail_from", "rcpt" (a list), the client's text
as it sent it (undecodable bytes backslash-escaped), so an SPF check can
use the address a relay really connected from.
"""
import json
import os
import socketserver
import sys
import threading

OUT = sys.argv[3]
ENVELOPE = "--envelope" in sys.argv[4:]
COUNT = [0]
LOCK = threading.Lock()


def arg(line, verb_len):
    """The text after the verb, without CRLF."""
    return line[verb_len:].rstrip(b"\r\n").decode("utf-8", "backslashreplace").strip()


class Session(socketserver.StreamRequestHandler):
    def setup(self):
        super().setup()
        self.env = {"helo": None, "mail_from": None, "rcpt": []}

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
        if ENVELOPE:
            peer = self.client_address
            env = dict(self.env, peer=peer[0], port=peer[1])
            tmp = os.path.join(OUT, ".%d.env.tmp" % n)
            with open(tmp, "w") as f:
                json.dump(env, f)
            os.rename(tmp, os.path.join(OUT, "%d.env" % n))
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
                self.env["helo"] = arg(line, 4)
                self.reply("250 sink")
            elif line[:10].upper() == b"MAIL FROM:":
                a = arg(line, 10).split(" ")[0]
                self.env.update(mail_from=a.strip("<>"), rcpt=[])
                self.reply("250 ok")
            elif line[:8].upper() == b"RCPT TO:":
                self.env["rcpt"].append(arg(line, 8).split(" ")[0].strip("<>"))
                self.reply("250 ok")
            elif verb == b"RSET":
                self.env.update(mail_from=None, rcpt=[])
                self.reply("250 ok")
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
