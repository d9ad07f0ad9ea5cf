// JournalTail against a Journal writing on its own thread: every record once, in order, across
// rotations; bytes not yet written are waited for, never taken for damage; damage is passed over.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "fillwire/journal.hpp"
#include "fillwire/journal_tail.hpp"
#include "scratch_dir.hpp"
#include "wait.hpp"

namespace fillwire {
namespace {

using namespace std::chrono_literals;

std::string text_of(int i) {
  return "record " + std::to_string(i) + std::string(static_cast<std::size_t>(i % 50), 'x');
}

// Reads from `tail` until `count` records came or `within` passed; each record's payload.
std::vector<std::string> read_records(JournalTail& tail, std::size_t count,
                                      std::chrono::milliseconds within = 10s) {
  std::vector<std::string> out;
  const auto until = std::chrono::steady_clock::now() + within;
  std::string bytes;
  while (out.size() < count && std::chrono::steady_clock::now() < until) {
    JournalRecordHeader h{};
    bytes.clear();
    const TailRead r = tail.next(bytes, h);
    if (r == TailRead::record) {
      EXPECT_EQ(bytes.size(), sizeof h + h.length);
      // The writer below retries a refused record(): the journal notes each refusal; skip those.
      if (h.kind == JournalKind::notice && bytes.find(kJournalLossNotice) == sizeof h) continue;
      out.emplace_back(bytes.substr(sizeof h));
    } else if (r == TailRead::none) {
      std::this_thread::sleep_for(200us);
    }
  }
  return out;
}

class JournalTailTest : public ::testing::Test {
 protected:
  test::ScratchDir scratch{"fillwire-tail"};
  std::string file() const { return (scratch.path() / "j.fwj").string(); }
};

TEST_F(JournalTailTest, FollowsEveryRecordInOrderWhileTheJournalWritesAndRotates) {
  // Small files: about 40 rotations while the tail reads; keep_files big enough that none is
  // deleted before it is read.
  Journal journal(JournalConfig{file(), 8 * 1024, 1000, 1u << 16, 1u << 12, 1});
  JournalTail tail(file(), JournalTail::Start::end);
  JournalProducer& p = journal.make_producer();
  constexpr int kRecords = 5000;
  std::thread writer([&] {
    for (int i = 0; i < kRecords; ++i) {
      const std::string t = text_of(i);
      while (!p.record(JournalKind::frame, t.data(), t.size(), static_cast<std::uint64_t>(i))) {
        std::this_thread::yield();
      }
    }
  });
  const std::vector<std::string> got = read_records(tail, kRecords, 60s);
  writer.join();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i)
    ASSERT_EQ(got[static_cast<std::size_t>(i)], text_of(i)) << "record " << i;
  EXPECT_GT(journal.counters().rotations, 10u);
  EXPECT_EQ(tail.counters().files, journal.counters().rotations);
  EXPECT_EQ(tail.counters().damaged, 0u);
  EXPECT_EQ(tail.counters().lost, 0u);
}

TEST_F(JournalTailTest, StartsAtTheEndOrAtTheBeginning) {
  Journal journal(JournalConfig{file(), 1u << 30, 4, 1u << 16, 64, 1});
  JournalProducer& p = journal.make_producer();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(p.record(JournalKind::notice, text_of(i).data(), text_of(i).size(), 0));
  journal.flush();
  JournalTail from_end(file(), JournalTail::Start::end);
  JournalTail from_start(file(), JournalTail::Start::beginning);
  ASSERT_TRUE(p.record(JournalKind::notice, text_of(3).data(), text_of(3).size(), 0));
  journal.flush();
  EXPECT_EQ(read_records(from_end, 2, 200ms), std::vector<std::string>{text_of(3)});
  EXPECT_EQ(read_records(from_start, 4),
            (std::vector<std::string>{text_of(0), text_of(1), text_of(2), text_of(3)}));
}

// A record written in two pieces (as stdio may flush it): the first piece is not damage.
TEST_F(JournalTailTest, AHalfWrittenRecordIsWaitedForNotTakenForDamage) {
  std::string record;
  {
    Journal journal(JournalConfig{file(), 1u << 30, 4, 1u << 16, 64, 1});
    JournalProducer& p = journal.make_producer();
    const std::string t = text_of(7);
    ASSERT_TRUE(p.record(JournalKind::frame, t.data(), t.size(), 7));
  }
  std::ifstream in(file(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string header = bytes.substr(0, kJournalFileHeaderBytes);
  record = bytes.substr(kJournalFileHeaderBytes);
  const std::string path = (scratch.path() / "half.fwj").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << header;
  }
  JournalTail tail(path, JournalTail::Start::beginning);
  for (const std::size_t cut : {std::size_t{10}, std::size_t{30}, record.size()}) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << header << record.substr(0, cut);
    out.close();
    std::string got;
    JournalRecordHeader h{};
    const TailRead r = tail.next(got, h);
    if (cut < record.size()) {
      EXPECT_EQ(r, TailRead::none) << "cut at " << cut;
    } else {
      ASSERT_EQ(r, TailRead::record);
      EXPECT_EQ(got.substr(sizeof h), text_of(7));
    }
  }
  EXPECT_EQ(tail.counters().damaged, 0u);
}

TEST_F(JournalTailTest, ADamagedRecordIsPassedOverOnceAndTheNextOneRead) {
  {
    Journal journal(JournalConfig{file(), 1u << 30, 4, 1u << 16, 64, 1});
    JournalProducer& p = journal.make_producer();
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(p.record(JournalKind::frame, text_of(i).data(), text_of(i).size(), 0));
  }
  // Flip a byte in the second record's header (its length field).
  std::fstream f(file(), std::ios::in | std::ios::out | std::ios::binary);
  const std::size_t second =
      kJournalFileHeaderBytes + sizeof(JournalRecordHeader) + text_of(0).size();
  f.seekp(static_cast<std::streamoff>(second));
  f.put('\x7f');
  f.close();
  JournalTail tail(file(), JournalTail::Start::beginning);
  std::string got;
  JournalRecordHeader h{};
  ASSERT_EQ(tail.next(got, h), TailRead::record);
  got.clear();
  EXPECT_EQ(tail.next(got, h), TailRead::damaged);
  EXPECT_NE(tail.error().find("header checksum"), std::string::npos) << tail.error();
  EXPECT_NE(tail.error().find("byte " + std::to_string(second)), std::string::npos);
  ASSERT_EQ(tail.next(got, h), TailRead::record);
  EXPECT_EQ(got.substr(sizeof h), text_of(2));
  EXPECT_EQ(tail.next(got, h), TailRead::none);
  EXPECT_EQ(tail.counters().damaged, 1u);
  EXPECT_EQ(tail.counters().records, 2u);
}

TEST_F(JournalTailTest, RefusesAFileThatIsNotAJournal) {
  {
    std::ofstream out(file());
    out << "{\"type\":\"myOrder\"}\n";
  }
  EXPECT_THROW(JournalTail(file(), JournalTail::Start::beginning), std::runtime_error);
  EXPECT_THROW(JournalTail((scratch.path() / "none").string()), std::runtime_error);
}

}  // namespace
}  // namespace fillwire
