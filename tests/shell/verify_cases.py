#!/usr/bin/python3
"""tests/shell/verify_cases.py: the messages of tests/shell/verify.sh,
signed here by dkimpy (python3-dkim) and by opendkim-testmsg, their keys
in zone files, and dkimpy's own verdict on each signature.

usage: verify_cases.py DIR ODKDIR

Writes DIR/keys (private keys), DIR/zones/example.org.zone and
example.net.zone (the public keys, SPF, DMARC), DIR/CASE.eml per case and
DIR/dkimpy.txt: one line per case, "CASE r1 r2 ..." with dkimpy's result
(pass or fail) for each DKIM-Signature in the order of the message.
"""
import base64
import os
import subprocess
import sys

import dkim
import nacl.encoding
import nacl.signing

out = sys.argv[1]
# OpenDKIM refuses files under a directory others can write (/tmp): its
# config and key go in this private directory instead.
odkdir = sys.argv[2]
os.makedirs(out + "/keys", exist_ok=True)
os.makedirs(out + "/zones", exist_ok=True)
records = {}        # name -> TXT text


def rsa_key(name, bits=2048):
    path = "%s/keys/%s.pem" % (out, name)
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:%d" % bits, "-out", path],
                   check=True, capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", path, "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return path, open(path, "rb").read(), base64.b64encode(der).decode()


def ed_key():
    sk = nacl.signing.SigningKey.generate()
    return (sk.encode(encoder=nacl.encoding.Base64Encoder),
            base64.b64encode(bytes(sk.verify_key)).decode())


org_path, org_pem, org_pub = rsa_key("org")
_, other_pem, other_pub = rsa_key("other")
net_path, net_pem, net_pub = rsa_key("net")
ed_priv, ed_pub = ed_key()
records["mail._domainkey.example.org"] = "v=DKIM1; k=rsa; p=" + org_pub
# "stale" publishes another key than the one that signs with it.
records["stale._domainkey.example.org"] = "v=DKIM1; k=rsa; p=" + other_pub
records["revoked._domainkey.example.org"] = "v=DKIM1; k=rsa; p="
records["ed._domainkey.example.org"] = "v=DKIM1; k=ed25519; p=" + ed_pub
records["odk._domainkey.example.net"] = "v=DKIM1; k=rsa; p=" + net_pub
records["example.org"] = "v=spf1 ip4:192.0.2.0/24 -all"
records["_dmarc.example.org"] = "v=DMARC1; p=reject"
records["example.net"] = "v=spf1 ip4:198.51.100.7 -all"
records["_dmarc.example.net"] = "v=DMARC1; p=quarantine; adkim=s"


def txt(text):
    parts = [text[i:i + 250] for i in range(0, len(text), 250)] or [""]
    return " ".join('"%s"' % p for p in parts)


for zone in ("example.org", "example.net"):
    with open("%s/zones/%s.zone" % (out, zone), "w") as f:
        f.write("$TTL 300\n@ IN SOA ns1.%s. hostmaster.%s. 1 3600 600 "
                "86400 300\n@ IN NS ns1.%s.\n" % (zone, zone, zone))
        for name, text in records.items():
            if name == zone or name.endswith("." + zone):
                f.write("%s. IN TXT %s\n" % (name, txt(text)))

BASE = (b"Return-Path: <alice@example.org>\r\n"
        b"Received: from mail.example.org (mail.example.org [192.0.2.25])\r\n"
        b"\tby mx.example.com (Postfix) with ESMTPS id 4AbC;\r\n"
        b"\tMon, 1 Jul 2024 10:00:00 +0000\r\n"
        b"From: Alice <alice@example.org>\r\n"
        b"To: bob@example.com\r\n"
        b"Subject: the report\r\n"
        b"Date: Mon, 1 Jul 2024 10:00:00 +0000\r\n"
        b"Message-ID: <1@example.org>\r\n"
        b"\r\n"
        b"Hello Bob,\r\n\r\nthe report is attached.\r\n")

FOLDED = (b"Return-Path: <alice@example.org>\r\n"
          b"Received: from mx2.example.com ([10.0.0.2])\r\n\tby mx.example.com;"
          b" Mon, 1 Jul 2024 10:00:01 +0000\r\n"
          b"Received: from mail.example.org (mail.example.org [192.0.2.25])\r\n"
          b"\tby mx2.example.com; Mon, 1 Jul 2024 10:00:00 +0000\r\n"
          b"From: Alice\r\n  <alice@example.org>\r\n"
          b"To: bob@example.com,\r\n\tcarol@example.com\r\n"
          b"Subject:   a   subject\r\n   folded  over\r\n\tthree lines  \r\n"
          b"X-Tag: one\r\n"
          b"X-Tag:  two \r\n"
          b"Date: Mon, 1 Jul 2024 10:00:00 +0000\r\n"
          b"\r\n"
          b"Body  with \t blanks   \r\n\r\n\ttabbed line\t\r\n\r\n\r\n")

HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]


def sign(msg, sel, dom, key, c=(b"relaxed", b"relaxed"), alg=b"rsa-sha256",
         hdrs=None, length=False):
    sig = dkim.sign(msg, sel, dom, key, canonicalize=c,
                    signature_algorithm=alg, include_headers=hdrs,
                    length=length)
    return sig + msg


def opendkim(msg, canon, extra=""):
    """Sign msg with OpenDKIM itself (opendkim -t, its test mode, reading
    a config in odkdir): the signature it would insert, put on top."""
    conf = "%s/opendkim.conf" % odkdir
    with open(odkdir + "/msg.eml", "wb") as f:
        f.write(msg)
    with open(conf, "w") as f:
        f.write("Mode s\nDomain example.net\nSelector odk\nKeyFile %s\n"
                "SignatureAlgorithm rsa-sha256\nCanonicalization %s\n"
                "Syslog no\n%s" % (odkkey, canon, extra))
    r = subprocess.run(["opendkim", "-x", conf, "-t", odkdir + "/msg.eml",
                        "-vvv"], capture_output=True, timeout=20)
    err = (r.stdout + r.stderr).decode()
    i = err.index("hvalue='") + len("hvalue='")
    value = err[i:err.index("'", i)]
    return (b"DKIM-Signature: " + value.replace("\n", "\r\n").encode() +
            b"\r\n" + msg)


cases = {}
cases["rsa-relaxed"] = sign(BASE, b"mail", b"example.org", org_pem)
cases["rsa-simple"] = sign(BASE, b"mail", b"example.org", org_pem,
                           c=(b"simple", b"simple"))
cases["rsa-relaxed-simple"] = sign(BASE, b"mail", b"example.org", org_pem,
                                   c=(b"relaxed", b"simple"))
cases["rsa-simple-relaxed"] = sign(BASE, b"mail", b"example.org", org_pem,
                                   c=(b"simple", b"relaxed"))
cases["l-extended"] = sign(BASE, b"mail", b"example.org", org_pem,
                           length=True) + b"-- \r\nA list footer\r\n"
m = sign(BASE, b"mail", b"example.org", org_pem, c=(b"simple", b"simple"),
         length=True)
cases["l-simple-extended"] = m + b"appended\r\n"
over = [b"from", b"from", b"subject", b"subject", b"to", b"date"]
cases["oversigned"] = sign(BASE, b"mail", b"example.org", org_pem, hdrs=over)
m = sign(BASE, b"mail", b"example.org", org_pem, hdrs=over)
cases["oversigned-added"] = m.replace(b"\r\n\r\n", b"\r\nSubject: "
                                      b"another\r\n\r\n", 1)
# h= lists Subject once: a second Subject added on top is not signed.
m = sign(BASE, b"mail", b"example.org", org_pem, hdrs=HEADERS)
cases["undersigned-added"] = b"Subject: another\r\n" + m
hf = [b"from", b"to", b"subject", b"x-tag", b"x-tag", b"x-tag", b"date"]
cases["folded-relaxed"] = sign(FOLDED, b"mail", b"example.org", org_pem,
                               hdrs=hf)
cases["folded-simple"] = sign(FOLDED, b"mail", b"example.org", org_pem,
                              c=(b"simple", b"simple"), hdrs=hf)
m = sign(FOLDED, b"mail", b"example.org", org_pem, hdrs=hf)
cases["folded-refolded"] = m.replace(b"X-Tag:  two \r\n",
                                     b"X-Tag:\r\n two\r\n")
m = sign(FOLDED, b"mail", b"example.org", org_pem, c=(b"simple", b"simple"),
         hdrs=hf)
cases["folded-simple-refolded"] = m.replace(b"X-Tag:  two \r\n",
                                            b"X-Tag:\r\n two\r\n")
m = sign(BASE, b"mail", b"example.org", org_pem)
cases["two-one-broken"] = sign(m, b"stale", b"example.org", org_pem)
m = sign(BASE, b"mail", b"example.org", org_pem)
cases["body-altered"] = m.replace(b"attached", b"ATTACHED")
cases["body-altered-simple"] = sign(
    BASE, b"mail", b"example.org", org_pem,
    c=(b"simple", b"simple")) + b"\r\n"
cases["body-blank-lines-relaxed"] = sign(
    BASE, b"mail", b"example.org", org_pem) + b"\r\n \r\n\t\r\n"
m = sign(BASE, b"mail", b"example.org", org_pem)
cases["header-altered"] = m.replace(b"Subject: the report", b"Subject: the invoice")
cases["revoked"] = sign(BASE, b"revoked", b"example.org", org_pem)
cases["no-key"] = sign(BASE, b"absent", b"example.org", org_pem)
cases["ed25519"] = sign(BASE, b"ed", b"example.org", ed_priv,
                        alg=b"ed25519-sha256")
cases["ed25519-simple"] = sign(BASE, b"ed", b"example.org", ed_priv,
                               alg=b"ed25519-sha256",
                               c=(b"simple", b"simple"))
m = sign(BASE, b"ed", b"example.org", ed_priv, alg=b"ed25519-sha256")
cases["ed25519-altered"] = m.replace(b"Bob,", b"Eve,")
m = sign(BASE, b"mail", b"example.org", org_pem)
cases["rsa-and-ed25519"] = sign(m, b"ed", b"example.org", ed_priv,
                                alg=b"ed25519-sha256")
cases["lf-endings"] = sign(BASE, b"mail", b"example.org",
                           org_pem).replace(b"\r\n", b"\n")
cases["unsigned"] = BASE

NET = BASE.replace(b"example.org", b"example.net").replace(
    b"192.0.2.25", b"198.51.100.7")
NETF = FOLDED.replace(b"example.org", b"example.net")
odkkey = odkdir + "/net.pem"
with open(odkkey, "wb") as f:
    f.write(net_pem)
os.chmod(odkkey, 0o600)
try:
    over = "OversignHeaders From,Subject\n"
    cases["opendkim-relaxed"] = opendkim(NET, "relaxed/relaxed", over)
    m = cases["opendkim-relaxed"]
    cases["opendkim-header-altered"] = m.replace(b"Subject: the report",
                                                 b"Subject: the REPORT")
    cases["opendkim-body-altered"] = m + b"more\r\n"
    cases["opendkim-subject-added"] = m.replace(
        b"\r\n\r\n", b"\r\nSubject: another\r\n\r\n", 1)
    cases["opendkim-simple"] = opendkim(NET, "simple/simple")
    cases["opendkim-relaxed-simple"] = opendkim(NETF, "relaxed/simple",
                                                over)
    cases["opendkim-folded-simple"] = opendkim(NETF, "simple/simple")
    m = opendkim(NETF, "relaxed/relaxed")
    cases["opendkim-folded-rewrapped"] = m.replace(b"Subject:   a",
                                                   b"Subject:\r\n a")
except (OSError, ValueError, subprocess.SubprocessError) as e:
    print("# opendkim -t failed: %s" % e, file=sys.stderr)


def dnsfunc(name, timeout=5):
    name = name.decode() if isinstance(name, bytes) else name
    return records.get(name.rstrip(".").lower(), "").encode()


with open(out + "/dkimpy.txt", "w") as res:
    for name, msg in cases.items():
        with open("%s/%s.eml" % (out, name), "wb") as f:
            f.write(msg)
        d = dkim.DKIM(msg.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n"))
        n = msg.lower().count(b"\ndkim-signature:") + \
            msg.lower().startswith(b"dkim-signature:")
        verdicts = []
        for i in range(n):
            try:
                ok = d.verify(idx=i, dnsfunc=dnsfunc)
            except Exception:
                ok = False
            verdicts.append("pass" if ok else "fail")
        res.write("%s %s\n" % (name, " ".join(verdicts) or "none"))
