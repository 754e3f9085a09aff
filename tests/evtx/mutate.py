# SPDX-License-Identifier: Apache-2.0
# mutate.py SRC OUTDIR N SEED: N copies of the EVTX file SRC with a few bytes
# changed in its first chunks (deterministic), for tests/evtx/run.sh.
import os
import random
import sys

src, out, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
data = open(src, "rb").read()
chunks = max(1, min((len(data) - 4096) // 65536, 3))
for i in range(n):
    d = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        pos = 4096 + rnd.randrange(chunks * 65536)
        if pos >= len(d):
            continue
        if rnd.random() < 0.5:
            d[pos] = rnd.randrange(256)
        else:
            d[pos] ^= 1 << rnd.randrange(8)
    with open(os.path.join(out, "m%03d.evtx" % i), "wb") as f:
        f.write(d)
