// decode_bench: the same frames decoded into the same OrderEvent by
//   (a) fillwire::Decoder (one pass, learned field order), and beside it fillwire_general: the
//       same decoder with its flat fast path off (simdjson On-Demand with the learned key order),
//       so that the fast path's worth is measured,
//   (b) a straightforward simdjson On-Demand extraction (obj["field"] per field, as simdjson's
//       documentation shows it),
//   (c) RapidJSON DOM parse (full-precision doubles) + FindMember per field,
//   (d) nlohmann::json parse + lookup per field.
// Frames: the seed trade frame (DEFAULT and SIMPLE), the 11-event lifecycle mix, and a stream of
// 4096 events as an account's flow brings them (tests/support/order_stream.hpp: many orders in
// flight, decimal amounts of every length; DEFAULT and SIMPLE). One frame decoded again and again
// is the best case for every contender: its branches are learned whole. The stream is the usual
// case: amounts, counts and identifiers change length from frame to frame. At the end the ratio of
// fillwire's median to each baseline's median is printed.
// myAsset rows: a two-currency balance frame as upbit-sim sends it (KRW and the market's base
// currency; DEFAULT and SIMPLE), decoded into two AssetEvents by each contender.

#include <benchmark/benchmark.h>
#include <rapidjson/document.h>
#include <simdjson.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fillwire/asset_event.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/encoder.hpp"
#include "order_stream.hpp"

namespace {

using fillwire::Field;
using fillwire::OrderEvent;

std::string read_file(const std::string& name) {
  std::ifstream in(std::string(FILLWIRE_TEST_DATA) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Frames held with the decoder's read-ahead padding, parsed in place by every contender.
struct Frames {
  std::vector<std::string> storage;
  std::vector<std::size_t> sizes;
  bool simple = false;
  void add(const std::string& json) {
    std::string s = json;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
      s.pop_back();
    sizes.push_back(s.size());
    s.resize(s.size() + fillwire::kFramePadding, '\0');
    storage.push_back(std::move(s));
  }
  std::size_t bytes() const {
    std::size_t n = 0;
    for (auto s : sizes)
      n += s;
    return n;
  }
};

Frames load(const std::string& name, bool simple) {
  Frames f;
  f.simple = simple;
  std::istringstream in(read_file(name));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) f.add(line);
  }
  return f;
}

// A generated stream's frames (order_stream.hpp), encoded as the exchange sends them.
Frames stream_frames(fillwire::WireFormat format) {
  constexpr std::string_view kMarkets[] = {"KRW-BTC", "KRW-ETH", "KRW-XRP",
                                           "KRW-SOL", "BTC-ETH", "USDT-BTC"};
  Frames f;
  f.simple = format == fillwire::WireFormat::simple;
  for (const OrderEvent& e :
       fillwire::test::make_order_stream({.events = 4096, .markets = kMarkets}))
    f.add(fillwire::encode(e, format));
  return f;
}

// A sample file's frames, loaded once.
const Frames* frames_of(const std::string& name, bool simple) {
  static std::map<std::string, Frames> loaded;
  auto [it, added] = loaded.try_emplace(name);
  if (added) it->second = load(name, simple);
  return &it->second;
}

const std::string_view* names_for(const Frames& f) {
  return (f.simple ? fillwire::kSimpleNames : fillwire::kDefaultNames).data();
}
const char* name(const Frames& f, Field field) {
  // The name tables are string_views over literals: NUL-terminated.
  return names_for(f)[static_cast<std::size_t>(field)].data();
}

template <class E, std::size_t N>
E enum_of(std::string_view s, const std::string_view (&names)[N]) {
  for (std::size_t i = 1; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return E{};
}

// ---------------------------------------------------------------------------------------------
// (a) fillwire

// `fast_path` false: fillwire_general, the same decoder without its flat fast path.
void BM_fillwire(benchmark::State& state, const Frames* frames, bool fast_path) {
  fillwire::Decoder decoder;
  decoder.set_fast_path(fast_path);
  OrderEvent event;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto r = decoder.decode(frames->storage[i].data(), frames->sizes[i], event);
    if (!r.error.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(event);
    if (++i == frames->sizes.size()) i = 0;
  }
  state.counters["fast_share"] = benchmark::Counter(
      static_cast<double>(decoder.stats().fast_frames) / static_cast<double>(state.iterations()));
  state.counters["key_misses/frame"] = benchmark::Counter(
      static_cast<double>(decoder.stats().order_misses) / static_cast<double>(state.iterations()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(frames->bytes() / frames->sizes.size()));
}

// A frame's asset events land here (two slots: the frames have two currencies).
struct AssetSlots {
  OrderEvent slot[2];
  std::size_t n = 0;
  OrderEvent& claim() noexcept { return slot[n & 1]; }
  void publish() noexcept { ++n; }
};

void BM_fillwire_asset(benchmark::State& state, const Frames* frames) {
  fillwire::Decoder decoder;
  AssetSlots slots;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto r =
        decoder.decode(frames->storage[i].data(), frames->sizes[i], fillwire::EventSink{slots});
    if (!r.error.ok() || r.asset_events != 2) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(slots);
    if (++i == frames->sizes.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(frames->bytes() / frames->sizes.size()));
}

// ---------------------------------------------------------------------------------------------
// The baselines' extraction, shared: one field after another in the exchange's order (On-Demand
// lookups are cheapest in order), each through the contender's own accessors: str(key),
// dbl(field, out, present), integer(field, out, present) and flag(out).
template <class Get, class GetD, class GetI, class GetB>
bool extract_with(Get str, GetD dbl, GetI integer, GetB flag, const Frames& fr, OrderEvent& e) {
  std::uint32_t p = 0;
  if (str(name(fr, Field::type)) != "myOrder") return false;
  (void)e.code.assign(str(name(fr, Field::code)));
  (void)fillwire::Uuid::parse(str(name(fr, Field::uuid)), e.uuid);
  e.ask_bid = enum_of<fillwire::Side>(str(name(fr, Field::ask_bid)), fillwire::kSideNames);
  e.order_type =
      enum_of<fillwire::OrderType>(str(name(fr, Field::order_type)), fillwire::kOrderTypeNames);
  e.state = enum_of<fillwire::OrderState>(str(name(fr, Field::state)), fillwire::kStateNames);
  (void)fillwire::Uuid::parse(str(name(fr, Field::trade_uuid)), e.trade_uuid);
  dbl(Field::price, e.price, p);
  dbl(Field::avg_price, e.avg_price, p);
  dbl(Field::volume, e.volume, p);
  dbl(Field::remaining_volume, e.remaining_volume, p);
  dbl(Field::executed_volume, e.executed_volume, p);
  std::int64_t tc = 0;
  integer(Field::trades_count, tc, p);
  e.trades_count = static_cast<std::uint32_t>(tc);
  dbl(Field::reserved_fee, e.reserved_fee, p);
  dbl(Field::remaining_fee, e.remaining_fee, p);
  dbl(Field::paid_fee, e.paid_fee, p);
  dbl(Field::locked, e.locked, p);
  dbl(Field::executed_funds, e.executed_funds, p);
  e.time_in_force = enum_of<fillwire::TimeInForce>(str(name(fr, Field::time_in_force)),
                                                   fillwire::kTimeInForceNames);
  dbl(Field::trade_fee, e.trade_fee, p);
  flag(e.is_maker);
  (void)e.identifier.assign(str(name(fr, Field::identifier)));
  e.smp_type = enum_of<fillwire::SmpType>(str(name(fr, Field::smp_type)), fillwire::kSmpTypeNames);
  dbl(Field::prevented_volume, e.prevented_volume, p);
  dbl(Field::prevented_locked, e.prevented_locked, p);
  integer(Field::trade_timestamp, e.trade_timestamp, p);
  integer(Field::order_timestamp, e.order_timestamp, p);
  integer(Field::timestamp, e.timestamp, p);
  e.stream_type =
      enum_of<fillwire::StreamType>(str(name(fr, Field::stream_type)), fillwire::kStreamTypeNames);
  e.present = p;
  return true;
}

// ---------------------------------------------------------------------------------------------
// (b) straightforward simdjson On-Demand: obj["name"] per field, into the same struct.

namespace od = simdjson::ondemand;

// A field that is there and not null (events of a stream leave some out).
bool sj_present(simdjson::simdjson_result<od::value>& v) {
  bool is_null = false;
  return !v.error() && !v.is_null().get(is_null) && !is_null;
}
bool sj_double(od::object& o, const char* key, double& out, std::uint32_t& present, Field f) {
  auto v = o[key];
  if (!sj_present(v) || v.get_double().get(out)) return true;
  present |= fillwire::field_bit(f);
  return true;
}
bool sj_int(od::object& o, const char* key, std::int64_t& out, std::uint32_t& present, Field f) {
  auto v = o[key];
  if (!sj_present(v) || v.get_int64().get(out)) return true;
  present |= fillwire::field_bit(f);
  return true;
}
std::string_view sj_string(od::object& o, const char* key) {
  std::string_view s;
  auto v = o[key];
  if (!sj_present(v) || v.get_string().get(s)) return {};
  return s;
}

// Frame i as an On-Demand object (`doc` holds it).
bool sj_frame(od::parser& parser, const Frames& fr, std::size_t i, od::document& doc,
              od::object& o) {
  return !parser.iterate(fr.storage[i].data(), fr.sizes[i], fr.storage[i].size()).get(doc) &&
         !doc.get_object().get(o);
}

bool simdjson_extract(od::parser& parser, const Frames& fr, std::size_t i, OrderEvent& e) {
  od::document doc;
  od::object o;
  if (!sj_frame(parser, fr, i, doc, o)) return false;
  auto str = [&](const char* key) { return sj_string(o, key); };
  auto dbl = [&](Field f, double& out, std::uint32_t& p) { sj_double(o, name(fr, f), out, p, f); };
  auto integer = [&](Field f, std::int64_t& out, std::uint32_t& p) {
    sj_int(o, name(fr, f), out, p, f);
  };
  auto flag = [&](std::uint8_t& out) {
    auto v = o[name(fr, Field::is_maker)];
    bool b = false;
    if (sj_present(v) && !v.get_bool().get(b)) out = b ? 1 : 0;
  };
  return extract_with(str, dbl, integer, flag, fr, e);
}

// `Extract` fills an `Out` (an OrderEvent, or a myAsset frame's events) from frame i.
template <class Out, bool (*Extract)(od::parser&, const Frames&, std::size_t, Out&)>
void BM_simdjson_find_field(benchmark::State& state, const Frames* frames) {
  od::parser parser;
  Out out{};
  std::size_t i = 0;
  for (auto _ : state) {
    if (!Extract(parser, *frames, i, out)) state.SkipWithError("extract failed");
    benchmark::DoNotOptimize(out);
    if (++i == frames->sizes.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// ---------------------------------------------------------------------------------------------
// (c) RapidJSON DOM

template <class Obj>
void rj_double(const Obj& o, const char* key, double& out, std::uint32_t& p, Field f) {
  auto it = o.FindMember(key);
  if (it != o.MemberEnd() && it->value.IsNumber()) {
    out = it->value.GetDouble();
    p |= fillwire::field_bit(f);
  }
}
template <class Obj>
void rj_int(const Obj& o, const char* key, std::int64_t& out, std::uint32_t& p, Field f) {
  auto it = o.FindMember(key);
  if (it != o.MemberEnd() && it->value.IsInt64()) {
    out = it->value.GetInt64();
    p |= fillwire::field_bit(f);
  }
}
template <class Obj>
std::string_view rj_string(const Obj& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

void BM_rapidjson_dom(benchmark::State& state, const Frames* frames) {
  rapidjson::Document doc;
  OrderEvent event;
  std::size_t i = 0;
  for (auto _ : state) {
    doc.Parse<rapidjson::kParseFullPrecisionFlag>(frames->storage[i].data(), frames->sizes[i]);
    if (doc.HasParseError() || !doc.IsObject()) state.SkipWithError("parse failed");
    const auto& o = doc;
    auto str = [&](const char* key) { return rj_string(o, key); };
    auto dbl = [&](Field f, double& out, std::uint32_t& p) {
      rj_double(o, name(*frames, f), out, p, f);
    };
    auto integer = [&](Field f, std::int64_t& out, std::uint32_t& p) {
      rj_int(o, name(*frames, f), out, p, f);
    };
    auto flag = [&](std::uint8_t& out) {
      auto it = o.FindMember(name(*frames, Field::is_maker));
      if (it != o.MemberEnd() && it->value.IsBool()) out = it->value.GetBool() ? 1 : 0;
    };
    extract_with(str, dbl, integer, flag, *frames, event);
    benchmark::DoNotOptimize(event);
    if (++i == frames->sizes.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// ---------------------------------------------------------------------------------------------
// (d) nlohmann::json

void BM_nlohmann(benchmark::State& state, const Frames* frames) {
  OrderEvent event;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto j = nlohmann::json::parse(frames->storage[i].data(),
                                         frames->storage[i].data() + frames->sizes[i]);
    auto str = [&](const char* key) -> std::string_view {
      auto it = j.find(key);
      if (it == j.end() || !it->is_string()) return {};
      return it->get_ref<const std::string&>();
    };
    auto dbl = [&](Field f, double& out, std::uint32_t& p) {
      auto it = j.find(name(*frames, f));
      if (it != j.end() && it->is_number()) {
        out = it->get<double>();
        p |= fillwire::field_bit(f);
      }
    };
    auto integer = [&](Field f, std::int64_t& out, std::uint32_t& p) {
      auto it = j.find(name(*frames, f));
      if (it != j.end() && it->is_number_integer()) {
        out = it->get<std::int64_t>();
        p |= fillwire::field_bit(f);
      }
    };
    auto flag = [&](std::uint8_t& out) {
      auto it = j.find(name(*frames, Field::is_maker));
      if (it != j.end() && it->is_boolean()) out = it->get<bool>() ? 1 : 0;
    };
    extract_with(str, dbl, integer, flag, *frames, event);
    benchmark::DoNotOptimize(event);
    if (++i == frames->sizes.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// ---------------------------------------------------------------------------------------------
// The baselines on the myAsset frame: the frame's fields and each element's through the
// contender's own accessors, into two AssetEvents (index, count and the frame's fields in each).

using fillwire::AssetEvent;
using fillwire::AssetField;

const char* asset_name(const Frames& f, AssetField field) {
  return (f.simple ? fillwire::kAssetSimpleNames
                   : fillwire::kAssetDefaultNames)[static_cast<std::size_t>(field)]
      .data();
}

struct AssetOut {
  AssetEvent e[2];
};

// The frame's fields into each of the `count` events read.
void set_frame(AssetOut& out, std::uint16_t count, const fillwire::Uuid& uuid,
               std::int64_t asset_ts, std::int64_t ts, fillwire::StreamType stream) {
  for (std::uint16_t k = 0; k < count && k < 2; ++k) {
    out.e[k].asset_uuid = uuid;
    out.e[k].asset_timestamp = asset_ts;
    out.e[k].timestamp = ts;
    out.e[k].stream_type = stream;
    out.e[k].index = k;
    out.e[k].count = count;
  }
}

// The DOM baselines: the frame's fields, after the elements were read (`count` of them).
template <class Str, class Int>
bool finish_assets(Str str, Int integer, const Frames& fr, std::uint16_t count, AssetOut& out) {
  fillwire::Uuid uuid{};
  if (!fillwire::Uuid::parse(str(asset_name(fr, AssetField::asset_uuid)), uuid)) return false;
  std::int64_t asset_ts = 0;
  std::int64_t ts = 0;
  integer(asset_name(fr, AssetField::asset_timestamp), asset_ts);
  integer(asset_name(fr, AssetField::timestamp), ts);
  set_frame(out, count, uuid, asset_ts, ts,
            enum_of<fillwire::StreamType>(str(asset_name(fr, AssetField::stream_type)),
                                          fillwire::kStreamTypeNames));
  return count == 2;
}

bool simdjson_extract_assets(od::parser& parser, const Frames& fr, std::size_t i, AssetOut& out) {
  od::document doc;
  od::object o;
  if (!sj_frame(parser, fr, i, doc, o)) return false;
  if (sj_string(o, asset_name(fr, AssetField::type)) != "myAsset") return false;
  fillwire::Uuid uuid{};
  if (!fillwire::Uuid::parse(sj_string(o, asset_name(fr, AssetField::asset_uuid)), uuid))
    return false;
  od::array list;
  if (o[asset_name(fr, AssetField::assets)].get_array().get(list)) return false;
  std::uint16_t n = 0;
  for (auto element : list) {
    od::object item;
    if (element.get_object().get(item) || n == 2) return false;
    AssetEvent& e = out.e[n++];
    (void)e.currency.assign(sj_string(item, asset_name(fr, AssetField::currency)));
    if (item[asset_name(fr, AssetField::balance)].get_double().get(e.balance)) return false;
    if (item[asset_name(fr, AssetField::locked)].get_double().get(e.locked)) return false;
  }
  std::int64_t asset_ts = 0;
  std::int64_t ts = 0;
  if (o[asset_name(fr, AssetField::asset_timestamp)].get_int64().get(asset_ts)) return false;
  if (o[asset_name(fr, AssetField::timestamp)].get_int64().get(ts)) return false;
  set_frame(out, n, uuid, asset_ts, ts,
            enum_of<fillwire::StreamType>(sj_string(o, asset_name(fr, AssetField::stream_type)),
                                          fillwire::kStreamTypeNames));
  return n == 2;
}

void BM_rapidjson_dom_asset(benchmark::State& state, const Frames* frames) {
  rapidjson::Document doc;
  AssetOut out{};
  std::size_t i = 0;
  for (auto _ : state) {
    doc.Parse<rapidjson::kParseFullPrecisionFlag>(frames->storage[i].data(), frames->sizes[i]);
    if (doc.HasParseError() || !doc.IsObject()) state.SkipWithError("parse failed");
    const auto& o = doc;
    auto str = [&](const char* key) { return rj_string(o, key); };
    auto integer = [&](const char* key, std::int64_t& v) {
      auto it = o.FindMember(key);
      if (it != o.MemberEnd() && it->value.IsInt64()) v = it->value.GetInt64();
    };
    std::uint16_t n = 0;
    bool ok = str(asset_name(*frames, AssetField::type)) == "myAsset";
    auto list = o.FindMember(asset_name(*frames, AssetField::assets));
    if (ok && list != o.MemberEnd() && list->value.IsArray()) {
      for (const auto& item : list->value.GetArray()) {
        if (!item.IsObject() || n == 2) break;
        AssetEvent& e = out.e[n++];
        (void)e.currency.assign(rj_string(item, asset_name(*frames, AssetField::currency)));
        for (const auto& [field, out_value] : {std::pair{AssetField::balance, &e.balance},
                                               std::pair{AssetField::locked, &e.locked}}) {
          auto it = item.FindMember(asset_name(*frames, field));
          if (it != item.MemberEnd() && it->value.IsNumber()) *out_value = it->value.GetDouble();
        }
      }
    }
    if (!ok || !finish_assets(str, integer, *frames, n, out)) state.SkipWithError("bad frame");
    benchmark::DoNotOptimize(out);
    if (++i == frames->sizes.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_nlohmann_asset(benchmark::State& state, const Frames* frames) {
  AssetOut out{};
  std::size_t i = 0;
  for (auto _ : state) {
    const auto j = nlohmann::json::parse(frames->storage[i].data(),
                                         frames->storage[i].data() + frames->sizes[i]);
    auto str_in = [](const nlohmann::json& o, const char* key) -> std::string_view {
      auto it = o.find(key);
      if (it == o.end() || !it->is_string()) return {};
      return it->get_ref<const std::string&>();
    };
    auto str = [&](const char* key) { return str_in(j, key); };
    auto integer = [&](const char* key, std::int64_t& v) {
      auto it = j.find(key);
      if (it != j.end() && it->is_number_integer()) v = it->get<std::int64_t>();
    };
    auto number = [](const nlohmann::json& o, const char* key, double& v) {
      auto it = o.find(key);
      if (it != o.end() && it->is_number()) v = it->get<double>();
    };
    std::uint16_t n = 0;
    bool ok = str(asset_name(*frames, AssetField::type)) == "myAsset";
    auto list = j.find(asset_name(*frames, AssetField::assets));
    if (ok && list != j.end() && list->is_array()) {
      for (const auto& item : *list) {
        if (!item.is_object() || n == 2) break;
        AssetEvent& e = out.e[n++];
        (void)e.currency.assign(str_in(item, asset_name(*frames, AssetField::currency)));
        number(item, asset_name(*frames, AssetField::balance), e.balance);
        number(item, asset_name(*frames, AssetField::locked), e.locked);
      }
    }
    if (!ok || !finish_assets(str, integer, *frames, n, out)) state.SkipWithError("bad frame");
    benchmark::DoNotOptimize(out);
    if (++i == frames->sizes.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// ---------------------------------------------------------------------------------------------

// Records each benchmark's median time so that ratios can be printed after the run.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.aggregate_name == "median" ||
          (r.run_type == Run::RT_Iteration && !medians_.count(r.run_name.function_name))) {
        medians_[r.run_name.function_name] = r.GetAdjustedRealTime();
      }
    }
  }
  void print_ratios() const {
    std::printf("\nfillwire speed-up over each baseline (median ns/frame, same binary):\n");
    for (const char* frames : {"seed_default", "seed_simple", "lifecycle_mix", "stream_default",
                               "stream_simple", "asset_default", "asset_simple"}) {
      const auto ours = medians_.find(std::string("fillwire/") + frames);
      if (ours == medians_.end()) continue;
      std::printf("  %-14s fillwire %7.1f ns", frames, ours->second);
      for (const char* base :
           {"fillwire_general", "simdjson_find_field", "rapidjson_dom", "nlohmann"}) {
        const auto it = medians_.find(std::string(base) + "/" + frames);
        if (it != medians_.end()) std::printf("  | %s %.2fx", base, it->second / ours->second);
      }
      std::printf("\n");
    }
  }

 private:
  std::map<std::string, double> medians_;
};

void register_all() {
  struct Set {
    const char* name;
    const Frames* frames;
  };
  static const Frames stream_default = stream_frames(fillwire::WireFormat::full);
  static const Frames stream_simple = stream_frames(fillwire::WireFormat::simple);
  const Set sets[] = {{"seed_default", frames_of("myorder-trade-default.json", false)},
                      {"seed_simple", frames_of("myorder-trade-simple.json", true)},
                      {"lifecycle_mix", frames_of("lifecycle-default.jsonl", false)},
                      {"stream_default", &stream_default},
                      {"stream_simple", &stream_simple}};
  for (const auto& s : sets) {
    for (const bool fast : {true, false}) {
      benchmark::RegisterBenchmark(
          (std::string(fast ? "fillwire/" : "fillwire_general/") + s.name).c_str(), BM_fillwire,
          s.frames, fast)
          ->Repetitions(5)
          ->DisplayAggregatesOnly(true)
          ->MinTime(0.2);
    }
    benchmark::RegisterBenchmark((std::string("simdjson_find_field/") + s.name).c_str(),
                                 BM_simdjson_find_field<OrderEvent, simdjson_extract>, s.frames)
        ->Repetitions(5)
        ->DisplayAggregatesOnly(true)
        ->MinTime(0.2);
    benchmark::RegisterBenchmark((std::string("rapidjson_dom/") + s.name).c_str(), BM_rapidjson_dom,
                                 s.frames)
        ->Repetitions(5)
        ->DisplayAggregatesOnly(true)
        ->MinTime(0.2);
    benchmark::RegisterBenchmark((std::string("nlohmann/") + s.name).c_str(), BM_nlohmann, s.frames)
        ->Repetitions(5)
        ->DisplayAggregatesOnly(true)
        ->MinTime(0.2);
  }
  const Set asset_sets[] = {{"asset_default", frames_of("myasset-default.json", false)},
                            {"asset_simple", frames_of("myasset-simple.json", true)}};
  using Bench = void (*)(benchmark::State&, const Frames*);
  const std::pair<const char*, Bench> contenders[] = {
      {"fillwire/", BM_fillwire_asset},
      {"simdjson_find_field/", BM_simdjson_find_field<AssetOut, simdjson_extract_assets>},
      {"rapidjson_dom/", BM_rapidjson_dom_asset},
      {"nlohmann/", BM_nlohmann_asset}};
  for (const auto& s : asset_sets) {
    for (const auto& [prefix, bench] : contenders) {
      benchmark::RegisterBenchmark((std::string(prefix) + s.name).c_str(), bench, s.frames)
          ->Repetitions(5)
          ->DisplayAggregatesOnly(true)
          ->MinTime(0.2);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
