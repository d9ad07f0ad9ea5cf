// FrameReader: the offline tools' input in bounded memory (JSON Lines and journals).

#include "fillwire/frame_reader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fillwire/decoder.hpp"

namespace fillwire {
namespace {

namespace fs = std::filesystem;

std::string data_path(const std::string& name) {
  return std::string(FILLWIRE_TEST_DATA) + "/" + name;
}

class FrameReaderTest : public ::testing::Test {
 protected:
  fs::path dir = fs::path(::testing::TempDir()) /
                 ("fillwire-frames-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
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

}  // namespace
}  // namespace fillwire
