#!/usr/bin/python3
"""tests/stack/zoneask.py: ask a DNS server the queries of an expect file
(tests/fixtures/zones/*.expect) as a stub resolver would, and print the
answers in the file's own form, one line a query, so that the output is
the file's query lines when the server answers as the file says.

usage: zoneask.py SERVER PORT EXPECT

Each query is sent with RD set; the CNAMEs in the answer are followed from
the query name (a DNAME's synthesized CNAME among them); when the chain
ends at a name the answer has nothing more for, that name is asked in
turn (a server authoritative for one zone does not chase another), at
most 16 times.  The line is NAME TYPE RCODE and the records of TYPE at
the end of the chain (TXT text, A address, MX or CNAME host in lower case
without the final dot), blank-separated.  Only the standard library and
dnspython (python3-dnspython).
"""
import sys

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype


def value(rd):
    if rd.rdtype == dns.rdatatype.TXT:
        return b"".join(rd.strings).decode("ascii", "backslashreplace")
    if rd.rdtype == dns.rdatatype.MX:
        return rd.exchange.to_text(omit_final_dot=True).lower()
    if rd.rdtype == dns.rdatatype.CNAME:
        return rd.target.to_text(omit_final_dot=True).lower()
    return rd.to_text()


def ask(server, port, name, rdtype):
    q = dns.message.make_query(name, rdtype)
    q.flags |= dns.flags.RD
    return dns.query.udp(q, server, port=port, timeout=3)


def resolve(server, port, qname, rdtype):
    cur = dns.name.from_text(qname)
    for _ in range(17):
        r = ask(server, port, cur, rdtype)
        if r.rcode() != dns.rcode.NOERROR:
            return dns.rcode.to_text(r.rcode()), []
        moved = False
        for _hop in range(17):
            data = [rrs for rrs in r.answer
                    if rrs.name == cur and rrs.rdtype == rdtype]
            if data:
                return "NOERROR", [value(rd) for rd in data[0]]
            cn = [rrs for rrs in r.answer
                  if rrs.name == cur and rrs.rdtype == dns.rdatatype.CNAME]
            if not cn:
                break
            cur = cn[0][0].target
            moved = True
        if not moved:
            return "NOERROR", []
    return "LOOP", []


def main():
    server, port, expect = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    for line in open(expect):
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        rcode, vals = resolve(server, port, f[0],
                              dns.rdatatype.from_text(f[1]))
        print(" ".join([f[0], f[1], rcode] + vals))


main()
