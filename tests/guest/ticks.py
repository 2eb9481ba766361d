#!/usr/bin/env python3
"""ticks.py CONSOLE — check what the guest's counter ("tick N" every 100 ms,
tests/guest/make-guest.sh with consolefs.counter) looks like through the
consolefs console file CONSOLE while the guest boots with nobody attached:
CONSOLE.log holds the kernel's boot lines and the counter; two sessions,
opened one after the other with a pause between, each read a run of ticks
without a gap starting where the log stood when they opened; and the log
at the end holds every tick from 1 on. Exits 1 saying what is wrong."""
import os, re, sys, time

con = sys.argv[1]
log = con + ".log"
# (the shell's prompt may come first on the line)
TICK = re.compile(rb"tick (\d+)\r?\n")


def ticks(data):
    return [int(m.group(1)) for m in TICK.finditer(data)]


def read_log():
    with open(log, "rb") as f:
        return f.read()


def fail(msg):
    sys.exit("ticks.py: " + msg)


def wait(cond, secs, what):
    end = time.monotonic() + secs
    while not cond():
        if time.monotonic() > end:
            fail("timed out waiting for " + what)
        time.sleep(0.1)


wait(lambda: 20 in ticks(read_log()), 120, "tick 20 in " + log)
boot = read_log()
if b"Linux version" not in boot:
    fail("no kernel boot line ('Linux version') in the log: %r" % boot[:300])


def session(n):
    fd = os.open(con, os.O_RDONLY)
    at_open = ticks(read_log())
    got = b""
    end = time.monotonic() + 10
    while len(ticks(got)) < 10:
        if time.monotonic() > end:
            fail("session %d read only %r" % (n, got[-200:]))
        got += os.read(fd, 4096)
    os.close(fd)
    t = ticks(got)
    if t != list(range(t[0], t[0] + len(t))):
        fail("session %d saw a gap: %s" % (n, t))
    # A line cut by the open is not counted: the first whole one may be
    # one later than the log's last.
    if at_open and t[0] > at_open[-1] + 2:
        fail("session %d started at tick %d, the log stood at %d when it opened"
             % (n, t[0], at_open[-1]))
    print("session %d: ticks %d..%d (log at %d when opened)"
          % (n, t[0], t[-1], at_open[-1] if at_open else 0))
    return t


s1 = session(1)
time.sleep(1.5)   # past the reopen window: the second session starts afresh
s2 = session(2)
time.sleep(0.5)
t = ticks(read_log())
if t != list(range(1, len(t) + 1)):
    missing = sorted(set(range(1, t[-1] + 1)) - set(t))
    fail("the log lacks ticks %s" % missing[:20])
if t[-1] < s2[-1]:
    fail("the log ends at tick %d, before what session 2 read" % t[-1])
print("log: ticks 1..%d, all there" % t[-1])
