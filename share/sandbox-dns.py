#!/usr/bin/python3
"""share/sandbox-dns.py: the DNS host of notspam's live sandbox.

usage: sandbox-dns.py ZONEDIR STATEDIR INBOX ZONE...

Keeps one master-format zone file per ZONE in ZONEDIR (ZONE.zone: its SOA,
its NS, and what was published into it), the files notspam answers every
lookup from in the sandbox (--zones ZONEDIR), and publishes what lands in
INBOX, as a DNS provider's web form would: every *.zone file written there
(the zone-file snippets the setup's DNS step exports, "DOMAIN.missing.zone")
and every *.missing.zone written into ZONEDIR itself.  Each record of a
snippet goes into the zone it belongs to (the longest ZONE its name ends
in), the records written as comments for another zone (the PTR records
"in the reverse zone of the address owner", the mail host's in its own
zone) included; a record replaces what the zone had at the same name and
type.  The snippet is then moved into STATEDIR/published/, so the same
file can be exported again.  A zone file is replaced whole (a temporary
name, then a rename), so a reader never sees half of one.  One line per
snippet on standard output.  The standard library only.
"""
import os
import re
import sys
import time

ZONEDIR, STATEDIR, INBOX = sys.argv[1], sys.argv[2], sys.argv[3]
ZONES = [z.lower().rstrip(".") for z in sys.argv[4:]]
PUBLISHED = os.path.join(STATEDIR, "published")
# Snippets larger than this are refused (a DNS form has limits too).
MAX_SNIPPET = 1024 * 1024
NS = "ns1." + ZONES[0] + "."
NS_ADDR = "192.0.2.53"	# RFC 5737: the nameserver is only a name here
# A record written as a comment: "; NAME. TTL IN TYPE DATA".
COMMENTED = re.compile(r"^;\s*(\S+\.)\s+([0-9]+)\s+IN\s+([A-Za-z0-9]+)\s+(\S.*)$")
SERIAL = [int(time.strftime("%Y%m%d")) * 100]
# zone -> {(owner, type): [entry text, ...]}, in the order published.
DATA = {z: {} for z in ZONES}


def say(text):
    sys.stdout.write("%s %s\n" % (time.strftime("%H:%M:%S"), text))
    sys.stdout.flush()


def code(line):
    """The part of a line before its comment, and its parentheses'
    balance (quoted text is neither)."""
    out, depth, quoted, i = [], 0, False, 0
    while i < len(line):
        c = line[i]
        if quoted:
            if c == "\\" and i + 1 < len(line):
                out.append(line[i:i + 2])
                i += 2
                continue
            if c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c == ";":
            break
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        out.append(c)
        i += 1
    return "".join(out), depth


def entries(text):
    """The records of a snippet: (owner, type, entry text) each, an entry
    over several lines (parentheses) kept as it is written."""
    found, cur, depth = [], [], 0
    for line in text.splitlines():
        part, d = code(line)
        if depth == 0 and not part.strip():
            m = COMMENTED.match(line.strip())
            if m:
                found.append(m.group(1, 3) + ("%s %s IN %s %s" % m.groups(),))
            continue
        cur.append(part.rstrip() if depth == 0 else line.rstrip())
        depth += d
        if depth <= 0:
            words = " ".join(cur).split()
            if len(words) >= 4 and words[0].endswith("."):
                i = 1
                while i < len(words) and (words[i].isdigit() or
                                          words[i].upper() == "IN"):
                    i += 1
                if i < len(words):
                    found.append((words[0], words[i], "\n".join(cur)))
            cur, depth = [], 0
    return found


def zone_of(name):
    """The longest zone of the sandbox name is in, or None."""
    n = name.lower().rstrip(".")
    best = None
    for z in ZONES:
        if (n == z or n.endswith("." + z)) and (best is None or
                                               len(z) > len(best)):
            best = z
    return best


def write(zone):
    """ZONEDIR/ZONE.zone, whole."""
    lines = [
        "; %s: the sandbox's DNS (share/sandbox-dns.py), serial %d"
        % (zone, SERIAL[0]),
        "$ORIGIN %s." % zone,
        "$TTL 3600",
        "@\tIN SOA %s hostmaster.%s. ( %d 3600 600 1209600 300 )"
        % (NS, ZONES[0], SERIAL[0]),
        "@\tIN NS %s" % NS,
    ]
    if zone == ZONES[0]:
        lines.append("%s\tIN A %s" % (NS, NS_ADDR))
    if DATA[zone]:
        lines.append("; published")
        for texts in DATA[zone].values():
            lines.extend(texts)
    path = os.path.join(ZONEDIR, zone + ".zone")
    tmp = os.path.join(ZONEDIR, "." + zone + ".tmp")
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(tmp, path)


def publish(path):
    """One snippet into the zones, then out of the way."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_SNIPPET + 1)
    except OSError as e:
        say("%s: %s" % (path, e.strerror))
        return
    base = os.path.basename(path)
    dest = os.path.join(PUBLISHED, "%d.%s" % (time.time_ns(), base))
    os.rename(path, dest)
    if len(raw) > MAX_SNIPPET:
        say("%s: over %d bytes, not published" % (base, MAX_SNIPPET))
        return
    new, skipped = {}, []
    for owner, rtype, text in entries(raw.decode("utf-8", "replace")):
        z = zone_of(owner)
        if z is None:
            skipped.append(owner)
            continue
        new.setdefault(z, {}).setdefault((owner.lower(), rtype.upper()),
                                         []).append(text)
    SERIAL[0] += 1
    for z, recs in new.items():
        DATA[z].update(recs)
        write(z)
    n = sum(len(t) for r in new.values() for t in r.values())
    say("%s: %d records published into %s%s" % (
        base, n, ", ".join(sorted(new)) or "no zone",
        "; in no zone of the sandbox: " + ", ".join(skipped) if skipped
        else ""))


def snippets():
    """What waits to be published, oldest first."""
    found = []
    for d, suffix in ((INBOX, ".zone"), (ZONEDIR, ".missing.zone")):
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for n in names:
            if not n.startswith(".") and n.endswith(suffix):
                p = os.path.join(d, n)
                try:
                    found.append((os.stat(p).st_mtime, p))
                except OSError:
                    pass
    return [p for _, p in sorted(found)]


os.makedirs(PUBLISHED, exist_ok=True)
for z in ZONES:
    write(z)
say("serving %s from %s; publishing what lands in %s" % (
    ", ".join(ZONES), ZONEDIR, INBOX))
while True:
    for p in snippets():
        publish(p)
    time.sleep(0.2)
