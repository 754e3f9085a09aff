# SPDX-License-Identifier: Apache-2.0
# gen-evtx.py OUT: write a small .evtx file of IPsec/VPN failure events, ours
# (no Windows export of such events is published), for tests/evtx/run.sh:
# Security 4653 (named EventData, as the manifest lays it out: see
# ../shared/reference/windows-events.md 2.3) and RasClient 20227 (classic
# source: four unnamed insertion strings, written as one array-of-strings
# substitution as classic events are). Values of the types the reader
# formats: strings, integers, hex integers, GUID, SID, FILETIME; an optional
# substitution without a value. The layout follows libyal's documentation of
# the EVTX format (file header, 64 KiB chunks, records, binary XML with
# templates); checksums are set, so libevtx reads it as a clean file.
import struct
import sys
import zlib

CHUNK = 65536


def utf16z(s):
    return s.encode("utf-16-le") + b"\0\0"


def name_hash(s):
    h = 0
    for c in s:
        h = (h * 65599 + ord(c)) & 0xFFFFFFFF
    return h & 0xFFFF


class Writer:
    """Binary XML at known chunk offsets (names are inline, so they need them)."""

    def __init__(self, base):
        self.out = bytearray()
        self.base = base

    def pos(self):
        return self.base + len(self.out)

    def name(self, s):
        self.out += struct.pack("<IHH", 0, name_hash(s), len(s)) + utf16z(s)

    def element(self, name, attrs=(), content=()):
        start = len(self.out)
        self.out += bytes([0x41 if attrs else 0x01]) + struct.pack("<H", 0xFFFF)
        size_at = len(self.out)
        self.out += b"\0\0\0\0"
        self.out += struct.pack("<I", self.pos() + 4)
        self.name(name)
        if attrs:
            list_at = len(self.out)
            self.out += b"\0\0\0\0"
            for i, (an, av) in enumerate(attrs):
                self.out += bytes([0x46 if i + 1 < len(attrs) else 0x06])
                self.out += struct.pack("<I", self.pos() + 4)
                self.name(an)
                self.value(av)
            struct.pack_into("<I", self.out, list_at, len(self.out) - list_at - 4)
        if content:
            self.out += b"\x02"
            for c in content:
                if c[0] == "elem":
                    self.element(*c[1:])
                else:
                    self.value(c)
            self.out += b"\x04"
        else:
            self.out += b"\x03"
        struct.pack_into("<I", self.out, size_at, len(self.out) - size_at - 4)
        return start

    def value(self, v):
        if v[0] == "text":
            self.out += b"\x05\x01" + struct.pack("<H", len(v[1])) + v[1].encode("utf-16-le")
        elif v[0] in ("sub", "opt"):  # normal / optional substitution: index, type
            self.out += bytes([0x0D if v[0] == "sub" else 0x0E]) + struct.pack("<HB", v[1], v[2])


def filetime(y, mo, d, h, mi, s, frac7):
    import calendar
    secs = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    return (secs + 11644473600) * 10000000 + frac7


def guid_bytes(g):
    g = g.strip("{}").replace("-", "")
    b = bytes.fromhex(g)
    return struct.pack("<IHH", int(g[0:8], 16), int(g[8:12], 16), int(g[12:16], 16)) + b[8:]


def sid_bytes(s):
    parts = s.split("-")
    subs = [int(x) for x in parts[3:]]
    return bytes([int(parts[1]), len(subs)]) + int(parts[2]).to_bytes(6, "big") + b"".join(
        struct.pack("<I", x) for x in subs)


def system(with_guid, qualifiers):
    # values 0.. : provider, guid, event id, qualifiers, level, keywords, time,
    # record id, channel, computer, user sid
    prov = [("Name", ("sub", 0, 0x01))]
    if with_guid:
        prov.append(("Guid", ("opt", 1, 0x0F)))
    eid_attrs = [("Qualifiers", ("opt", 3, 0x06))] if qualifiers else []
    return ("elem", "System", (), [
        ("elem", "Provider", prov, ()),
        ("elem", "EventID", eid_attrs, [("sub", 2, 0x06)]),
        ("elem", "Level", (), [("sub", 4, 0x04)]),
        ("elem", "Keywords", (), [("sub", 5, 0x15)]),
        ("elem", "TimeCreated", [("SystemTime", ("sub", 6, 0x11))], ()),
        ("elem", "EventRecordID", (), [("sub", 7, 0x0A)]),
        ("elem", "Channel", (), [("sub", 8, 0x01)]),
        ("elem", "Computer", (), [("sub", 9, 0x01)]),
        ("elem", "Security", [("UserID", ("opt", 10, 0x13))], ()),
    ])


def sysvals(provider, guid, eid, level, keywords, ft, rid, channel, computer, sid):
    s = lambda x: (0x01, utf16z(x))
    return [s(provider), (0x0F, guid_bytes(guid)) if guid else (0x00, b""),
            (0x06, struct.pack("<H", eid)), (0x06, struct.pack("<H", 0)),
            (0x04, bytes([level])), (0x15, struct.pack("<Q", keywords)),
            (0x11, struct.pack("<Q", ft)), (0x0A, struct.pack("<Q", rid)),
            s(channel), s(computer), (0x13, sid_bytes(sid)) if sid else (0x00, b"")]


F4653 = ["LocalMMPrincipalName", "RemoteMMPrincipalName", "LocalAddress", "LocalKeyModPort",
         "RemoteAddress", "RemoteKeyModPort", "KeyModName", "FailurePoint", "FailureReason",
         "MMAuthMethod", "State", "Role", "MMImpersonationState", "MMFilterID", "InitiatorCookie",
         "ResponderCookie"]


def ev4653(rid, ft, remote, reason):
    body = [system(True, False), ("elem", "EventData", (), [
        ("elem", "Data", [("Name", ("text", n))], [("opt", 11 + i, 0x01)]) for i, n in enumerate(F4653)])]
    vals = sysvals("Microsoft-Windows-Security-Auditing", "{54849625-5478-4994-A5BA-3E3B0328C30D}",
                   4653, 0, 0x8010000000000000, ft, rid, "Security", "CLIENT01.example.test", None)
    data = ["-", "-", "192.0.2.10", "500", remote, "500", "%%8222", "%%8199", reason, "%%8194",
            "%%8205", "%%8212", "%%8217", "75143", "a1b2c3d4e5f60718", "0000000000000000"]
    vals += [(0x01, utf16z(x)) for x in data]
    return body, vals


def ev20227(rid, ft, coid, user, conn, code):
    body = [system(False, True), ("elem", "EventData", (), [("elem", "Data", (), [("sub", 11, 0x81)])])]
    vals = sysvals("RasClient", None, 20227, 2, 0x0080000000000000, ft, rid, "Application",
                   "CLIENT01.example.test", "S-1-5-18")
    vals.append((0x81, b"".join(utf16z(x) for x in (coid, user, conn, str(code)))))
    return body, vals


def record(chunk_off_in_chunk, rid, ft, body, vals):
    """A record at chunk offset chunk_off_in_chunk."""
    w = Writer(chunk_off_in_chunk + 24)
    w.out += b"\x0f\x01\x01\x00"
    w.out += b"\x0c\x01" + struct.pack("<I", rid)
    def_off = w.pos() + 4
    w.out += struct.pack("<I", def_off)
    w.out += struct.pack("<I", 0) + bytes(16) + b"\0\0\0\0"
    size_at = len(w.out) - 4
    data_start = len(w.out)
    w.out += b"\x0f\x01\x01\x00"
    w.element("Event", [("xmlns", ("text", "http://schemas.microsoft.com/win/2004/08/events/event"))],
              body)
    w.out += b"\x00"
    struct.pack_into("<I", w.out, size_at, len(w.out) - data_start)
    w.out += struct.pack("<I", len(vals))
    for t, v in vals:
        w.out += struct.pack("<HBB", len(v), t, 0)
    for t, v in vals:
        w.out += v
    w.out += b"\x00"  # end of the record's fragment
    size = 24 + len(w.out) + 4
    return b"**\0\0" + struct.pack("<IQQ", size, rid, ft) + bytes(w.out) + struct.pack("<I", size)


def main(out):
    events = [
        ev4653(1, filetime(2025, 3, 1, 10, 0, 0, 1234567), "203.0.113.45",
               "IKE authentication credentials are unacceptable"),
        ev20227(2, filetime(2025, 3, 1, 10, 0, 5, 0), "{B4000371-A67F-452F-AA4C-3125AA9CFC78}",
                "SYSTEM", "AzureGateway", 13801),
        ev4653(3, filetime(2025, 3, 1, 10, 5, 0, 5000000), "198.51.100.7", "Negotiation timed out"),
        ev20227(4, filetime(2025, 3, 1, 10, 5, 9, 0), "{C1D2E3F4-0000-4000-8000-0123456789AB}",
                "EXAMPLE\\alice", "Branch VPN", 13806),
    ]
    chunk = bytearray(512)
    last = 512
    for i, (body, vals) in enumerate(events):
        rid = i + 1
        ft = vals[6][1]
        last = len(chunk)
        chunk += record(len(chunk), rid, struct.unpack("<Q", ft)[0], body, vals)
    free = len(chunk)
    chunk += bytes(CHUNK - len(chunk))
    n = len(events)
    struct.pack_into("<8sQQQQIII", chunk, 0, b"ElfChnk\0", 1, n, 1, n, 128, last, free)
    struct.pack_into("<I", chunk, 52, zlib.crc32(bytes(chunk[512:free])))
    struct.pack_into("<I", chunk, 124, zlib.crc32(bytes(chunk[0:120]) + bytes(chunk[128:512])))
    head = bytearray(4096)
    struct.pack_into("<8sQQQIHHHH", head, 0, b"ElfFile\0", 0, 0, n + 1, 128, 1, 3, 4096, 1)
    struct.pack_into("<I", head, 124, zlib.crc32(bytes(head[0:120])))
    with open(out, "wb") as f:
        f.write(head + chunk)


main(sys.argv[1])
