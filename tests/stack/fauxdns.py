#!/usr/bin/python3
"""fauxdns.py: a DNS server on loopback that misbehaves on purpose.

Usage: fauxdns.py --port PORT [--addr 127.0.0.1] [--mode MODE] [--pidfile F]

Listens on UDP and TCP.  With --mode every query gets that behaviour;
without it the first label of the query name picks it
("servfail.x.example" -> servfail), and other names get NXDOMAIN.

Modes:
  silent    never answers
  servfail  rcode SERVFAIL
  refused   rcode REFUSED
  truncate  UDP: TC=1 and no records; TCP: a TXT of 3 strings of 255 bytes
  garbage   the right ID and question, then a record that runs past the end
  escape    a TXT holding ESC [ 2 J
  ok        a TXT "ok" (TTL 42)
  formerr   rcode FORMERR without an OPT record (a server without EDNS)
  notimp    rcode NOTIMP
  cnameloop NAME CNAME loop.NAME and loop.NAME CNAME NAME (RFC 1034 3.6.2
            says a resolver must not loop on it)
  edns      a TXT telling what the query asked: "edns=1232 rd=1" or
            "edns=none rd=0"

The pidfile is written once both sockets are bound.  Stop with SIGTERM.
Only the standard library and dnspython (python3-dnspython).
"""
import argparse
import os
import signal
import socket
import struct
import sys
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

MODES = ("silent", "servfail", "refused", "truncate", "garbage", "escape",
         "ok", "edns", "formerr", "notimp", "cnameloop")
BIG = [b"a" * 255, b"b" * 255, b"c" * 255]


def txt_rrset(name, strings, ttl):
    """A TXT rrset of one record holding the given byte strings."""
    wire = b"".join(bytes([len(s)]) + s for s in strings)
    rdata = dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.TXT,
                                wire, 0, len(wire))
    rrset = dns.rrset.RRset(name, dns.rdataclass.IN, dns.rdatatype.TXT)
    rrset.add(rdata, ttl)
    return rrset


def garbage(data):
    """Header and question copied, then one record running past the end."""
    qid = data[:2]
    end = 12
    while end < len(data) and data[end] != 0:
        end += data[end] + 1
    question = data[12:end + 5]
    hdr = qid + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0)
    # owner: pointer to the question name, TXT IN, TTL 1, RDLENGTH 200
    rec = b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 1, 200) + b"\x05short"
    return hdr + question + rec


def answer(data, mode_opt, tcp):
    """The reply bytes for one query, or None to stay silent."""
    try:
        q = dns.message.from_wire(data)
    except Exception:
        return None
    if not q.question:
        return None
    name = q.question[0].name
    mode = mode_opt
    if mode is None:
        first = name.labels[0].decode("ascii", "replace").lower() \
            if name.labels else ""
        mode = first if first in MODES else "nxdomain"
    if mode == "silent":
        return None
    if mode == "garbage":
        return garbage(data)
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    if mode == "servfail":
        r.set_rcode(dns.rcode.SERVFAIL)
    elif mode == "refused":
        r.set_rcode(dns.rcode.REFUSED)
    elif mode == "formerr":
        r.use_edns(False)
        r.set_rcode(dns.rcode.FORMERR)
    elif mode == "notimp":
        r.set_rcode(dns.rcode.NOTIMP)
    elif mode == "cnameloop":
        other = dns.name.Name((b"loop",) + name.labels)
        for owner, target in ((name, other), (other, name)):
            rrset = dns.rrset.RRset(owner, dns.rdataclass.IN,
                                    dns.rdatatype.CNAME)
            rrset.add(dns.rdata.from_text(dns.rdataclass.IN,
                                          dns.rdatatype.CNAME,
                                          target.to_text()), 60)
            r.answer.append(rrset)
    elif mode == "nxdomain":
        r.set_rcode(dns.rcode.NXDOMAIN)
    elif mode == "truncate":
        if not tcp:
            r.flags |= dns.flags.TC
        else:
            r.answer.append(txt_rrset(name, BIG, 60))
    elif mode == "escape":
        r.answer.append(txt_rrset(name, [b"\x1b[2J"], 60))
    elif mode == "ok":
        r.answer.append(txt_rrset(name, [b"ok"], 42))
    elif mode == "edns":
        size = str(q.payload) if q.edns >= 0 else "none"
        rd = 1 if q.flags & dns.flags.RD else 0
        text = "edns=%s rd=%d" % (size, rd)
        r.answer.append(txt_rrset(name, [text.encode()], 42))
    return r.to_wire(max_size=65535)


def serve_udp(sock, mode):
    while True:
        data, peer = sock.recvfrom(65535)
        out = answer(data, mode, False)
        if out is not None:
            sock.sendto(out, peer)


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def serve_conn(conn, mode):
    with conn:
        while True:
            head = recv_exact(conn, 2)
            if head is None:
                return
            data = recv_exact(conn, struct.unpack(">H", head)[0])
            if data is None:
                return
            out = answer(data, mode, True)
            if out is not None:
                conn.sendall(struct.pack(">H", len(out)) + out)


def serve_tcp(sock, mode):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_conn, args=(conn, mode),
                         daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mode", choices=MODES)
    ap.add_argument("--pidfile")
    args = ap.parse_args()
    fam = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    udp = socket.socket(fam, socket.SOCK_DGRAM)
    udp.bind((args.addr, args.port))
    tcp = socket.socket(fam, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((args.addr, args.port))
    tcp.listen(16)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    if args.pidfile:
        tmp = args.pidfile + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(tmp, args.pidfile)
    threading.Thread(target=serve_tcp, args=(tcp, args.mode),
                     daemon=True).start()
    serve_udp(udp, args.mode)


if __name__ == "__main__":
    sys.exit(main())
