// myAsset frames (PROTOCOL.md §8): decoding in both name forms and in list frames, every bad input,
// all-or-nothing publication, the fast path's hand-over, and the encoder's round trip.

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../support/frames.hpp"
#include "fillwire/asset_event.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/encoder.hpp"

namespace fillwire {
namespace {

using test::PaddedFrame;
using test::read_file;
using test::read_lines;

// Collects published slots; each claim is stamped like a producer's (seq, recv_ts).
struct SlotSink {
  std::vector<OrderEvent> published;
  OrderEvent slot{};
  std::uint64_t next_seq = 100;
  OrderEvent& claim() noexcept {
    std::memset(&slot, 0xAB, sizeof slot);  // a reused slot: the decoder must write all of it
    slot.seq = next_seq;
    slot.recv_ts = 4242;
    return slot;
  }
  void publish() noexcept {
    published.push_back(slot);
    ++next_seq;
  }
  [[nodiscard]] std::vector<AssetEvent> assets() const {
    std::vector<AssetEvent> out;
    for (const OrderEvent& e : published) {
      if (e.kind == EventKind::asset) out.push_back(asset_of(e));
    }
    return out;
  }
};

FrameResult decode_into(Decoder& d, std::string_view json, SlotSink& sink) {
  PaddedFrame f(json);
  return d.decode(f.data(), f.size(), EventSink{sink});
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  if (at == std::string::npos) throw std::logic_error("no '" + from + "' in " + s);
  return s.replace(at, from.size(), to);
}

std::string sample_default() {
  return read_lines("myasset-default.json").at(0);
}
std::string sample_simple() {
  return read_lines("myasset-simple.json").at(0);
}

constexpr std::uint32_t kAllAssetBits = (1u << kAssetFieldCount) - 1;

// Every field of the sample frames (tests/data/myasset-*.json), both currencies.
void expect_sample_events(const SlotSink& sink) {
  ASSERT_EQ(sink.published.size(), 2u);
  const std::vector<AssetEvent> a = sink.assets();
  ASSERT_EQ(a.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(a[i].kind, EventKind::asset);
    EXPECT_EQ(a[i].origin, EventOrigin::stream);
    EXPECT_EQ(a[i].seq, 100 + i);  // the producer's stamp, kept
    EXPECT_EQ(a[i].recv_ts, 4242u);
    EXPECT_EQ(a[i].type_known, 1);
    EXPECT_EQ(a[i].asset_uuid.to_string(), "e635f223-1609-4969-8fb6-4376937baad6");
    EXPECT_EQ(a[i].asset_timestamp, 1710751597500);
    EXPECT_EQ(a[i].timestamp, 1710751597512);
    EXPECT_EQ(a[i].stream_type, StreamType::realtime);
    EXPECT_EQ(a[i].index, i);
    EXPECT_EQ(a[i].count, 2u);
    EXPECT_EQ(a[i].present, kAllAssetBits);
    EXPECT_EQ(a[i].is_last_in_frame(), i == 1);
    // Everything past the fields is zero, whatever the slot held before.
    for (const std::uint8_t b : a[i].reserved_)
      ASSERT_EQ(b, 0);
    for (const std::uint8_t b : a[i].tail_)
      ASSERT_EQ(b, 0);
  }
  EXPECT_EQ(a[0].currency.view(), "KRW");
  EXPECT_EQ(a[0].balance, 9948572.5);
  EXPECT_EQ(a[0].locked, 50025.0);
  EXPECT_EQ(a[0].total(), 9998597.5);
  EXPECT_EQ(a[1].currency.view(), "BTC");
  EXPECT_EQ(a[1].balance, 0.12345678);
  EXPECT_EQ(a[1].locked, 0.005);
}

TEST(AssetDecoder, DecodesSampleFrameDefaultNames) {
  Decoder d;
  SlotSink sink;
  const auto r = decode_into(d, sample_default(), sink);
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  EXPECT_EQ(r.kind, FrameKind::asset);
  EXPECT_EQ(r.events, 2u);
  EXPECT_EQ(r.asset_events, 2u);
  EXPECT_EQ(r.asset_frames, 1u);
  expect_sample_events(sink);
  EXPECT_EQ(d.stats().asset_frames, 1u);
  EXPECT_EQ(d.stats().asset_events, 2u);
  EXPECT_EQ(d.stats().events, 2u);
  EXPECT_EQ(d.stats().unknown_keys, 0u);
  EXPECT_EQ(d.stats().failed_frames, 0u);
}

TEST(AssetDecoder, DecodesSampleFrameSimpleNames) {
  Decoder d;
  SlotSink sink;
  const auto r = decode_into(d, sample_simple(), sink);
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  EXPECT_EQ(r.kind, FrameKind::asset);
  expect_sample_events(sink);
}

TEST(AssetDecoder, MixedNamingFormsAreAccepted) {
  Decoder d;
  SlotSink sink;
  const auto r = decode_into(
      d,
      R"({"ty":"myAsset","asset_uuid":"e635f223-1609-4969-8fb6-4376937baad6","ast":[)"
      R"({"cu":"KRW","balance":9948572.5,"l":50025.0},{"currency":"BTC","b":0.12345678,)"
      R"("locked":0.005}],"asttms":1710751597500,"timestamp":1710751597512,"st":"REALTIME"})",
      sink);
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  expect_sample_events(sink);
}

// The members of a flat JSON object's text (nested values kept whole).
std::vector<std::string> members(const std::string& object) {
  std::vector<std::string> out;
  int depth = 0;
  bool in_string = false;
  std::size_t start = 1;
  for (std::size_t i = 1; i + 1 < object.size(); ++i) {
    const char c = object[i];
    if (c == '"' && object[i - 1] != '\\') in_string = !in_string;
    if (in_string) continue;
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(object.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(object.substr(start, object.size() - 1 - start));
  return out;
}

std::string object_of(const std::vector<std::string>& m) {
  std::string s = "{";
  for (std::size_t i = 0; i < m.size(); ++i)
    s += (i ? "," : "") + m[i];
  return s + "}";
}

TEST(AssetDecoder, FieldOrderDoesNotMatter) {
  // Frame fields and each element's fields shuffled: always the same events.
  for (const std::string& sample : {sample_default(), sample_simple()}) {
    std::vector<std::string> frame = members(sample);
    ASSERT_EQ(frame.size(), 6u);
    auto assets = std::find_if(frame.begin(), frame.end(), [](const std::string& m) {
      return m.starts_with("\"assets\"") || m.starts_with("\"ast\"");
    });
    ASSERT_NE(assets, frame.end());
    const std::string key = assets->substr(0, assets->find(':') + 1);
    const std::string list = assets->substr(key.size() + 1, assets->size() - key.size() - 2);
    std::vector<std::vector<std::string>> elements;
    for (const std::string& e :
         {list.substr(0, list.find("},{") + 1), list.substr(list.find("},{") + 2)}) {
      elements.push_back(members(e));
      ASSERT_EQ(elements.back().size(), 3u) << e;
    }
    Decoder d;
    std::mt19937 rng(16);
    for (int round = 0; round < 100; ++round) {
      for (auto& e : elements)
        std::shuffle(e.begin(), e.end(), rng);
      *assets = key + "[" + object_of(elements[0]) + "," + object_of(elements[1]) + "]";
      std::shuffle(frame.begin(), frame.end(), rng);
      assets = std::find_if(frame.begin(), frame.end(),
                            [&](const std::string& m) { return m.starts_with(key); });
      const std::string json = object_of(frame);
      SlotSink sink;
      const auto r = decode_into(d, json, sink);
      ASSERT_TRUE(r.error.ok()) << json << " -> " << to_string(r.error.code);
      expect_sample_events(sink);
      if (HasFatalFailure()) FAIL() << json;
    }
  }
}

TEST(AssetDecoder, NullIsAbsentAndUnknownKeysAreSkippedAndCounted) {
  const std::string json = replace(
      replace(replace(sample_default(), R"("stream_type":"REALTIME")", R"("stream_type":null)"),
              R"("locked":0.005})", R"("locked":0.005,"avg_buy_price":"1.5","x":{"y":[1]}})"),
      R"("type":"myAsset",)", R"("type":"myAsset","new_field":[1,{"a":2}],)");
  Decoder d;
  SlotSink sink;
  const auto r = decode_into(d, json, sink);
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  const auto a = sink.assets();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_FALSE(a[0].has(AssetField::stream_type));
  EXPECT_EQ(a[0].stream_type, StreamType::unknown);
  EXPECT_EQ(a[1].present, kAllAssetBits & ~asset_field_bit(AssetField::stream_type));
  EXPECT_EQ(a[1].locked, 0.005);
  EXPECT_EQ(d.stats().unknown_keys, 3u);  // one in the frame, two in the second element
}

// PROTOCOL.md §8 written out by hand: names, SIMPLE names, and which fields must be there.
TEST(Decoder, AssetFieldTableMatchesTheProtocol) {
  const std::vector<std::pair<std::string_view, std::string_view>> protocol = {
      {"type", "ty"},       {"asset_uuid", "astuid"},
      {"assets", "ast"},    {"asset_timestamp", "asttms"},
      {"timestamp", "tms"}, {"stream_type", "st"},
      {"currency", "cu"},   {"balance", "b"},
      {"locked", "l"}};
  ASSERT_EQ(protocol.size(), kAssetFieldCount);
  for (std::size_t i = 0; i < kAssetFieldCount; ++i) {
    EXPECT_EQ(kAssetDefaultNames[i], protocol[i].first);
    EXPECT_EQ(kAssetSimpleNames[i], protocol[i].second);
  }
  EXPECT_EQ(kRequiredAssetFields,
            kAllAssetBits & ~asset_field_bit(AssetField::stream_type));  // all but stream_type
  EXPECT_EQ(kAssetFields[static_cast<std::size_t>(AssetField::assets)].kind, FieldKind::asset_list);
}

// --- bad input ------------------------------------------------------------------------------

struct BadAsset {
  const char* name;
  std::string json;
  DecodeErrc code;
  AssetField field;
  std::int32_t index;  // the element of `assets` at fault, or -1
  FrameKind kind = FrameKind::asset;
};

class AssetDecoderBadInput : public ::testing::TestWithParam<BadAsset> {};

TEST_P(AssetDecoderBadInput, GivesTypedErrorAndPublishesNothing) {
  const BadAsset& c = GetParam();
  for (const bool fast : {true, false}) {
    Decoder d;
    d.set_fast_path(fast);
    SlotSink sink;
    const auto r = decode_into(d, c.json, sink);
    EXPECT_EQ(r.error.code, c.code) << c.json << " -> " << to_string(r.error.code);
    EXPECT_EQ(r.error.asset_field, c.field) << c.json << " -> " << field_name(r.error.asset_field);
    EXPECT_EQ(r.error.asset_index, c.index) << c.json;
    EXPECT_EQ(r.error.field, Field::none) << c.json;
    EXPECT_EQ(r.kind, c.kind) << c.json;
    EXPECT_EQ(r.events, 0u);
    EXPECT_TRUE(sink.published.empty()) << c.json;
    EXPECT_EQ(d.stats().failed_frames, 1u);
    EXPECT_EQ(d.stats().by_error[static_cast<std::size_t>(c.code)], 1u);
    EXPECT_EQ(d.stats().asset_events, 0u);
  }
}

const std::string kSample =
    R"({"type":"myAsset","asset_uuid":"e635f223-1609-4969-8fb6-4376937baad6",)"
    R"("assets":[{"currency":"KRW","balance":9948572.5,"locked":50025.0},)"
    R"({"currency":"BTC","balance":0.12345678,"locked":0.005},)"
    R"({"currency":"ETH","balance":1.5,"locked":0}],)"
    R"("asset_timestamp":1710751597500,"timestamp":1710751597512,)"
    R"("stream_type":"REALTIME"})";

std::string bad(const std::string& from, const std::string& to) {
  return replace(kSample, from, to);
}

INSTANTIATE_TEST_SUITE_P(
    Catalogue, AssetDecoderBadInput,
    ::testing::Values(
        BadAsset{"missing_type", bad(R"("type":"myAsset",)", ""), DecodeErrc::missing_field,
                 AssetField::type, -1},
        BadAsset{"missing_asset_uuid",
                 bad(R"("asset_uuid":"e635f223-1609-4969-8fb6-4376937baad6",)", ""),
                 DecodeErrc::missing_field, AssetField::asset_uuid, -1},
        BadAsset{
            "missing_assets",
            bad(kSample.substr(kSample.find("\"assets\""),
                               kSample.find("\"asset_timestamp\"") - kSample.find("\"assets\"")),
                ""),
            DecodeErrc::missing_field, AssetField::assets, -1},
        BadAsset{"null_assets", bad(R"("assets":[)", R"("assets":null,"x":[)"),
                 DecodeErrc::missing_field, AssetField::assets, -1},
        BadAsset{"empty_assets",
                 replace(kSample,
                         kSample.substr(kSample.find("[{"),
                                        kSample.find("}],") + 2 - kSample.find("[{")),
                         "[]"),
                 DecodeErrc::missing_field, AssetField::assets, -1},
        BadAsset{"missing_asset_timestamp", bad(R"("asset_timestamp":1710751597500,)", ""),
                 DecodeErrc::missing_field, AssetField::asset_timestamp, -1},
        BadAsset{"missing_timestamp", bad(R"(,"timestamp":1710751597512)", ""),
                 DecodeErrc::missing_field, AssetField::timestamp, -1},
        BadAsset{"missing_currency", bad(R"("currency":"BTC",)", ""), DecodeErrc::missing_field,
                 AssetField::currency, 1},
        BadAsset{"missing_balance", bad(R"("balance":0.12345678,)", ""), DecodeErrc::missing_field,
                 AssetField::balance, 1},
        BadAsset{"missing_locked", bad(R"(,"locked":0.005)", ""), DecodeErrc::missing_field,
                 AssetField::locked, 1},
        BadAsset{"null_locked", bad(R"("locked":0.005)", R"("locked":null)"),
                 DecodeErrc::missing_field, AssetField::locked, 1},
        BadAsset{"string_balance", bad(R"("balance":0.12345678)", R"("balance":"0.12345678")"),
                 DecodeErrc::wrong_type, AssetField::balance, 1},
        BadAsset{"number_currency", bad(R"("currency":"BTC")", R"("currency":7)"),
                 DecodeErrc::wrong_type, AssetField::currency, 1},
        BadAsset{"string_timestamp", bad(R"("timestamp":1710751597512)", R"("timestamp":"1")"),
                 DecodeErrc::wrong_type, AssetField::timestamp, -1},
        BadAsset{"fractional_asset_timestamp",
                 bad(R"("asset_timestamp":1710751597500)", R"("asset_timestamp":1.5)"),
                 DecodeErrc::wrong_type, AssetField::asset_timestamp, -1},
        BadAsset{"number_uuid", bad(R"("e635f223-1609-4969-8fb6-4376937baad6")", "5"),
                 DecodeErrc::wrong_type, AssetField::asset_uuid, -1},
        BadAsset{"assets_object", bad(R"("assets":[)", R"("assets":{"a":1},"x":[)"),
                 DecodeErrc::wrong_type, AssetField::assets, -1},
        BadAsset{"assets_string",
                 replace(kSample,
                         kSample.substr(kSample.find("[{"),
                                        kSample.find("}],") + 2 - kSample.find("[{")),
                         R"("KRW")"),
                 DecodeErrc::wrong_type, AssetField::assets, -1},
        BadAsset{"long_currency", bad(R"("currency":"BTC")", R"("currency":"ABCDEFGHIJKLMNOP")"),
                 DecodeErrc::too_long, AssetField::currency, 1},
        BadAsset{"bad_uuid", bad("e635f223-1609", "e635f223-x609"), DecodeErrc::bad_uuid,
                 AssetField::asset_uuid, -1},
        BadAsset{"bad_stream_type", bad(R"("REALTIME")", R"("LIVE")"), DecodeErrc::bad_enum,
                 AssetField::stream_type, -1},
        BadAsset{"huge_balance", bad("0.12345678", "1e999"), DecodeErrc::out_of_range,
                 AssetField::balance, 1},
        BadAsset{"duplicate_frame_key",
                 bad(R"("timestamp":1710751597512)", R"("timestamp":1710751597512,"tms":1)"),
                 DecodeErrc::duplicate_field, AssetField::timestamp, -1},
        BadAsset{"duplicate_element_key", bad(R"("locked":0.005)", R"("locked":0.005,"l":0)"),
                 DecodeErrc::duplicate_field, AssetField::locked, 1},
        BadAsset{"duplicate_assets", bad(R"("asset_timestamp")", R"("ast":[],"asset_timestamp")"),
                 DecodeErrc::duplicate_field, AssetField::assets, -1},
        BadAsset{"element_not_an_object",
                 bad(R"({"currency":"BTC","balance":0.12345678,)"
                     R"("locked":0.005})",
                     "42"),
                 DecodeErrc::not_an_object, AssetField::assets, 1},
        BadAsset{"element_null",
                 bad(R"({"currency":"BTC","balance":0.12345678,"locked":0.005})", "null"),
                 DecodeErrc::not_an_object, AssetField::assets, 1},
        BadAsset{"order_type_after_asset_keys",
                 replace(bad(R"("type":"myAsset",)", ""), R"("REALTIME"})",
                         R"("REALTIME","type":"myOrder"})"),
                 DecodeErrc::unsupported_type, AssetField::type, -1},
        BadAsset{"trailing_garbage", kSample + "}", DecodeErrc::malformed_json, AssetField::none,
                 -1},
        // Unbalanced: refused before it is known to be a myAsset frame.
        BadAsset{"truncated_element", kSample.substr(0, kSample.find("0.005")),
                 DecodeErrc::malformed_json, AssetField::none, -1, FrameKind::other}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(AssetDecoder, ABadElementInTheMiddlePublishesNothingOfTheFrame) {
  // The first element is good and read before the bad one: still nothing reaches the sink.
  const std::string json = bad(R"("balance":0.12345678)", R"("balance":true)");
  Decoder d;
  SlotSink sink;
  const auto r = decode_into(d, json, sink);
  EXPECT_EQ(r.error.code, DecodeErrc::wrong_type);
  EXPECT_EQ(r.error.asset_field, AssetField::balance);
  EXPECT_EQ(r.error.asset_index, 1);
  EXPECT_TRUE(sink.published.empty());
  // The decoder is left clean: the good frame next is whole.
  SlotSink next;
  ASSERT_TRUE(decode_into(d, kSample, next).error.ok());
  const auto a = next.assets();
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[2].currency.view(), "ETH");
  EXPECT_EQ(a[2].count, 3u);
}

TEST(AssetDecoder, TypeDecidesAndAssetKeysBeforeTypeMakeAnAssetFrame) {
  Decoder d;
  SlotSink sink;
  // A myOrder object with an unknown `assets` key after its type: an order, the key skipped.
  const std::string order = replace(read_file("myorder-trade-default.json"), R"("code")",
                                    R"("assets":[{"currency":"KRW"}],"code")");
  auto r = decode_into(d, order, sink);
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  EXPECT_EQ(r.kind, FrameKind::order);
  EXPECT_EQ(d.stats().unknown_keys, 1u);
  // Another type altogether is still unsupported, named on the order table.
  r = decode_into(d, replace(kSample, "myAsset", "myTrade"), sink);
  EXPECT_EQ(r.error.code, DecodeErrc::unsupported_type);
  EXPECT_EQ(r.error.field, Field::type);
  EXPECT_EQ(r.kind, FrameKind::order);
  EXPECT_EQ(sink.published.size(), 1u);
}

// --- lists ----------------------------------------------------------------------------------

TEST(AssetDecoder, ListFrameOfAssetObjects) {
  const std::string json =
      "[" + sample_simple() + "," + replace(kSample, "e635f223", "0000000a") + "]";
  Decoder d;
  SlotSink sink;
  const auto r = decode_into(d, json, sink);
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  EXPECT_EQ(r.kind, FrameKind::asset);
  EXPECT_EQ(r.events, 5u);
  EXPECT_EQ(r.asset_events, 5u);
  EXPECT_EQ(r.asset_frames, 2u);
  const auto a = sink.assets();
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a[1].index, 1u);
  EXPECT_TRUE(a[1].is_last_in_frame());
  EXPECT_EQ(a[2].index, 0u);
  EXPECT_EQ(a[2].count, 3u);
  EXPECT_EQ(a[4].asset_uuid.to_string(), "0000000a-1609-4969-8fb6-4376937baad6");
  EXPECT_EQ(d.stats().asset_frames, 2u);
}

TEST(AssetDecoder, ListFrameMixesOrdersAndAssets) {
  const auto orders = read_lines("lifecycle-simple.jsonl");
  const std::string bad_asset = replace(sample_simple(), R"("cu":"BTC")", R"("cu":null)");
  const std::string json = "[" + orders[0] + "," + sample_simple() + "," + orders[1] + "," +
                           bad_asset + "," + sample_default() + "]";
  for (const bool fast : {true, false}) {
    Decoder d;
    d.set_fast_path(fast);
    SlotSink sink;
    const auto r = decode_into(d, json, sink);
    EXPECT_EQ(r.kind, FrameKind::order);
    EXPECT_EQ(r.events, 6u);  // two orders, two frames of two currencies
    EXPECT_EQ(r.asset_events, 4u);
    EXPECT_EQ(r.asset_frames, 2u);
    EXPECT_EQ(r.rejected, 1u);  // the bad myAsset object, whole
    EXPECT_EQ(r.error.code, DecodeErrc::missing_field);
    EXPECT_EQ(r.error.asset_field, AssetField::currency);
    EXPECT_EQ(r.error.asset_index, 1);
    EXPECT_EQ(r.error.element, 3u);
    ASSERT_EQ(sink.published.size(), 6u);
    const EventKind kinds[] = {EventKind::order, EventKind::asset, EventKind::asset,
                               EventKind::order, EventKind::asset, EventKind::asset};
    for (std::size_t i = 0; i < 6; ++i) {
      EXPECT_EQ(sink.published[i].kind, kinds[i]) << i;
      EXPECT_EQ(sink.published[i].seq, 100 + i);
    }
    EXPECT_EQ(asset_of(sink.published[5]).currency.view(), "BTC");
  }
}

TEST(AssetDecoder, SingleEventFormTakesOneCurrencyAndRefusesMore) {
  Decoder d;
  const std::string one = bad(R"(,{"currency":"BTC","balance":0.12345678,"locked":0.005},)"
                              R"({"currency":"ETH","balance":1.5,"locked":0})",
                              "");
  OrderEvent out{};
  auto r = test::decode_one(d, one, out);
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  EXPECT_EQ(r.kind, FrameKind::asset);
  EXPECT_EQ(r.events, 1u);
  EXPECT_EQ(out.kind, EventKind::asset);
  EXPECT_EQ(asset_of(out).currency.view(), "KRW");
  EXPECT_EQ(asset_of(out).count, 1u);
  r = test::decode_one(d, kSample, out);
  EXPECT_EQ(r.error.code, DecodeErrc::unexpected_list);
  EXPECT_EQ(r.error.asset_field, AssetField::assets);
  EXPECT_EQ(r.events, 0u);
}

TEST(AssetDecoder, MoreCurrenciesThanACountHoldsIsOutOfRange) {
  // 65536 elements: one more than AssetEvent::count holds. Nothing is published.
  std::string json = R"({"ty":"myAsset","astuid":"e635f223-1609-4969-8fb6-4376937baad6","ast":[)";
  for (int i = 0; i < 65536; ++i)
    json += i ? R"(,{"cu":"","b":0,"l":0})" : R"({"cu":"","b":0,"l":0})";
  json += R"(],"asttms":1,"tms":1})";
  Decoder d(json.size());
  SlotSink sink;
  const auto r = decode_into(d, json, sink);
  EXPECT_EQ(r.error.code, DecodeErrc::out_of_range);
  EXPECT_EQ(r.error.asset_field, AssetField::assets);
  EXPECT_EQ(r.error.asset_index, 65535);
  EXPECT_TRUE(sink.published.empty());
  // 65535 is the most: decoded whole.
  json.replace(json.find(R"(,{"cu":"","b":0,"l":0})"), 22, "");
  const auto ok = decode_into(d, json, sink);
  ASSERT_TRUE(ok.error.ok()) << to_string(ok.error.code);
  EXPECT_EQ(ok.events, 65535u);
  EXPECT_TRUE(asset_of(sink.published.back()).is_last_in_frame());
}

// --- fast path ------------------------------------------------------------------------------

void expect_paths_agree(Decoder& fast, Decoder& general, const std::string& json) {
  SlotSink a;
  SlotSink b;
  const auto ra = decode_into(fast, json, a);
  const auto rb = decode_into(general, json, b);
  ASSERT_EQ(ra.error.code, rb.error.code) << json;
  ASSERT_EQ(ra.error.field, rb.error.field) << json;
  ASSERT_EQ(ra.error.asset_field, rb.error.asset_field) << json;
  ASSERT_EQ(ra.error.asset_index, rb.error.asset_index) << json;
  ASSERT_EQ(ra.error.element, rb.error.element) << json;
  ASSERT_EQ(ra.kind, rb.kind) << json;
  ASSERT_EQ(ra.events, rb.events) << json;
  ASSERT_EQ(ra.asset_events, rb.asset_events) << json;
  ASSERT_EQ(a.published.size(), b.published.size()) << json;
  for (std::size_t i = 0; i < a.published.size(); ++i)
    ASSERT_EQ(std::memcmp(&a.published[i], &b.published[i], sizeof(OrderEvent)), 0) << json;
}

TEST(AssetDecoder, FastPathOnAndOffGiveIdenticalResults) {
  Decoder fast;
  Decoder general;
  general.set_fast_path(false);
  const std::string order = read_lines("lifecycle-default.jsonl").at(2);
  const std::vector<std::string> seeds = {
      sample_default(),
      sample_simple(),
      kSample,
      "[" + sample_simple() + "," + order + "]",
      // Keys only myAsset has, before `type`: both paths read a myAsset frame (and fail it).
      replace(order, R"("type":"myOrder",)", R"("asset_uuid":"x","type":"myOrder",)"),
      replace(order, R"("type":"myOrder",)", R"("asttms":1,)"),
      replace(order, R"("type":"myOrder")", R"("type":"myAsset")"),
  };
  test::for_seeds_and_mutations(
      seeds, 816, 3000, [&](const std::string& json) { expect_paths_agree(fast, general, json); });
  EXPECT_GT(fast.stats().asset_events, 0u);
}

// --- encoder --------------------------------------------------------------------------------

TEST(AssetEncoder, RoundTripsInBothForms) {
  for (const std::string& json : {kSample, sample_default(), sample_simple(),
                                  replace(sample_default(), R"(,"stream_type":"REALTIME")", "")}) {
    Decoder d;
    SlotSink sink;
    ASSERT_TRUE(decode_into(d, json, sink).error.ok()) << json;
    const std::vector<AssetEvent> frame = sink.assets();
    for (const WireFormat format : {WireFormat::full, WireFormat::simple}) {
      const std::string encoded = encode(frame, format);
      ASSERT_FALSE(encoded.empty());
      SlotSink back;
      const auto r = decode_into(d, encoded, back);
      ASSERT_TRUE(r.error.ok()) << encoded << " -> " << to_string(r.error.code);
      const std::vector<AssetEvent> again = back.assets();
      ASSERT_EQ(again.size(), frame.size()) << encoded;
      for (std::size_t i = 0; i < frame.size(); ++i) {
        AssetEvent want = frame[i];
        want.seq = again[i].seq;  // the producer's stamp
        EXPECT_EQ(std::memcmp(&want, &again[i], sizeof want), 0) << encoded << " event " << i;
      }
    }
  }
  // The exchange's own text, as the samples carry it, in the exchange's field order.
  Decoder d;
  SlotSink sink;
  ASSERT_TRUE(decode_into(d, sample_simple(), sink).error.ok());
  EXPECT_EQ(encode(sink.assets(), WireFormat::simple),
            replace(sample_simple(), R"("l":50025.0})", R"("l":50025})"));
}

// A slot's asset_timestamp is read in place, and is the one the whole copy carries.
TEST(AssetSlot, TimestampReadInPlaceEqualsTheCopiedEvents) {
  AssetEvent a = make_asset_event(EventOrigin::stream);
  a.asset_timestamp = 1'796'578'080'966;
  a.timestamp = 17;
  OrderEvent slot{};
  slot.seq = 5;
  store_asset(slot, a);
  EXPECT_EQ(asset_timestamp_of(slot), 1'796'578'080'966);
  EXPECT_EQ(asset_timestamp_of(slot), asset_of(slot).asset_timestamp);
  EXPECT_EQ(slot.seq, 5u);
}

TEST(AssetEncoder, EmptyRunOrTooSmallABufferWritesNothing) {
  EXPECT_EQ(encode(std::span<const AssetEvent>{}, WireFormat::full), "");
  Decoder d;
  SlotSink sink;
  ASSERT_TRUE(decode_into(d, kSample, sink).error.ok());
  const auto frame = sink.assets();
  char buf[64];
  EXPECT_EQ(encode(frame, WireFormat::full, buf, sizeof buf), 0u);
  const std::string whole = encode(frame, WireFormat::full);
  EXPECT_LE(whole.size(), max_encoded_asset_frame(frame.size()));
}

}  // namespace
}  // namespace fillwire
