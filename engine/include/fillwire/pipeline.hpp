#pragma once
// Pipeline<Consumer, Wait>: the two hot threads. The producer thread (network thread) polls a
// Source, which decodes frames straight into OrderRing slots; the consumer thread (strategy thread)
// drains the ring in bounded batches and calls consumer.on_event(const OrderEvent&) for each event,
// in order. The consumer is a template parameter (no virtual call): StrategyConsumer (strategy.hpp)
// applies each event to an AccountState and calls the user's strategy. Users who own their
// strategy thread skip Pipeline and call drain_to() (or OrderRing::drain) on their own loop.
//
// Thread contract: start(), request_stop(), join(), stop() and the destructor are called from one
// controlling thread (not the two pipeline threads); counters() and finished() from any thread;
// warnings() by the controlling thread after start(). The consumer object is used only by the
// consumer thread between start() and join(); read it from the controlling thread after join().
//
// Life cycle: start() -> [source done, or request_stop()] -> the producer loop exits after its
// current frame -> the consumer drains every event published before that, then exits -> join().
// Nothing published is ever lost, and stop() never blocks on a full ring: the consumer keeps
// draining until the producer has finished.

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fillwire/clock.hpp"
#include "fillwire/detail/thread_util.hpp"
#include "fillwire/order_event.hpp"
#include "fillwire/order_ring.hpp"
#include "fillwire/source.hpp"
#include "fillwire/wait_strategy.hpp"

namespace fillwire {

// What the strategy thread feeds: `on_event(const OrderEvent&)`, noexcept (it runs on the hot path
// without exception handling). The reference is valid only during the call.
template <class C>
concept EventConsumer = requires(C& consumer, const OrderEvent& event) {
  { consumer.on_event(event) }
  noexcept;
};

// A consumer with work to do between events (Engine's snapshots while the account is quiet):
// when the ring is empty the strategy thread calls on_idle() before it waits, and stops waiting
// when idle_work() turns true (whoever makes it true calls Pipeline::wake_consumer()). Both
// noexcept; idle_work() is polled while waiting, so it must be a cheap load.
template <class C>
concept IdleConsumer = requires(C& consumer) {
  { consumer.on_idle() }
  noexcept;
  { consumer.idle_work() }
  noexcept->std::same_as<bool>;
};

// For users who own their thread: hands up to `max` published events to consumer.on_event.
// Consumer thread of `ring` only. Returns how many; 0 when the ring was empty.
template <EventConsumer Consumer, WaitStrategy Wait>
std::size_t drain_to(OrderRing<Wait>& ring, Consumer& consumer, std::size_t max) noexcept {
  return ring.drain([&consumer](const OrderEvent& e) noexcept { consumer.on_event(e); }, max);
}

struct PipelineConfig {
  std::size_t ring_capacity = 4096;  // power of two
  std::size_t drain_batch = 256;     // events per drain; the head is published once per batch
  int producer_cpu = -1;             // CPU to pin the producer thread to; -1: not pinned
  int consumer_cpu = -1;             // CPU to pin the consumer thread to; -1: not pinned
  std::string producer_name = "fw-network";
  std::string consumer_name = "fw-strategy";
};

struct PipelineCounters {
  RingCounters ring;
  std::uint64_t batches = 0;  // non-empty drains
  std::uint64_t waits = 0;    // times the consumer found the ring empty and waited
};

template <EventConsumer Consumer, WaitStrategy Wait = SpinThenYield>
class Pipeline {
 public:
  using Ring = OrderRing<Wait>;

  // Allocates the ring (cold path; throws RingCapacityError or std::invalid_argument).
  Pipeline(Consumer& consumer, PipelineConfig config)
      : consumer_(&consumer), config_(std::move(config)), ring_(config_.ring_capacity) {
    if (config_.drain_batch == 0) throw std::invalid_argument("drain_batch must be at least 1");
  }

  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  ~Pipeline() { stop(); }

  // Controlling thread. Starts both threads and returns once they are set up (pinned, named);
  // pinning problems are reported by warnings(), never fatal. `source` must outlive join().
  // Cold path: throws std::logic_error if called twice, std::system_error if a thread cannot start.
  template <Source<Ring> S>
  void start(S& source) {
    if (started_) throw std::logic_error("Pipeline::start called twice");
    started_ = true;
    const std::size_t pinned =
        (config_.producer_cpu >= 0 ? 1u : 0u) + (config_.consumer_cpu >= 0 ? 1u : 0u);
    const ThreadStatus pin_check = check_pinning(pinned);
    const bool pin = pin_check.ok();
    if (!pin) warnings_.push_back(pin_check.message);

    consumer_thread_ = std::thread([this, pin] {
      setup(config_.consumer_name, pin ? config_.consumer_cpu : -1, consumer_setup_);
      ready_.count_down();
      consume();
    });
    try {
      producer_thread_ = std::thread([this, pin, &source] {
        setup(config_.producer_name, pin ? config_.producer_cpu : -1, producer_setup_);
        ready_.count_down();
        produce(source);
      });
    } catch (...) {
      finish_producer();
      consumer_thread_.join();
      throw;
    }
    ready_.wait();  // both threads wrote their set-up status: the latch orders it before reads
    for (const ThreadStatus* s : {&consumer_setup_, &producer_setup_}) {
      if (!s->ok()) warnings_.push_back(s->message);
    }
  }

  // Any thread. The producer stops after its current frame; the consumer then drains and exits.
  void request_stop() noexcept {
    // release: pairs with the acquire load in produce(); nothing else is passed through it.
    stop_.store(true, std::memory_order_release);
  }

  // Controlling thread. Waits until the source is done (or a stop was requested) and every
  // published event was consumed. Afterwards the consumer and counters may be read freely.
  void join() {
    if (producer_thread_.joinable()) producer_thread_.join();
    if (consumer_thread_.joinable()) consumer_thread_.join();
  }

  // Controlling thread: request_stop() then join().
  void stop() {
    request_stop();
    join();
  }

  // Any thread: a consumer waiting on an empty ring re-checks its idle_work() (IdleConsumer).
  void wake_consumer() noexcept { ring_.wake(); }

  // Any thread. True once both loops have exited.
  [[nodiscard]] bool finished() const noexcept {
    // acquire: pairs with the release store at the end of consume().
    return consumer_done_.load(std::memory_order_acquire);
  }

  // Any thread.
  [[nodiscard]] PipelineCounters counters() const noexcept {
    PipelineCounters c;
    c.ring = ring_.counters();
    // relaxed (both): display counters written by the consumer thread only.
    c.batches = batches_.load(std::memory_order_relaxed);
    c.waits = waits_.load(std::memory_order_relaxed);
    return c;
  }

  // Controlling thread, after start(): pinning skipped, names cut, affinity errors.
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept { return warnings_; }

  [[nodiscard]] const PipelineConfig& config() const noexcept { return config_; }
  [[nodiscard]] Ring& ring() noexcept { return ring_; }

 private:
  // Runs first on each pipeline thread; reports rather than throws (an exception here would
  // terminate the program).
  static void setup(const std::string& name, int cpu, ThreadStatus& out) noexcept {
    try {
      ThreadStatus pinned = pin_current_thread(cpu);
      ThreadStatus named = set_thread_name(name);
      if (!pinned.ok() && !named.ok()) pinned.message += "; " + named.message;
      out = !pinned.ok() ? std::move(pinned) : std::move(named);
    } catch (...) {
      out.code = ThreadSetupCode::failed;  // out of memory while formatting a message
      out.message = "set-up failed";       // fits the small-string buffer: no allocation
    }
  }

  template <class S>
  void produce(S& source) noexcept {
    // acquire: pairs with the release store in request_stop().
    while (!stop_.load(std::memory_order_acquire)) {
      const SourceStatus status = source.poll(ring_);
      if (status == SourceStatus::done) break;
      if (status == SourceStatus::idle) cpu_relax();
    }
    finish_producer();
  }

  void finish_producer() noexcept {
    // release: pairs with the acquire loads in consume(); every publish() before it is visible
    // to the consumer once it sees the flag.
    producer_done_.store(true, std::memory_order_release);
    ring_.wake();  // a Blocking consumer re-checks producer_done_
  }

  void consume() noexcept {
    Consumer& consumer = *consumer_;
    auto handler = [&consumer](const OrderEvent& e) noexcept { consumer.on_event(e); };
    const auto producer_done = [this]() noexcept {
      // acquire: pairs with the release store in finish_producer().
      return producer_done_.load(std::memory_order_acquire);
    };
    const auto stop_waiting = [&consumer, &producer_done]() noexcept {
      if constexpr (IdleConsumer<Consumer>) {
        if (consumer.idle_work()) return true;
      }
      return producer_done();
    };
    std::uint64_t batches = 0;
    std::uint64_t waits = 0;
    for (;;) {
      if (ring_.drain(handler, config_.drain_batch) != 0) {
        // relaxed: a display counter only this thread writes.
        batches_.store(++batches, std::memory_order_relaxed);
        continue;
      }
      if (producer_done()) {
        if (ring_.empty()) break;  // the flag's acquire made every publish visible: truly empty
        continue;
      }
      if constexpr (IdleConsumer<Consumer>) consumer.on_idle();
      waits_.store(++waits, std::memory_order_relaxed);  // relaxed: as batches_
      ring_.wait_readable(stop_waiting);
    }
    // release: pairs with the acquire load in finished().
    consumer_done_.store(true, std::memory_order_release);
  }

  Consumer* consumer_;
  PipelineConfig config_;
  Ring ring_;
  std::thread producer_thread_;
  std::thread consumer_thread_;
  ThreadStatus producer_setup_;
  ThreadStatus consumer_setup_;
  std::vector<std::string> warnings_;
  std::latch ready_{2};  // counted down by each thread once its set-up status is written
  bool started_ = false;

  alignas(kFalseSharingRange) std::atomic<bool> stop_{false};  // set by the controlling thread
  std::atomic<bool> producer_done_{false};                     // set once by the producer thread
  alignas(kFalseSharingRange) std::atomic<std::uint64_t> batches_{0};  // consumer thread writes
  std::atomic<std::uint64_t> waits_{0};                                // consumer thread writes
  std::atomic<bool> consumer_done_{false};                             // consumer thread writes
};

}  // namespace fillwire
