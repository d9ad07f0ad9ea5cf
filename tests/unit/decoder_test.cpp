#include "fillwire/decoder.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "../support/frames.hpp"

namespace fillwire {
namespace {

using test::decode_one;
using test::PaddedFrame;
using test::read_file;
using test::read_lines;

// Checks every field of the seed frame (frames/myorder-trade-*.json), exact doubles included.
void expect_seed_event(const OrderEvent& e) {
  EXPECT_EQ(e.kind, EventKind::order);
  EXPECT_EQ(e.type_known, 1);
  EXPECT_EQ(e.code.view(), "KRW-BTC");
  EXPECT_EQ(e.uuid.to_string(), "ac2dc2a3-fce9-40a2-a4f6-5987c25c438f");
  EXPECT_EQ(e.ask_bid, Side::bid);
  EXPECT_EQ(e.order_type, OrderType::limit);
  EXPECT_EQ(e.state, OrderState::trade);
  EXPECT_EQ(e.trade_uuid.to_string(), "68315169-fba4-4175-ade3-aff14a616657");
  EXPECT_EQ(e.price, 0.001453);
  EXPECT_EQ(e.avg_price, 0.00145372);
  EXPECT_EQ(e.volume, 30925891.29839369);
  EXPECT_EQ(e.remaining_volume, 29968038.09235948);
  EXPECT_EQ(e.executed_volume, 30925891.29839369);
  EXPECT_EQ(e.trades_count, 1u);
  EXPECT_EQ(e.reserved_fee, 44.23943970238218);
  EXPECT_EQ(e.remaining_fee, 21.77177967409916);
  EXPECT_EQ(e.paid_fee, 22.467660028283017);
  EXPECT_EQ(e.locked, 43565.33112787242);
  EXPECT_EQ(e.executed_funds, 44935.32005656603);
  EXPECT_FALSE(e.has(Field::time_in_force));  // null
  EXPECT_EQ(e.trade_fee, 22.467660028283017);
  EXPECT_EQ(e.is_maker, 1);
  EXPECT_EQ(e.identifier.view(), "test-1");
  EXPECT_EQ(e.smp_type, SmpType::cancel_maker);
  EXPECT_EQ(e.prevented_volume, 1.174291929);
  EXPECT_EQ(e.prevented_locked, 0.001706246173);
  EXPECT_EQ(e.trade_timestamp, 1710751590421);
  EXPECT_EQ(e.order_timestamp, 1710751590000);
  EXPECT_EQ(e.timestamp, 1710751597500);
  EXPECT_EQ(e.stream_type, StreamType::realtime);
  // 29 fields, all present but the null time_in_force.
  EXPECT_EQ(std::popcount(e.present), 28);
}

TEST(Decoder, DecodesSeedFrameDefaultNames) {
  Decoder d;
  OrderEvent e{};
  const auto r = decode_one(d, read_file("myorder-trade-default.json"), e);
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  EXPECT_EQ(r.kind, FrameKind::order);
  EXPECT_EQ(r.events, 1u);
  expect_seed_event(e);
  EXPECT_EQ(d.stats().unknown_keys, 0u);
}

TEST(Decoder, DecodesSeedFrameSimpleNames) {
  Decoder d;
  OrderEvent e{};
  const auto r = decode_one(d, read_file("myorder-trade-simple.json"), e);
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  expect_seed_event(e);
}

TEST(Decoder, LeavesEngineFieldsToTheProducer) {
  Decoder d;
  OrderEvent e{};
  e.seq = 77;
  e.recv_ts = 123456;
  ASSERT_TRUE(decode_one(d, read_file("myorder-trade-default.json"), e).error.ok());
  EXPECT_EQ(e.seq, 77u);
  EXPECT_EQ(e.recv_ts, 123456u);
}

TEST(Decoder, LifecycleFilesDecodeAlikeInBothForms) {
  const auto full = read_lines("lifecycle-default.jsonl");
  const auto simple = read_lines("lifecycle-simple.jsonl");
  ASSERT_EQ(full.size(), 11u);
  ASSERT_EQ(simple.size(), full.size());
  Decoder d;
  for (std::size_t i = 0; i < full.size(); ++i) {
    OrderEvent a{};
    OrderEvent b{};
    ASSERT_TRUE(decode_one(d, full[i], a).error.ok()) << "line " << i + 1;
    ASSERT_TRUE(decode_one(d, simple[i], b).error.ok()) << "line " << i + 1;
    EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0) << "line " << i + 1;
  }
  // Line 11: the SMP-prevented order.
  OrderEvent e{};
  ASSERT_TRUE(decode_one(d, full[10], e).error.ok());
  EXPECT_EQ(e.state, OrderState::prevented);
  EXPECT_EQ(e.smp_type, SmpType::cancel_taker);
  EXPECT_EQ(e.prevented_locked, 10005000.0);
  EXPECT_FALSE(e.has(Field::identifier));
  EXPECT_FALSE(e.has(Field::trade_uuid));
  EXPECT_FALSE(e.has(Field::trade_timestamp));
}

TEST(Decoder, FieldOrderDoesNotMatter) {
  // Decode the seed frame with its keys shuffled many ways: always the same event.
  const std::string seed = read_file("myorder-trade-default.json");
  Decoder reference_decoder;
  OrderEvent reference{};
  ASSERT_TRUE(decode_one(reference_decoder, seed, reference).error.ok());

  // Split the flat object into "key":value members (no nested objects in this frame).
  std::string body = seed.substr(seed.find('{') + 1, seed.rfind('}') - seed.find('{') - 1);
  std::vector<std::string> members;
  std::size_t start = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '"') in_string = !in_string;
    if (body[i] == ',' && !in_string) {
      members.push_back(body.substr(start, i - start));
      start = i + 1;
    }
  }
  members.push_back(body.substr(start));
  ASSERT_EQ(members.size(), kFieldCount);

  Decoder d;  // one decoder throughout: its learned order must never make it wrong
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::shuffle(members.begin(), members.end(), rng);
    std::string json = "{";
    for (std::size_t i = 0; i < members.size(); ++i)
      json += (i ? "," : "") + members[i];
    json += "}";
    OrderEvent e{};
    const auto r = decode_one(d, json, e);
    ASSERT_TRUE(r.error.ok()) << json;
    ASSERT_EQ(std::memcmp(&e, &reference, sizeof e), 0) << json;
  }
  EXPECT_GT(d.stats().order_misses, 0u);
}

TEST(Decoder, MixedNamingFormsInOneObjectAreAccepted) {
  Decoder d;
  OrderEvent e{};
  const auto r = decode_one(
      d,
      R"({"ty":"myOrder","code":"KRW-ETH","uid":"ac2dc2a3-fce9-40a2-a4f6-5987c25c438f","ask_bid":"ASK",)"
      R"("ot":"market","state":"wait","ev":0,"trades_count":0,"pf":0,"executed_funds":0,"tms":5})",
      e);
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  EXPECT_EQ(e.code.view(), "KRW-ETH");
  EXPECT_EQ(e.order_type, OrderType::market);
  EXPECT_EQ(e.ask_bid, Side::ask);
}

constexpr const char* kMinimal =
    R"("type":"myOrder","code":"KRW-BTC","uuid":"ac2dc2a3-fce9-40a2-a4f6-5987c25c438f",)"
    R"("ask_bid":"BID","order_type":"limit","state":"wait","executed_volume":0,)"
    R"("trades_count":0,"paid_fee":0,"executed_funds":0,"timestamp":1)";

std::string with(const std::string& extra) {
  return std::string("{") + kMinimal + extra + "}";
}

TEST(Decoder, AbsentOptionalFieldsAreNotPresent) {
  Decoder d;
  OrderEvent e{};
  ASSERT_TRUE(decode_one(d, with(""), e).error.ok());
  EXPECT_EQ(e.present, kRequiredFields);
  EXPECT_EQ(e.price, 0.0);
  EXPECT_FALSE(e.has(Field::price));
}

TEST(Decoder, NullIsAbsent) {
  Decoder d;
  OrderEvent e{};
  const auto r = decode_one(
      d,
      with(R"(,"price":null,"trade_uuid":null,"time_in_force":null,"trade_fee":null,)"
           R"("is_maker":null,"identifier":null,"smp_type":null,"trade_timestamp":null)"),
      e);
  ASSERT_TRUE(r.error.ok());
  EXPECT_EQ(e.present, kRequiredFields);
  EXPECT_EQ(d.stats().fast_frames, 1u);  // read by the fast path, each reader declining null
}

TEST(Decoder, UnknownKeysAreSkippedAndCounted) {
  Decoder d;
  OrderEvent e{};
  const auto r =
      decode_one(d, with(R"(,"new_field":{"a":[1,2,{"b":null}]},"x":"y","another":1.5e3)"), e);
  ASSERT_TRUE(r.error.ok());
  EXPECT_EQ(d.stats().unknown_keys, 3u);
  EXPECT_EQ(e.present, kRequiredFields);
}

// kMinimal with `key` set to `value`: replaced where kMinimal has the key, added otherwise.
std::string with_value(const std::string& key, const std::string& value) {
  std::string json = with("");
  const std::string quoted = "\"" + key + "\":";
  const std::size_t at = json.find(quoted);
  if (at == std::string::npos) return with("," + quoted + value);
  const std::size_t from = at + quoted.size();
  return json.replace(from, json.find_first_of(",}", from) - from, value);
}

// Every wire spelling of an enum field decodes to its value.
template <class E, std::size_t N>
void expect_every_spelling(const std::string& key, const std::string_view (&names)[N],
                           E OrderEvent::*member) {
  Decoder d;
  for (std::size_t i = 1; i < N; ++i) {
    OrderEvent e{};
    const std::string json = with_value(key, "\"" + std::string(names[i]) + "\"");
    ASSERT_TRUE(decode_one(d, json, e).error.ok()) << json;
    EXPECT_EQ(static_cast<std::size_t>(e.*member), i) << json;
  }
}

TEST(Decoder, EveryEnumValueParses) {
  expect_every_spelling("ask_bid", kSideNames, &OrderEvent::ask_bid);
  expect_every_spelling("order_type", kOrderTypeNames, &OrderEvent::order_type);
  expect_every_spelling("state", kStateNames, &OrderEvent::state);
  expect_every_spelling("time_in_force", kTimeInForceNames, &OrderEvent::time_in_force);
  expect_every_spelling("smp_type", kSmpTypeNames, &OrderEvent::smp_type);
  expect_every_spelling("stream_type", kStreamTypeNames, &OrderEvent::stream_type);
  Decoder d;
  OrderEvent e{};
  ASSERT_TRUE(decode_one(d, with(R"(,"is_maker":false)"), e).error.ok());
  EXPECT_EQ(e.is_maker, 0);
  EXPECT_TRUE(e.has(Field::is_maker));
}

// The field table's presence column, checked against PROTOCOL.md §4 written out by hand (the names
// are checked by the seed frames, which carry every field in both forms).
TEST(Decoder, FieldTablePresenceMatchesTheProtocol) {
  EXPECT_EQ(kRequiredFields, field_bit(Field::type) | field_bit(Field::code) |
                                 field_bit(Field::uuid) | field_bit(Field::ask_bid) |
                                 field_bit(Field::order_type) | field_bit(Field::state) |
                                 field_bit(Field::executed_volume) |
                                 field_bit(Field::trades_count) | field_bit(Field::paid_fee) |
                                 field_bit(Field::executed_funds) | field_bit(Field::timestamp));
  EXPECT_EQ(kNullableFields, field_bit(Field::trade_uuid) | field_bit(Field::time_in_force) |
                                 field_bit(Field::trade_fee) | field_bit(Field::is_maker) |
                                 field_bit(Field::identifier) | field_bit(Field::smp_type) |
                                 field_bit(Field::trade_timestamp));
}

struct BadCase {
  const char* name;
  std::string json;
  DecodeErrc code;
  Field field;
};

class DecoderBadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(DecoderBadInput, GivesTypedErrorAndNoEvent) {
  const BadCase& c = GetParam();
  Decoder d;
  OrderEvent e{};
  const auto r = decode_one(d, c.json, e);
  EXPECT_EQ(r.error.code, c.code) << c.json << " -> " << to_string(r.error.code);
  EXPECT_EQ(r.error.field, c.field) << c.json << " -> " << field_name(r.error.field);
  EXPECT_EQ(r.events, 0u);
  EXPECT_EQ(d.stats().failed_frames, 1u);
  EXPECT_EQ(d.stats().by_error[static_cast<std::size_t>(c.code)], 1u);
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  s.replace(s.find(from), from.size(), to);
  return s;
}

const std::string kGood = std::string("{") + kMinimal + "}";

INSTANTIATE_TEST_SUITE_P(
    Catalogue, DecoderBadInput,
    ::testing::Values(
        BadCase{"empty", "", DecodeErrc::empty_frame, Field::none},
        BadCase{"whitespace", "   \n", DecodeErrc::empty_frame, Field::none},
        BadCase{"truncated", kGood.substr(0, kGood.size() / 2), DecodeErrc::malformed_json,
                Field::none},
        BadCase{"missing_brace", kGood.substr(0, kGood.size() - 1), DecodeErrc::malformed_json,
                Field::none},
        BadCase{"trailing_garbage", kGood + " x", DecodeErrc::malformed_json, Field::none},
        BadCase{"not_json", "hello", DecodeErrc::malformed_json, Field::none},
        BadCase{"string_price", with(R"(,"price":"100")"), DecodeErrc::wrong_type, Field::price},
        BadCase{"number_uuid", replace(kGood, R"("ac2dc2a3-fce9-40a2-a4f6-5987c25c438f")", "12345"),
                DecodeErrc::wrong_type, Field::uuid},
        BadCase{"bad_uuid", replace(kGood, "ac2dc2a3-fce9", "ac2dc2a3-xce9"), DecodeErrc::bad_uuid,
                Field::uuid},
        BadCase{"short_uuid", replace(kGood, "ac2dc2a3-fce9", "ac2dc2a3-fc9"), DecodeErrc::bad_uuid,
                Field::uuid},
        BadCase{"bool_as_string", with(R"(,"is_maker":"true")"), DecodeErrc::wrong_type,
                Field::is_maker},
        BadCase{"unknown_state", replace(kGood, R"("wait")", R"("waiting")"), DecodeErrc::bad_enum,
                Field::state},
        BadCase{"unknown_side", replace(kGood, R"("BID")", R"("bid")"), DecodeErrc::bad_enum,
                Field::ask_bid},
        BadCase{"long_code", replace(kGood, "KRW-BTC", "KRW-ABCDEFGHIJKLMNOP"),
                DecodeErrc::too_long, Field::code},
        BadCase{"empty_object", "{}", DecodeErrc::unknown_frame, Field::none},
        BadCase{"array_of_one", "[" + kGood + "]", DecodeErrc::unexpected_list, Field::none},
        BadCase{"scalar", "42", DecodeErrc::not_an_object, Field::none},
        BadCase{"string_frame", R"("myOrder")", DecodeErrc::not_an_object, Field::none},
        BadCase{"null_frame", "null", DecodeErrc::not_an_object, Field::none},
        BadCase{"bare_word", "nope", DecodeErrc::malformed_json, Field::none},
        BadCase{"bare_words", "not json", DecodeErrc::malformed_json, Field::none},
        BadCase{"non_utf8", replace(kGood, "KRW-BTC", "KRW-\xff\xfe"), DecodeErrc::invalid_utf8,
                Field::none},
        BadCase{"huge_exponent", with(R"(,"price":1e999)"), DecodeErrc::out_of_range, Field::price},
        BadCase{"negative_count", replace(kGood, R"("trades_count":0)", R"("trades_count":-1)"),
                DecodeErrc::out_of_range, Field::trades_count},
        BadCase{"oversized_count",
                replace(kGood, R"("trades_count":0)", R"("trades_count":4294967296)"),
                DecodeErrc::out_of_range, Field::trades_count},
        BadCase{"fractional_count", replace(kGood, R"("trades_count":0)", R"("trades_count":1.5)"),
                DecodeErrc::wrong_type, Field::trades_count},
        BadCase{"bad_number", with(R"(,"price":1.2.3)"), DecodeErrc::malformed_json, Field::price},
        BadCase{"duplicate_key", with(R"(,"state":"done")"), DecodeErrc::duplicate_field,
                Field::state},
        BadCase{"duplicate_via_both_names", with(R"(,"s":"done")"), DecodeErrc::duplicate_field,
                Field::state},
        BadCase{"missing_uuid",
                replace(kGood, R"("uuid":"ac2dc2a3-fce9-40a2-a4f6-5987c25c438f",)", ""),
                DecodeErrc::missing_field, Field::uuid},
        BadCase{"null_required", replace(kGood, R"("state":"wait")", R"("state":null)"),
                DecodeErrc::missing_field, Field::state},
        BadCase{"other_type", replace(kGood, "myOrder", "myTrade"), DecodeErrc::unsupported_type,
                Field::type}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// Decodes a frame that carries no order event.
FrameResult decode_not_order(Decoder& d, std::string_view json) {
  OrderEvent unused{};
  return decode_one(d, json, unused);
}

TEST(Decoder, StatusFrame) {
  Decoder d;
  const auto r = decode_not_order(d, read_file("status-up.json"));
  EXPECT_TRUE(r.error.ok());
  EXPECT_EQ(r.kind, FrameKind::status);
  EXPECT_EQ(r.status.view(), "UP");
  EXPECT_EQ(r.events, 0u);
  EXPECT_EQ(d.stats().status_frames, 1u);
}

TEST(Decoder, ServerErrorFrame) {
  Decoder d;
  const auto r = decode_not_order(d, read_file("error-invalid-auth.json"));
  EXPECT_TRUE(r.error.ok());
  EXPECT_EQ(r.kind, FrameKind::error);
  EXPECT_EQ(r.server_error.name.view(), "INVALID_AUTH");
  EXPECT_EQ(r.server_error.message.view(), "Jwt token is invalid.");
  EXPECT_FALSE(r.server_error.truncated);
}

TEST(Decoder, OtherJsonObjectIsUnknownFrame) {
  Decoder d;
  const auto r = decode_not_order(
      d,
      R"({"method":"LIST_SUBSCRIPTIONS","result":[{"type":"myOrder","codes":[]}],"ticket":"x"})");
  EXPECT_EQ(r.kind, FrameKind::other);
  EXPECT_EQ(r.error.code, DecodeErrc::unknown_frame);
}

struct VectorSink {
  std::vector<OrderEvent> events;
  OrderEvent slot{};
  OrderEvent& claim() noexcept { return slot; }
  void publish() noexcept { events.push_back(slot); }
};

// Decodes `json` (a frame of any kind) through the sink form into `sink`.
FrameResult decode_into(Decoder& d, std::string_view json, VectorSink& sink) {
  PaddedFrame f(json);
  return d.decode(f.data(), f.size(), EventSink{sink});
}

// The frames as the elements of one list frame.
std::string list_frame(const std::vector<std::string>& elements) {
  std::string json = "[";
  for (std::size_t i = 0; i < elements.size(); ++i)
    json += (i ? "," : "") + elements[i];
  return json + "]";
}

TEST(Decoder, CopiedEventSinkStillReachesTheOriginalSink) {
  VectorSink target;
  EventSink outer{target};
  EventSink copy = outer;  // a copy, not a sink wrapping the (possibly temporary) outer sink
  copy.claim().seq = 5;
  copy.publish();
  ASSERT_EQ(target.events.size(), 1u);
  EXPECT_EQ(target.events[0].seq, 5u);
}

TEST(Decoder, ListFrameCarriesSeveralEvents) {
  const auto lines = read_lines("lifecycle-simple.jsonl");
  const std::string json = list_frame(lines);
  Decoder d;
  VectorSink sink;
  const auto r = decode_into(d, json, sink);
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  EXPECT_EQ(r.kind, FrameKind::order);
  EXPECT_EQ(r.events, lines.size());
  ASSERT_EQ(sink.events.size(), lines.size());
  EXPECT_EQ(sink.events[4].state, OrderState::done);
}

TEST(Decoder, ListFrameSkipsBadElementAndKeepsTheRest) {
  const auto lines = read_lines("lifecycle-default.jsonl");
  const std::string bad = replace(lines[1], R"("price":100000000.0)", R"("price":"oops")");
  const std::string json = "[" + lines[0] + "," + bad + ",42," + lines[2] + "]";
  Decoder d;
  VectorSink sink;
  const auto r = decode_into(d, json, sink);
  EXPECT_EQ(r.events, 2u);
  EXPECT_EQ(r.rejected, 2u);
  EXPECT_EQ(r.error.code, DecodeErrc::wrong_type);
  EXPECT_EQ(r.error.field, Field::price);
  EXPECT_EQ(r.error.element, 1u);
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[1].trades_count, 2u);
}

// Whether `s` is well-formed UTF-8 (simdjson's validator, the one the decoder trusts).
bool whole_utf8_characters(std::string_view s) {
  return simdjson::validate_utf8(s.data(), s.size());
}

// 16 Korean syllables: 48 bytes of UTF-8, over the 45 kept whole. Upbit sets no limit.
const std::string kLongKoreanId =
    "\xea\xb0\x80\xeb\x82\x98\xeb\x8b\xa4\xeb\x9d\xbc\xeb\xa7\x88\xeb\xb0\x94"
    "\xec\x82\xac\xec\x95\x84\xec\x9e\x90\xec\xb0\xa8\xec\xb9\xb4\xed\x83\x80"
    "\xed\x8c\x8c\xed\x95\x98\xea\xb0\x80\xeb\x82\x98";  // 가나다라마바사아자차카타파하가나

// What a cut identifier must be: flagged, hashed whole, and a prefix of whole characters.
void expect_cut(const ClientId& id, const std::string& whole) {
  EXPECT_TRUE(id.cut());
  EXPECT_EQ(id.hash(), fnv1a64(whole));
  EXPECT_TRUE(id.matches(whole));
  const std::string_view kept = id.view();
  EXPECT_EQ(kept.size(), 36u);  // 12 syllables: the 13th would end at byte 39, past the 37 kept
  EXPECT_EQ(whole.substr(0, kept.size()), kept);
  EXPECT_TRUE(whole_utf8_characters(kept));
}

TEST(Decoder, LongIdentifierKeepsTheEventCutHashedAndCounted) {
  ASSERT_EQ(kLongKoreanId.size(), 48u);
  const std::string full =
      replace(read_file("myorder-trade-default.json"), R"("identifier":"test-1")",
              "\"identifier\":\"" + kLongKoreanId + "\"");
  const std::string simple = replace(read_file("myorder-trade-simple.json"), R"("id":"test-1")",
                                     "\"id\":\"" + kLongKoreanId + "\"");
  for (const bool fast : {true, false}) {
    for (const std::string& json : {full, simple}) {
      Decoder d;
      d.set_fast_path(fast);
      OrderEvent e{};
      const auto r = decode_one(d, json, e);
      ASSERT_TRUE(r.error.ok()) << to_string(r.error.code) << " field "
                                << field_name(r.error.field);
      EXPECT_EQ(r.events, 1u);
      EXPECT_EQ(r.identifiers_cut, 1u);
      EXPECT_EQ(d.stats().identifiers_cut, 1u);
      EXPECT_TRUE(e.has(Field::identifier));
      expect_cut(e.identifier, kLongKoreanId);
      EXPECT_EQ(e.executed_funds, 44935.32005656603);  // the rest of the event is intact
    }
  }
}

TEST(Decoder, LongIdentifiersInAListFrameAreCutInEachElement) {
  const auto lines = read_lines("lifecycle-simple.jsonl");
  std::vector<std::string> elements;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string line = lines[i];
    const auto at = line.find("\"id\":");
    EXPECT_NE(at, std::string::npos) << line;
    if (i % 2 == 0 && at != std::string::npos) {
      const auto end = line.find(',', at);
      line = line.substr(0, at) + "\"id\":\"" + kLongKoreanId + "\"" + line.substr(end);
    }
    elements.push_back(line);
  }
  const std::string json = list_frame(elements);
  Decoder d;
  VectorSink sink;
  const auto r = decode_into(d, json, sink);
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  ASSERT_EQ(sink.events.size(), lines.size());
  const std::uint32_t cut = static_cast<std::uint32_t>((lines.size() + 1) / 2);
  EXPECT_EQ(r.identifiers_cut, cut);
  EXPECT_EQ(d.stats().identifiers_cut, cut);
  for (std::size_t i = 0; i < lines.size(); i += 2)
    expect_cut(sink.events[i].identifier, kLongKoreanId);
}

TEST(Decoder, IdentifiersUpToTheCapacityStayWhole) {
  const std::string id45(45, 'x');
  const std::string id46(46, 'x');
  Decoder d;
  OrderEvent e{};
  ASSERT_TRUE(decode_one(d, with(",\"identifier\":\"" + id45 + "\""), e).error.ok());
  EXPECT_FALSE(e.identifier.cut());
  EXPECT_EQ(e.identifier.view(), id45);
  EXPECT_EQ(e.identifier.hash(), fnv1a64(id45));
  ASSERT_TRUE(decode_one(d, with(",\"identifier\":\"" + id46 + "\""), e).error.ok());
  EXPECT_TRUE(e.identifier.cut());
  EXPECT_EQ(e.identifier.view(), std::string(37, 'x'));  // ASCII: cut at exactly kCutKeep
  EXPECT_TRUE(e.identifier.matches(id46));
  EXPECT_FALSE(e.identifier.matches(std::string(47, 'x')));
  EXPECT_FALSE(e.identifier.matches(std::string(37, 'x')));
  EXPECT_EQ(d.stats().identifiers_cut, 1u);
}

TEST(Decoder, JunkAfterAnObjectPublishesNothing) {
  // Found by tests/fuzz/decoder_fuzz: `{...}}` published its event and then reported the frame
  // as malformed, so the sink form delivered an event the single-event form called an error.
  const auto lines = read_lines("lifecycle-default.jsonl");
  for (const bool fast : {true, false}) {
    Decoder d;
    d.set_fast_path(fast);
    for (const std::string junk : {"}", "]", " }", "{}", " x", "\x03"}) {
      const std::string json = lines[0] + junk;
      VectorSink sink;
      const auto r = decode_into(d, json, sink);
      EXPECT_EQ(r.error.code, DecodeErrc::malformed_json) << json;
      EXPECT_EQ(r.events, 0u) << json;
      EXPECT_TRUE(sink.events.empty()) << json;
      OrderEvent e{};
      EXPECT_EQ(decode_one(d, json, e).error.code, DecodeErrc::malformed_json) << json;
    }
    // In a list frame the elements before the junk are kept; the junk is one rejected part.
    const std::string list = "[" + lines[0] + "," + lines[1] + "]]";
    VectorSink sink;
    const auto r = decode_into(d, list, sink);
    EXPECT_EQ(r.error.code, DecodeErrc::malformed_json);
    EXPECT_EQ(r.events, 2u);
    EXPECT_EQ(r.rejected, 1u);
    EXPECT_EQ(r.error.element, 2u);
    EXPECT_EQ(sink.events.size(), 2u);
  }
}

TEST(Decoder, FrameOverTheConfiguredMaximumIsRejected) {
  Decoder d(256);
  OrderEvent e{};
  const auto r = decode_one(d, read_file("myorder-trade-default.json"), e);
  EXPECT_EQ(r.error.code, DecodeErrc::frame_too_large);
}

TEST(Decoder, EscapedKeysAndValuesAreUnderstood) {
  Decoder d;
  OrderEvent e{};
  std::string json = replace(kGood, R"("state":"wait")", R"("st\u0061te":"w\u0061it")");
  const auto r = decode_one(d, json, e);
  ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
  EXPECT_EQ(e.state, OrderState::wait);
}

// The fast path may only accept what the general path accepts, with the identical event; anything
// else it must hand over. Checked on shuffled, renamed and mutated frames.
void expect_paths_agree(Decoder& fast, Decoder& general, const std::string& json) {
  OrderEvent a{};
  OrderEvent b{};
  const auto ra = decode_one(fast, json, a);
  const auto rb = decode_one(general, json, b);
  ASSERT_EQ(ra.error.code, rb.error.code) << json;
  ASSERT_EQ(ra.error.field, rb.error.field) << json;
  ASSERT_EQ(ra.kind, rb.kind) << json;
  ASSERT_EQ(ra.events, rb.events) << json;
  if (ra.error.ok() && ra.kind == FrameKind::order) {
    ASSERT_EQ(std::memcmp(&a, &b, sizeof a), 0) << json;
  }
}

TEST(Decoder, FastPathAgreesWithGeneralPath) {
  Decoder fast;
  Decoder general;
  general.set_fast_path(false);
  std::vector<std::string> seeds = read_lines("lifecycle-default.jsonl");
  for (const auto& l : read_lines("lifecycle-simple.jsonl"))
    seeds.push_back(l);
  seeds.push_back(read_file("myorder-trade-default.json"));
  seeds.push_back(read_file("myorder-trade-simple.json"));
  seeds.push_back(with(R"(,"x":1e5,"y":"z","w":true,"v":null,"u":-0.5E-3)"));
  seeds.push_back(with(R"(,"price":1234567890123456789012,"volume":1e-7,"locked":-0)"));
  seeds.push_back(with(R"(,"price":0.30000000000000004,"volume":9007199254740993)"));
  test::for_seeds_and_mutations(
      seeds, 99, 3000, [&](const std::string& json) { expect_paths_agree(fast, general, json); });
  EXPECT_GT(fast.stats().events, 0u);
}

// Numbers the fast path converts itself (up to 19 significant digits, no exponent) must come out
// bit for bit as simdjson's general path and std::from_chars give them: random decimals of every
// length and scale, shortest forms of random doubles, exact halfway points between two doubles
// (ties to even) and their neighbours, and the edges of the digit limits.
TEST(Decoder, FastPathNumbersAreCorrectlyRounded) {
  Decoder fast;
  Decoder general;
  general.set_fast_path(false);
  std::vector<std::string> numbers = {"0",
                                      "-0",
                                      "0.0",
                                      "-0.0",
                                      "1",
                                      "-1",
                                      "0.1",
                                      "0.3",
                                      "22.467660028283017",
                                      "0.0000000000000000001",
                                      "0.1234567890123456789",
                                      "9999999999999999999",
                                      "999999999999999999.9",
                                      "9007199254740992",
                                      "9007199254740993",
                                      "9007199254740993.0",
                                      "9007199254740995",
                                      "900719925474099.25",
                                      "18014398509481985",
                                      "18014398509481986",
                                      "18014398509481987",
                                      "18014398509481990",
                                      "1844674407370955161",
                                      "4503599627370496.5",
                                      "4503599627370497.5",
                                      "0.30000000000000004",
                                      "123456789012345678.9",
                                      "1.7976931348623157",
                                      "2.2250738585072014",
                                      "0.00000000000000000000000000001",
                                      "12345678901234567890",
                                      "1234567890123456789012",
                                      "1e5",
                                      "-2.5E-3",
                                      "1.5e+300"};
  std::mt19937_64 rng(20261125);
  auto decimal = [&](std::uint64_t mantissa, int fraction_digits, bool negative) {
    std::string digits = std::to_string(mantissa);
    if (fraction_digits > 0) {
      if (static_cast<int>(digits.size()) <= fraction_digits) {
        digits.insert(0, static_cast<std::size_t>(fraction_digits) + 1 - digits.size(), '0');
      }
      digits.insert(digits.size() - static_cast<std::size_t>(fraction_digits), ".");
    }
    return (negative ? "-" : "") + digits;
  };
  for (int i = 0; i < 40000; ++i) {
    // 1 to 19 significant digits, 0 to 19 of them after the point.
    const int length = 1 + static_cast<int>(rng() % 19);
    std::uint64_t limit = 1;
    for (int k = 0; k < length; ++k)
      limit *= 10;
    const std::uint64_t m = rng() % limit;
    numbers.push_back(decimal(m, static_cast<int>(rng() % 20), (rng() & 1) != 0));
  }
  for (int i = 0; i < 20000; ++i) {
    // Shortest round-trip forms of doubles of every magnitude the exchange could send.
    const double d =
        std::ldexp(static_cast<double>(rng() >> 11), static_cast<int>(rng() % 80) - 100);
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, d);
    numbers.emplace_back(buf, r.ptr);
  }
  for (int i = 0; i < 20000; ++i) {
    // Halfway between two doubles above 2^53 (an odd multiple of half their spacing), and its
    // neighbours, written with 0-2 trailing fraction zeros while they fit 19 digits.
    const int scale = 1 + static_cast<int>(rng() % 8);  // spacing 2^scale
    const std::uint64_t base = (std::uint64_t{1} << 52 | (rng() >> 12)) << scale;
    const std::uint64_t mid = base + (std::uint64_t{1} << (scale - 1));
    for (const std::uint64_t m : {mid - 1, mid, mid + 1}) {
      const std::size_t zeros = rng() % 3;
      const std::string text = std::to_string(m);
      if (text.size() + zeros > 19) continue;
      numbers.push_back(zeros == 0 ? text : text + "." + std::string(zeros, '0'));
    }
  }
  const std::uint64_t fast_before = fast.stats().fast_frames;
  for (const auto& n : numbers) {
    const std::string json = with(R"(,"price":)" + n);
    OrderEvent a{};
    OrderEvent b{};
    ASSERT_TRUE(decode_one(fast, json, a).error.ok()) << n;
    ASSERT_TRUE(decode_one(general, json, b).error.ok()) << n;
    double expected = 0;
    const auto r = std::from_chars(n.data(), n.data() + n.size(), expected);
    ASSERT_EQ(r.ptr, n.data() + n.size()) << n;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(a.price), std::bit_cast<std::uint64_t>(b.price)) << n;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(a.price), std::bit_cast<std::uint64_t>(expected)) << n;
  }
  EXPECT_EQ(fast.stats().fast_frames - fast_before, numbers.size());  // none left to simdjson
}

TEST(Decoder, LongExponentsGetTheSameAnswerFromBothPaths) {
  // Found by tests/fuzz/decoder_fuzz: "v":0e666...662 decoded as 0 on the fast path (from_chars)
  // and as an error on the general path (simdjson).
  Decoder fast;
  Decoder general;
  general.set_fast_path(false);
  for (const char* number : {"0e666666666666666666666666666666666666666666662", "0e-99999",
                             "1e0000000000000000001", "5e-0324", "0.5e0009"}) {
    expect_paths_agree(fast, general, with(std::string(R"(,"volume":)") + number));
  }
}

// Integers (timestamps) of every length on either side of the fast path's limits, signed,
// with leading zeros, and followed by a point, an exponent or the end of the frame: both paths
// give the same event or the same error, and the fast path converts the plain ones itself.
TEST(Decoder, IntegersOfEveryLengthGetTheSameAnswerFromBothPaths) {
  Decoder fast;
  Decoder general;
  general.set_fast_path(false);
  std::string digits;
  const std::uint64_t fast_before = fast.stats().fast_frames;
  std::size_t plain = 0;
  for (int length = 1; length <= 22; ++length) {
    digits += static_cast<char>('0' + (length * 7) % 10);
    if (digits[0] == '0') digits[0] = '1';
    for (const char* sign : {"", "-"}) {
      const std::string n = std::string(sign) + digits;
      expect_paths_agree(fast, general, with(R"(,"trade_timestamp":)" + n));
      expect_paths_agree(fast, general, with(R"(,"order_timestamp":)" + n));
      for (const char* tail : {".5", "e3", "0"}) {
        expect_paths_agree(fast, general, with(R"(,"trade_timestamp":)" + n + tail));
      }
      expect_paths_agree(fast, general, with(R"(,"trade_timestamp":0)" + n));
      if (length <= 16 && *sign == 0) {
        OrderEvent e{};
        ASSERT_TRUE(decode_one(fast, with(R"(,"trade_timestamp":)" + n), e).error.ok()) << n;
        EXPECT_EQ(e.trade_timestamp, std::stoll(n)) << n;
        ++plain;
      }
    }
  }
  // The frame's last bytes: a timestamp cut by the end of the frame is not a number.
  const std::string cut = "{" + std::string(kMinimal) + R"(,"trade_timestamp":17107515)";
  expect_paths_agree(fast, general, cut);
  EXPECT_GE(fast.stats().fast_frames - fast_before, plain);
}

TEST(Decoder, LongDecimalsAreCorrectlyRounded) {
  // Found by tests/fuzz/decoder_fuzz: simdjson 3.0 read this 60-digit decimal as 1.7e-41 on the
  // general path; the fast path (from_chars) read it right.
  const std::string number = "0.544444444444444444444444444444444444444444444444444444444444";
  for (const bool fast : {true, false}) {
    Decoder d;
    d.set_fast_path(fast);
    OrderEvent e{};
    const auto r = decode_one(d, with(R"(,"volume":)" + number), e);
    ASSERT_TRUE(r.error.ok()) << to_string(r.error.code);
    EXPECT_EQ(e.volume, 0.5444444444444444) << (fast ? "fast" : "general");
  }
  Decoder fast;
  Decoder general;
  general.set_fast_path(false);
  expect_paths_agree(fast, general, with(R"(,"volume":)" + number + " "));
  expect_paths_agree(fast, general, with(R"(,"volume":-)" + number + "e-3"));
}

TEST(Decoder, SurvivesRandomMutationsWithoutCrashing) {
  // Cheap in-suite robustness check; the libFuzzer target goes much further.
  const std::string seed = read_file("myorder-trade-default.json");
  Decoder d;
  std::mt19937 rng(1234);
  std::size_t ok = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      const std::size_t pos = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s[pos] = static_cast<char>(rng());
          break;
        case 1:
          s.erase(pos, 1 + rng() % 8);
          break;
        default:
          s.insert(pos, 1, "{}[]\",:0-e.n"[rng() % 12]);
          break;
      }
      if (s.empty()) s.assign(1, '{');
    }
    OrderEvent e{};
    const auto r = decode_one(d, s, e);
    if (r.error.ok()) ++ok;
  }
  EXPECT_EQ(d.stats().frames, 20000u);
  EXPECT_LT(ok, 20000u);
}

}  // namespace
}  // namespace fillwire
