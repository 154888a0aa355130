#!/usr/bin/python3
"""plan_json.py: read `notspam --json apply --dry-run` output for the plan
suites (tests/shell/plan*.sh).

  plan_json.py files JSON             changed files, one a line
  plan_json.py count JSON PATH        edits of PATH
  plan_json.py edit JSON PATH BEFORE AFTER [LINE]
                                      exit 0 if PATH has an edit with exactly
                                      these lines ("-" for none; "\\n" and
                                      "\\t" written as such), at LINE as read
  plan_json.py write JSON ROOT        write every planned file under ROOT by
                                      applying its unified diff to the file
                                      as it is there, strictly (a context
                                      line that differs is an error)
  plan_json.py sets JSON PATH         the "name=value" of every edit of a
                                      main.cf, in plan order
  plan_json.py get JSON KEY           a top-level list, one item a line
"""
import json
import os
import re
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def file_of(doc, path):
    for f in doc["files"]:
        if f["path"] == path:
            return f
    return None


def unescape(s):
    return None if s == "-" else s.replace("\\n", "\n").replace("\\t", "\t")


HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def patch(old, diff):
    """Apply a unified diff to old (bytes), strictly; the new bytes."""
    lines = old.splitlines(keepends=True)
    out = []
    pos = 0
    d = diff.encode("utf-8", "surrogateescape").splitlines(keepends=True)
    i = 0
    while i < len(d) and not d[i].startswith(b"@@"):
        i += 1
    while i < len(d):
        m = HUNK.match(d[i].decode("utf-8", "surrogateescape"))
        if not m:
            raise SystemExit("bad hunk header: %r" % d[i])
        start = int(m.group(1))
        count = int(m.group(2)) if m.group(2) is not None else 1
        first = start - 1 if count > 0 else start
        out.extend(lines[pos:first])
        pos = first
        i += 1
        prev = None
        while i < len(d) and not d[i].startswith(b"@@"):
            t = d[i]
            if t.startswith(b"\\"):
                # "\ No newline at end of file": the line before has none
                if prev is not None and out and out[-1].endswith(b"\n"):
                    if prev == "+" or prev == " ":
                        out[-1] = out[-1][:-1]
                i += 1
                continue
            tag, body = t[:1], t[1:]
            if tag in (b" ", b"-"):
                cur = lines[pos] if pos < len(lines) else None
                want = body
                if cur is None or (cur != want and cur.rstrip(b"\n") !=
                                   want.rstrip(b"\n")):
                    raise SystemExit("context differs at line %d: %r != %r"
                                     % (pos + 1, cur, want))
                if tag == b" ":
                    out.append(cur)
                pos += 1
            elif tag == b"+":
                out.append(body)
            prev = tag.decode()
            i += 1
    out.extend(lines[pos:])
    return b"".join(out)


def main():
    cmd, doc = sys.argv[1], load(sys.argv[2])
    if cmd == "files":
        for f in doc["files"]:
            if f["changed"]:
                print(f["path"])
    elif cmd == "count":
        f = file_of(doc, sys.argv[3])
        print(len(f["edits"]) if f else 0)
    elif cmd == "edit":
        f = file_of(doc, sys.argv[3])
        before, after = unescape(sys.argv[4]), unescape(sys.argv[5])
        line = int(sys.argv[6]) if len(sys.argv) > 6 else None
        for e in (f["edits"] if f else []):
            if e["before"] == before and e["after"] == after and \
                    (line is None or e["line"] == line):
                sys.exit(0)
        for e in (f["edits"] if f else []):
            print("# %d: %r -> %r" % (e["line"], e["before"], e["after"]))
        sys.exit(1)
    elif cmd == "write":
        root = sys.argv[3]
        for f in doc["files"]:
            if not f["changed"]:
                continue
            path = root + f["path"]
            old = b""
            if not f["new"]:
                with open(path, "rb") as fh:
                    old = fh.read()
            new = patch(old, f["diff"])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(new)
            os.chmod(path, int(f["mode"], 8))
    elif cmd == "sets":
        f = file_of(doc, sys.argv[3])
        for e in (f["edits"] if f else []):
            if e["after"] is None:
                continue
            name, _, value = e["after"].partition("=")
            print("%s=%s" % (name.strip(), value.strip()))
    elif cmd == "get":
        for item in doc[sys.argv[3]]:
            print(item if isinstance(item, str) else json.dumps(item))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
