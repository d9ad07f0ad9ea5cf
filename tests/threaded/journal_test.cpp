#include "fillwire/journal.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "../support/resync_event.hpp"
#include "../support/scratch_dir.hpp"
#include "fillwire/detail/frame_reader.hpp"
#include "fillwire/detail/journal_event.hpp"

namespace fillwire {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  test::ScratchDir scratch{"fillwire-journal"};
  const fs::path dir = scratch.path();
  std::string file(const std::string& name = "journal.fwj") const { return (dir / name).string(); }
};

std::string frame_text(int producer, int i) {
  return "{\"producer\":" + std::to_string(producer) + ",\"i\":" + std::to_string(i) + "}";
}

bool loss_notice(const JournalRecordHeader& h, const std::string& payload) {
  return h.kind == JournalKind::notice && payload.rfind(kJournalLossNotice, 0) == 0;
}

// Every record of the file; `with_loss_notices` false leaves out the journal's own notes of
// records not journaled (tests that retry a refused record() see them for each retry).
std::vector<std::pair<JournalRecordHeader, std::string>> read_all(const std::string& path,
                                                                  std::string* error = nullptr,
                                                                  bool with_loss_notices = true) {
  JournalReader reader(path);
  std::vector<std::pair<JournalRecordHeader, std::string>> out;
  JournalRecordHeader h{};
  std::string payload;
  while (reader.next(h, payload)) {
    if (with_loss_notices || !loss_notice(h, payload)) out.emplace_back(h, payload);
  }
  if (error != nullptr) *error = reader.error();
  return out;
}

void write_records(const std::string& path, const std::vector<std::string>& payloads) {
  Journal journal(JournalConfig{path, 1u << 30, 4, 1u << 16, 64, 1});
  JournalProducer& p = journal.make_producer();
  for (const auto& s : payloads) {
    ASSERT_TRUE(p.record(JournalKind::frame, s.data(), s.size(), 7));
  }
  journal.flush();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string v1_record(JournalKind kind, const std::string& payload, std::uint64_t recv_ns) {
  std::string r(16, '\0');
  const auto length = static_cast<std::uint32_t>(payload.size());
  std::memcpy(r.data(), &length, 4);
  r[4] = static_cast<char>(kind);
  std::memcpy(r.data() + 8, &recv_ns, 8);
  return r + payload;
}

void expect_refused(const std::string& path, const std::string& why) {
  try {
    JournalReader reader(path);
    ADD_FAILURE() << path << " was not refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST_F(JournalTest, TwoProducersEveryRecordInOrderPerProducer) {
  constexpr int kPerProducer = 20000;
  {
    Journal journal(JournalConfig{file(), 1u << 30, 4, 1u << 16, 1u << 12, 4});
    JournalProducer& a = journal.make_producer();
    JournalProducer& b = journal.make_producer();
    auto run = [](JournalProducer& p, int id) {
      for (int i = 0; i < kPerProducer; ++i) {
        const std::string s = frame_text(id, i);
        // The hot path never waits: retry here only so this test can demand every record.
        while (!p.record(JournalKind::frame, s.data(), s.size(), static_cast<std::uint64_t>(i))) {
          std::this_thread::yield();
        }
      }
    };
    std::thread ta(run, std::ref(a), 0);
    std::thread tb(run, std::ref(b), 1);
    ta.join();
    tb.join();
    journal.flush();
    const auto c = journal.counters();
    EXPECT_EQ(c.records, 2u * kPerProducer + c.loss_notices);
    EXPECT_EQ(c.write_errors, 0u);
  }
  const auto records = read_all(file(), nullptr, false);
  ASSERT_EQ(records.size(), 2u * kPerProducer);
  int next[2] = {0, 0};
  for (const auto& [h, payload] : records) {
    EXPECT_EQ(h.kind, JournalKind::frame);
    const int producer = payload.find("\"producer\":1") != std::string::npos ? 1 : 0;
    ASSERT_EQ(payload, frame_text(producer, next[producer]));
    ASSERT_EQ(h.recv_ns, static_cast<std::uint64_t>(next[producer]));
    ++next[producer];
  }
}

TEST_F(JournalTest, NeverWaitsAndCountsWhatItDrops) {
  std::uint64_t accepted = 0;
  std::uint64_t notices = 0;
  constexpr int kAttempts = 200000;
  {
    // A ring of 4 KiB fills far faster than a disk writes: some records must be dropped.
    Journal journal(JournalConfig{file(), 1u << 30, 4, 4096, 1u << 10, 1});
    JournalProducer& p = journal.make_producer();
    const std::string s(100, 'x');
    for (int i = 0; i < kAttempts; ++i) {
      if (p.record(JournalKind::frame, s.data(), s.size(), 0)) ++accepted;
    }
    journal.flush();
    const auto c = journal.counters();
    EXPECT_GT(c.dropped, 0u);
    EXPECT_GT(c.loss_notices, 0u);
    EXPECT_EQ(c.records, accepted + c.loss_notices);
    EXPECT_EQ(accepted + c.dropped, static_cast<std::uint64_t>(kAttempts));
    notices = c.loss_notices;
  }
  EXPECT_EQ(read_all(file()).size(), accepted + notices);
}

// What a hot thread could not journal is said in the journal itself, where it went missing: a
// notice with the count, after the records written before; the counts add up to what was dropped.
TEST_F(JournalTest, RecordsNotJournaledAreSaidInTheJournalWhereTheyWentMissing) {
  std::uint64_t dropped = 0;
  {
    Journal journal(JournalConfig{file(), 1u << 30, 4, 4096, 1u << 10, 1});
    JournalProducer& p = journal.make_producer();
    const std::string s(100, 'x');
    for (int i = 0; i < 200000; ++i)
      (void)p.record(JournalKind::frame, s.data(), s.size(), 0);
    journal.flush();
    dropped = journal.counters().dropped;
  }
  ASSERT_GT(dropped, 0u);
  std::uint64_t told = 0;
  std::uint64_t frames_before_first_notice = 0;
  for (const auto& [h, payload] : read_all(file())) {
    if (h.kind == JournalKind::frame && told == 0) ++frames_before_first_notice;
    if (h.kind != JournalKind::notice) continue;
    ASSERT_EQ(payload.rfind(kJournalLossNotice, 0), 0u) << payload;
    told += std::stoull(payload.substr(std::strlen(kJournalLossNotice)));
  }
  EXPECT_EQ(told, dropped);
  EXPECT_GT(frames_before_first_notice, 0u) << "the notice comes where the loss was seen";
  // What `fillwire replay` reads it with counts them too.
  FrameReader reader(file());
  while (reader.next().kind != FrameItemKind::end) {
  }
  EXPECT_EQ(reader.journal_lost(), dropped);
}

TEST_F(JournalTest, RecordLargerThanTheRingIsRefusedAndCounted) {
  Journal journal(JournalConfig{file(), 1u << 30, 4, 1024, 16, 1});
  JournalProducer& p = journal.make_producer();
  const std::string big(2000, 'y');
  EXPECT_FALSE(p.record(JournalKind::frame, big.data(), big.size(), 0));
  journal.flush();
  EXPECT_EQ(journal.counters().too_large, 1u);
}

TEST_F(JournalTest, RotatesAndKeepsReadableFiles) {
  constexpr int kRecords = 3000;
  {
    Journal journal(JournalConfig{file(), 16 * 1024, 100, 1u << 16, 1u << 12, 1});
    JournalProducer& p = journal.make_producer();
    for (int i = 0; i < kRecords; ++i) {
      const std::string s = frame_text(0, i);
      while (!p.record(JournalKind::frame, s.data(), s.size(), 0))
        std::this_thread::yield();
    }
    journal.flush();
    EXPECT_GT(journal.counters().rotations, 0u);
  }
  // Oldest first: path.N ... path.1, then path.
  std::vector<std::string> files;
  for (int i = 100; i >= 1; --i) {
    const std::string f = file() + "." + std::to_string(i);
    if (fs::exists(f)) files.push_back(f);
  }
  files.push_back(file());
  int next = 0;
  for (const auto& f : files) {
    EXPECT_LE(fs::file_size(f), 16u * 1024) << f;
    for (const auto& [h, payload] : read_all(f, nullptr, false))
      ASSERT_EQ(payload, frame_text(0, next++));
  }
  EXPECT_EQ(next, kRecords);
}

TEST_F(JournalTest, ReaderReportsACutShortTail) {
  {
    Journal journal(JournalConfig{file(), 1u << 30, 4, 1u << 16, 64, 1});
    JournalProducer& p = journal.make_producer();
    for (int i = 0; i < 3; ++i) {
      const std::string s = frame_text(0, i);
      ASSERT_TRUE(p.record(JournalKind::notice, s.data(), s.size(), 7));
    }
    journal.flush();
  }
  fs::resize_file(file(), fs::file_size(file()) - 3);
  std::string error;
  const auto records = read_all(file(), &error);
  EXPECT_EQ(records.size(), 2u);
  // Record 3 starts after the file header and two records of 24 + 20 bytes.
  EXPECT_EQ(error, "record 3 at byte 96: length 20 runs past the end of the file (17 bytes left)");
}

TEST_F(JournalTest, DamagedLengthIsReportedWithoutAllocatingIt) {
  // Found by tests/fuzz/journal_fuzz: a record header whose length field was damaged made the
  // reader allocate (and zero) up to 4 GiB before finding that the file is far shorter. Here the
  // header even carries a good checksum, so only the file's size can refuse its length.
  write_records(file(), {frame_text(0, 0)});
  JournalRecordHeader damaged{0xF0000000u, JournalKind::frame, {0, 0, 0}, 8, 0, 0};
  damaged.header_crc = journal_header_crc(damaged);
  std::FILE* f = std::fopen(file().c_str(), "ab");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(&damaged, sizeof damaged, 1, f), 1u);
  std::fputs("{\"short\":1}", f);
  std::fclose(f);

  JournalReader reader(file());
  JournalRecordHeader h{};
  std::string payload;
  ASSERT_TRUE(reader.next(h, payload));
  EXPECT_EQ(payload, frame_text(0, 0));
  EXPECT_FALSE(reader.next(h, payload));
  EXPECT_EQ(reader.error(),
            "record 2 at byte 52: length 4026531840 runs past the end of the file (11 bytes left)");
  EXPECT_EQ(reader.damage(), JournalDamage::length_past_end);
  EXPECT_LT(payload.capacity(), 1u << 20);
  EXPECT_EQ(reader.records(), 1u);
}

TEST_F(JournalTest, ReaderRefusesOtherFiles) {
  std::FILE* f = std::fopen(file().c_str(), "wb");
  std::fputs("{\"not\":\"a journal\"}\n", f);
  std::fclose(f);
  expect_refused(file(), "is not a fillwire journal");
  expect_refused(file("missing"), "cannot be opened");
  write_bytes(file("v3"), std::string("FWJ1\x03\x00\x00\x00", 8));
  expect_refused(file("v3"), "has version 3; this build reads versions 1 and 2");
}

// ---- version 2: checksums ----------------------------------------------------------------------

TEST(Crc32c, MatchesTheCastagnoliCheckValue) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);  // the catalogued check value of CRC-32C
  EXPECT_EQ(crc32c("", 0), 0u);
}

TEST_F(JournalTest, WriterStoresChecksumsOfTheBytesOnDisk) {
  write_records(file(), {frame_text(0, 0), frame_text(0, 1)});
  const std::string bytes = read_bytes(file());
  ASSERT_EQ(bytes.size(), 8u + 2 * (24 + 20));
  EXPECT_EQ(bytes.substr(0, 8), std::string("FWJ1\x02\x00\x00\x00", 8));
  for (std::size_t at = 8; at < bytes.size(); at += 24 + 20) {
    JournalRecordHeader h;
    std::memcpy(&h, bytes.data() + at, sizeof h);
    EXPECT_EQ(h.length, 20u);
    EXPECT_EQ(h.payload_crc, crc32c(bytes.data() + at + 24, 20));
    EXPECT_EQ(h.header_crc, crc32c(bytes.data() + at, 20));
  }
}

TEST_F(JournalTest, FlippedDigitInAPayloadIsAChecksumErrorNamingRecordAndOffset) {
  write_records(file(), {frame_text(0, 0), frame_text(0, 1), frame_text(0, 2)});
  std::string bytes = read_bytes(file());
  const std::size_t second = 8 + 24 + 20;  // record 2
  const std::size_t digit = bytes.find("\"i\":1", second) + 4;
  ASSERT_EQ(bytes[digit], '1');
  bytes[digit] = '7';
  write_bytes(file(), bytes);

  std::string error;
  const auto records = read_all(file(), &error);
  ASSERT_EQ(records.size(), 1u) << "nothing of a damaged record, nor after it, is returned";
  EXPECT_EQ(records[0].second, frame_text(0, 0));
  EXPECT_EQ(error.rfind("record 2 at byte 52: payload checksum mismatch (stored 0x", 0), 0u)
      << error;
}

TEST_F(JournalTest, ShortenedLengthFieldBlamesItsOwnRecord) {
  write_records(file(), {frame_text(0, 0), frame_text(0, 1), frame_text(0, 2)});
  std::string bytes = read_bytes(file());
  bytes[52] = static_cast<char>(20 - 5);  // record 2's length field, 20 -> 15
  write_bytes(file(), bytes);

  std::string error;
  EXPECT_EQ(read_all(file(), &error).size(), 1u);
  EXPECT_EQ(error.rfind("record 2 at byte 52: header checksum mismatch", 0), 0u) << error;
  EXPECT_NE(error.find("length field 15"), std::string::npos) << error;
}

TEST_F(JournalTest, SkipDamagedResumesAtTheNextRecordThatVerifies) {
  std::vector<std::string> frames;
  for (int i = 0; i < 6; ++i)
    frames.push_back(frame_text(0, i));
  write_records(file(), frames);
  std::string bytes = read_bytes(file());
  const auto at = [](int record) { return std::size_t{8} + std::size_t(record - 1) * (24 + 20); };
  bytes[at(2) + 24 + 5] ^= 0x01;                                // record 2: payload
  bytes[at(4)] = 100;                                           // record 4: length
  bytes.insert(at(5), "\x01\x00\x00\x00junk-between-records");  // junk before record 5
  write_bytes(file(), bytes);

  JournalReader reader(file());
  JournalRecordHeader h{};
  std::string payload;
  std::vector<std::string> got;
  std::vector<std::string> errors;
  for (;;) {
    const JournalRead r = reader.read(h, payload);
    if (r == JournalRead::end) break;
    if (r == JournalRead::damaged) {
      errors.push_back(reader.error());
      EXPECT_TRUE(payload.empty());
      if (!reader.skip_damaged()) break;
      continue;
    }
    ASSERT_EQ(r, JournalRead::record);
    got.push_back(payload);
  }
  EXPECT_EQ(got, (std::vector<std::string>{frames[0], frames[2], frames[4], frames[5]}));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].rfind("record 2 at byte 52: payload checksum mismatch", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1].rfind("record 4 at byte 140: header checksum mismatch", 0), 0u) << errors[1];
  EXPECT_EQ(reader.damaged(), 2u);
}

// `reader` reads one whole record, then a damaged one with this damage.
void expect_record_then_damage(JournalReader& reader, JournalDamage damage) {
  JournalRecordHeader h{};
  std::string payload;
  ASSERT_EQ(reader.read(h, payload), JournalRead::record);
  ASSERT_EQ(reader.read(h, payload), JournalRead::damaged);
  EXPECT_EQ(reader.damage(), damage);
}

TEST_F(JournalTest, SkipDamagedAtTheTailEndsTheFile) {
  write_records(file(), {frame_text(0, 0), frame_text(0, 1)});
  fs::resize_file(file(), fs::file_size(file()) - 1);
  JournalReader reader(file());
  ASSERT_NO_FATAL_FAILURE(expect_record_then_damage(reader, JournalDamage::length_past_end));
  EXPECT_FALSE(reader.skip_damaged());
  JournalRecordHeader h{};
  std::string payload;
  EXPECT_EQ(reader.read(h, payload), JournalRead::end);
}

TEST_F(JournalTest, RecordOverMaxPayloadIsVerifiedButNotLoaded) {
  write_records(file(), {std::string(5000, 'a'), frame_text(0, 1), std::string(6000, 'b')});
  std::string bytes = read_bytes(file());
  bytes[bytes.size() - 10] = 'c';  // the last record, over the maximum, damaged
  write_bytes(file(), bytes);
  JournalReader reader(file(), 1000);
  JournalRecordHeader h{};
  std::string payload;
  EXPECT_EQ(reader.read(h, payload), JournalRead::too_large);
  EXPECT_EQ(h.length, 5000u);
  EXPECT_TRUE(payload.empty());
  EXPECT_EQ(reader.read(h, payload), JournalRead::record);
  EXPECT_EQ(payload, frame_text(0, 1));
  EXPECT_EQ(reader.read(h, payload), JournalRead::damaged);
  EXPECT_EQ(reader.damage(), JournalDamage::payload_checksum);
  EXPECT_LT(payload.capacity(), 1000u);
}

// ---- version 1: no checksums ------------------------------------------------------------------

TEST_F(JournalTest, Version1JournalsAreReadWithoutChecksums) {
  std::string v1("FWJ1\x01\x00\x00\x00", 8);
  for (int i = 0; i < 3; ++i)
    v1 += v1_record(JournalKind::frame, frame_text(0, i), 7);
  write_bytes(file(), v1);
  JournalReader reader(file());
  EXPECT_EQ(reader.version(), 1u);
  EXPECT_FALSE(reader.checksummed());
  std::string error;
  const auto records = read_all(file(), &error);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].second, frame_text(0, 2));
  EXPECT_EQ(records[2].first.recv_ns, 7u);
  EXPECT_EQ(error, "");

  // Without checksums a flipped digit goes unseen, and a shortened length blames the record after.
  std::string flipped = v1;
  flipped[8 + 16 + 17] = '9';
  write_bytes(file("flipped"), flipped);
  EXPECT_EQ(read_all(file("flipped")).size(), 3u);
  std::string shortened = v1;
  shortened[8 + 36] = static_cast<char>(20 - 5);  // record 2's length, 20 -> 15
  write_bytes(file("short"), shortened);
  const auto cut = read_all(file("short"), &error);
  EXPECT_EQ(cut.size(), 2u);
  EXPECT_EQ(error.rfind("record 3 at byte 75: unknown kind 125", 0), 0u) << error;

  // Nor can a damaged version 1 record be skipped: nothing says where a good one starts.
  JournalReader damaged(file("short"));
  JournalRecordHeader h{};
  std::string payload;
  while (damaged.read(h, payload) == JournalRead::record) {
  }
  EXPECT_FALSE(damaged.skip_damaged());
  EXPECT_EQ(damaged.read(h, payload), JournalRead::damaged);
}

TEST_F(JournalTest, AnExistingJournalOfAnotherVersionIsRotatedAsideNotAppendedTo) {
  const std::string v1 =
      std::string("FWJ1\x01\x00\x00\x00", 8) + v1_record(JournalKind::notice, frame_text(9, 9), 1);
  write_bytes(file(), v1);
  write_records(file(), {frame_text(0, 0)});
  EXPECT_EQ(read_bytes(file() + ".1"), v1);
  const auto records = read_all(file());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].second, frame_text(0, 0));

  write_bytes(file("foreign"), "not a journal\n");
  EXPECT_THROW(Journal(JournalConfig{file("foreign"), 1u << 30, 4, 1u << 16, 64, 1}),
               std::runtime_error);
  EXPECT_EQ(read_bytes(file("foreign")), "not a journal\n");
}

// ---- resync events: an OrderEvent's exact bytes -------------------------------------------------

using test::event_payload;

TEST(JournalEvent, PayloadIsTheHeaderThenTheEventsExactBytes) {
  const OrderEvent e = test::resync_order(test::kLongIdentifier);
  ASSERT_TRUE(e.identifier.cut());
  const std::string p = event_payload(e);
  ASSERT_EQ(p.size(), 264u);
  EXPECT_EQ(p.substr(0, 8), std::string("FWEV\x01\x00\x00\x01", 8))
      << "magic, OrderEvent layout 1, 256 bytes (little-endian)";
  EXPECT_EQ(std::memcmp(p.data() + 8, &e, sizeof e), 0);

  OrderEvent back{};
  std::string why;
  ASSERT_EQ(read_journal_event(p.data(), p.size(), back, why), JournalEventError::none) << why;
  EXPECT_EQ(why, "");
  EXPECT_EQ(std::memcmp(&back, &e, sizeof e), 0) << "every byte, the cut identifier's hash too";
  EXPECT_TRUE(back.identifier.cut());
  EXPECT_EQ(back.identifier.hash(), fnv1a64(test::kLongIdentifier));
  EXPECT_TRUE(back.identifier.matches(test::kLongIdentifier));
}

TEST(JournalEvent, AnotherLayoutSizeOrMagicIsRefusedWithTheReasonAndNothingCopied) {
  const std::string good = event_payload(test::resync_order("id-1"));
  const auto refused = [](const std::string& p, JournalEventError want, const std::string& text) {
    OrderEvent out = test::resync_order("untouched", 9);
    const OrderEvent before = out;
    std::string why;
    EXPECT_EQ(read_journal_event(p.data(), p.size(), out, why), want) << why;
    EXPECT_NE(why.find(text), std::string::npos) << why;
    EXPECT_EQ(std::memcmp(&out, &before, sizeof out), 0) << "nothing copied: " << why;
  };
  std::string layout = good;
  layout[4] = 2;
  refused(layout, JournalEventError::layout,
          "resync event of OrderEvent layout 2; this build reads layout 1 only");
  std::string size = good;
  size[6] = 0;
  size[7] = 2;  // 512
  refused(size, JournalEventError::event_bytes, "a 512-byte OrderEvent; this build's is 256 bytes");
  std::string magic = good;
  magic[0] = 'X';
  refused(magic, JournalEventError::magic, "without its FWEV or FWAS header");
  refused(good.substr(0, 200), JournalEventError::size, "resync event of 200 bytes");
  refused(good + "x", JournalEventError::size, "resync event of 265 bytes; this build's are 264");
  refused("", JournalEventError::size, "resync event of 0 bytes");
}

TEST(JournalEvent, OutOfRangeEnumsFlagsBitsAndLengthsAreRefusedNamingTheField) {
  struct Case {
    std::size_t offset;  // in OrderEvent
    std::uint8_t value;
    const char* reason;
  };
  const Case cases[] = {
      {offsetof(OrderEvent, ask_bid), 3, "invalid ask_bid 3"},
      {offsetof(OrderEvent, order_type), 5, "invalid order_type 5"},
      {offsetof(OrderEvent, state), 7, "invalid state 7"},
      {offsetof(OrderEvent, state), 0xFF, "invalid state 255"},
      {offsetof(OrderEvent, time_in_force), 4, "invalid time_in_force 4"},
      {offsetof(OrderEvent, smp_type), 4, "invalid smp_type 4"},
      {offsetof(OrderEvent, stream_type), 3, "invalid stream_type 3"},
      {offsetof(OrderEvent, is_maker), 2, "invalid is_maker 2"},
      {offsetof(OrderEvent, type_known), 2, "invalid type_known 2"},
      {offsetof(OrderEvent, kind), 1, "invalid kind 1"},  // a control event is never journaled
      {offsetof(OrderEvent, kind), 2, "invalid kind 2"},  // an asset event is not an order record
      {offsetof(OrderEvent, origin), 3, "invalid origin 3"},
      {offsetof(OrderEvent, present) + 3, 0x20, "invalid present bits 0x2"},  // bit 29
      {offsetof(OrderEvent, code), 16, "invalid code length 16"},
      {offsetof(OrderEvent, identifier), 46, "invalid identifier length 46"},
      {offsetof(OrderEvent, identifier), 0x80 | 38, "invalid identifier length (cut) 38"},
  };
  const std::string good = event_payload(test::resync_order("id-1"));
  for (const Case& c : cases) {
    std::string p = good;
    p[8 + c.offset] = static_cast<char>(c.value);
    OrderEvent out{};
    std::string why;
    EXPECT_EQ(read_journal_event(p.data(), p.size(), out, why), JournalEventError::bad_value)
        << c.reason;
    EXPECT_NE(why.find(std::string("resync event with an ") + c.reason), std::string::npos) << why;
  }
  // The largest values defined pass.
  OrderEvent top = test::resync_order(std::string(45, 'x'), 1, OrderState::prevented);
  top.ask_bid = Side::bid;
  top.order_type = OrderType::best;
  top.time_in_force = TimeInForce::post_only;
  top.smp_type = SmpType::cancel_taker;
  top.stream_type = StreamType::snapshot;
  top.is_maker = 1;
  top.origin = EventOrigin::replay;
  top.present = (1u << kFieldCount) - 1;
  (void)top.code.assign(std::string(15, 'K'));
  const std::string p = event_payload(top);
  OrderEvent out{};
  std::string why;
  EXPECT_EQ(read_journal_event(p.data(), p.size(), out, why), JournalEventError::none) << why;
  top.identifier.assign(std::string(ClientId::kCutKeep + 20, 'y'));  // cut, 37 bytes kept
  const std::string cut = event_payload(top);
  EXPECT_EQ(read_journal_event(cut.data(), cut.size(), out, why), JournalEventError::none) << why;
}

TEST_F(JournalTest, ResyncEventRecordsAreJournaledFromTheStackAndReadBackWhole) {
  const OrderEvent e = test::resync_order(test::kLongIdentifier);
  {
    Journal journal(JournalConfig{file(), 1u << 30, 4, 1u << 16, 64, 1});
    JournalProducer& p = journal.make_producer();
    ASSERT_TRUE(p.record(JournalKind::frame, "{}", 2, 1));
    ASSERT_TRUE(journal_event(p, e, 42));
    journal.flush();
    EXPECT_EQ(journal.counters().bytes, 2u + kJournalEventPayloadBytes);
  }
  const auto records = read_all(file());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].first.kind, JournalKind::resync_event);
  EXPECT_EQ(records[1].first.recv_ns, 42u);
  EXPECT_EQ(records[1].second, event_payload(e));
}

// What a build that predates a kind does with it (an older build and kind 5 alike): a record whose
// checksums verify but whose kind it does not know is reported by number and offset; skipping
// passes over it whole and reading goes on at the next record.
TEST_F(JournalTest, AKindOfANewerBuildIsReportedByNumberAndSkippedWhole) {
  {
    Journal journal(JournalConfig{file(), 1u << 30, 4, 1u << 16, 64, 1});
    JournalProducer& p = journal.make_producer();
    const std::string newer(264, '\x05');
    ASSERT_TRUE(p.record(JournalKind::frame, frame_text(0, 0).data(), 20, 1));
    ASSERT_TRUE(p.record(static_cast<JournalKind>(6), newer.data(), newer.size(), 2));
    ASSERT_TRUE(p.record(JournalKind::frame, frame_text(0, 1).data(), 20, 3));
    journal.flush();
  }
  JournalReader reader(file());
  ASSERT_NO_FATAL_FAILURE(expect_record_then_damage(reader, JournalDamage::bad_kind));
  EXPECT_EQ(reader.error(), "record 2 at byte 52: unknown kind 6");
  ASSERT_TRUE(reader.skip_damaged());
  JournalRecordHeader h{};
  std::string payload;
  ASSERT_EQ(reader.read(h, payload), JournalRead::record);
  EXPECT_EQ(payload, frame_text(0, 1));
  EXPECT_EQ(reader.offset(), 52u + 24 + 264);
  EXPECT_EQ(reader.damaged(), 1u);
}

}  // namespace
}  // namespace fillwire
