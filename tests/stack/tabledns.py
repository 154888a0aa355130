#!/usr/bin/python3
"""tabledns.py: a DNS server on loopback that answers from a table and
writes down every query it gets (blocklist tests).

Usage: tabledns.py --port PORT --table FILE --log FILE [--pidfile F]

Table lines (blank lines and "#" comments skipped), one record or rule:
  NAME A ADDR...       A records (TTL 60) at NAME
  NAME TXT TEXT        one TXT record; TEXT may hold \\DDD escapes
                       (decimal bytes, as zone files write them)
  NAME DROP            never answer a query for NAME (any type)
  NAME SERVFAIL        answer rcode SERVFAIL
A NAME of the form "*.ZONE" stands for every name under ZONE that has no
line of its own.  A name with lines but none of the type asked is NODATA;
every other name is NXDOMAIN (an SOA of the name's last two labels in the
authority section).  Each query is logged as "NAME TYPE" (lower case, no
final dot), one per line, flushed at once, before it is answered.

UDP only (c-ares asks over UDP; nothing here is large).  Stop with SIGTERM.
Only the standard library and dnspython (python3-dnspython).
"""
import argparse
import os
import re
import signal
import socket
import sys

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset


def unescape(text):
    """Zone-file \\DDD escapes as bytes; other characters as UTF-8."""
    out = bytearray()
    i = 0
    raw = text.encode()
    while i < len(raw):
        m = re.match(rb"\\(\d{3})", raw[i:])
        if m:
            out.append(int(m.group(1)))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def load(path):
    """name -> {"A": [...], "TXT": [...], "DROP": bool, "SERVFAIL": bool}"""
    table = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, kind, *rest = line.split(None, 2)
            ent = table.setdefault(name.lower().rstrip("."),
                                   {"A": [], "TXT": []})
            if kind == "A":
                ent["A"] += rest[0].split() if rest else []
            elif kind == "TXT":
                ent["TXT"].append(unescape(rest[0].strip('"')))
            elif kind in ("DROP", "SERVFAIL"):
                ent[kind] = True
            else:
                sys.exit("tabledns: unknown kind %r" % kind)
    return table


def lookup(table, qname):
    """The table entry of qname: its own, else a wildcard's, else None."""
    if qname in table:
        return table[qname]
    labels = qname.split(".")
    for i in range(1, len(labels)):
        wild = "*." + ".".join(labels[i:])
        if wild in table:
            return table[wild]
    return None


def answer(table, data, log):
    """The reply to one query, or None to stay silent."""
    try:
        q = dns.message.from_wire(data)
    except Exception:
        return None
    if not q.question:
        return None
    qn = q.question[0].name
    qt = q.question[0].rdtype
    text = qn.to_text(omit_final_dot=True).lower()
    log.write("%s %s\n" % (text, dns.rdatatype.to_text(qt)))
    log.flush()
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    ent = lookup(table, text)
    if ent is not None and ent.get("DROP"):
        return None
    if ent is not None and ent.get("SERVFAIL"):
        r.set_rcode(dns.rcode.SERVFAIL)
        return r.to_wire()
    if ent is None:
        r.set_rcode(dns.rcode.NXDOMAIN)
    elif qt == dns.rdatatype.A and ent["A"]:
        rs = dns.rrset.RRset(qn, dns.rdataclass.IN, dns.rdatatype.A)
        for a in ent["A"]:
            rs.add(dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.A,
                                       a), 60)
        r.answer.append(rs)
        return r.to_wire()
    elif qt == dns.rdatatype.TXT and ent["TXT"]:
        rs = dns.rrset.RRset(qn, dns.rdataclass.IN, dns.rdatatype.TXT)
        for t in ent["TXT"]:
            wire = bytes([len(t)]) + t
            rs.add(dns.rdata.from_wire(dns.rdataclass.IN,
                                       dns.rdatatype.TXT, wire, 0,
                                       len(wire)), 60)
        r.answer.append(rs)
        return r.to_wire()
    # NXDOMAIN or NODATA: an SOA for the negative TTL.
    zone = dns.name.from_text(".".join(text.split(".")[-2:]))
    soa = dns.rrset.from_text(zone, 60, "IN", "SOA",
                              "ns.%s h.%s 1 3600 600 86400 60" %
                              (zone, zone))
    r.authority.append(soa)
    return r.to_wire()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--table", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--pidfile")
    a = ap.parse_args()
    table = load(a.table)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", a.port))
    log = open(a.log, "a")
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(a.pidfile + ".tmp", a.pidfile)
    while True:
        data, peer = sock.recvfrom(4096)
        out = answer(table, data, log)
        if out is not None:
            sock.sendto(out, peer)


if __name__ == "__main__":
    main()
