#!/usr/bin/python3
"""share/sandbox-sink.py: the receiver of notspam's live sandbox.

usage: sandbox-sink.py HOST PORT DIR [IPV4 [IPV6]]

An SMTP server on HOST:PORT (loopback, inside the sandbox's own network)
standing in for the receiving mail server: it accepts every message and
keeps each one in DIR/N.eml as a receiver delivers it: its bytes exactly
as received (the dot-stuffing undone, nothing else changed, so that its
DKIM signature can be verified) under the two fields a receiver adds,
Return-Path (the envelope sender) and Received (the client's EHLO name
and address).  The sandbox's sender connects from its loopback, which
stands for the mail host's public addresses: with IPV4 (IPV6), a client
on 127.0.0.0/8 (::1) is recorded as connecting from IPV4 (IPV6), as the
receiver on the Internet would see it, so that `notspam verify FILE`
checks SPF against the sandbox's records.  Each file appears whole (a
temporary name, then a rename).
Its answer to the message names the file, so that the sender's log (and
notspam's test step, which shows the receiver's answer) says where the
message is.  One line per message on standard output.  The standard
library only.
"""
import email.utils
import os
import socketserver
import sys
import threading
import time

HOST, PORT, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3]
AS4 = sys.argv[4] if len(sys.argv) > 4 else None
AS6 = sys.argv[5] if len(sys.argv) > 5 else None
NAME = "receiver.sandbox.example"
# A message larger than this is refused (552), never kept half.
MAX_MESSAGE = 32 * 1024 * 1024
# A command line longer than this ends the session (RFC 5321: 512).
MAX_LINE = 4096
COUNT = [0]
LOCK = threading.Lock()


def say(text):
    """One log line, flushed (the log is a file)."""
    sys.stdout.write("%s %s\n" % (time.strftime("%H:%M:%S"), text))
    sys.stdout.flush()


def word(line, skip):
    """The first word after the verb, printable ASCII only, bounded."""
    w = line[skip:].strip().split(b" ")[0][:256]
    return w.decode("ascii", "replace").translate(
        {c: "?" for c in list(range(33)) + [127]})


class Session(socketserver.StreamRequestHandler):
    timeout = 300
    helo = "unknown"
    sender = ""
    rcpt = None

    def peer(self):
        """The client's address as the receiver records it."""
        a = self.client_address[0]
        if a.startswith("::ffff:"):
            a = a[7:]
        if AS4 and a.startswith("127."):
            return AS4, a
        if AS6 and a == "::1":
            return AS6, a
        return a, None

    def fields(self, n):
        """Return-Path and Received, as the final receiver adds them."""
        addr, real = self.peer()
        note = "; %s stands for %s here" % (real, addr) if real else ""
        return ("Return-Path: <%s>\r\n"
                "Received: from %s (%s [%s])\r\n"
                "\tby %s (the sandbox's receiver%s)\r\n"
                "\twith ESMTP id %d for <%s>; %s\r\n" % (
                    self.sender, self.helo, self.helo, addr, NAME, note, n,
                    self.rcpt[0] if self.rcpt else "",
                    email.utils.formatdate(localtime=True))).encode(
                        "ascii", "replace")

    def reply(self, text):
        self.wfile.write(text.encode("ascii", "replace") + b"\r\n")
        self.wfile.flush()

    def data(self):
        """DATA: the message up to the lone dot, kept as DIR/N.eml."""
        self.reply("354 end with <CRLF>.<CRLF>")
        body, size = [], 0
        for line in self.rfile:
            if line in (b".\r\n", b".\n"):
                break
            if line.startswith(b".."):
                line = line[1:]
            size += len(line)
            if size <= MAX_MESSAGE:
                body.append(line)
        else:
            return False
        if size > MAX_MESSAGE:
            self.reply("552 5.3.4 message too big for the sandbox")
            return True
        with LOCK:
            COUNT[0] += 1
            n = COUNT[0]
        path = os.path.join(OUT, "%d.eml" % n)
        tmp = os.path.join(OUT, ".%d.tmp" % n)
        with open(tmp, "wb") as f:
            f.write(self.fields(n) + b"".join(body))
        os.rename(tmp, path)
        say("kept %s (%d bytes)" % (path, size))
        self.reply("250 2.0.0 kept as %s; notspam verify FILE judges it "
                   "(the sandbox does on q)" % path)
        return True

    def handle(self):
        self.reply("220 %s ESMTP the sandbox's receiver" % NAME)
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            if not line or len(line) > MAX_LINE:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.helo = word(line, 4) or "unknown"
                self.reply("250 " + NAME)
            elif line[:10].upper() == b"MAIL FROM:":
                self.sender = word(line, 10).strip("<>")
                self.rcpt = []
                self.reply("250 2.1.0 ok")
            elif line[:8].upper() == b"RCPT TO:":
                if self.rcpt is not None and len(self.rcpt) < 100:
                    self.rcpt.append(word(line, 8).strip("<>"))
                self.reply("250 2.1.5 ok")
            elif verb == b"DATA":
                if not self.data():
                    return
            elif verb == b"QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                # MAIL, RCPT, RSET, NOOP and the rest: all accepted.
                self.reply("250 2.0.0 ok")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


os.makedirs(OUT, exist_ok=True)
srv = Server((HOST, PORT), Session)
say("listening on %s port %d, keeping messages in %s" % (HOST, PORT, OUT))
srv.serve_forever()
