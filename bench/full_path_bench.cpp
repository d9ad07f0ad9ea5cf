// full_path_bench: the hot path end to end across the pipeline's two pinned threads.
//
//   producer thread (CPU 1): frame bytes in a buffer -> stamp recv_ts (TSC) -> decode (simdjson
//                            On-Demand) straight into the claimed OrderRing slot -> publish
//   consumer thread (CPU 0): drain -> StrategyConsumer: AccountState::apply, then the strategy's
//                            on_order, which reads the account and stamps (TSC) -> latency sample
//
// Latency is measured from just before the decode to the end of the strategy callback. Offered
// rates: 100k events/s, 1M events/s (the producer paces itself on the TSC, open loop: a late frame
// is sent at once, stamped when actually sent) and max (no pacing).
//
// The stream is realistic rather than one frame repeated (which AccountState would see as cheap
// duplicates): 8 Ki events of 256 orders in flight across 8 markets, full lifecycles (wait, partial
// trades, done / cancel / prevented), 5 % of orders first seen mid-life, ~3 % duplicate events
// (tests/support/order_stream.hpp), encoded once with DEFAULT names as the exchange sends them.
// Replayed in passes, each pass is new orders: before a frame is decoded, the first 8 hex digits of
// its order id are rewritten with the pass's salt (a few ns on the producer, outside the latency).
// Before timing, a warm-up of 32 Ki events runs through the same source and account, so the decoder
// has learned the field order and the account is in its steady state (completed-order ring full
// and evicting, ~256 open orders).
//
// The +balances rows interleave myAsset frames as Upbit sends them on the same connection: after
// each order event that changes a balance, one frame listing the currencies it changed (KRW and
// the base currency of a fill, the locked one of a placement or release), with the balances the
// order stream implies, so the account reconciles every report against its fills (computed once,
// offline, by an AccountState). The stream starts with one report of every currency. Each pass
// begins again from that report, so the account sees, once per pass, the starting balances come
// back: one drift per currency per pass (a handful in ~14 Ki frames), the rest reconciles.
// Latency is sampled per frame: an asset frame's at its last currency.
//
// same_thread runs the same decode -> slot -> drain -> apply -> strategy on one thread, for the
// part of the latency that is work rather than the hand-off between cores.
//
// Run: build/bench/bench/full_path_bench
// JSON for the README table and plots: --benchmark_out=full_path.json --benchmark_out_format=json

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bench_support.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/asset_event.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/encoder.hpp"
#include "fillwire/order_event.hpp"
#include "fillwire/pipeline.hpp"
#include "fillwire/replay_source.hpp"
#include "fillwire/strategy.hpp"
#include "fillwire/wait_strategy.hpp"
#include "order_stream.hpp"

namespace fillwire::bench {
namespace {

constexpr std::string_view kMarkets[] = {"KRW-BTC", "KRW-ETH",  "KRW-XRP", "KRW-SOL",
                                         "KRW-ADA", "KRW-DOGE", "BTC-ETH", "USDT-BTC"};
constexpr std::size_t kStreamEvents = 8192;
constexpr std::size_t kTimeDigits = 13;  // ms since the epoch, until the year 2286
constexpr std::size_t kInFlight = 256;
constexpr std::uint64_t kWarmupEvents = 32'768;
constexpr std::size_t kChunk = 16'384;  // throughput is also measured per chunk of events

// Sized for the stream: 256 orders in flight (plus those first seen mid-life), the last 4 Ki
// completed orders kept to recognise late duplicates, the markets of the stream, and a History of
// the last 1 Ki events as a deployment would keep. Starting holdings so that sells realize PnL.
AccountConfig stream_config() {
  AccountConfig c;
  c.currencies = 16;
  c.open_orders = 1024;
  c.completed_orders = 4096;
  c.markets = 16;
  c.history = 1024;
  for (const std::string_view m : kMarkets) {
    c.holdings.push_back(
        {.market = std::string(m), .volume = 1e9, .avg_cost = 1000.0, .avg_cost_net = {}});
  }
  return c;
}

// The stream's frames, encoded once: one buffer with the decoder's read-ahead padding after each
// frame, and where each frame's order id starts.
struct StreamFrames {
  struct Frame {
    std::size_t offset;   // of the frame in `text`
    std::size_t size;     // of the frame
    std::size_t uuid_at;  // offset of the order id's text within the frame (0: a myAsset frame)
    std::uint32_t head;   // the id's first 4 bytes (its first 8 hex digits) as generated
    // The frame's millisecond times (timestamp, order_timestamp, trade_timestamp,
    // asset_timestamp): where their 13 digits start within the frame (0: absent) and their values
    // as generated.
    std::array<std::size_t, 4> time_at;
    std::array<std::int64_t, 4> time;
    std::uint32_t events;  // events it decodes to: 1, or a myAsset frame's currencies
  };
  std::string text;
  std::vector<Frame> frames;
  std::size_t longest = 0;
};

// Balance reports as the exchange would send them beside the order stream: the balances the
// stream implies, as an AccountState computes them, for the currencies each event changed.
class BalanceModel {
 public:
  BalanceModel() : account_(stream_config()) {}

  // The first frame: every currency of the stream's markets, with room for any of its fills.
  std::vector<AssetEvent> start(std::int64_t ts) {
    std::vector<AssetEvent> frame;
    for (const std::string_view m : kMarkets) {
      const std::size_t dash = m.find('-');
      for (const std::string_view c : {m.substr(0, dash), m.substr(dash + 1)}) {
        const bool known = std::any_of(frame.begin(), frame.end(),
                                       [&](const AssetEvent& a) { return a.currency.view() == c; });
        if (!known) frame.push_back(report(c, c == "KRW" ? 1e13 : 1e9, 0.0, ts));
      }
    }
    return finish(frame);
  }

  // Applies `e`; the report of the currencies whose implied balance it changed (maybe none).
  std::vector<AssetEvent> after(const OrderEvent& e) {
    std::map<std::string, std::pair<double, double>> before;
    account_.for_each_balance([&](const Balance& b) {
      before[std::string(b.currency.view())] = {b.implied_total(), b.implied_locked()};
    });
    (void)account_.apply(e);
    std::vector<AssetEvent> frame;
    account_.for_each_balance([&](const Balance& b) {
      const auto was = before.find(std::string(b.currency.view()));
      if (was != before.end() && was->second.first == b.implied_total() &&
          was->second.second == b.implied_locked())
        return;
      frame.push_back(report(b.currency.view(), b.implied_total() - b.implied_locked(),
                             b.implied_locked(), e.timestamp));
    });
    return finish(frame);
  }

 private:
  AssetEvent report(std::string_view currency, double available, double locked, std::int64_t ts) {
    AssetEvent a = make_asset_event();
    a.type_known = 1;
    (void)a.currency.assign(currency);
    a.balance = available;
    a.locked = locked;
    a.asset_timestamp = ts;
    a.timestamp = ts;
    a.stream_type = StreamType::realtime;
    a.asset_uuid.bytes[0] = 0xa5;
    a.asset_uuid.bytes[12] = static_cast<std::uint8_t>(frames_ >> 24);
    a.asset_uuid.bytes[13] = static_cast<std::uint8_t>(frames_ >> 16);
    a.asset_uuid.bytes[14] = static_cast<std::uint8_t>(frames_ >> 8);
    a.asset_uuid.bytes[15] = static_cast<std::uint8_t>(frames_);
    a.asset_uuid.bytes[6] = 0x40;  // a version-4 form, as the exchange's
    a.asset_uuid.bytes[8] = 0x80;
    a.present = kRequiredAssetFields | asset_field_bit(AssetField::stream_type);
    return a;
  }
  std::vector<AssetEvent> finish(std::vector<AssetEvent>& frame) {
    for (std::size_t i = 0; i < frame.size(); ++i) {
      frame[i].index = static_cast<std::uint16_t>(i);
      frame[i].count = static_cast<std::uint16_t>(frame.size());
    }
    if (!frame.empty()) {
      ++frames_;
      for (const AssetEvent& a : frame)
        (void)account_.apply(a);
    }
    return frame;
  }

  AccountState account_;
  std::uint32_t frames_ = 0;
};

const StreamFrames& stream_frames(bool balances) {
  const auto build = [](bool with_balances) {
    const std::vector<OrderEvent> events = test::make_order_stream(
        {.events = kStreamEvents, .markets = kMarkets, .in_flight = kInFlight});
    StreamFrames out;
    const auto add = [&out](const std::string& frame, std::size_t uuid_at, std::uint32_t head,
                            std::uint32_t decoded) {
      StreamFrames::Frame f{out.text.size(), frame.size(), uuid_at, head, {}, {}, decoded};
      constexpr std::string_view kTimeKeys[] = {
          "\"timestamp\":", "\"order_timestamp\":", "\"trade_timestamp\":", "\"asset_timestamp\":"};
      for (std::size_t t = 0; t < std::size(kTimeKeys); ++t) {
        const std::size_t at = frame.find(kTimeKeys[t]);
        if (at == std::string::npos) continue;
        const std::size_t digits = at + kTimeKeys[t].size();
        std::int64_t v = 0;
        std::size_t n = 0;
        while (digits + n < frame.size() && frame[digits + n] >= '0' && frame[digits + n] <= '9')
          v = v * 10 + (frame[digits + n++] - '0');
        if (n == 0) continue;  // null: not in this event
        if (n != kTimeDigits) throw std::runtime_error("time not of 13 digits in: " + frame);
        f.time_at[t] = digits;
        f.time[t] = v;
      }
      out.frames.push_back(f);
      out.text += frame;
      out.text.append(kFramePadding, ' ');
      out.longest = std::max(out.longest, frame.size());
    };
    BalanceModel model;
    const auto add_assets = [&](const std::vector<AssetEvent>& frame) {
      if (with_balances && !frame.empty())
        add(encode(std::span<const AssetEvent>(frame), WireFormat::full), 0, 0,
            static_cast<std::uint32_t>(frame.size()));
    };
    add_assets(model.start(events.front().timestamp - 1));
    for (const OrderEvent& e : events) {
      const std::string frame = encode(e, WireFormat::full);
      const std::size_t key = frame.find("\"uuid\":\"");
      Uuid check{};
      if (key == std::string::npos ||
          !Uuid::parse(std::string_view(frame).substr(key + 8, Uuid::kTextSize), check) ||
          !(check == e.uuid)) {
        throw std::runtime_error("encoded frame without its order id: " + frame);
      }
      const std::uint32_t head = (std::uint32_t{e.uuid.bytes[0]} << 24) |
                                 (std::uint32_t{e.uuid.bytes[1]} << 16) |
                                 (std::uint32_t{e.uuid.bytes[2]} << 8) | e.uuid.bytes[3];
      add(frame, key + 8, head, 1);
      add_assets(model.after(e));
    }
    return out;
  };
  static const StreamFrames orders_only = build(false);
  static const StreamFrames with_balances = build(true);
  return balances ? with_balances : orders_only;
}

// Replays the stream's frames in passes (each pass new order ids), paced on the TSC: frame k of a
// run is due at start + k * interval (0: no pacing). Producer thread only between begin_run() and
// the end of the run; counters afterwards.
class StreamSource {
 public:
  explicit StreamSource(bool balances)
      : frames_(stream_frames(balances)),
        text_(frames_.text),
        decoder_(std::max(frames_.longest, Decoder::kDefaultMaxFrame)) {}

  // Controlling thread, before the producer starts: the next run sends `events` frames.
  void begin_run(std::uint64_t events, std::uint64_t interval) noexcept {
    run_events_ = events;
    sent_ = 0;
    interval_ = interval;
    due_ = 0;
    failed_ = 0;
  }

  template <class Sink>
  SourceStatus poll(Sink& sink) noexcept {
    if (sent_ == run_events_) {
      on_cpu_.end();
      return SourceStatus::done;
    }
    if (sent_ == 0) on_cpu_.begin();
    if (interval_ != 0) {
      if (due_ == 0) due_ = now_ticks();
      spin_until(due_);
      due_ += interval_;
    }
    const StreamFrames::Frame& f = frames_.frames[next_];
    char* frame = text_.data() + f.offset;
    if (f.uuid_at != 0) write_hex8(frame + f.uuid_at, f.head ^ salt_);
    // Each pass is later than the one before, as a live stream is: the account's fill window
    // sees fills in time order, not a pass of late fills.
    for (std::size_t t = 0; t < f.time_at.size(); ++t) {
      if (f.time_at[t] != 0) write_dec13(frame + f.time_at[t], f.time[t] + shift_);
    }
    if (++next_ == frames_.frames.size()) {
      next_ = 0;
      salt_ = static_cast<std::uint32_t>(test::uuid_salt(++pass_));
      shift_ = test::pass_shift_ms(frames_.frames.size(), pass_);
    }
    ++sent_;
    StampingSink<Sink> stamped(sink, now_ticks());
    const FrameResult r = decoder_.decode(frame, f.size, EventSink(stamped));
    if (!r.error.ok() || r.events != f.events) ++failed_;
    return SourceStatus::produced;
  }

  [[nodiscard]] std::uint64_t failed() const noexcept { return failed_; }
  [[nodiscard]] double on_cpu() const noexcept { return on_cpu_.share(); }

 private:
  static void write_dec13(char* out, std::int64_t v) noexcept {
    for (int i = static_cast<int>(kTimeDigits) - 1; i >= 0; --i, v /= 10)
      out[i] = static_cast<char>('0' + v % 10);
  }
  static void write_hex8(char* out, std::uint32_t v) noexcept {
    constexpr char kHex[] = "0123456789abcdef";
    for (int i = 7; i >= 0; --i, v >>= 4)
      out[i] = kHex[v & 0xf];
  }

  const StreamFrames& frames_;
  std::string text_;  // this source's copy: the ids are rewritten in place
  Decoder decoder_;
  std::size_t next_ = 0;
  std::uint64_t pass_ = 0;
  std::uint32_t salt_ = 0;
  std::int64_t shift_ = 0;
  std::uint64_t run_events_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t interval_ = 0;
  std::uint64_t due_ = 0;
  std::uint64_t failed_ = 0;
  OnCpuShare on_cpu_;
};

// The benchmark's strategy: looks at what apply() just did to the event's order and its market's
// position (as a strategy sizing its next quote would), folds it into a running sum so none of it
// is optimised away, then stamps the end of the path and records now - recv_ts. Sample k goes to
// samples[k & mask] (a power-of-two buffer; the full-path runs size it to hold every event), and
// the time at the start of every chunk of kChunk events to chunk_end.
class LatencyStrategy {
 public:
  // Controlling thread, between runs. `expected`: events of the run (0: open-ended).
  void reset(std::span<std::uint64_t> samples, std::span<std::uint64_t> chunk_end,
             std::uint64_t expected) noexcept {
    samples_ = samples;
    mask_ = samples.size() - 1;
    chunk_end_ = chunk_end;
    expected_ = expected;
    n_ = 0;
    chunks_ = 0;
  }

  void on_order(const OrderEvent& e, const AccountState& account) noexcept {
    if (const Order* o = account.find_order(e.uuid)) {
      const Position& p = account.position_at(o->market);
      const double side = o->side == Side::bid ? 1.0 : -1.0;
      sum_ += side * o->unfilled_volume() * o->price + p.base_volume * o->avg_price -
              p.realized_net + static_cast<double>(o->trades_count);
    } else {
      ++missing_;
    }
    sample(e.recv_ts);
  }

  // A balance report: what a strategy sizing its next order reads (the currency's available
  // funds); the frame's latency is sampled at its last currency.
  void on_asset(const AssetEvent& a, const AccountState& account) noexcept {
    if (const Balance* b = account.balance(a.currency.view())) sum_ += b->available;
    if (a.is_last_in_frame()) sample(a.recv_ts);
  }

  [[nodiscard]] std::uint64_t recorded() const noexcept { return n_; }
  [[nodiscard]] std::size_t chunks() const noexcept { return chunks_; }
  [[nodiscard]] std::uint64_t missing() const noexcept { return missing_; }
  [[nodiscard]] double checksum() const noexcept { return sum_; }
  [[nodiscard]] double on_cpu() const noexcept { return on_cpu_.share(); }

 private:
  void sample(std::uint64_t recv_ts) noexcept {
    const std::uint64_t now = now_ticks();
    if (n_ == 0) on_cpu_.begin();
    const std::uint64_t k = n_++;
    samples_[k & mask_] = now >= recv_ts ? now - recv_ts : 0;
    if (k % kChunk == 0 && chunks_ < chunk_end_.size()) chunk_end_[chunks_++] = now;
    if (n_ == expected_) on_cpu_.end();
  }

  std::span<std::uint64_t> samples_;
  std::size_t mask_ = 0;
  std::span<std::uint64_t> chunk_end_;
  std::uint64_t expected_ = 0;
  std::uint64_t n_ = 0;
  std::size_t chunks_ = 0;
  std::uint64_t missing_ = 0;
  double sum_ = 0;
  OnCpuShare on_cpu_;
};
static_assert(Strategy<LatencyStrategy> && AssetAware<LatencyStrategy>);

using Consumer = StrategyConsumer<LatencyStrategy>;

std::size_t pow2_at_least(std::uint64_t n) {
  std::size_t p = 1;
  while (p < n)
    p <<= 1;
  return p;
}

struct RunResult {
  PipelineCounters counters;
  double producer_on_cpu = 0;
  double consumer_on_cpu = 0;
  double seconds = 0;
};

// One pipeline run of `events` frames; the consumer's strategy must have been reset for it.
RunResult run_pipeline(Consumer& consumer, StreamSource& source, std::uint64_t events,
                       std::uint64_t interval) {
  source.begin_run(events, interval);
  PipelineConfig config;
  config.ring_capacity = 4096;
  config.drain_batch = 256;
  config.producer_cpu = kProducerCpu;
  config.consumer_cpu = kConsumerCpu;
  Pipeline<Consumer, BusySpin> pipeline(consumer, config);
  const auto t0 = std::chrono::steady_clock::now();
  pipeline.start(source);
  pipeline.join();
  RunResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& w : pipeline.warnings())
    std::fprintf(stderr, "warning: %s\n", w.c_str());
  r.counters = pipeline.counters();
  r.producer_on_cpu = source.on_cpu();
  r.consumer_on_cpu = consumer.strategy().on_cpu();
  return r;
}

// state.range(0): offered frames/s (0 = max); state.range(1): frames in the run.
void full_path(benchmark::State& state, bool balances) {
  const auto rate = static_cast<std::uint64_t>(state.range(0));
  const auto events = static_cast<std::uint64_t>(state.range(1));
  const std::uint64_t interval =
      rate == 0 ? 0 : calibration().from_ns(1e9 / static_cast<double>(rate));

  AccountState account(stream_config());
  LatencyStrategy strategy;
  Consumer consumer(account, strategy);
  StreamSource source(balances);
  std::vector<std::uint64_t> samples(pow2_at_least(std::max(events, kWarmupEvents)));
  std::vector<std::uint64_t> chunk_end(events / kChunk + 2);

  strategy.reset(samples, {}, kWarmupEvents);
  (void)run_pipeline(consumer, source, kWarmupEvents, 0);
  std::uint64_t failed = source.failed();
  if (strategy.recorded() != kWarmupEvents) state.SkipWithError("warm-up events lost");
  const ApplyCounters before = account.counters();

  RunResult r;
  for (auto _ : state) {
    strategy.reset(samples, chunk_end, events);
    r = run_pipeline(consumer, source, events, interval);
    state.SetIterationTime(r.seconds);
    failed += source.failed();
    if (strategy.recorded() != events) state.SkipWithError("events lost");
  }
  if (failed != 0) state.SkipWithError("frames failed to decode");
  samples.resize(events);
  // The first 1% of samples (threads settling) are left out of the percentiles.
  samples.erase(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(events / 100));
  report(state, percentiles_ns(samples));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events));
  // Rate of the median chunk of 16k events: what the path sustains when no other tenant of the
  // VM takes a core away (items_per_second counts every such pause in full).
  std::vector<std::uint64_t> chunk_ticks;
  for (std::size_t i = 1; i < strategy.chunks(); ++i)
    chunk_ticks.push_back(chunk_end[i] - chunk_end[i - 1]);
  const double median_ns = percentiles_ns(chunk_ticks).p50;
  state.counters["chunk_median_per_s"] =
      median_ns > 0 ? static_cast<double>(kChunk) * 1e9 / median_ns : 0.0;
  state.counters["offered_per_s"] = static_cast<double>(rate);
  // Fraction of the run each busy-spinning thread was really on its CPU (1.0 on a quiet machine).
  state.counters["producer_on_cpu"] = r.producer_on_cpu;
  state.counters["consumer_on_cpu"] = r.consumer_on_cpu;
  state.counters["stalls"] = static_cast<double>(r.counters.ring.stalls);
  state.counters["batches"] = static_cast<double>(r.counters.batches);
  // What the account saw in the timed run: duplicates and stale events are part of the mix; an
  // order the strategy could not find would mean the tables are too small for the stream.
  const ApplyCounters& after = account.counters();
  state.counters["dup_share"] = static_cast<double>(after.duplicates - before.duplicates) /
                                static_cast<double>(after.events - before.events);
  state.counters["open_orders"] = static_cast<double>(account.open_order_count());
  state.counters["missing_orders"] = static_cast<double>(strategy.missing());
  // Fills put back in time order by the fill window: the stream is in order, so about none.
  state.counters["late_fills"] = static_cast<double>(after.fills_late + after.fills_out_of_place -
                                                     before.fills_late - before.fills_out_of_place);
  // Balance reports among the events, and the drifts they showed (the pass restarts: see the top).
  state.counters["asset_share"] = static_cast<double>(after.assets - before.assets) /
                                  static_cast<double>(after.events - before.events);
  state.counters["drifts"] = static_cast<double>(after.drifts_reported - before.drifts_reported);
  benchmark::DoNotOptimize(strategy.checksum());
}

// The same work on one thread (decode into the slot, publish, drain, apply, strategy), no
// hand-off: the cost the two-thread latency adds to. Reported per frame; includes the source's id
// rewrite (a few ns).
constexpr std::size_t kMaxDrain = 64;  // every event of a frame
void same_thread(benchmark::State& state, bool balances) {
  OrderRing<BusySpin> ring(4096);
  StreamSource source(balances);
  source.begin_run(~std::uint64_t{0}, 0);
  AccountState account(stream_config());
  LatencyStrategy strategy;
  std::vector<std::uint64_t> samples(4096);
  strategy.reset(samples, {}, 0);
  Consumer consumer(account, strategy);
  for (std::uint64_t i = 0; i < kWarmupEvents; ++i) {
    (void)source.poll(ring);
    (void)drain_to(ring, consumer, kMaxDrain);
  }
  for (auto _ : state) {
    (void)source.poll(ring);
    (void)drain_to(ring, consumer, kMaxDrain);
  }
  state.SetItemsProcessed(state.iterations());
  if (source.failed() != 0) state.SkipWithError("frames failed to decode");
  state.counters["missing_orders"] = static_cast<double>(strategy.missing());
  benchmark::DoNotOptimize(strategy.checksum());
}

void register_runs() {
  // {offered rate, frames}: ~0.5 s each at the paced rates, ~1 s at max on a 2-core VM.
  const std::vector<std::vector<std::int64_t>> runs = {
      {100'000, 50'000}, {1'000'000, 500'000}, {0, 2'000'000}};
  for (const bool balances : {false, true}) {
    const std::string suffix = balances ? "+balances" : "";
    benchmark::RegisterBenchmark(("same_thread/AccountState" + suffix).c_str(), &same_thread,
                                 balances)
        ->MinTime(0.2);
    add_rate_runs(benchmark::RegisterBenchmark(("full_path/AccountState" + suffix).c_str(),
                                               &full_path, balances),
                  runs);
  }
}

}  // namespace
}  // namespace fillwire::bench

int main(int argc, char** argv) {
  using namespace fillwire::bench;
  calibration() = fillwire::TscCalibration::calibrate(std::chrono::milliseconds(50));
  register_runs();
  return run_benchmarks(argc, argv);
}
