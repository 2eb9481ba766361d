#!/bin/bash
# consolectl attach restores the terminal on every way out, and says in
# words what happened, with its documented exit status: the escape (0), end
# of the console (4), a takeover (5), SIGTERM and a hang-up of its terminal
# (7). consolectl runs on a pseudo-terminal the test owns, so the terminal
# settings can be read before, during and after.
. "$(dirname "$0")/../lib.sh"
need python3 setfattr
cat > "$CONF" <<EOF
[global]
force_reserve = 1
[domain d]
console0 = exec:/bin/sh -c 'stty -echo; while read l; do [ "\$l" = quit ] && exit 0; echo "got:\$l"; done'
EOF
mount_fs
python3 - "$CONSOLECTL" "$MNT" <<'PY' || fail "exit paths"
import os, pty, select, signal, subprocess, sys, termios, time, tty
ctl, mnt = sys.argv[1:3]
dev = mnt + "/d/console0"

def run(action):
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    p = subprocess.Popen([ctl, "-m", mnt, "attach", "d"], stdin=slave, stdout=slave,
                         stderr=slave, start_new_session=True, pass_fds=(),
                         preexec_fn=lambda: __import__("fcntl").ioctl(0, termios.TIOCSCTTY, 0))
    out = b""
    def expect(what, secs=10):
        nonlocal out
        end = time.monotonic() + secs
        while what not in out:
            r, _, _ = select.select([master], [], [], max(0, end - time.monotonic()))
            if not r:
                raise SystemExit("%s: never saw %r in %r" % (action, what, out))
            out += os.read(master, 4096)
    expect(b"Connected to d/console0 (escape ^], ^]? for help)")
    during = termios.tcgetattr(slave)
    assert during != before, action + ": terminal not in raw mode"
    os.write(master, b"hello\r")
    expect(b"got:hello")
    if action == "escape":
        os.write(master, b"\x1d.")
    elif action == "eof":
        os.write(master, b"quit\r")
    elif action == "takeover":
        os.setxattr(dev, "user.force", b"1")
    elif action == "sigterm":
        p.send_signal(signal.SIGTERM)
    elif action == "sighup":
        p.send_signal(signal.SIGHUP)
    rc = p.wait(timeout=10)
    try:
        while select.select([master], [], [], 0.2)[0]:
            out += os.read(master, 4096)
    except OSError:
        pass
    after = termios.tcgetattr(slave)
    os.close(master); os.close(slave)
    assert after == before, "%s: terminal not restored" % action
    return rc, out.decode(errors="replace")

want = {"escape": (0, None), "eof": (4, "closed"), "takeover": (5, "taken over"),
        "sigterm": (7, None), "sighup": (7, None)}
for action in ("escape", "takeover", "sigterm", "sighup", "eof"):
    rc, text = run(action)
    code, words = want[action]
    assert rc == code, "%s: exit status %d, want %d; output %r" % (action, rc, code, text)
    if words:
        assert words in text, "%s: no %r in %r" % (action, words, text)
    print("%-8s exit %d, terminal restored" % (action, rc))
    if action == "takeover":
        time.sleep(1.2)     # let the force reservation (1 s) pass
PY
