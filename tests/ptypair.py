#!/usr/bin/env python3
"""A pseudo-terminal pair for tests: prints the slave path to PATHFILE,
copies the master's output to OUTFILE and the fifo INFIFO to the master.
Exits (closing the master: a hang-up for the slave side) on SIGTERM or when
the fifo reports 'HANGUP' on a line of its own.

Options (after the three paths):
  --want PATH   make the pair whose slave is PATH (a number just freed):
                open and keep other pairs until the kernel hands out that
                number; exit 3 when it goes to someone else.
  --user NAME   make the pair as user NAME (the slave belongs to NAME)."""
import os, pty, pwd, select, signal, sys, tty

infifo, outfile, pathfile = sys.argv[1:4]
want = user = None
args = sys.argv[4:]
while args:
    opt, val, args = args[0], args[1], args[2:]
    if opt == "--want":
        want = val
    elif opt == "--user":
        user = pwd.getpwnam(val)
    else:
        sys.exit("ptypair: unknown option " + opt)


def openpty():
    # devpts gives a new slave the file system uid of its opener.
    if user is not None:
        os.setresgid(user.pw_gid, user.pw_gid, 0)
        os.setresuid(user.pw_uid, user.pw_uid, 0)
    try:
        return pty.openpty()
    finally:
        if user is not None:
            os.setresuid(0, 0, 0)
            os.setresgid(0, 0, 0)


kept = []
while True:
    master, slave = openpty()
    name = os.ttyname(slave)
    if want is None or name == want:
        break
    kept.append((master, slave))
    # The lowest free number comes first: past WANT, someone else has it.
    if int(name.rsplit("/", 1)[1]) > int(want.rsplit("/", 1)[1]) or len(kept) > 500:
        sys.exit(3)
for m, s in kept:
    os.close(m)
    os.close(s)
tty.setraw(slave)
os.close(slave)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
out = open(outfile, "wb", buffering=0)
fin = os.open(infifo, os.O_RDWR | os.O_NONBLOCK)
with open(pathfile + ".tmp", "w") as f:
    f.write(name)
os.rename(pathfile + ".tmp", pathfile)
while True:
    r, _, _ = select.select([master, fin], [], [])
    if master in r:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b""  # EIO: no slave open right now
            select.select([], [], [], 0.01)
        if data:
            out.write(data)
    if fin in r:
        data = os.read(fin, 65536)
        if data.strip() == b"HANGUP":
            sys.exit(0)
        os.write(master, data)
