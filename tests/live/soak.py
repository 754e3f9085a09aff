#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tests/live/soak.py - feed live mode at a steady rate; measure latency and memory.

Used by tests/live/soak.sh (make soak, and its short variant in make test).
Sends gateway syslog lines ("Mon DD HH:MM:SS host prog: message"), cycling
through FILE, at RATE lines a second for SECONDS seconds:
  --via logger  through `logger --tcp` to 127.0.0.1:PORT (rsyslog in front of
                ipsec-scan); the message keeps its program, the time is the
                sender's, to the microsecond
  --via pipe    straight into ipsec-scan's standard input (PID is then ours),
                stamped with the current time as rsyslog's template would
Meanwhile it follows OUT (ipsec-scan's NDJSON): each finding's latency is the
time it was read from OUT minus its own time (the moment it was sent). The
resident memory (VmRSS) of ipsec-scan is sampled from /proc every second.
Prints a table; with --check, fails unless the 99th percentile latency is
under 1 s and memory is flat (the second half's highest RSS at most
--rss-slack KiB above the first half's).
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import threading
import time

HEADER = re.compile(r'^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d (\S+) ([^:\[ ]+)(?:\[\d+\])?: (.*)$')


def rss_kib(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def find_child(ppid, name):
    """The PID of ppid's child whose name starts with name (comm is cut at 15), or None."""
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index('(') + 1:st.rindex(')')]
        fields = st[st.rindex(')') + 2:].split()
        if comm.startswith(name) and int(fields[1]) == ppid:
            return int(d)
    return None


def parse_time(s):
    return datetime.datetime.fromisoformat(s.replace('Z', '+00:00')).timestamp()


class Follower(threading.Thread):
    """Reads OUT as it grows; records (latency, name) of each finding."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.lat, self.incidents, self.stop = path, [], 0, False
        self.bad = 0

    def run(self):
        while not os.path.exists(self.path) and not self.stop:
            time.sleep(0.005)
        buf = b''
        with open(self.path, 'rb') as f:
            while True:
                chunk = f.read(65536)
                if not chunk:
                    if self.stop:
                        break
                    time.sleep(0.002)
                    continue
                now = time.time()
                buf += chunk
                *lines, buf = buf.split(b'\n')
                for line in lines:
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        self.bad += 1
                        continue
                    if rec.get('type') == 'finding' and rec.get('time'):
                        self.lat.append(now - parse_time(rec['time']))
                    elif rec.get('type') == 'incident':
                        self.incidents += 1


def pct(xs, p):
    if not xs:
        return float('nan')
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seconds', type=float, required=True)
    ap.add_argument('--rate', type=float, default=100)
    ap.add_argument('--lines', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--via', choices=['logger', 'pipe'], required=True)
    ap.add_argument('--port', type=int)
    ap.add_argument('--rsyslog-pid', type=int, help='logger: find ipsec-scan as its child')
    ap.add_argument('--cmd', nargs=argparse.REMAINDER, help='pipe: the ipsec-scan command')
    ap.add_argument('--check', action='store_true')
    ap.add_argument('--rss-slack', type=int, default=256)
    a = ap.parse_args()

    msgs = []
    with open(a.lines, errors='replace') as f:
        for line in f:
            m = HEADER.match(line.rstrip('\n'))
            if m:
                msgs.append((m.group(1), m.group(2), m.group(3)))
    if not msgs:
        sys.exit('soak: no syslog lines in %s' % a.lines)

    fol = Follower(a.out)
    fol.start()
    senders, proc, pid = {}, None, None
    if a.via == 'pipe':
        proc = subprocess.Popen(a.cmd, stdin=subprocess.PIPE)
        pid = proc.pid

    def sender(prog):
        if prog not in senders:
            senders[prog] = subprocess.Popen(
                ['logger', '--tcp', '--server', '127.0.0.1', '--port', str(a.port), '-t', prog],
                stdin=subprocess.PIPE)
        return senders[prog].stdin

    samples = []  # (seconds since start, RSS KiB)
    t0 = time.time()
    next_sample = t0
    sent = 0
    while True:
        now = time.time()
        if now - t0 >= a.seconds:
            break
        if now >= next_sample:
            if pid is None and a.rsyslog_pid:
                pid = find_child(a.rsyslog_pid, 'ipsec-scan')
            r = rss_kib(pid) if pid else None
            if r:
                samples.append((now - t0, r))
            next_sample += 1.0
        due = t0 + sent / a.rate
        if due > now:
            time.sleep(min(due - now, 0.05))
            continue
        host, prog, msg = msgs[sent % len(msgs)]
        if a.via == 'pipe':
            ts = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f+00:00')
            proc.stdin.write(('%s %s %s: %s\n' % (ts, host, prog, msg)).encode())
            proc.stdin.flush()
        else:
            w = sender(prog)
            w.write((msg + '\n').encode())
            w.flush()
        sent += 1
    time.sleep(1.5)  # the last findings on their way
    fol.stop = True
    fol.join(5)
    for s in senders.values():
        s.stdin.close()
        s.wait()
    end_rss = rss_kib(pid) if pid else None
    if proc:
        proc.stdin.close()
        proc.wait()

    lat = fol.lat
    print('soak: %d lines in %.0f s (%.0f lines/s, via %s), %d findings, %d incidents' %
          (sent, a.seconds, a.rate, a.via, len(lat), fol.incidents))
    print('latency send -> finding (s):  p50 %.3f   p90 %.3f   p99 %.3f   max %.3f' %
          (pct(lat, 50), pct(lat, 90), pct(lat, 99), max(lat) if lat else float('nan')))
    print('RSS of ipsec-scan over time:')
    print('   time (s)   RSS (KiB)')
    step = max(1, len(samples) // 10)
    for t, r in samples[::step] + ([samples[-1]] if samples and (len(samples) - 1) % step else []):
        print('   %8.0f   %9d' % (t, r))
    if end_rss:
        print('   %8s   %9d' % ('end', end_rss))
    ok = True
    if fol.bad:
        print('soak: FAIL: %d output lines were not JSON' % fol.bad)
        ok = False
    if a.check:
        half = len(samples) // 2
        first = max((r for _, r in samples[1:half]), default=0)
        second = max((r for _, r in samples[half:]), default=0)
        print('RSS: highest in the first half %d KiB, in the second half %d KiB' % (first, second))
        if not lat:
            print('soak: FAIL: no findings came out')
            ok = False
        elif pct(lat, 99) >= 1.0:
            print('soak: FAIL: 99th percentile latency %.3f s is not under 1 s' % pct(lat, 99))
            ok = False
        if not samples or second > first + a.rss_slack:
            print('soak: FAIL: memory grew by %d KiB in the second half (allowed %d)' %
                  (second - first, a.rss_slack))
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
