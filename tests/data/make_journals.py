#!/usr/bin/python3
"""Writes sample journals for the tests, with a CRC32C written here (bit by bit, independent of
fillwire's Boost.CRC): the frames of lifecycle-default.jsonl as a version 2 journal, the same with
one digit flipped in record 5's payload, the same as a version 1 journal, and journal_fuzz seeds.
Run from the repository root: /usr/bin/python3 tests/data/make_journals.py"""
import struct

FRAME, NOTICE, SUMMARY, RESYNC = 1, 2, 3, 4


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def v2_record(kind, payload, recv_ns):
    head = struct.pack("<IB3xQ", len(payload), kind, recv_ns) + struct.pack("<I", crc32c(payload))
    return head + struct.pack("<I", crc32c(head)) + payload


def v1_record(kind, payload, recv_ns):
    return struct.pack("<IB3xQ", len(payload), kind, recv_ns) + payload


def journal(version, records):
    make = v2_record if version == 2 else v1_record
    return b"FWJ1" + struct.pack("<I", version) + b"".join(make(*r) for r in records)


with open("tests/data/lifecycle-default.jsonl", "rb") as f:
    frames = [line.rstrip(b"\r\n") for line in f if line.strip()]
records = [(FRAME, frame, 1000 * (i + 1)) for i, frame in enumerate(frames)]
records.insert(0, (NOTICE, b"connected to wss://example/websocket/v1/private", 1))
records.append((SUMMARY, b"final: 11 events", 99999))

good = journal(2, records)
open("tests/data/lifecycle-v2.fwj", "wb").write(good)
open("tests/data/lifecycle-v1.fwj", "wb").write(journal(1, records))

# Record 5 (the fourth frame, 0-based index 4 with the notice first): one digit of its price flipped.
offset = 8
for kind, payload, _ in records[:4]:
    offset += 24 + len(payload)
payload = records[4][1]
digit = payload.index(b'"price":') + len(b'"price":')
assert payload[digit:digit + 1].isdigit()
flipped = bytearray(good)
at = offset + 24 + digit
flipped[at] = ord("9") if flipped[at] != ord("9") else ord("8")
open("tests/data/lifecycle-v2-flipped.fwj", "wb").write(bytes(flipped))
print("record 5 at byte", offset, "flipped at byte", at)

seeds = "tests/fuzz/seeds/journal_fuzz/"
two = journal(2, [(FRAME, frames[0], 7), (RESYNC, frames[1], 8)])
open(seeds + "v2-two-records.fwj", "wb").write(two)
open(seeds + "v2-every-kind.fwj", "wb").write(journal(2, records[:3] + [(RESYNC, frames[5], 5), records[-1]]))
bad_payload = bytearray(two)
bad_payload[8 + 24 + 10] ^= 0x01
open(seeds + "v2-bad-payload-crc.fwj", "wb").write(bytes(bad_payload))
bad_header = bytearray(two)
bad_header[8] -= 5  # the first record's length, shortened
open(seeds + "v2-short-length.fwj", "wb").write(bytes(bad_header))
open(seeds + "v2-cut-short.fwj", "wb").write(two[:-7])
garbage = two[:8 + 24 + len(frames[0])] + b"\x01\x00\x00\x00garbage" + two[8 + 24 + len(frames[0]):]
open(seeds + "v2-garbage-between.fwj", "wb").write(garbage)
open(seeds + "v2-empty.fwj", "wb").write(b"FWJ1" + struct.pack("<I", 2))
