#!/usr/bin/env python3
"""probe.py — checks the behaviour tests share (tests/lib.sh calls them).

  probe.py dstate TAG      print "PID COMM" of every process started by the
                           test tagged TAG that sits in D state in each of
                           5 samples over one second; exit 1 if any does
  probe.py answer FILE     a stat and a getxattr of FILE (a console file)
                           each answered within 100 ms, in one of 3 tries;
                           exit 1 and say how long it took otherwise

A test's processes are those whose environment holds CONSOLEFS_TEST_TAG=TAG
(lib.sh exports it) and their descendants (a daemon may give its children a
clean environment). The stat runs in a child process that is killed when it
does not answer, so a wedged daemon fails the check instead of hanging it.
"""
import os
import select
import signal
import sys
import time


def proc_table():
    """pid -> (state, ppid, environ bytes, comm) of every process."""
    table = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        r = stat.rindex(b")")
        fields = stat[r + 2:].split()
        comm = stat[stat.index(b"(") + 1:r].decode(errors="replace")
        try:
            with open("/proc/%s/environ" % p, "rb") as f:
                env = f.read()
        except OSError:
            env = b""
        table[int(p)] = (fields[0].decode(), int(fields[1]), env, comm)
    return table


def test_pids(tag):
    table = proc_table()
    want = b"CONSOLEFS_TEST_TAG=" + tag.encode()
    mine = {p for p, v in table.items() if want in v[2].split(b"\0")}
    grew = True
    while grew:
        grew = False
        for p, v in table.items():
            if p not in mine and v[1] in mine:
                mine.add(p)
                grew = True
    return {p: table[p] for p in mine}


def dstate(tag):
    stuck = None
    for i in range(5):
        now = {p: v[3] for p, v in test_pids(tag).items() if v[0] == "D"}
        stuck = now if stuck is None else {p: c for p, c in stuck.items() if p in now}
        if not stuck:
            return 0
        time.sleep(0.25)
    for p, c in sorted(stuck.items()):
        try:
            with open("/proc/%d/stack" % p) as f:
                where = f.readline().strip()
        except OSError:
            where = "?"
        print("%d %s (%s)" % (p, c, where))
    return 1


def answer_once(path, limit):
    """Seconds a stat + getxattr of PATH took, or None past LIMIT."""
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rd)
        try:
            t0 = time.monotonic()
            os.stat(path)
            os.getxattr(path, "user.backend")
            os.write(wr, ("%f" % (time.monotonic() - t0)).encode())
        except OSError as e:
            os.write(wr, ("error %s" % e).encode())
        os._exit(0)
    os.close(wr)
    ready, _, _ = select.select([rd], [], [], limit + 0.05)
    took = None
    if ready:
        out = os.read(rd, 200).decode()
        if out.startswith("error"):
            print("%s: %s" % (path, out), file=sys.stderr)
            sys.exit(1)
        took = float(out)
    else:
        os.kill(pid, signal.SIGKILL)
    os.close(rd)
    # A killed child stuck in a FUSE request dies at once (the wait is
    # killable); do not hang here if it does not.
    for _ in range(100):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            break
        time.sleep(0.01)
    return took if took is not None and took <= limit else None


def answer(path):
    for _ in range(3):
        if answer_once(path, 0.1) is not None:
            return 0
        time.sleep(0.05)
    print("%s: no answer to stat + getxattr within 100 ms (3 tries)" % path,
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "dstate":
        sys.exit(dstate(sys.argv[2]))
    if len(sys.argv) == 3 and sys.argv[1] == "answer":
        sys.exit(answer(sys.argv[2]))
    sys.exit(__doc__)
