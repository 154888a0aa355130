#!/usr/bin/python3
"""tests/stack/dkimcheck.py: verify a message's DKIM signature with dkimpy
against a DNS server on loopback.

usage: dkimcheck.py SERVER PORT FILE.eml

Prints "d=DOMAIN from=DOMAIN ok" (or "... fail: why") and exits 0 only
when the message carries a signature that verifies and its d= is the
From: header's domain.
"""
import email
import sys

import dkim
import dns.resolver

server, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
res = dns.resolver.Resolver(configure=False)
res.nameservers = [server]
res.port = port
res.lifetime = 5


def dnsfunc(name, timeout=5):
    name = name.decode() if isinstance(name, bytes) else name
    try:
        a = res.resolve(name, "TXT")
    except Exception:
        return b""
    return b"".join(b"".join(r.strings) for r in a)


raw = open(path, "rb").read()
msg = email.message_from_bytes(raw)
frm = email.utils.parseaddr(msg.get("From", ""))[1].rpartition("@")[2].lower()
sig = msg.get("DKIM-Signature")
if sig is None:
    print("from=%s fail: no DKIM-Signature" % frm)
    sys.exit(1)
tags = dict(t.strip().split("=", 1) for t in sig.replace("\r\n", "").split(";")
            if "=" in t)
d = tags.get("d", "").strip().lower()
try:
    good = dkim.DKIM(raw).verify(dnsfunc=dnsfunc)
except Exception as e:
    print("d=%s from=%s fail: %s" % (d, frm, e))
    sys.exit(1)
ok = good and d == frm
why = ""
if not good:
    key = "%s._domainkey.%s" % (tags.get("s", "").strip(), d)
    txt = dnsfunc(key)
    why = ": %s TXT %s" % (key, txt[:40] if txt else "not found")
print("d=%s from=%s %s%s" % (d, frm, "ok" if ok else "fail", why))
sys.exit(0 if ok else 1)
