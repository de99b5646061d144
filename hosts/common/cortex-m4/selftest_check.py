#!/usr/bin/env python3
"""Scripted check of the board self-test firmware in QEMU (board-independent).

usage: selftest_check.py MACHINE selftest.elf
Checks: boot banner, echo, a 10,000-byte line sent at once (no crash, drops counted), the
commands stack/ms/idle/heap/fpu, AUX and MODEM ports echo, exit codes through semihosting,
the same under -icount shift=0, the NULL-write and stack-overflow fault reports, and counts
guest instructions
from reset to the banner (-icount shift=0 -singlestep -d exec: one trace line per instruction).
"""
import os, re, socket, subprocess, sys, tempfile, threading, time

MACHINE, ELF = sys.argv[1], sys.argv[2]
BASE = ["qemu-system-arm", "-M", MACHINE, "-semihosting", "-kernel", ELF]
failures = []


class Qemu:
    def __init__(self, extra=(), plain=True):
        args = BASE + (["-nographic"] if plain else ["-display", "none", "-monitor", "none"])
        self.p = subprocess.Popen(args + list(extra), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.out = b""
        self.lock = threading.Lock()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        while True:
            b = self.p.stdout.read1(4096)
            if not b:
                return
            with self.lock:
                self.out += b

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def expect(self, pattern, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                m = re.search(pattern, self.out)
            if m:
                return m
            time.sleep(0.02)
        raise TimeoutError("no %r in output:\n%s" % (pattern, self.out[-2000:].decode(errors="replace")))

    def wait(self, timeout=10):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return None


def check(name, cond, detail=""):
    print("%-4s %s %s" % ("ok" if cond else "FAIL", name, detail))
    if not cond:
        failures.append(name)


def session(extra=(), label=""):
    q = Qemu(extra)
    t0 = time.time()
    q.expect(rb"board \S+ ready\n")
    check(label + "boot", True, "(%.0f ms to banner)" % ((time.time() - t0) * 1000))
    q.send(b"hello world\r")
    q.expect(rb"echo: hello world\n")
    check(label + "echo", True)
    q.send(b"A" * 10000 + b"\r")
    pattern = rb"echo: A+ \.\.\.\(line of (\d+) bytes, (\d+) kept\)\n"
    try:
        m = q.expect(pattern, 20)
    except TimeoutError:                  # the CR itself was dropped: end the line again
        q.send(b"\r")
        m = q.expect(pattern, 10)
    q.send(b"drops\r")
    d = q.expect(rb"dropped (\d+) (\d+) (\d+)\n")
    got, dropped = int(m.group(1)), int(d.group(1))
    check(label + "10,000-byte line", got + dropped in (10000, 10001),
          "(%d bytes reached the line parser, %d dropped and counted)" % (got, dropped))
    q.send(b"ms\r")
    ms1 = int(q.expect(rb"ms (\d+)\n").group(1))
    q.send(b"idle 200\r")
    idle = int(q.expect(rb"idle returned after (\d+) ms\n").group(1))
    check(label + "idle 200", 199 <= idle <= 260, "(%d ms)" % idle)
    q.send(b"ms\r")
    ms2 = int(q.expect(rb"ms (\d+)\n(?!.)", 5).group(1))
    check(label + "ms monotonic", ms2 >= ms1 + idle, "(%d -> %d)" % (ms1, ms2))
    q.send(b"stack\r")
    s = q.expect(rb"stack high-water (\d+) of (\d+) bytes\n")
    check(label + "stack", 0 < int(s.group(1)) < int(s.group(2)), s.group(0).decode().strip())
    q.send(b"fpu\r")
    check(label + "fpu", q.expect(rb"sqrtf\(2\)\*1e6 = (\d+)").group(1) in (b"1414213", b"1414214"))
    q.send(b"heap\r")
    h = q.expect(rb"heap arena (\d+), malloc got (\d+) bytes")
    check(label + "heap bounded", 0 < int(h.group(2)) <= int(h.group(1)), h.group(0).decode())
    q.send(b"exit 42\r")
    rc = q.wait()
    check(label + "exit 42", rc == 42, "(QEMU exit code %s)" % rc)
    return q


session(label="")
session(["-icount", "shift=0"], label="icount: ")

# NULL write and stack overflow must be reported by the fault handler, QEMU exiting non-zero.
for cmd, reason in ((b"null", "NULL pointer"), (b"overflow", "stack overflow")):
    q = Qemu()
    q.expect(rb"ready\n")
    q.send(cmd + b"\r")
    rc = q.wait()
    text = q.out.decode(errors="replace")
    fault = re.search(r"\*\*\* FAULT: .*", text)
    check(cmd.decode() + " faults", fault is not None and reason in fault.group(0)
          and rc not in (0, None),
          "(exit %s) %s" % (rc, fault.group(0).strip() if fault else text[-300:]))

# AUX and MODEM ports: echo on serial1 and serial2 (unix sockets).
tmp = tempfile.mkdtemp()
paths = [os.path.join(tmp, "s%d" % i) for i in (1, 2)]
q = Qemu(["-serial", "stdio"] + sum([["-serial", "unix:%s,server,nowait" % p] for p in paths], []),
         plain=False)
q.expect(rb"ready\n")
for port, path in zip((1, 2), paths):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(b"ping %d\r" % port)
    s.settimeout(5)
    buf = b""
    try:
        while b"\n" not in buf:
            buf += s.recv(100)
    except socket.timeout:
        pass
    check("port %d echo" % port, buf == b"echo%d: ping %d (6 bytes)\n" % (port, port), repr(buf))
    s.close()
q.send(b"exit 0\r")
check("exit 0", q.wait() == 0)

# Guest instructions from reset to the banner: with -singlestep every translation block is one
# instruction, so the exec trace has one line per executed instruction.
nm = subprocess.run(["arm-none-eabi-nm", ELF], capture_output=True, text=True).stdout
ready = int(re.search(r"^([0-9a-f]+) T selftest_ready$", nm, re.M).group(1), 16) & ~1
log = os.path.join(tmp, "exec.log")
q = Qemu(["-icount", "shift=0", "-singlestep", "-d", "exec,nochain", "-D", log])
q.expect(rb"ready\n")
q.send(b"exit 0\r")
q.wait()
count = 0
with open(log) as f:
    for line in f:
        if line.startswith("Trace"):
            pc = int(line.split("/")[1], 16)
            if pc == ready:
                break
            count += 1
print("info guest instructions from reset to selftest_ready(): %d" % count)

print("FAILED: " + ", ".join(failures) if failures else "all checks passed")
sys.exit(1 if failures else 0)
