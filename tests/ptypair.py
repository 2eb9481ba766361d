#!/usr/bin/env python3
"""A pseudo-terminal pair for tests: prints the slave path to PATHFILE,
copies the master's output to OUTFILE and the fifo INFIFO to the master.
Exits (closing the master: a hang-up for the slave side) on SIGTERM or when
the fifo reports 'HANGUP' on a line of its own."""
import os, pty, select, signal, sys, tty

infifo, outfile, pathfile = sys.argv[1:4]
master, slave = pty.openpty()
tty.setraw(slave)
name = os.ttyname(slave)
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
