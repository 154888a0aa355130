#!/usr/bin/python3
"""apply_kill.py: run a command (`notspam --root R apply --yes`) and
SIGKILL it at a chosen moment, for tests/shell/apply_faults.sh.  Nothing
is injected into the program: the moments are measured from outside.

  apply_kill.py measure BASE CMD...
      run CMD to its end, watching the directory BASE (the backup base
      under the root) for its first backup directory and its journal;
      prints "exited STATUS TOTAL_US BACKUP_US JOURNAL_US DONE_US": the
      run's length, when the backup directory and its journal appeared and
      when the journal said done (-1: never), all from the start
  apply_kill.py run US CMD...
      SIGKILL CMD US microseconds after it started
  apply_kill.py commit US BASE CMD...
      SIGKILL CMD US microseconds after its first backup directory
      appeared in BASE (the commit's start)
  apply_kill.py fill US BASE FILE CMD...
      as commit, but instead of a kill, fill the file system of FILE (write
      zeros to FILE until it is full) and let CMD go on; prints "exited
      STATUS US_FROM_START" ("filled" before it when the fill came first)

BASE may also be a pattern with "*" (glob): the moment is then counted
from when a path matches it (BASE/*/journal: the journal is written).
  apply_kill.py state ORIG WANT ROOT
      what a killed apply left in ROOT, ORIG being a copy of the root
      before it and WANT one after an uninterrupted apply: shell
      assignments (below) on stdout, one "# " line per problem on stderr
  apply_kill.py same A B
      exit 0 when the trees A and B are the same (below), else 1 with the
      differences on stderr

Trees are compared entry by entry, by relative path: the type, mode, uid,
gid, and the bytes (SHA-256) of a file or the target of a symlink; the
directory of the backup base, var/backups (and var), is left out.

state prints: outcome (before: no backup directory; incomplete: one
without a journal; mid: journal in-progress; after: done; other), nnew
and nold (the files and symlinks that differ between ORIG and WANT, now
with WANT's or ORIG's entry), nchanged (how many there are), nbad (now
neither: a partial or foreign file, a stray one), ntmp (temporary files
".NAME.notspam-PID-N.tmp" and the rollback copies
".NAME.notspam-PID-undo.tmp" left beside the configs), btmp (the same in the
backup directories), backup_bad (a journal in-progress or done whose
manifest misses a changed file, or whose copy is not ORIG's bytes, mode
and owner), stamp, journal.

The kill modes print "killed US_FROM_START" or, when CMD ended first,
"exited STATUS US_FROM_START".  CMD's output goes to /dev/null, its
stderr to the file APPLY_KILL_STDERR names, if any.  A run
longer than APPLY_KILL_LIMIT seconds (default 60) is killed and reported
as "timeout".
"""
import glob
import hashlib
import os
import re
import signal
import stat
import subprocess
import sys
import time

STAMP = re.compile(r"^[0-9]{8}T[0-9]{6}Z")
# How often BASE is looked at, in seconds (a busy loop would take the CPU
# the command needs on a small machine).
POLL = 0.0001


def now_us():
    return time.monotonic_ns() // 1000


def has_backup(base):
    if "*" in base:
        return bool(glob.glob(base))
    try:
        return any(STAMP.match(n) for n in os.listdir(base))
    except OSError:
        return False


def is_done(base):
    for j in glob.glob(base + "/*/journal"):
        try:
            with open(j) as f:
                if f.read(4) == "done":
                    return True
        except OSError:
            pass
    return False


def spawn(argv):
    err = os.environ.get("APPLY_KILL_STDERR")
    with open(err or os.devnull, "wb") as e:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=e)


def limit():
    return float(os.environ.get("APPLY_KILL_LIMIT", "60"))


def measure(base, argv):
    t0 = now_us()
    p = spawn(argv)
    seen = journal = done = -1
    end = time.monotonic() + limit()
    while p.poll() is None:
        if seen < 0 and has_backup(base):
            seen = now_us() - t0
        if seen >= 0 and journal < 0 and has_backup(base + "/*/journal"):
            journal = now_us() - t0
        if journal >= 0 and done < 0 and is_done(base):
            done = now_us() - t0
        if time.monotonic() > end:
            p.kill()
            p.wait()
            print("timeout")
            return
        time.sleep(POLL)
    total = now_us() - t0
    if seen < 0 and has_backup(base):
        seen = total
    if journal < 0 and has_backup(base + "/*/journal"):
        journal = total
    if done < 0 and is_done(base):
        done = total
    print("exited %d %d %d %d %d" % (p.returncode, total, seen, journal,
                                     done))


def wait_until(p, t_us, t0, base=None):
    """Wait until t_us after t0 (or, with base, until base has a backup
    and then t_us more); False when p ended first."""
    end = time.monotonic() + limit()
    start = None if base is not None else t0
    while p.poll() is None:
        if start is None and has_backup(base):
            start = now_us()
        if start is not None:
            left = start + t_us - now_us()
            if left <= 0:
                return True
            time.sleep(min(left / 1e6, POLL))
        else:
            time.sleep(POLL)
        if time.monotonic() > end:
            return True
    return False


def fill(path):
    buf = bytes(65536)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        while True:
            os.write(fd, buf)
    except OSError:
        pass
    try:
        while True:
            os.write(fd, buf[:512])
    except OSError:
        pass
    os.close(fd)


def fill_at(us, base, path, argv):
    t0 = now_us()
    p = spawn(argv)
    if wait_until(p, us, t0, base) and p.poll() is None:
        fill(path)
        print("filled")
    status = p.wait()
    print("exited %d %d" % (status, now_us() - t0))


def kill_at(us, base, argv):
    t0 = now_us()
    p = spawn(argv)
    if wait_until(p, us, t0, base):
        try:
            p.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
    status = p.wait()
    t = now_us() - t0
    if status == -signal.SIGKILL:
        print("killed %d" % t)
    else:
        print("exited %d %d" % (status, t))


TMPFILE = re.compile(r"^\..*\.notspam-[0-9]+-[0-9a-z]+\.tmp$")
BASE = "var/backups"
LEFT_OUT = ("var",)


def entry(path):
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        what = "l " + os.readlink(path)
    elif stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            what = "f " + hashlib.sha256(f.read()).hexdigest()
    elif stat.S_ISDIR(st.st_mode):
        what = "d"
    else:
        what = "?"
    return "%s %04o %d:%d" % (what, stat.S_IMODE(st.st_mode), st.st_uid,
                              st.st_gid)


def tree(root):
    """{relative path: entry} of root, the backup base left out."""
    out = {}
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        if rel == BASE or rel.startswith(BASE + "/"):
            dirs[:] = []
            continue
        for n in dirs + files:
            p = os.path.normpath(os.path.join(rel, n))
            if p in LEFT_OUT or p == BASE:
                continue
            out[p] = entry(os.path.join(d, n))
    return out


def host(root, rel):
    """The host path of rel under root, its symlinks followed inside root."""
    p = rel
    for _ in range(40):
        h = os.path.join(root, p)
        if not os.path.islink(h):
            return h
        t = os.readlink(h)
        p = t.lstrip("/") if t.startswith("/") else \
            os.path.normpath(os.path.join(os.path.dirname(p), t))
    return os.path.join(root, p)


def unescape(v):
    if v == "-":
        return None
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)),
                  v)


def manifest(path):
    files = {}
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            w = line.split()
            if w and w[0] == "file":
                kv = dict(x.split("=", 1) for x in w[1:])
                files[unescape(kv["path"])] = kv
                files[unescape(kv.get("target", kv["path"]))] = kv
    return files


def check_backup(orig, d, changed, problems):
    """Is backup directory d complete for the files of changed?"""
    try:
        m = manifest(os.path.join(d, "manifest"))
    except OSError as e:
        problems.append("no manifest in %s: %s" % (d, e))
        return
    for rel in changed:
        kv = m.get("/" + rel)
        if kv is None:
            problems.append("the manifest of %s misses /%s" % (d, rel))
            continue
        src = host(orig, rel)
        if kv["existed"] == "0":
            if os.path.lexists(os.path.join(orig, rel)):
                problems.append("/%s existed, the manifest says not" % rel)
            continue
        st = os.stat(src)
        if "%04o" % stat.S_IMODE(st.st_mode) != kv["mode"] or \
                str(st.st_uid) != kv["uid"] or str(st.st_gid) != kv["gid"]:
            problems.append("/%s: mode or owner in the manifest is not "
                            "the old one" % rel)
        if kv.get("copy", "-") == "-":
            if kv.get("secret") != "1":
                problems.append("/%s: no copy kept" % rel)
            continue
        try:
            with open(os.path.join(d, unescape(kv["copy"])), "rb") as f:
                copy = f.read()
        except OSError as e:
            problems.append("/%s: its copy is missing: %s" % (rel, e))
            continue
        with open(src, "rb") as f:
            if f.read() != copy:
                problems.append("/%s: its copy is not the old bytes" % rel)


def backups(root):
    """[(stamp, journal state or None)] under the backup base."""
    base = os.path.join(root, BASE, "notspam")
    out = []
    try:
        names = sorted(n for n in os.listdir(base) if STAMP.match(n))
    except OSError:
        return out
    for n in names:
        try:
            with open(os.path.join(base, n, "journal")) as f:
                j = f.read().split()[0]
        except (OSError, IndexError):
            j = None
        out.append((n, j))
    return out


def state(orig, want, root):
    to, tw, tr = tree(orig), tree(want), tree(root)
    problems = []
    changed = sorted(p for p in set(to) | set(tw) if to.get(p) != tw.get(p))
    files = [p for p in changed
             if (tw.get(p) or to.get(p))[0] != "d"]
    nnew = nold = nbad = ntmp = 0
    for p in sorted(set(to) | set(tw) | set(tr)):
        cur = tr.get(p)
        if cur == to.get(p) and p not in files:
            continue
        if p in files and cur == tw.get(p):
            nnew += 1
        elif p in files and cur == to.get(p):
            nold += 1
        elif cur == tw.get(p):
            pass    # a directory the apply makes
        elif cur is not None and to.get(p) is None and \
                TMPFILE.match(os.path.basename(p)):
            ntmp += 1
            problems.append("temporary file left: /%s" % p)
        else:
            nbad += 1
            problems.append("/%s is neither its old nor its new entry: %s"
                            % (p, cur))
    bk = backups(root)
    stamp, journal = bk[-1] if bk else ("", None)
    if not bk:
        outcome = "before"
    elif journal is None:
        outcome = "incomplete"
    elif journal == "in-progress":
        outcome = "mid"
    elif journal == "done":
        outcome = "after"
    else:
        outcome = "other"
    bbad = 0
    if outcome in ("mid", "after"):
        before = len(problems)
        check_backup(orig, os.path.join(root, BASE, "notspam", stamp), files,
                     problems)
        bbad = len(problems) - before
    elif nnew > 0:
        bbad = 1
        problems.append("%d files new, and no backup with a journal" % nnew)
    if outcome == "after" and nnew != len(files):
        nbad += 1
        problems.append("journal done with %d of %d files new"
                        % (nnew, len(files)))
    btmp = 0
    for d, _, names in os.walk(os.path.join(root, BASE)):
        btmp += sum(1 for n in names if TMPFILE.match(n))
    for p in problems:
        sys.stderr.write("# %s\n" % p)
    print("outcome=%s nnew=%d nold=%d nchanged=%d nbad=%d ntmp=%d btmp=%d "
          "backup_bad=%d stamp=%s journal=%s"
          % (outcome, nnew, nold, len(files), nbad, ntmp, btmp, bbad,
             stamp, journal or "none"))


def same(a, b):
    ta, tb = tree(a), tree(b)
    diff = sorted(p for p in set(ta) | set(tb) if ta.get(p) != tb.get(p))
    for p in diff:
        sys.stderr.write("# /%s: %s, expected %s\n" % (p, tb.get(p),
                                                       ta.get(p)))
    sys.exit(1 if diff else 0)


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "measure":
        measure(a[1], a[2:])
    elif len(a) >= 3 and a[0] == "run":
        kill_at(int(a[1]), None, a[2:])
    elif len(a) >= 4 and a[0] == "commit":
        kill_at(int(a[1]), a[2], a[3:])
    elif len(a) >= 5 and a[0] == "fill":
        fill_at(int(a[1]), a[2], a[3], a[4:])
    elif len(a) == 4 and a[0] == "state":
        state(a[1], a[2], a[3])
    elif len(a) == 3 and a[0] == "same":
        same(a[1], a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
