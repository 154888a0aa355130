#!/usr/bin/python3
"""tests/stack/rejectrx.py: a receiving SMTP server on loopback that
answers with the reply it is given, for tests/shell/follow_real.sh.

usage: rejectrx.py HOST PORT STAGE [REPLY]

STAGE is where REPLY replaces the usual answer:
  GREETING  instead of the 220 greeting
  MAIL      to MAIL FROM
  RCPT      to RCPT TO
  DATA      after the message's final dot (where Gmail rejects)
  OK        nowhere: 250 to everything (REPLY, if given, after the dot)
  SILENT    the connection is taken and nothing is ever said
REPLY is a whole reply, its lines apart by newlines or " | "
("550-5.7.1 first | 550 5.7.1 last"); sent byte for byte with CRLF after
each line.  HOST may be an IPv6 address (::1).  Each session is one line
on standard output: the commands it got, then "->" and the stage's reply
code.  The standard library only.
"""
import socket
import socketserver
import sys

HOST, PORT, STAGE = sys.argv[1], int(sys.argv[2]), sys.argv[3].upper()
REPLY = sys.argv[4] if len(sys.argv) > 4 else "250 2.0.0 Ok: accepted"
LINES = [l for l in REPLY.replace(" | ", "\n").split("\n") if l != ""]


class Session(socketserver.StreamRequestHandler):
    def send(self, lines):
        for line in lines:
            self.wfile.write(line.encode("utf-8", "surrogateescape") +
                             b"\r\n")
        self.wfile.flush()

    def handle(self):
        seen = []
        try:
            self.session(seen)
        except (ConnectionError, OSError):
            pass
        print(" ".join(seen), flush=True)

    def session(self, seen):
        if STAGE == "SILENT":
            seen.append("silent")
            while self.rfile.readline():
                pass
            return
        if STAGE == "GREETING":
            self.send(LINES)
            seen.append("-> greeting")
            return
        self.send(["220 rejectrx.example ESMTP"])
        for line in self.rfile:
            verb = line[:4].upper()
            seen.append(verb.decode("ascii", "replace").strip())
            if verb in (b"EHLO", b"HELO"):
                self.send(["250-rejectrx.example", "250-PIPELINING",
                           "250 8BITMIME"])
            elif verb == b"MAIL" and STAGE == "MAIL":
                self.send(LINES)
                seen.append("->")
            elif verb == b"RCPT" and STAGE == "RCPT":
                self.send(LINES)
                seen.append("->")
            elif verb == b"DATA":
                self.send(["354 End data with <CR><LF>.<CR><LF>"])
                for body in self.rfile:
                    if body in (b".\r\n", b".\n"):
                        break
                if STAGE in ("DATA", "OK"):
                    self.send(LINES)
                    seen.append("->")
                else:
                    self.send(["250 2.0.0 Ok: accepted"])
            elif verb == b"QUIT":
                self.send(["221 2.0.0 Bye"])
                return
            elif verb == b"RSET" or verb == b"NOOP":
                self.send(["250 2.0.0 Ok"])
            else:
                self.send(["250 2.1.0 Ok"])


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    address_family = socket.AF_INET6 if ":" in HOST else socket.AF_INET


Server((HOST, PORT), Session).serve_forever()
