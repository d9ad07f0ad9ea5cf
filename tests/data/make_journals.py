#!/usr/bin/python3
"""Writes sample journals for the tests, with a CRC32C written here (bit by bit, independent of
fillwire's Boost.CRC): the frames of lifecycle-default.jsonl as a version 2 journal, the same with
one digit flipped in record 5's payload, the same as a version 1 journal, a journal holding a
resync event with a cut identifier as its exact bytes (resync-event-v2.fwj, laid out here from
order_event.hpp and journal_event.hpp, independently of the C++ writer), and journal_fuzz seeds.
Run from the repository root: /usr/bin/python3 tests/data/make_journals.py"""
import struct

FRAME, NOTICE, SUMMARY, RESYNC, RESYNC_EVENT = 1, 2, 3, 4, 5


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

# A resync event as journal_event.hpp writes it: "FWEV", the OrderEvent layout (kOrderEventLayout,
# 1), sizeof(OrderEvent) (256), then the event's bytes as OrderEvent lays them out (order_event.hpp):
# seq, recv_ts, 13 doubles (price .. prevented_locked), trade_timestamp, order_timestamp, timestamp,
# uuid, trade_uuid, trades_count, present, 10 one-byte enums and flags (ask_bid, order_type, state,
# time_in_force, smp_type, stream_type, is_maker, type_known, kind, origin), code (FixedString<15>),
# identifier (ClientId). Update this with kOrderEventLayout.
ORDER_EVENT = struct.Struct("<QQ13d3q16s16sII10B16s46s")
assert ORDER_EVENT.size == 256
FIELDS = ["type", "code", "uuid", "ask_bid", "order_type", "state", "trade_uuid", "price",
          "avg_price", "volume", "remaining_volume", "executed_volume", "trades_count",
          "reserved_fee", "remaining_fee", "paid_fee", "locked", "executed_funds", "time_in_force",
          "trade_fee", "is_maker", "identifier", "smp_type", "prevented_volume",
          "prevented_locked", "trade_timestamp", "order_timestamp", "timestamp", "stream_type"]
LONG_IDENTIFIER = b"grid-bot/KRW-BTC/2024-06-01T09:00:00Z/level-17/rebalance-001"
assert len(LONG_IDENTIFIER) == 60


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def client_id(text):
    """ClientId (client_id.hpp): kept whole up to 45 bytes; else the first (at most 37) bytes, cut at
    a UTF-8 character boundary, the cut flag, and the FNV-1a 64 hash of the whole in bytes 38..45."""
    if len(text) <= 45:
        return bytes([len(text)]) + text.ljust(45, b"\0")
    keep = 37
    while keep > 0 and (text[keep] & 0xC0) == 0x80:
        keep -= 1
    return bytes([keep | 0x80]) + text[:keep].ljust(37, b"\0") + struct.pack("<Q", fnv1a64(text))


def resync_event_payload(state=1, layout=1):
    """A limit bid, open (state 1, wait), from a resync (origin 1), with a 60-byte identifier."""
    present = 0
    for name in ["type", "code", "uuid", "ask_bid", "order_type", "state", "price", "volume",
                 "remaining_volume", "executed_volume", "trades_count", "reserved_fee",
                 "remaining_fee", "paid_fee", "locked", "executed_funds", "identifier",
                 "order_timestamp", "timestamp"]:
        present |= 1 << FIELDS.index(name)
    numbers = [100000000.0, 0.0, 0.5, 0.5, 0.0, 25000.0, 25000.0, 0.0, 50025000.0, 0.0, 0.0, 0.0,
               0.0]
    code = b"KRW-BTC"
    event = ORDER_EVENT.pack(
        7, 123456789, *numbers, 0, 1717232400000, 1717232400500,
        bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0"), bytes(16), 0, present,
        2, 1, state, 0, 0, 0, 0, 1, 0, 1,
        bytes([len(code)]) + code.ljust(15, b"\0"), client_id(LONG_IDENTIFIER))
    return b"FWEV" + struct.pack("<HH", layout, 256) + event


event = resync_event_payload()
assert len(event) == 264
open("tests/data/resync-event-v2.fwj", "wb").write(
    journal(2, [(NOTICE, b"connected to wss://example/websocket/v1/private", 1),
                (RESYNC_EVENT, event, 2000)]))
open(seeds + "v2-resync-event.fwj", "wb").write(
    journal(2, [(FRAME, frames[0], 7), (RESYNC_EVENT, event, 8), (RESYNC, frames[1], 9)]))
open(seeds + "v2-resync-event-other-layout.fwj", "wb").write(
    journal(2, [(RESYNC_EVENT, resync_event_payload(layout=2), 8), (FRAME, frames[0], 9)]))
open(seeds + "v2-resync-event-bad-state.fwj", "wb").write(
    journal(2, [(RESYNC_EVENT, resync_event_payload(state=9), 8), (FRAME, frames[0], 9)]))
open(seeds + "v2-resync-event-short.fwj", "wb").write(
    journal(2, [(RESYNC_EVENT, event[:200], 8), (FRAME, frames[0], 9)]))
