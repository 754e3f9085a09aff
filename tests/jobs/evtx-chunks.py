# SPDX-License-Identifier: Apache-2.0
# evtx-chunks.py OUT N SRC...: write an .evtx file of N chunks taken in turn
# from the chunks of the EVTX files SRC (those their file header counts),
# for tests/jobs/split.sh and for measuring --jobs on one large EVTX file.
# Each chunk is self-contained (its own string and template tables), so a
# copy reads as it did; the records are numbered again from 1 in file order
# (the record header's identifier and the chunk header's first/last record
# numbers), the chunk checksums and the file header (chunk count, next
# record identifier, checksum) are set, so libevtx reads it as a clean file.
# Layout: libyal's documentation of the EVTX format (as gen-evtx.py).
import struct
import sys
import zlib

CHUNK = 65536
HEAD = 4096


def chunks_of(path):
    data = open(path, "rb").read()
    if data[:8] != b"ElfFile\0":
        sys.exit("%s: not an EVTX file" % path)
    count = struct.unpack_from("<H", data, 42)[0]
    out = []
    for i in range(count):
        c = data[HEAD + i * CHUNK:HEAD + (i + 1) * CHUNK]
        if len(c) == CHUNK and c[:8] == b"ElfChnk\0":
            out.append(c)
    return out


def renumber(c, rid):
    """Chunk c with its records numbered from rid; (chunk, next rid)."""
    c = bytearray(c)
    last = struct.unpack_from("<I", c, 44)[0]
    free = struct.unpack_from("<I", c, 48)[0]
    first = rid
    pos = 512
    while pos <= last and pos + 28 <= CHUNK and c[pos:pos + 4] == b"**\0\0":
        size = struct.unpack_from("<I", c, pos + 4)[0]
        if size < 28 or pos + size > CHUNK:
            break
        struct.pack_into("<Q", c, pos + 8, rid)
        rid += 1
        pos += size
    n = rid - first
    struct.pack_into("<QQQQ", c, 8, first, first + n - 1, first, first + n - 1)
    if 512 <= free <= CHUNK:
        struct.pack_into("<I", c, 52, zlib.crc32(bytes(c[512:free])))
    struct.pack_into("<I", c, 124, zlib.crc32(bytes(c[0:120]) + bytes(c[128:512])))
    return bytes(c), rid


def main(out, n, srcs):
    pools = [chunks_of(s) for s in srcs]
    pools = [p for p in pools if p]
    if not pools or n < 1 or n > 65535:
        sys.exit("evtx-chunks.py: no chunks, or N out of 1..65535")
    rid = 1
    k = [0] * len(pools)
    with open(out, "wb") as f:
        f.write(bytes(HEAD))
        for i in range(n):
            p = i % len(pools)
            c, rid = renumber(pools[p][k[p] % len(pools[p])], rid)
            k[p] += 1
            f.write(c)
        head = bytearray(HEAD)
        struct.pack_into("<8sQQQIHHHH", head, 0, b"ElfFile\0", 0, n - 1, rid, 128, 1, 3,
                         HEAD, n)
        struct.pack_into("<I", head, 124, zlib.crc32(bytes(head[0:120])))
        f.seek(0)
        f.write(head)


main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
