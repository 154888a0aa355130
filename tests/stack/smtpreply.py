#!/usr/bin/python3
"""tests/stack/smtpreply.py: an SMTP receiver on loopback that answers one
stage with the reply given, for tests/shell/sendtest.sh.

usage: smtpreply.py HOST PORT STAGE REPLY

HOST is an IPv4 or IPv6 address (127.0.0.1, ::1).  STAGE is greeting,
ehlo, mail, rcpt, data (the DATA command) or end (after the message's
final "."); REPLY is the reply sent there, its lines separated by "|"
("451 4.7.1 Try again later", "550-5.7.1 first|550 5.7.1 last"), each sent
with CRLF.  Every other command gets 250 (354 to DATA, 221 to QUIT).
"ready" is printed on stdout once the port is bound.  The standard library
only.
"""
import socket
import socketserver
import sys

HOST, PORT, STAGE, REPLY = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
    sys.argv[4]
ANSWER = b"".join(l.encode() + b"\r\n" for l in REPLY.split("|"))


class Session(socketserver.StreamRequestHandler):
    def send(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def handle(self):
        if STAGE == "greeting":
            self.send(ANSWER)
            return
        self.send(b"220 reply.test ESMTP\r\n")
        for line in self.rfile:
            verb = line[:4].upper()
            stage = {b"EHLO": "ehlo", b"HELO": "ehlo", b"MAIL": "mail",
                     b"RCPT": "rcpt", b"DATA": "data"}.get(verb)
            if stage == STAGE:
                self.send(ANSWER)
            elif verb == b"DATA":
                self.send(b"354 go ahead\r\n")
                for body in self.rfile:
                    if body in (b".\r\n", b".\n"):
                        break
                self.send(ANSWER if STAGE == "end" else
                          b"250 2.0.0 Ok: queued as 4Zr3Ply9\r\n")
            elif verb == b"QUIT":
                self.send(b"221 2.0.0 Bye\r\n")
                return
            elif stage == "ehlo":
                self.send(b"250-reply.test\r\n250 ENHANCEDSTATUSCODES\r\n")
            else:
                self.send(b"250 2.0.0 Ok\r\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    address_family = socket.AF_INET6 if ":" in HOST else socket.AF_INET


srv = Server((HOST, PORT), Session)
print("ready", flush=True)
srv.serve_forever()
