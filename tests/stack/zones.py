#!/usr/bin/python3
"""tests/stack/zones.py: zone files for a test DNS server, from the records
notspam says a site needs (`notspam --json records`), with deliberate
changes so that tests can craft good and bad domains.

usage: zones.py RECORDS.json OUTDIR [--drop ID@DOMAIN]... [--set ID@DOMAIN=TEXT]...
                [--move ID@DOMAIN=OWNER]...
                [--add 'owner TTL IN TYPE rdata']... [--ttl N]
                [--ns NAME=ADDRESS]...

Writes OUTDIR/<zone>.zone for every hosted domain, for the reverse zones of
the public addresses (2.0.192.in-addr.arpa, 8.b.d.0.1.0.0.2.ip6.arpa style,
on /24 and /32 boundaries) and prints the file names, one a line.  --set
replaces a TXT record's text (split into 255-byte strings) or another
record's rdata; --move writes a record at another owner (in the zone that
holds it, e.g. behind a DNAME); --drop leaves a record out.  The mail host's
records (host-a, host-aaaa, ptr:ADDRESS, spf-helo: "mail_host" in the JSON)
are named ID@host.  Each zone gets SOA and NS:
ns.<zone> at 127.0.0.1, or the --ns servers (their A records go into the
zone that holds their names).
"""
import ipaddress, json, sys, os

def zone_of(owner, zones):
    best = None
    for z in zones:
        if owner == z or owner.endswith("." + z):
            if best is None or len(z) > len(best):
                best = z
    return best

def txt(text):
    raw = text.encode()
    chunks = [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""]
    out = []
    for c in chunks:
        s = ""
        for b in c:
            if b in (0x22, 0x5c):
                s += "\\" + chr(b)
            elif 0x20 <= b < 0x7f:
                s += chr(b)
            else:
                s += "\\%03d" % b
        out.append('"%s"' % s)
    return " ".join(out)

def main(argv):
    doc = json.load(open(argv[0]))
    outdir = argv[1]
    drops, sets, moves, adds, ttl, nss = set(), {}, {}, [], 300, []
    i = 2
    while i < len(argv):
        if argv[i] == "--drop":
            drops.add(argv[i + 1]); i += 2
        elif argv[i] == "--set":
            k, v = argv[i + 1].split("=", 1); sets[k] = v; i += 2
        elif argv[i] == "--move":
            k, v = argv[i + 1].split("=", 1)
            moves[k] = v.rstrip(".") + "."; i += 2
        elif argv[i] == "--add":
            adds.append(argv[i + 1]); i += 2
        elif argv[i] == "--ns":
            n, a = argv[i + 1].split("=", 1)
            nss.append((n.rstrip(".") + ".", a)); i += 2
        elif argv[i] == "--ttl":
            ttl = int(argv[i + 1]); i += 2
        else:
            raise SystemExit("zones.py: unknown argument " + argv[i])
    domains = [d["domain"] for d in doc["domains"]]
    zones = {d + ".": [] for d in domains}
    seen = set()
    owners = [("host", doc["mail_host"])] if doc.get("mail_host") else []
    owners += [(d["domain"], d) for d in doc["domains"]]
    known = {r["id"] + "@" + who for who, d in owners for r in d["records"]}
    for key in sorted((drops | set(sets) | set(moves)) - known):
        raise SystemExit("zones.py: no record " + key +
                         " (the mail host's are ID@host)")
    for who, d in owners:
        for r in d["records"]:
            key = r["id"] + "@" + who
            if key in drops or r["value"] is None:
                continue
            line_key = (r["name"], r["type"], r["value"])
            if line_key in seen:
                continue
            seen.add(line_key)
            value = sets.get(key, r["value"])
            name = moves.get(key, r["name"])
            if r["type"] == "PTR":
                ip = ipaddress.ip_address(r["id"][4:])
                if ip.version == 4:
                    z = ".".join(reversed(str(ip).split(".")[:3])) + ".in-addr.arpa."
                else:
                    nib = ip.exploded.replace(":", "")[:8]
                    z = ".".join(reversed(nib)) + ".ip6.arpa."
                zones.setdefault(z, [])
            else:
                z = zone_of(name, zones)
                if z is None:
                    continue
            rdata = txt(value) if r["type"] == "TXT" else value
            zones[z].append("%s %d IN %s %s" % (name, ttl, r["type"], rdata))
    for a in adds:
        owner = a.split()[0]
        z = zone_of(owner, zones)
        if z is not None:
            zones[z].append(a)
    os.makedirs(outdir, exist_ok=True)
    for z, lines in zones.items():
        path = os.path.join(outdir, z.rstrip(".") + ".zone")
        with open(path, "w") as f:
            f.write("$ORIGIN %s\n$TTL %d\n" % (z, ttl))
            f.write("@ IN SOA ns.%s hostmaster.%s 1 3600 600 86400 %d\n" % (z, z, ttl))
            if not nss:
                f.write("@ IN NS ns.%s\n" % z)
                f.write("ns.%s IN A 127.0.0.1\n" % z)
            for n, a in nss:
                f.write("@ IN NS %s\n" % n)
                if zone_of(n, zones) == z:
                    f.write("%s IN A %s\n" % (n, a))
            for l in lines:
                f.write(l + "\n")
        print(path)

if __name__ == "__main__":
    main(sys.argv[1:])
