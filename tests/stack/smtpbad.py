#!/usr/bin/python3
"""tests/stack/smtpbad.py: SMTP servers on loopback that misbehave on
purpose, or speak STARTTLS and AUTH, for tests/shell/smtp.sh.

usage: smtpbad.py [--cert PEM --key PEM] [--out DIR] [--host ADDR]
                  MODE=PORT...

One listener per MODE=PORT, all in one process; "ready" is printed on
stdout once every port is bound.  Modes:

  tls           STARTTLS offered; AUTH PLAIN LOGIN offered only after TLS
                (AUTH before it: 530 5.7.0); user alice, password s3cret;
                each message written to DIR/tls-N.eml; "queued as" id
  authclear     AUTH PLAIN LOGIN offered without STARTTLS (a client must
                not send its password here)
  tls-silent    STARTTLS answered with 220, then no handshake
  inject        STARTTLS answered with 220 and an injected "250" in the
                same packet (CVE-2011-0411)
  garbage       a greeting that is not SMTP
  close0        closes at once, before any greeting
  close         greeting, then half a multi-line EHLO reply, then closes
  rej-greeting  554 greeting; rej-ehlo, rej-mail, rej-rcpt, rej-data: 5xx
                to that command (rej-mail's text holds ESC and BEL); rej-end: Gmail's multi-line 550-5.7.1
                after the data; greylist: 450 4.2.0 to RCPT
  silence       accepts and says nothing
  silence-end   takes the message, then says nothing
  longline      a greeting line of 1 MB (and keeps sending)
  lf            replies ending in a bare LF
  noeol         "220 hello" without a line end, then nothing
  toomany       a greeting of 1000 lines
  helo          502 to EHLO, accepts HELO (RFC 5321 4.1.4 fallback)

The standard library only.
"""
import os
import socket
import ssl
import sys
import threading
import time

GMAIL = (b"550-5.7.1 [2001:db8::25] Our system has detected that this "
         b"message does not meet\r\n"
         b"550-5.7.1 IPv6 sending guidelines regarding PTR records and "
         b"authentication.\r\n"
         b"550 5.7.1 Please review https://support.google.com/mail/"
         b"?p=IPv6AuthError x1-20020a05 - gsmtp\r\n")

REJECT = {
    "rej-ehlo": (b"EHLO", b"550 5.7.1 EHLO refused: you are not welcome\r\n"),
    "rej-mail": (b"MAIL", b"553 5.7.1 <x>: Sender address rejected "
                 b"\x1b[2J\x07\r\n"),
    "rej-rcpt": (b"RCPT", b"550 5.1.1 <x>: Recipient address rejected: "
                 b"User unknown\r\n"),
    "greylist": (b"RCPT", b"450 4.2.0 <x>: Recipient address rejected: "
                 b"Greylisted, try again later\r\n"),
    "rej-data": (b"DATA", b"554 5.5.1 Error: no valid recipients\r\n"),
}

OPTS = {"cert": None, "key": None, "out": ".", "host": "127.0.0.1"}
COUNT = [0]
LOCK = threading.Lock()


class Conn:
    def __init__(self, sock, mode):
        self.sock = sock
        self.mode = mode
        self.rf = sock.makefile("rb")
        self.tls = False

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        return self.rf.readline(4096)

    def starttls(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(OPTS["cert"], OPTS["key"])
        self.rf.close()
        self.sock = ctx.wrap_socket(self.sock, server_side=True)
        self.rf = self.sock.makefile("rb")
        self.tls = True

    def ehlo(self):
        ext = [b"250-bad.example"]
        if self.mode in ("tls", "inject", "tls-silent") and not self.tls:
            ext.append(b"250-STARTTLS")
        if (self.mode == "tls" and self.tls) or self.mode == "authclear":
            ext.append(b"250-AUTH PLAIN LOGIN")
        ext.append(b"250 ENHANCEDSTATUSCODES")
        self.send(b"\r\n".join(ext) + b"\r\n")

    def auth(self, words):
        if not self.tls:
            self.send(b"530 5.7.0 Must issue a STARTTLS command first\r\n")
            return
        import base64
        if words[1].upper() == b"PLAIN":
            creds = base64.b64decode(words[2]).split(b"\0")[1:]
        else:
            self.send(b"334 VXNlcm5hbWU6\r\n")
            user = base64.b64decode(self.line().strip())
            self.send(b"334 UGFzc3dvcmQ6\r\n")
            creds = [user, base64.b64decode(self.line().strip())]
        if creds == [b"alice", b"s3cret"]:
            self.send(b"235 2.7.0 Authentication successful\r\n")
        else:
            self.send(b"535 5.7.8 Error: authentication failed\r\n")

    def data(self):
        self.send(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        body = []
        while True:
            line = self.line()
            if line in (b".\r\n", b""):
                break
            if line.startswith(b".."):
                line = line[1:]
            body.append(line)
        if self.mode == "silence-end":
            time.sleep(3600)
        if self.mode == "rej-end":
            self.send(GMAIL)
            return
        with LOCK:
            COUNT[0] += 1
            n = COUNT[0]
        path = os.path.join(OPTS["out"], "%s-%d.eml" % (self.mode, n))
        with open(path + ".tmp", "wb") as f:
            f.write(b"".join(body))
        os.rename(path + ".tmp", path)
        self.send(b"250 2.0.0 Ok: queued as 4Xk%dQz9\r\n" % n)

    def greet(self):
        m = self.mode
        if m == "garbage":
            self.send(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        elif m == "close0":
            return False
        elif m == "rej-greeting":
            self.send(b"554 5.3.2 bad.example ESMTP no service here\r\n")
        elif m in ("silence", "noeol"):
            if m == "noeol":
                self.send(b"220 hello")
            time.sleep(3600)
        elif m == "longline":
            self.send(b"220 ")
            chunk = b"x" * 65536
            for _ in range(16):
                self.send(chunk)
            self.send(b"\r\n")
            time.sleep(3600)
        elif m == "lf":
            self.send(b"220 bad.example ESMTP\n")
        elif m == "toomany":
            self.send(b"220-hello\r\n" * 1000 + b"220 done\r\n")
        else:
            self.send(b"220 bad.example ESMTP\r\n")
        return True

    def command(self, line):
        words = line.split()
        verb = words[0].upper() if words else b""
        m = self.mode
        if m in REJECT and REJECT[m][0] == verb:
            self.send(REJECT[m][1])
        elif m == "close" and verb == b"EHLO":
            self.send(b"250-bad.example\r\n250-PIPELINING\r\n")
            return False
        elif m == "helo" and verb == b"EHLO":
            self.send(b"502 5.5.2 Error: command not recognized\r\n")
        elif verb == b"EHLO":
            self.ehlo()
        elif verb == b"STARTTLS" and m == "tls-silent":
            self.send(b"220 2.0.0 Ready to start TLS\r\n")
            time.sleep(3600)
        elif verb == b"STARTTLS" and m == "inject":
            self.send(b"220 2.0.0 Ready\r\n250 injected\r\n")
            self.starttls()
        elif verb == b"STARTTLS" and m == "tls" and not self.tls:
            self.send(b"220 2.0.0 Ready to start TLS\r\n")
            self.starttls()
        elif verb == b"AUTH" and len(words) >= 2:
            self.auth(words)
        elif verb == b"DATA":
            self.data()
        elif verb == b"QUIT":
            self.send(b"221 2.0.0 Bye\r\n")
            return False
        elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            self.send(b"250 2.0.0 Ok\r\n")
        else:
            self.send(b"502 5.5.2 Error: command not recognized\r\n")
        return True

    def run(self):
        if not self.greet():
            return
        while True:
            line = self.line()
            if not line or not self.command(line):
                return


def serve(lsock, mode):
    while True:
        sock, _ = lsock.accept()
        threading.Thread(target=session, args=(sock, mode),
                         daemon=True).start()


def session(sock, mode):
    c = Conn(sock, mode)
    try:
        c.run()
    except (OSError, ssl.SSLError, ValueError):
        pass
    finally:
        try:
            c.sock.close()
        except OSError:
            pass


def main(argv):
    pairs = []
    while argv:
        a = argv.pop(0)
        if a.startswith("--"):
            OPTS[a[2:]] = argv.pop(0)
        else:
            mode, port = a.split("=")
            pairs.append((mode, int(port)))
    fam = socket.AF_INET6 if ":" in OPTS["host"] else socket.AF_INET
    for mode, port in pairs:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((OPTS["host"], port))
        s.listen(16)
        threading.Thread(target=serve, args=(s, mode), daemon=True).start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)


main(sys.argv[1:])
