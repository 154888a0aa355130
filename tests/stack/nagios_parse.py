#!/usr/bin/python3
"""tests/stack/nagios_parse.py: a monitoring plugin's output read the way
the Monitoring Plugins development guidelines describe it, strictly, for
tests of `notspam check --nagios`.

usage: nagios_parse.py FILE [--exit N] [--service NAME]

FILE holds the plugin's standard output.  What is read:
  - the first line: "NAME STATE - text" (or "NAME STATE: text"), STATE one
    of OK, WARNING, CRITICAL, UNKNOWN, then optionally "|" and the first
    part of the performance data;
  - the lines after it: the long output, up to the first "|" in them,
    after which comes the second part of the performance data (to the
    end, over lines);
  - performance data: blank-separated 'label'=value[UOM];[warn];[crit];
    [min];[max] items: the label quoted with single quotes (a quote in it
    doubled) or bare (no blank, '=' or quote), value and min and max in
    [-0-9.] (or value U), UOM one of none, s, ms, us, %, B, KB, MB, TB, c,
    warn and crit in the range format [@][start:][end] (start ~ for minus
    infinity), trailing empty fields left out, labels unique;
  - the state against the exit status (--exit: 0 OK, 1 WARNING,
    2 CRITICAL, 3 UNKNOWN) and, unless UNKNOWN, against the thresholds:
    CRITICAL when some value is outside its critical range, else WARNING
    when outside a warning range, else OK.

Prints one JSON object (service, state, text, perfdata: a list of {label,
value, uom, warn, crit, min, max}, long: the lines, perfdata2: the second
part's items) and exits 0; on the first thing not as the guidelines say,
prints why on stderr and exits 1.
"""
import json
import re
import sys

STATES = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}
UOMS = ("", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c")
NUM = r"-?[0-9.]+"
RANGE = re.compile(r"^(@)?(?:(~|%s):)?(%s)?$" % (NUM, NUM))


class Bad(Exception):
    pass


def number(s, what):
    if not re.fullmatch(r"[-0-9.]+", s):
        raise Bad("%s %r is not in [-0-9.]" % (what, s))
    try:
        return float(s)
    except ValueError:
        raise Bad("%s %r is not a number" % (what, s))


def parse_range(s, what):
    """(inside, start, end) of a threshold range, or None when empty."""
    if s == "":
        return None
    m = RANGE.match(s)
    if m is None or (m.group(2) is None and m.group(3) is None):
        raise Bad("%s %r is not in the range format" % (what, s))
    start = 0.0
    if m.group(2) == "~":
        start = float("-inf")
    elif m.group(2) is not None:
        start = number(m.group(2), what)
    end = float("inf") if m.group(3) is None else number(m.group(3), what)
    if s.endswith(":"):
        end = float("inf")
    if start > end:
        raise Bad("%s %r: start above end" % (what, s))
    return (m.group(1) == "@", start, end)


def alerts(rng, value):
    if rng is None or value is None:
        return False
    inside, start, end = rng
    within = start <= value <= end
    return within if inside else not within


def parse_label(s, i):
    """The label at s[i:] and the index after it."""
    if s[i] == "'":
        out, i = "", i + 1
        while True:
            if i >= len(s):
                raise Bad("unterminated quoted label")
            if s[i] == "'":
                if i + 1 < len(s) and s[i + 1] == "'":
                    out += "'"
                    i += 2
                    continue
                return out, i + 1
            out += s[i]
            i += 1
    m = re.compile(r"[^ '=]+").match(s, i)
    if m is None:
        raise Bad("no label at %r" % s[i:i + 20])
    return m.group(0), m.end()


def parse_perfdata(s):
    items, i = [], 0
    s = s.replace("\n", " ")
    while True:
        while i < len(s) and s[i] == " ":
            i += 1
        if i >= len(s):
            return items
        label, i = parse_label(s, i)
        if i >= len(s) or s[i] != "=":
            raise Bad("label %r is not followed by '='" % label)
        j = s.find(" ", i + 1)
        j = len(s) if j < 0 else j
        fields = s[i + 1:j].split(";")
        i = j
        if len(fields) > 5:
            raise Bad("%r: more than value;warn;crit;min;max" % label)
        fields += [""] * (5 - len(fields))
        m = re.fullmatch(r"([-0-9.]+|U)([a-zA-Z%]*)", fields[0])
        if m is None:
            raise Bad("%r: value %r" % (label, fields[0]))
        if m.group(2) not in UOMS:
            raise Bad("%r: unit %r is none of %s" % (label, m.group(2),
                                                      UOMS))
        value = None if m.group(1) == "U" else number(m.group(1), label)
        item = {"label": label, "value": value, "uom": m.group(2),
                "warn": fields[1], "crit": fields[2],
                "min": fields[3], "max": fields[4]}
        item["_warn"] = parse_range(fields[1], label + " warn")
        item["_crit"] = parse_range(fields[2], label + " crit")
        for k in ("min", "max"):
            if item[k] != "":
                item[k] = number(item[k], "%s %s" % (label, k))
            else:
                item[k] = None
        items.append(item)


def parse(text, service=None):
    if text == "":
        raise Bad("no output")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    first = lines[0]
    head, bar, perf1 = first.partition("|")
    m = re.fullmatch(r"(\S+) (OK|WARNING|CRITICAL|UNKNOWN)(?::| -) (.+?) ?",
                     head)
    if m is None:
        raise Bad("first line is not 'SERVICE STATE - text': %r" % head)
    if service is not None and m.group(1) != service:
        raise Bad("service %r, not %r" % (m.group(1), service))
    long_lines, perf2 = [], ""
    rest = lines[1:]
    for n, l in enumerate(rest):
        if "|" in l:
            before, _, after = l.partition("|")
            long_lines.append(before)
            perf2 = "\n".join([after] + rest[n + 1:])
            break
        long_lines.append(l)
    perf = parse_perfdata(perf1) if bar else []
    perf2 = parse_perfdata(perf2)
    labels = [p["label"] for p in perf + perf2]
    if len(labels) != len(set(labels)):
        raise Bad("a label twice: %s" % labels)
    return {"service": m.group(1), "state": m.group(2), "text": m.group(3),
            "perfdata": perf, "long": long_lines, "perfdata2": perf2}


def threshold_state(items):
    if any(alerts(p["_crit"], p["value"]) for p in items):
        return "CRITICAL"
    if any(alerts(p["_warn"], p["value"]) for p in items):
        return "WARNING"
    return "OK"


def main(argv):
    path, want_exit, service = None, None, None
    i = 0
    while i < len(argv):
        if argv[i] == "--exit":
            want_exit = int(argv[i + 1]); i += 2
        elif argv[i] == "--service":
            service = argv[i + 1]; i += 2
        else:
            path = argv[i]; i += 1
    if path is None:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    with open(path, encoding="utf-8", errors="strict") as f:
        text = f.read()
    try:
        doc = parse(text, service)
        if want_exit is not None and STATES[doc["state"]] != want_exit:
            raise Bad("state %s but exit status %d" % (doc["state"],
                                                      want_exit))
        items = doc["perfdata"] + doc["perfdata2"]
        if doc["state"] != "UNKNOWN" and any(p["warn"] or p["crit"]
                                             for p in items):
            t = threshold_state(items)
            if t != doc["state"]:
                raise Bad("state %s, but the thresholds say %s" %
                          (doc["state"], t))
    except Bad as e:
        print("nagios_parse: %s: %s" % (path, e), file=sys.stderr)
        return 1
    for p in doc["perfdata"] + doc["perfdata2"]:
        del p["_warn"], p["_crit"]
    print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
