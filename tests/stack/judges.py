#!/usr/bin/python3
"""tests/stack/judges.py: the verdicts of independent verifiers on one
received message, asking one DNS server, to compare with notspam verify.

usage: judges.py SERVER PORT FILE.eml --ip ADDR --helo NAME --mail-from ADDR

Prints one JSON object:
  {"dkimpy": {"dkim": WORD, "why": TEXT} or null,
   "authheaders": {"dkim": WORD, "spf": WORD, "dmarc": WORD,
                   "header": the Authentication-Results it made} or null,
   "missing": {"dkimpy": REASON, "authheaders": REASON}}
WORD is an RFC 8601 result (pass, fail, temperror, permerror, none, ...).
A judge that cannot be imported is null, the reason under "missing".

dkimpy (python3-dkim): dkim.DKIM(msg).verify(dnsfunc=...): True is pass,
False fail, a DNS timeout temperror, a key that is not one permerror, any
other exception fail (authheaders maps them the same way but for
permerror).  authheaders (python3-authheaders):
authenticate_message(msg, "test.example", spf=True, ip=..., mail_from=...,
helo=..., dnsfunc=...): DKIM and DMARC through dnsfunc, SPF through
pyspf (python3-spf), whose lookups go through dnspython's default
resolver: set here to the same SERVER and PORT, so every judge asks the
same server.  dnsfunc answers a name's TXT record as text (the strings of
its first record joined), what both libraries accept.
"""
import json
import re
import sys


def main():
    server, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    opt = {"--ip": None, "--helo": None, "--mail-from": None}
    i = 4
    while i < len(sys.argv):
        if sys.argv[i] not in opt or i + 1 >= len(sys.argv):
            raise SystemExit("judges.py: unknown argument " + sys.argv[i])
        opt[sys.argv[i]] = sys.argv[i + 1]
        i += 2
    raw = open(path, "rb").read()
    out = {"dkimpy": None, "authheaders": None, "missing": {}}

    try:
        import dns.resolver
    except ImportError as e:
        out["missing"]["dkimpy"] = out["missing"]["authheaders"] = \
            "python3-dnspython: %s" % e
        print(json.dumps(out))
        return
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [server]
    res.port = port
    res.lifetime = 5
    # pyspf (and anything else using the module's functions) asks it too.
    dns.resolver.default_resolver = res

    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        try:
            a = res.resolve(name, "TXT")
        except Exception:
            return None
        for r in a:
            return b"".join(r.strings).decode("ascii", "backslashreplace")
        return None

    try:
        import dkim
    except ImportError as e:
        out["missing"]["dkimpy"] = "python3-dkim: %s" % e
    else:
        try:
            word = "pass" if dkim.DKIM(raw).verify(dnsfunc=dnsfunc) else "fail"
            why = ""
        except dkim.DnsTimeoutError as e:
            word, why = "temperror", str(e)
        except dkim.KeyFormatError as e:
            word, why = "permerror", str(e)
        except Exception as e:
            word, why = "fail", "%s: %s" % (type(e).__name__, e)
        out["dkimpy"] = {"dkim": word, "why": why}

    try:
        import authheaders
        import spf  # noqa: F401 (authheaders needs it for spf=True)
    except ImportError as e:
        out["missing"]["authheaders"] = \
            "python3-authheaders or python3-spf: %s" % e
    else:
        hdr = authheaders.authenticate_message(
            raw, "test.example", spf=True, dkim=True, dmarc=True,
            ip=opt["--ip"], mail_from=opt["--mail-from"],
            helo=opt["--helo"], dnsfunc=dnsfunc)
        words = {}
        for m in re.finditer(r"\b(spf|dkim|dmarc)=([a-z]+)", hdr):
            words.setdefault(m.group(1), m.group(2))
        out["authheaders"] = {"dkim": words.get("dkim", "none"),
                              "spf": words.get("spf", "none"),
                              "dmarc": words.get("dmarc", "none"),
                              "header": hdr}
    print(json.dumps(out))


main()
