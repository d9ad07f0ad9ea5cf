// A journal's replay reproduces the live state: stream frames and resync events written by the
// journal, read back by FileReplaySource and applied to a fresh AccountState, as `fillwire replay`
// does (here on one thread). A resync event is journaled as its exact bytes (resync_event), so a
// cut identifier keeps its flag and hash; the older JSON records (resync) still replay as before.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "../support/account.hpp"
#include "../support/balance_events.hpp"
#include "../support/frames.hpp"
#include "../support/resync_event.hpp"
#include "../support/scratch_dir.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/account_summary.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/detail/journal_event.hpp"
#include "fillwire/encoder.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/replay_source.hpp"

namespace fillwire {
namespace {

namespace fs = std::filesystem;

// The ring's part, on one thread: each published event applied at once. A claimed slot's seq is
// the ring's (OrderRing::publish writes it): `seqs` keeps what a publish finds there, to show that
// no source writes it.
constexpr std::uint64_t kRingsSeq = 0x5EC0'0000'0000'0001;
struct ApplySink {
  AccountState* state;
  std::vector<std::uint64_t> seqs;
  OrderEvent slot{};
  OrderEvent& claim() noexcept {
    slot.seq = kRingsSeq;
    return slot;
  }
  void publish() noexcept {
    if (seqs.size() < seqs.capacity()) seqs.push_back(slot.seq);
    state->apply(slot);
  }
};

class JournalReplay : public ::testing::Test {
 protected:
  test::ScratchDir scratch{"fillwire-journal-replay"};
  const fs::path dir = scratch.path();
  std::string path = (dir / "journal.fwj").string();

  // Replays `path` into `state`; returns the source (for its counters) after the last poll.
  std::unique_ptr<FileReplaySource> replay(AccountState& state, bool skip_damaged = false,
                                           std::vector<std::string>* notices = nullptr) {
    auto source = std::make_unique<FileReplaySource>(
        path, FrameReaderConfig{Decoder::kDefaultMaxFrame, skip_damaged},
        [notices](std::string_view text) {
          if (notices != nullptr) notices->emplace_back(text);
        });
    sink = std::make_unique<ApplySink>();
    sink->state = &state;
    sink->seqs.reserve(64);
    while (source->poll(*sink) != SourceStatus::done) {
    }
    return source;
  }
  std::unique_ptr<ApplySink> sink;
};

// The frame the exchange would send for `e`, with `identifier` as its full identifier text.
std::string stream_frame(OrderEvent e, std::string_view identifier) {
  e.identifier.assign("IDENTIFIER-HERE");
  e.present |= field_bit(Field::identifier);
  std::string json = encode(e);
  json.replace(json.find("IDENTIFIER-HERE"), 15, identifier);
  return json;
}

TEST_F(JournalReplay, ResyncEventWithACutIdentifierReplaysToTheLiveStateExactly) {
  const std::string whole(test::kLongIdentifier);
  const OrderEvent other = test::resync_order("short-1", 2);  // a stream order
  const OrderEvent opened = test::resync_order(whole, 1);     // from a resync, identifier cut
  ASSERT_TRUE(opened.identifier.cut());
  OrderEvent done = opened;  // the stream closes it, with the identifier's full text
  done.state = OrderState::cancel;
  done.timestamp += 1000;
  const std::string frames[] = {stream_frame(other, "short-1"), stream_frame(done, whole)};

  // The live run: frames decoded and applied, the resync event applied as published; journaled.
  auto live = std::make_unique<AccountState>(test::small_account());
  {
    Journal journal(JournalConfig{path, 1u << 30, 4, 1u << 16, 64, 1});
    JournalProducer& producer = journal.make_producer();
    Decoder decoder;
    OrderEvent e;
    ASSERT_TRUE(producer.record(JournalKind::frame, frames[0].data(), frames[0].size(), 1));
    ASSERT_TRUE(test::decode_one(decoder, frames[0], e).error.ok());
    live->apply(e);
    ASSERT_TRUE(journal_event(producer, opened, 2));
    live->apply(opened);
    const Order* o = live->find_by_identifier(whole);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->state, OrderState::wait);
    ASSERT_TRUE(producer.record(JournalKind::frame, frames[1].data(), frames[1].size(), 3));
    ASSERT_TRUE(test::decode_one(decoder, frames[1], e).error.ok());
    ASSERT_TRUE(e.identifier.cut());
    live->apply(e);
    journal.flush();
  }

  auto replayed = std::make_unique<AccountState>(test::small_account());
  const auto source = replay(*replayed);
  EXPECT_FALSE(source->stopped()) << source->error();
  const ReplayCounters& c = source->counters();
  EXPECT_EQ(c.frames, 2u);
  EXPECT_EQ(c.event_records, 1u);
  EXPECT_EQ(c.events, 3u);
  EXPECT_EQ(c.failed_frames + c.damaged + c.oversized, 0u);
  EXPECT_EQ(sink->seqs, (std::vector<std::uint64_t>(3, kRingsSeq)))
      << "a journaled event's seq is the ring's, as any event's";

  // The order found by its identifier's full text: cut flag and hash as live, one order not two.
  const Order* o = replayed->find_by_identifier(whole);
  ASSERT_NE(o, nullptr);
  EXPECT_TRUE(o->identifier.cut());
  EXPECT_EQ(o->identifier.hash(), fnv1a64(whole));
  EXPECT_EQ(o->state, OrderState::cancel);
  const Order* l = live->find_by_identifier(whole);
  ASSERT_NE(l, nullptr);
  EXPECT_TRUE(o->identifier == l->identifier);
  EXPECT_EQ(o->uuid, l->uuid);
  EXPECT_EQ(o->events_applied, l->events_applied);
  EXPECT_EQ(o->locked, l->locked);
  EXPECT_EQ(replayed->orders().open_size(), live->orders().open_size());
  EXPECT_EQ(replayed->orders().completed_size(), live->orders().completed_size());
  EXPECT_NE(replayed->find_by_identifier("short-1"), nullptr);
  EXPECT_EQ(std::memcmp(&replayed->counters(), &live->counters(), sizeof(ApplyCounters)), 0);
}

// A live run with balances, journaled: the resync's /v1/accounts list (FWAS records), myOrder
// frames and a myAsset frame of two currencies. Its replay (as `fillwire replay --json` does:
// summary_json of the replayed account) gives the live balances, worked by hand
// (tests/data/balances.expected.md, steps R0, 1, 2, R2):
//   R0 resync (1000): KRW 1,000,000,000 / 0, BTC 0.1 / 0
//   A BID 1.0 @ 100,000,000 wait (1100), locked 100,050,000; trade 0.4 (1200): funds 40,000,000,
//   fee 20,000, locked 60,030,000
//   myAsset (1210): KRW 899,950,000 / 60,030,000 (total 959,980,000), BTC 0.5 / 0
// Values at the mark 100,000,000: KRW 959,980,000, BTC 50,000,000; 1,009,980,000 in all.
TEST_F(JournalReplay, AJournalWithBalanceReportsReplaysToTheLiveBalances) {
  AssetEvent krw = test::balance_report("KRW", 1'000'000'000, 0, 1000, 1, EventOrigin::resync);
  AssetEvent btc = test::balance_report("BTC", 0.1, 0, 1000, 1, EventOrigin::resync);
  krw.count = btc.count = 2;
  btc.index = 1;
  OrderEvent resync[2]{};  // seq and recv_ts zero, as a producer would have stamped them
  store_asset(resync[0], krw);
  store_asset(resync[1], btc);
  OrderEvent wait = test::order_step(1, "KRW-BTC", Side::bid, 100'000'000, 1.0,
                                     {OrderState::wait, 1100, 0, 0, 0, 0, 100'050'000});
  OrderEvent trade =
      test::order_step(1, "KRW-BTC", Side::bid, 100'000'000, 0.4,
                       {OrderState::trade, 1200, 0.4, 40'000'000, 20'000, 1, 60'030'000});
  const std::string frames[] = {
      encode(wait), encode(trade),
      R"({"type":"myAsset","asset_uuid":"e635f223-1609-4969-8fb6-4376937baad6","assets":[)"
      R"({"currency":"KRW","balance":899950000,"locked":60030000},)"
      R"({"currency":"BTC","balance":0.5,"locked":0}],"asset_timestamp":1210,"timestamp":1210,)"
      R"("stream_type":"REALTIME"})"};

  auto live = std::make_unique<AccountState>(test::small_account());
  {
    Journal journal(JournalConfig{path, 1u << 30, 4, 1u << 16, 64, 1});
    JournalProducer& producer = journal.make_producer();
    ASSERT_TRUE(journal_event(producer, resync[0], 1));
    ASSERT_TRUE(journal_event(producer, resync[1], 2));
    live->apply(resync[0]);
    live->apply(resync[1]);
    Decoder decoder;
    ApplySink apply{live.get(), {}, {}};
    for (std::size_t i = 0; i < std::size(frames); ++i) {
      ASSERT_TRUE(producer.record(JournalKind::frame, frames[i].data(), frames[i].size(), 3 + i));
      const test::PaddedFrame f(frames[i]);
      ASSERT_TRUE(decoder.decode(f.data(), f.size(), EventSink{apply}).error.ok()) << frames[i];
    }
    journal.flush();
  }
  ASSERT_EQ(live->counters().assets_applied, 4u);

  auto replayed = std::make_unique<AccountState>(test::small_account());
  const auto source = replay(*replayed);
  EXPECT_FALSE(source->stopped()) << source->error();
  EXPECT_EQ(source->counters().event_records, 2u);
  EXPECT_EQ(source->counters().frames, 3u);
  EXPECT_EQ(source->counters().failed_frames, 0u);

  const auto j = nlohmann::json::parse(summary_json(*replayed));
  const auto& b = j.at("balances");
  ASSERT_EQ(b.size(), 2u) << b;
  EXPECT_EQ(b.at("KRW").at("available").get<double>(), 899'950'000.0);
  EXPECT_EQ(b.at("KRW").at("locked").get<double>(), 60'030'000.0);
  EXPECT_EQ(b.at("KRW").at("total").get<double>(), 959'980'000.0);
  EXPECT_EQ(b.at("KRW").at("value_krw").get<double>(), 959'980'000.0);
  EXPECT_EQ(b.at("KRW").at("updates").get<int>(), 2);
  EXPECT_EQ(b.at("KRW").at("asset_timestamp").get<std::int64_t>(), 1210);
  EXPECT_EQ(b.at("KRW").at("asset_uuid"), "e635f223-1609-4969-8fb6-4376937baad6");
  EXPECT_EQ(b.at("BTC").at("total").get<double>(), 0.5);
  EXPECT_EQ(b.at("BTC").at("value_krw").get<double>(), 50'000'000.0);
  EXPECT_EQ(j.at("balances_value_krw").at("total").get<double>(), 1'009'980'000.0);
  EXPECT_TRUE(j.at("drifts").empty());
  EXPECT_EQ(j.at("counters").at("drifts_reported").get<int>(), 0);
  EXPECT_TRUE(b.at("KRW").at("pending_total").is_null()) << "the fills explain every change";
  // Everything the live account says of its balances, the replay says too.
  const auto l = nlohmann::json::parse(summary_json(*live));
  EXPECT_EQ(b, l.at("balances"));
  EXPECT_EQ(j.at("positions"), l.at("positions"));
  EXPECT_EQ(j.at("counters").at("assets_applied"), l.at("counters").at("assets_applied"));
}

// Journals written before resync_event hold resync events as JSON (kind 4): still replayed as
// frames. They lose what the JSON cannot say: a cut identifier reads back whole and shorter.
TEST_F(JournalReplay, OldResyncJsonRecordsStillReplayAsBefore) {
  const std::string short_json = encode(test::resync_order("short-1", 2));
  const std::string cut_json = encode(test::resync_order(test::kLongIdentifier, 1));
  {
    Journal journal(JournalConfig{path, 1u << 30, 4, 1u << 16, 64, 1});
    JournalProducer& producer = journal.make_producer();
    ASSERT_TRUE(producer.record(JournalKind::resync, short_json.data(), short_json.size(), 1));
    ASSERT_TRUE(producer.record(JournalKind::resync, cut_json.data(), cut_json.size(), 2));
    journal.flush();
  }
  auto replayed = std::make_unique<AccountState>(test::small_account());
  const auto source = replay(*replayed);
  EXPECT_FALSE(source->stopped()) << source->error();
  EXPECT_EQ(source->counters().frames, 2u);
  EXPECT_EQ(source->counters().events, 2u);
  EXPECT_EQ(source->counters().event_records, 0u);
  const Order* o = replayed->find_by_identifier("short-1");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->state, OrderState::wait);
  EXPECT_EQ(o->locked, 50025000.0);
  // The loss resync_event records exist to avoid.
  EXPECT_EQ(replayed->find_by_identifier(test::kLongIdentifier), nullptr);
  const Order* kept = replayed->find_by_identifier(test::kLongIdentifier.substr(0, 37));
  ASSERT_NE(kept, nullptr);
  EXPECT_FALSE(kept->identifier.cut());
}

TEST_F(JournalReplay, ARefusedResyncEventStopsTheReplayOrIsSkippedAndTold) {
  char bad[kJournalEventPayloadBytes];
  OrderEvent odd = test::resync_order("odd-1", 3);
  encode_journal_event(odd, bad);
  bad[8 + offsetof(OrderEvent, order_type)] = 9;
  const std::string frame = encode(test::resync_order("short-1", 2));
  {
    Journal journal(JournalConfig{path, 1u << 30, 4, 1u << 16, 64, 1});
    JournalProducer& producer = journal.make_producer();
    ASSERT_TRUE(producer.record(JournalKind::frame, frame.data(), frame.size(), 1));
    ASSERT_TRUE(producer.record(JournalKind::resync_event, bad, sizeof bad, 2));
    ASSERT_TRUE(journal_event(producer, test::resync_order(test::kLongIdentifier, 1), 3));
    journal.flush();
  }
  const std::string why = "record 2 at byte " + std::to_string(8 + 24 + frame.size()) +
                          ": resync event with an invalid order_type 9";

  auto stopped = std::make_unique<AccountState>(test::small_account());
  const auto stop = replay(*stopped);
  EXPECT_TRUE(stop->stopped());
  EXPECT_EQ(stop->error(), why);
  EXPECT_EQ(stop->counters().damaged, 1u);
  EXPECT_EQ(stop->counters().events, 1u) << "the frame before it, nothing after";
  EXPECT_EQ(stopped->find_by_identifier(test::kLongIdentifier), nullptr);

  auto skipped = std::make_unique<AccountState>(test::small_account());
  std::vector<std::string> notices;
  const auto skip = replay(*skipped, true, &notices);
  EXPECT_FALSE(skip->stopped());
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0], why + ": skipped");
  EXPECT_EQ(skip->counters().damaged, 1u);
  EXPECT_EQ(skip->counters().event_records, 1u);
  EXPECT_EQ(skip->counters().events, 2u);
  EXPECT_EQ(skipped->find_by_identifier("odd-1"), nullptr);
  EXPECT_NE(skipped->find_by_identifier(test::kLongIdentifier), nullptr);
}

// read_frame_lines (ReplaySource's input) holds frames only: it refuses an event record by name.
TEST_F(JournalReplay, ReadFrameLinesRefusesAResyncEventRecordNamingIt) {
  {
    Journal journal(JournalConfig{path, 1u << 30, 4, 1u << 16, 64, 1});
    JournalProducer& producer = journal.make_producer();
    ASSERT_TRUE(journal_event(producer, test::resync_order("id-1"), 1));
    journal.flush();
  }
  try {
    (void)read_frame_lines(path);
    ADD_FAILURE() << "a resync event was read as a frame";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("record 1 at byte 8: a resync event, not a frame"),
              std::string::npos)
        << e.what();
  }
}

// A resync's balance is journaled as its exact AssetEvent bytes (FWAS) and read back whole.
TEST(JournalEvent, AResyncBalanceIsJournaledAsItsBytesAndCheckedOnTheWayBack) {
  AssetEvent a = make_asset_event(EventOrigin::resync);
  a.seq = 41;
  a.recv_ts = 7;
  a.balance = 1234.5;
  a.locked = 0.25;
  a.asset_timestamp = a.timestamp = 1'700'000'000'000;
  a.index = 1;
  a.count = 2;
  a.stream_type = StreamType::snapshot;
  a.type_known = 1;
  ASSERT_TRUE(a.currency.assign("BTC"));
  OrderEvent slot{};
  store_asset(slot, a);
  slot.seq = a.seq;
  slot.recv_ts = a.recv_ts;
  char payload[kJournalEventPayloadBytes];
  encode_journal_event(slot, payload);
  EXPECT_EQ(std::string_view(payload, 4), "FWAS");

  OrderEvent back{};
  std::string why;
  ASSERT_EQ(read_journal_event(payload, sizeof payload, back, why), JournalEventError::none) << why;
  EXPECT_EQ(back.seq, 0u) << "the ring's number is not journaled: a replay's ring numbers its own";
  EXPECT_EQ(back.recv_ts, slot.recv_ts);
  EXPECT_EQ(std::memcmp(reinterpret_cast<const char*>(&back) + kWireFieldsBegin,
                        reinterpret_cast<const char*>(&slot) + kWireFieldsBegin,
                        sizeof slot - kWireFieldsBegin),
            0);
  EXPECT_EQ(back.kind, EventKind::asset);
  const AssetEvent b = asset_of(back);
  EXPECT_EQ(b.currency.view(), "BTC");
  EXPECT_EQ(b.balance, 1234.5);

  payload[8 + offsetof(AssetEvent, index)] = 2;  // index 2 of 2
  EXPECT_EQ(read_journal_event(payload, sizeof payload, back, why), JournalEventError::bad_value);
  EXPECT_EQ(why, "resync balance with an invalid index 2 of 2");
  payload[8 + offsetof(AssetEvent, index)] = 1;
  payload[8 + offsetof(AssetEvent, currency)] = 16;  // a length past CurrencyCode's 15
  EXPECT_EQ(read_journal_event(payload, sizeof payload, back, why), JournalEventError::bad_value);
  EXPECT_EQ(why, "resync balance with an invalid currency length 16");
  payload[8 + offsetof(AssetEvent, currency)] = 3;
  payload[4] = 9;  // another AssetEvent layout
  EXPECT_EQ(read_journal_event(payload, sizeof payload, back, why), JournalEventError::layout);
  // An order record never passes for a balance, nor a balance for an order.
  OrderEvent order = test::resync_order("o-1", 1);
  order.kind = EventKind::asset;
  encode_journal_event(order, payload);
  EXPECT_NE(read_journal_event(payload, sizeof payload, back, why), JournalEventError::none);
  std::memcpy(payload, kJournalEventMagic, 4);
  EXPECT_EQ(read_journal_event(payload, sizeof payload, back, why), JournalEventError::bad_value);
  EXPECT_EQ(why, "resync event with an invalid kind 2");
}

}  // namespace
}  // namespace fillwire
