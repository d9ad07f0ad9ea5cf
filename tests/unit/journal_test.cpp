#include "fillwire/journal.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace fillwire {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  fs::path dir = fs::path(::testing::TempDir()) /
                 ("fillwire-journal-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string file(const std::string& name = "journal.fwj") const { return (dir / name).string(); }
};

std::string frame_text(int producer, int i) {
  return "{\"producer\":" + std::to_string(producer) + ",\"i\":" + std::to_string(i) + "}";
}

std::vector<std::pair<JournalRecordHeader, std::string>> read_all(const std::string& path,
                                                                  std::string* error = nullptr) {
  JournalReader reader(path);
  std::vector<std::pair<JournalRecordHeader, std::string>> out;
  JournalRecordHeader h{};
  std::string payload;
  while (reader.next(h, payload))
    out.emplace_back(h, payload);
  if (error != nullptr) *error = reader.error();
  return out;
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
    EXPECT_EQ(c.records, 2u * kPerProducer);
    EXPECT_EQ(c.write_errors, 0u);
  }
  const auto records = read_all(file());
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
    EXPECT_EQ(c.records, accepted);
    EXPECT_EQ(c.records + c.dropped, static_cast<std::uint64_t>(kAttempts));
  }
  EXPECT_EQ(read_all(file()).size(), accepted);
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
    for (const auto& [h, payload] : read_all(f))
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
  EXPECT_NE(error.find("record 3: payload cut short"), std::string::npos) << error;
}

TEST_F(JournalTest, DamagedLengthIsReportedWithoutAllocatingIt) {
  // Found by tests/fuzz/journal_fuzz: a record header whose length field was damaged made the
  // reader allocate (and zero) up to 4 GiB before finding that the file is far shorter.
  {
    Journal journal(JournalConfig{file(), 1u << 30, 4, 1u << 16, 64, 1});
    JournalProducer& p = journal.make_producer();
    const std::string s = frame_text(0, 0);
    ASSERT_TRUE(p.record(JournalKind::frame, s.data(), s.size(), 7));
    journal.flush();
  }
  const JournalRecordHeader damaged{0xF0000000u, JournalKind::frame, {0, 0, 0}, 8};
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
  EXPECT_EQ(reader.error(), "record 2: payload cut short (11 of 4026531840 bytes)");
  EXPECT_LT(payload.capacity(), 1u << 20);
  EXPECT_EQ(reader.records(), 1u);
}

TEST_F(JournalTest, ReaderRefusesOtherFiles) {
  std::FILE* f = std::fopen(file().c_str(), "wb");
  std::fputs("{\"not\":\"a journal\"}\n", f);
  std::fclose(f);
  EXPECT_THROW(JournalReader{file()}, std::runtime_error);
  EXPECT_THROW(JournalReader{file("missing")}, std::runtime_error);
}

}  // namespace
}  // namespace fillwire
