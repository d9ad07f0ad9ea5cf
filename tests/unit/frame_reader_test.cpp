// FrameReader: the offline tools' input in bounded memory (JSON Lines and journals).

#include "fillwire/detail/frame_reader.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "../support/resync_event.hpp"
#include "../support/scratch_dir.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/detail/journal_event.hpp"

namespace fillwire {
namespace {

namespace fs = std::filesystem;

std::string data_path(const std::string& name) {
  return std::string(FILLWIRE_TEST_DATA) + "/" + name;
}

class FrameReaderTest : public ::testing::Test {
 protected:
  test::ScratchDir scratch{"fillwire-frames"};
  const fs::path dir = scratch.path();
  std::string write(const std::string& bytes, const std::string& name = "frames.jsonl") const {
    const std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
};

struct Seen {
  FrameItemKind kind;
  std::string text;  // frame bytes
  std::uint64_t number;
  std::uint64_t length;
};

std::vector<Seen> read_all(FrameReader& reader) {
  std::vector<Seen> out;
  for (FrameItem item = reader.next(); item.kind != FrameItemKind::end; item = reader.next()) {
    out.push_back({item.kind,
                   std::string(item.data == nullptr ? "" : std::string(item.data, item.size)),
                   item.number, item.length});
  }
  return out;
}

TEST_F(FrameReaderTest, SplitsLinesKeepsNumbersAndDropsCarriageReturns) {
  FrameReader reader(write("{\"a\":1}\r\n\n  \t\n{\"b\":2}\n{\"c\":3}"));
  EXPECT_FALSE(reader.journal());
  const auto items = read_all(reader);
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].text, "{\"a\":1}");
  EXPECT_EQ(items[1].kind, FrameItemKind::blank);
  EXPECT_EQ(items[2].kind, FrameItemKind::blank);
  EXPECT_EQ(items[3].text, "{\"b\":2}");
  EXPECT_EQ(items[3].number, 4u);
  EXPECT_EQ(items[4].text, "{\"c\":3}") << "the last line needs no newline";
  EXPECT_FALSE(reader.stopped());
}

TEST_F(FrameReaderTest, FramesAtTheLimitPassAndOneByteMoreIsOversized) {
  const std::size_t max = 100;
  const std::string at_limit(max, 'a');
  const std::string over(max + 1, 'b');
  FrameReader reader(write(at_limit + "\n" + at_limit + "\r\n" + over + "\n" + over + "\r\n" +
                           std::string(max + 2, 'c') + "\nok"),
                     FrameReaderConfig{max, false});
  const auto items = read_all(reader);
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(items[0].kind, FrameItemKind::frame);
  EXPECT_EQ(items[1].kind, FrameItemKind::frame);
  EXPECT_EQ(items[1].text, at_limit);
  for (std::size_t i : {2u, 3u}) {
    EXPECT_EQ(items[i].kind, FrameItemKind::oversized) << i;
    EXPECT_EQ(items[i].length, max + 1) << i;
  }
  EXPECT_EQ(items[4].kind, FrameItemKind::oversized);
  EXPECT_EQ(items[4].length, max + 2);
  EXPECT_EQ(items[5].text, "ok");
  EXPECT_EQ(items[5].number, 6u);
}

TEST_F(FrameReaderTest, LongLineIsOneOversizedItemReadThroughTheFixedBuffer) {
  // 3 MiB of one line between two frames, with a limit of 1 KiB: the reader's buffer stays 1 KiB
  // plus its padding, and the line is one item with its whole length.
  const std::size_t max = 1024;
  const std::string path = (dir / "long.jsonl").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "{\"first\":1}\n{\"long\":\"";
    const std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 48; ++i)
      out << chunk;
    out << "\"}\r\n{\"last\":2}\n";
  }
  FrameReader reader(path, FrameReaderConfig{max, false});
  EXPECT_LE(reader.buffer_bytes(), max + 2 + kFramePadding);
  const auto items = read_all(reader);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].text, "{\"first\":1}");
  EXPECT_EQ(items[1].kind, FrameItemKind::oversized);
  EXPECT_EQ(items[1].number, 2u);
  EXPECT_EQ(items[1].length, 48u * 64 * 1024 + 11);
  EXPECT_EQ(items[2].text, "{\"last\":2}");
  EXPECT_EQ(items[2].number, 3u);
  EXPECT_LE(reader.buffer_bytes(), max + 2 + kFramePadding);
}

TEST_F(FrameReaderTest, JournalGivesItsFrameRecordsAndRefusesOversizedOnes) {
  FrameReader reader(data_path("lifecycle-v2.fwj"));
  EXPECT_TRUE(reader.journal());
  EXPECT_EQ(reader.journal_version(), 2u);
  const auto items = read_all(reader);
  ASSERT_EQ(items.size(), 11u);
  EXPECT_EQ(reader.other_records(), 2u) << "a notice and a summary";
  EXPECT_EQ(items[0].number, 2u) << "record numbers count every record";

  FrameReader small(data_path("lifecycle-v2.fwj"), FrameReaderConfig{100, false});
  for (const auto& item : read_all(small)) {
    EXPECT_EQ(item.kind, FrameItemKind::oversized);
    EXPECT_GT(item.length, 100u);
  }
  EXPECT_FALSE(small.stopped());
}

TEST_F(FrameReaderTest, DamagedJournalRecordStopsOrIsSkipped) {
  FrameReader stop(data_path("lifecycle-v2-flipped.fwj"));
  EXPECT_EQ(read_all(stop).size(), 3u);
  EXPECT_TRUE(stop.stopped());
  EXPECT_EQ(stop.error().rfind("record 5 at byte 2090: payload checksum mismatch", 0), 0u)
      << stop.error();

  FrameReader skip(data_path("lifecycle-v2-flipped.fwj"), FrameReaderConfig{65536, true});
  const auto items = read_all(skip);
  ASSERT_EQ(items.size(), 11u);
  EXPECT_EQ(items[3].kind, FrameItemKind::damaged);
  EXPECT_EQ(items[3].number, 5u);
  EXPECT_FALSE(skip.stopped());
  EXPECT_EQ(skip.damaged(), 1u);
}

TEST_F(FrameReaderTest, DamagedVersion1JournalCannotBeSkipped) {
  std::ifstream in(data_path("lifecycle-v1.fwj"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bytes[8 + 4] = 9;  // record 1's kind
  FrameReader reader(write(bytes, "v1.fwj"), FrameReaderConfig{65536, true});
  EXPECT_EQ(reader.journal_version(), 1u);
  EXPECT_TRUE(read_all(reader).empty());
  EXPECT_TRUE(reader.stopped());
  EXPECT_NE(
      reader.error().find("record 1 at byte 8: unknown kind 9; a version 1 journal carries no "
                          "checksums"),
      std::string::npos)
      << reader.error();
}

TEST_F(FrameReaderTest, BinaryFilesAreRefused) {
  EXPECT_THROW(FrameReader(write(std::string("\x7f"
                                             "ELF\x02\x01\x01\x00",
                                             8),
                                 "a.out")),
               std::runtime_error);
  EXPECT_THROW(FrameReader((dir / "missing").string()), std::runtime_error);
  EXPECT_THROW(FrameReader(write(std::string("FWJ1\x09\x00\x00\x00", 8), "v9.fwj")),
               std::runtime_error);
}

// ---- resync events -----------------------------------------------------------------------------

// A journal of these records, written by the journal itself: (kind, payload) in order.
std::string write_journal(const std::string& path,
                          const std::vector<std::pair<JournalKind, std::string>>& records) {
  Journal journal(JournalConfig{path, 1u << 30, 4, 1u << 16, 64, 1});
  JournalProducer& p = journal.make_producer();
  std::uint64_t t = 0;
  for (const auto& [kind, payload] : records) {
    EXPECT_TRUE(p.record(kind, payload.data(), payload.size(), ++t));
  }
  journal.flush();
  return path;
}

using test::event_payload;

TEST_F(FrameReaderTest, ResyncEventRecordIsHandedOutAsTheEventItselfWhateverTheFrameLimit) {
  const OrderEvent e = test::resync_order(test::kLongIdentifier);
  const std::string path =
      write_journal((dir / "j.fwj").string(), {{JournalKind::frame, "{\"a\":1}"},
                                               {JournalKind::notice, "connected"},
                                               {JournalKind::resync_event, event_payload(e)},
                                               {JournalKind::resync, "{\"b\":2}"}});
  for (const std::size_t limit : {std::size_t{65536}, std::size_t{5}}) {
    FrameReader reader(path, FrameReaderConfig{limit, false});
    FrameItem item = reader.next();
    EXPECT_EQ(item.kind, limit > 5 ? FrameItemKind::frame : FrameItemKind::oversized);
    item = reader.next();
    ASSERT_EQ(item.kind, FrameItemKind::event) << "an event is not a frame: no frame limit";
    EXPECT_EQ(item.number, 3u);
    EXPECT_EQ(item.offset, 8u + (24 + 7) + (24 + 9));
    EXPECT_EQ(item.length, kJournalEventPayloadBytes);
    ASSERT_NE(item.event, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(item.event) % alignof(OrderEvent), 0u);
    EXPECT_EQ(std::memcmp(item.event, &e, sizeof e), 0);
    EXPECT_TRUE(item.event->identifier.cut());
    EXPECT_EQ(item.event->identifier.hash(), fnv1a64(test::kLongIdentifier));
    item = reader.next();
    EXPECT_EQ(item.kind, limit > 5 ? FrameItemKind::frame : FrameItemKind::oversized)
        << "an old resync record is still a frame of JSON";
    EXPECT_EQ(reader.next().kind, FrameItemKind::end);
    EXPECT_FALSE(reader.stopped());
    EXPECT_EQ(reader.damaged(), 0u);
    EXPECT_EQ(reader.other_records(), 1u);
  }
}

TEST_F(FrameReaderTest, ResyncEventOfAnotherLayoutSizeOrValueIsReportedByNumberAndOffset) {
  const std::string good = event_payload(test::resync_order(test::kLongIdentifier));
  std::string layout = good;
  layout[4] = 2;  // OrderEvent layout 2
  std::string bad_state = good;
  bad_state[8 + offsetof(OrderEvent, state)] = 9;
  const std::string path =
      write_journal((dir / "j.fwj").string(), {{JournalKind::frame, "{\"a\":1}"},
                                               {JournalKind::resync_event, layout},
                                               {JournalKind::frame, "{\"b\":2}"},
                                               {JournalKind::resync_event, good.substr(0, 100)},
                                               {JournalKind::resync_event, good + good},
                                               {JournalKind::resync_event, bad_state},
                                               {JournalKind::resync_event, good}});
  // Records 1..7 at bytes 8, 39, 327, 358, 482, 1034 and 1322 (24-byte headers).

  // Stopping: nothing of the record, nor after it.
  FrameReader stop(path);
  EXPECT_EQ(stop.next().kind, FrameItemKind::frame);
  EXPECT_EQ(stop.next().kind, FrameItemKind::end);
  EXPECT_EQ(stop.next().kind, FrameItemKind::end);
  EXPECT_TRUE(stop.stopped());
  EXPECT_EQ(stop.error(),
            "record 2 at byte 39: resync event of OrderEvent layout 2; this build reads layout 1 "
            "only (written by a build whose OrderEvent differs)");
  EXPECT_EQ(stop.damaged(), 1u);

  // Skipping: each reported as a damaged record, by number and offset; reading goes on.
  FrameReader skip(path, FrameReaderConfig{65536, true});
  std::vector<std::string> errors;
  std::vector<FrameItemKind> kinds;
  for (FrameItem item = skip.next(); item.kind != FrameItemKind::end; item = skip.next()) {
    kinds.push_back(item.kind);
    if (item.kind == FrameItemKind::damaged) errors.push_back(skip.error());
    if (item.kind == FrameItemKind::event) {
      EXPECT_EQ(item.number, 7u);
      EXPECT_TRUE(item.event->identifier.matches(test::kLongIdentifier));
    }
  }
  EXPECT_EQ(kinds, (std::vector<FrameItemKind>{FrameItemKind::frame, FrameItemKind::damaged,
                                               FrameItemKind::frame, FrameItemKind::damaged,
                                               FrameItemKind::damaged, FrameItemKind::damaged,
                                               FrameItemKind::event}));
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].rfind("record 2 at byte 39: resync event of OrderEvent layout 2", 0), 0u)
      << errors[0];
  EXPECT_EQ(
      errors[1].rfind("record 4 at byte 358: resync event of 100 bytes; this build's are 264", 0),
      0u)
      << errors[1];
  EXPECT_EQ(
      errors[2].rfind("record 5 at byte 482: resync event of 528 bytes; this build's are 264", 0),
      0u)
      << errors[2];
  EXPECT_EQ(errors[3], "record 6 at byte 1034: resync event with an invalid state 9");
  EXPECT_EQ(skip.damaged(), 4u);
  EXPECT_EQ(skip.refused_events(), 4u);
  EXPECT_FALSE(skip.stopped());

  // A record longer than the frame limit and an event is not loaded, and still refused by size.
  FrameReader small(path, FrameReaderConfig{10, true});
  std::uint64_t refused = 0;
  for (FrameItem item = small.next(); item.kind != FrameItemKind::end; item = small.next()) {
    if (item.kind == FrameItemKind::damaged && item.number == 5) {
      ++refused;
      EXPECT_EQ(small.error(),
                "record 5 at byte 482: resync event of 528 bytes; this build's are 264");
    }
  }
  EXPECT_EQ(refused, 1u);
}

// The sample journal written by tests/data/make_journals.py from the format's description (not by
// this build's writer) reads back as the event it describes.
TEST_F(FrameReaderTest, SampleResyncEventJournalReadsAsItsFormatDescribesIt) {
  FrameReader reader(data_path("resync-event-v2.fwj"));
  const FrameItem item = reader.next();
  ASSERT_EQ(item.kind, FrameItemKind::event) << reader.error();
  EXPECT_EQ(item.number, 2u);
  const OrderEvent& e = *item.event;
  EXPECT_EQ(e.seq, 7u);
  EXPECT_EQ(e.code.view(), "KRW-BTC");
  EXPECT_EQ(e.uuid.to_string(), "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  EXPECT_EQ(e.ask_bid, Side::bid);
  EXPECT_EQ(e.order_type, OrderType::limit);
  EXPECT_EQ(e.state, OrderState::wait);
  EXPECT_EQ(e.origin, EventOrigin::resync);
  EXPECT_EQ(e.price, 100000000.0);
  EXPECT_EQ(e.locked, 50025000.0);
  EXPECT_EQ(e.timestamp, 1717232400500);
  EXPECT_TRUE(e.has(Field::identifier));
  EXPECT_FALSE(e.has(Field::trade_uuid));
  EXPECT_TRUE(e.identifier.cut());
  EXPECT_EQ(e.identifier.view(), test::kLongIdentifier.substr(0, 37));
  EXPECT_TRUE(e.identifier.matches(test::kLongIdentifier));
  // Byte for byte the event this build makes of the same order (the script's uuid and stamps).
  OrderEvent same = test::resync_order(test::kLongIdentifier);
  same.uuid = e.uuid;
  same.seq = 7;
  same.recv_ts = 123456789;
  EXPECT_EQ(std::memcmp(&e, &same, sizeof e), 0);
  EXPECT_EQ(reader.next().kind, FrameItemKind::end);
  EXPECT_FALSE(reader.stopped());
}

}  // namespace
}  // namespace fillwire
