"""Runs a command on a fresh pseudo-terminal (its controlling tty), answering prompts.

Usage: PTY_SCRIPT='[["Email: ", "ada@example.com"], ["Password: ", "secret"]]' python3 pty_run.py CMD ARGS...
Writes everything the terminal displayed to stdout and exits with the command's exit code. A prompt
that does not appear within 15 seconds prints PTY_TIMEOUT on stderr and exits 124.
"""
import json
import os
import pty
import select
import sys
import time

script = json.loads(os.environ.get("PTY_SCRIPT", "[]"))
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])

seen = b""


def pump(deadline):
    """Reads what is available until the deadline; returns False at end of output."""
    global seen
    r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
    if not r:
        return True
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        return False
    if not chunk:
        return False
    seen += chunk
    return True


pos = 0
for expect, send in script:
    deadline = time.time() + 15
    want = expect.encode()
    while seen.find(want, pos) < 0:
        if time.time() > deadline or not pump(deadline):
            sys.stdout.buffer.write(seen)
            sys.stderr.write("PTY_TIMEOUT waiting for %r\n" % expect)
            sys.exit(124)
    pos = seen.find(want, pos) + len(want)
    os.write(fd, send.encode() + b"\n")

deadline = time.time() + 30
while time.time() < deadline and pump(deadline):
    pass
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.time() > deadline:
        os.kill(pid, 9)
        sys.stdout.buffer.write(seen)
        sys.stderr.write("PTY_TIMEOUT: the command did not exit\n")
        sys.exit(124)
    time.sleep(0.05)
sys.stdout.buffer.write(seen)
sys.stdout.flush()
sys.exit(os.waitstatus_to_exitcode(status))
