#!/usr/bin/python3
"""apply_pty.py: run `notspam ARGS... apply` on a pseudo-terminal (the
apply suite, tests/shell/apply.sh), wait for its question, optionally
append a line to a file then (a file changed after the plan was made),
and answer.

  apply_pty.py ANSWER FILE|- NOTSPAM ARGS...

Prints what notspam wrote; exits with notspam's status (124 when the
question never came within 30 s).
"""
import os
import pty
import select
import sys
import time


def main():
    answer, touch, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    out = b""
    asked = False
    deadline = time.time() + 30
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if fd in r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
        if not asked and b"[y/N]" in out:
            asked = True
            if touch != "-":
                with open(touch, "a") as f:
                    f.write("# changed after the plan\n")
            os.write(fd, answer.encode() + b"\n")
    sys.stdout.write(out.decode("utf-8", "replace"))
    if not asked:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        sys.exit(124)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 125)


main()
