#pragma once
// One run of the live client for a test: LiveSource on the network thread feeding a Pipeline into
// the test's consumer on the strategy thread, until a condition on the source holds or a deadline
// passes; then stopped, with its counters, decoder figures and notices. Shared by the tests
// against upbit-sim (live_test) and against the misbehaving exchange (misbehaving_test).

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "fillwire/auth.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/live_source.hpp"
#include "fillwire/pipeline.hpp"
#include "wait.hpp"

namespace fillwire::test {

// The client's notices, from any thread, in order.
class NoticeLog {
 public:
  NoticeFn fn() {
    return [this](std::string_view s) {
      const std::lock_guard lock(m_);
      text_.append(s).push_back('\n');
    };
  }
  std::string all() const {
    const std::lock_guard lock(m_);
    return text_;
  }

 private:
  mutable std::mutex m_;
  std::string text_;
};

struct LiveRun {
  LiveCounters counters;
  DecoderStats decoder;  // read once the network thread had stopped
  std::string notices;
  bool connected = false;  // still connected when the run ended
};

// `done` for a run of fixed length: the whole limit is the scenario.
inline constexpr auto kForTheWholeLimit = [](const LiveCounters&) { return false; };

// Runs until `done` holds (polled every `poll`) or `limit` has passed. `done` is called with the
// source, or with its counters.
template <class Consumer, class Done>
LiveRun run_live(const LiveConfig& lc, Credentials keys, Consumer& consumer,
                 std::chrono::milliseconds limit, Done&& done, JournalProducer* journal = nullptr,
                 std::chrono::milliseconds poll = std::chrono::milliseconds(20)) {
  NoticeLog notices;
  LiveSource source(lc, std::move(keys), journal, notices.fn());
  Pipeline<Consumer> pipeline(consumer, PipelineConfig{});
  pipeline.start(source);
  (void)wait_until(
      [&] {
        if constexpr (std::is_invocable_v<Done&, const LiveCounters&>) {
          return done(source.counters());
        } else {
          return done(std::as_const(source));
        }
      },
      limit, poll);
  LiveRun r;
  r.connected = source.connected();
  pipeline.stop();
  r.counters = source.counters();
  r.decoder = source.decoder_stats();
  r.notices = notices.all();
  return r;
}

}  // namespace fillwire::test
