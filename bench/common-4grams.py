#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Print the most frequent 4-byte windows and byte pairs of log text, for
prefilter.c (common_grams and common_pairs).

The window filter indexes each long literal by the run of windows least
likely in logs, and short literals get the anchor pairs least likely; these
lists (case folded; windows without digits, which depend on the times and
addresses of one log) are how it knows which are likely. Each corpus source
weighs the same.

    python3 bench/common-4grams.py ../shared/corpus 640 4 > /tmp/grams.txt
    python3 bench/common-4grams.py ../shared/corpus 256 2 > /tmp/pairs.txt
"""
import collections
import glob
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else '../shared/corpus'
N = int(sys.argv[2]) if len(sys.argv) > 2 else 640
Q = int(sys.argv[3]) if len(sys.argv) > 3 else 4
sources = [
    'loghub/Linux_2k.log', 'loghub/OpenSSH_2k.log', 'loghub/Windows_2k.log',
    'strongswan-charon/*.log', 'strongswan-generated/*/*.log', 'libreswan-testing/*',
    'elastic-integrations/*', 'ossec-hids/*', 'openswan-unit/*',
]
total = collections.Counter()
used = 0
for pat in sources:
    files = sorted(glob.glob(os.path.join(root, pat)))
    data = b''.join(open(f, 'rb').read() for f in files).lower()[:400000]
    if not data:
        continue
    used += 1
    c = collections.Counter(data[i:i + Q] for i in range(len(data) - Q + 1))
    n = sum(c.values())
    for g, v in c.items():
        if any((Q == 4 and 48 <= b <= 57) or b < 32 or b > 126 for b in g):
            continue
        total[g] += v / n
top = [g.decode() for g, _ in total.most_common(N)]
line = ''
for g in top:
    g = g.replace('\\', '\\\\').replace('"', '\\"')
    if len(line) + len(g) > 84:
        print('\t"%s"' % line)
        line = ''
    line += g
print('\t"%s"' % line)
