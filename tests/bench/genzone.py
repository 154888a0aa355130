#!/usr/bin/python3
"""genzone.py: the benchmark zone of docs/performance.md, and its queries.

Usage: genzone.py [--out DIR] [--domains N] [--chain] [--seed S]
                  [--site P]

Writes into DIR (default .):
  bench.example.zone               N domains d0001.bench.example ...
  18.198.in-addr.arpa.zone         PTR for the IPv4 addresses
  8.b.d.0.1.0.0.2.ip6.arpa.zone    PTR for the IPv6 addresses
  queries.txt                      "name type" lines for bare_cares

Each domain dNNNN.bench.example has:
  MX 10 mail.dNNNN; mail.dNNNN A 198.18.x.y and AAAA 2001:db8::1:N;
  SPF at the apex: "v=spf1 include:_spf.dNNNN... -all", _spf holds a
  decoy ip4 (TEST-NET-3) and include:_spf2, and _spf2 holds the mail
  host's addresses, so an evaluator must follow both includes;
  sel1._domainkey: a DKIM TXT with a 2048-bit-sized key (392 base64
  characters, random but fixed by --seed) in two strings;
  _dmarc: a DMARC TXT.
queries.txt has 8 lines per domain (MX, A, AAAA, SPF TXT, DKIM TXT,
DMARC TXT, PTR v4, PTR v6: 8,000 for 1,000 domains); --chain adds the two
include lookups (10 per domain), what a full SPF evaluation asks.

--site P makes every domain match the site `make bench` configures (the
mail host mail.d0001.bench.example, 198.18.0.1 and 2001:db8::1:1, one DKIM
key whose base64 public key is P), keeping the workload's shape: each
domain still has its own SPF chain (the apex includes _spf, which holds a
decoy ip4 and includes _spf2, which holds the site's addresses, so the
evaluation follows both includes), its own DKIM TXT in two strings and its
own DMARC; MX points at the site's mail host, which also gets the SPF
record of the HELO name.  Without it every check fails (each domain has its
own mail host and a random key), and a failure makes notspam ask the
authoritative server again (propagation): a different workload.
queries.txt then lists exactly the lookups `notspam check` makes, so the
bare c-ares figure stays like for like: per domain MX, TXT and type 99
(SPF) at the apex, the two include TXTs, DKIM TXT, DMARC TXT and the NS
lookup of the zone search (NODATA); once for the run: the mail host's
A/AAAA/TXT/type 99, the PTRs of the two site addresses, NS of
bench.example and the A/AAAA of its nameserver.
Serve with tests/stack/unbound.sh: unbound_start DIR/ub PORT DIR/*.zone
"""
import argparse
import base64
import os
import random

SOA = "@ 3600 IN SOA ns.bench.example. hostmaster.bench.example. " \
      "1 3600 600 86400 300\n@ 3600 IN NS ns.bench.example.\n"


def v4(i):
    return "198.18.%d.%d" % (i >> 8, i & 255)


def v6_nibbles(i):
    """The 32 nibbles of 2001:db8::1:i (i < 65536), most significant first."""
    full = "20010db8" + "0" * 16 + "0001" + "%04x" % i
    return full


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=".")
    ap.add_argument("--domains", type=int, default=1000)
    ap.add_argument("--chain", action="store_true")
    ap.add_argument("--seed", type=int, default=2048)
    ap.add_argument("--site", metavar="P",
                    help="match the bench site; P: its DKIM public key")
    args = ap.parse_args()
    if not 1 <= args.domains <= 9999:
        ap.error("--domains must be 1..9999")
    rnd = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    zone = ["$ORIGIN bench.example.\n", SOA, "ns 3600 IN A 127.0.0.1\n"]
    rev4 = ["$ORIGIN 18.198.in-addr.arpa.\n", SOA]
    rev6 = ["$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.\n", SOA]
    queries = []
    site4, site6 = v4(1), "2001:db8::1:1"
    site_host = "mail.d0001.bench.example"
    if args.site:
        zone.append('mail.d0001 3600 IN TXT "v=spf1 ip4:%s ip6:%s -all"\n'
                    % (site4, site6))
        nib = ".".join(reversed(v6_nibbles(1)))
        queries += [
            "%s A" % site_host, "%s AAAA" % site_host,
            "%s TXT" % site_host, "%s SPF" % site_host,
            "%d.%d.18.198.in-addr.arpa PTR" % (1 & 255, 1 >> 8),
            "%s.ip6.arpa PTR" % nib,
            "bench.example NS", "ns.bench.example A",
            "ns.bench.example AAAA",
        ]
    for i in range(1, args.domains + 1):
        d = "d%04d" % i
        fq = d + ".bench.example"
        addr4 = v4(i)
        addr6 = "2001:db8::1:%x" % i
        key = base64.b64encode(bytes(rnd.getrandbits(8)
                                     for _ in range(294))).decode()
        if args.site:
            key = args.site
        dkim = "v=DKIM1; k=rsa; p=" + key
        if args.site:
            zone.append("%s 3600 IN MX 10 %s.\n" % (d, site_host))
        else:
            zone.append("%s 3600 IN MX 10 mail.%s\n" % (d, d))
        zone.append("mail.%s 3600 IN A %s\n" % (d, addr4))
        zone.append("mail.%s 3600 IN AAAA %s\n" % (d, addr6))
        zone.append('%s 3600 IN TXT "v=spf1 include:_spf.%s -all"\n'
                    % (d, fq))
        zone.append('_spf.%s 3600 IN TXT "v=spf1 ip4:203.0.113.0/24 '
                    'include:_spf2.%s -all"\n' % (d, fq))
        zone.append('_spf2.%s 3600 IN TXT "v=spf1 ip4:%s ip6:%s -all"\n'
                    % (d, site4 if args.site else addr4,
                       site6 if args.site else addr6))
        zone.append('sel1._domainkey.%s 3600 IN TXT "%s" "%s"\n'
                    % (d, dkim[:255], dkim[255:]))
        zone.append('_dmarc.%s 3600 IN TXT "v=DMARC1; p=reject; '
                    'rua=mailto:dmarc@%s"\n' % (d, fq))
        ptr4 = "%d.%d" % (i & 255, i >> 8)
        rev4.append("%s 3600 IN PTR mail.%s.\n" % (ptr4, fq))
        nib = ".".join(reversed(v6_nibbles(i)))
        ptr6 = nib[:-len(".8.b.d.0.1.0.0.2")]
        rev6.append("%s 3600 IN PTR mail.%s.\n" % (ptr6, fq))
        if args.site:
            queries += [
                "%s MX" % fq, "%s TXT" % fq, "%s SPF" % fq,
                "_spf.%s TXT" % fq, "_spf2.%s TXT" % fq,
                "sel1._domainkey.%s TXT" % fq, "_dmarc.%s TXT" % fq,
                "%s NS" % fq,
            ]
            continue
        queries += [
            "%s MX" % fq,
            "mail.%s A" % fq,
            "mail.%s AAAA" % fq,
            "%s TXT" % fq,
        ]
        if args.chain:
            queries += ["_spf.%s TXT" % fq, "_spf2.%s TXT" % fq]
        queries += [
            "sel1._domainkey.%s TXT" % fq,
            "_dmarc.%s TXT" % fq,
            "%s.18.198.in-addr.arpa PTR" % ptr4,
            "%s.ip6.arpa PTR" % nib,
        ]
    files = {
        "bench.example.zone": zone,
        "18.198.in-addr.arpa.zone": rev4,
        "8.b.d.0.1.0.0.2.ip6.arpa.zone": rev6,
        "queries.txt": [q + "\n" for q in queries],
    }
    for name, lines in files.items():
        with open(os.path.join(args.out, name), "w") as f:
            f.writelines(lines)
    print("%d domains, %d queries in %s" % (args.domains, len(queries),
                                            args.out))


if __name__ == "__main__":
    main()
