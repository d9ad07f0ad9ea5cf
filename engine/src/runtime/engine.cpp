// The cold half of Engine<Strategy> (engine.hpp): journal, human log, live source, and the
// housekeeping thread that asks the strategy thread for snapshots, keeps the newest for readers,
// logs connection notices and writes periodic summaries.

#include "fillwire/engine.hpp"

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <thread>

#include "fillwire/detail/thread_util.hpp"
#include "fillwire/safe_text.hpp"
#include "fillwire/snapshot_view.hpp"
#include "net/url.hpp"

namespace fillwire::detail {

struct EngineRuntime::Impl {
  std::shared_ptr<spdlog::logger> logger;
  std::string access_key;  // redacted from every log line (a server may echo it)
  std::atomic<std::uint64_t> lines_escaped{0};

  // Every line of the human log goes through here: one line, whatever the text holds. Never
  // throws (the housekeeping thread's loop is noexcept): out of memory drops the entry, saying so.
  void write(spdlog::level::level_enum level, std::string_view text) noexcept {
    try {
      const std::array<std::string_view, 1> secrets{access_key};
      const std::string line = one_line(text, kLogLineCap, secrets);
      if (line != text) lines_escaped.fetch_add(1, std::memory_order_relaxed);  // a statistic only
      logger->log(level, "{}", line);
    } catch (const std::exception&) {
      logger->log(spdlog::level::err, "a log entry was dropped: out of memory");
    }
  }

  mutable std::mutex mutex;  // guards everything below (cold threads only)
  std::condition_variable wake;
  bool stop = false;
  std::vector<std::string> notices;         // from the network thread's connection steps
  std::unique_ptr<AccountSnapshot> latest;  // newest snapshot taken from the handoff
  bool have_latest = false;
  std::uint64_t snapshots = 0;

  std::thread thread;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point last_summary;
  std::uint64_t last_summary_events = 0;
  std::string last_nats_error;          // the last one logged
  std::function<void()> wake_consumer;  // set before the thread starts
};

namespace {

// The smallest rotation size accepted: a few lines of the log.
constexpr std::size_t kMinLogFileBytes = 4096;
// spdlog refuses more than 200,000 rotated files; the journal's key allows 1000.
constexpr std::size_t kMaxLogKeepFiles = 1000;

std::shared_ptr<spdlog::logger> make_logger(const EngineConfig& config) {
  std::vector<spdlog::sink_ptr> sinks;
  if (!config.log_path.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          config.log_path, config.log_max_file_bytes, config.log_keep_files));
    } catch (const spdlog::spdlog_ex& e) {
      throw std::runtime_error("cannot open the log file " + config.log_path + ": " + e.what() +
                               " (check the directory exists and is writable, or change log_path)");
    }
  }
  if (config.log_to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  // Not registered in spdlog's global registry: two engines in one process never collide.
  auto logger = std::make_shared<spdlog::logger>("fillwire", sinks.begin(), sinks.end());
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  logger->flush_on(spdlog::level::warn);
  return logger;
}

}  // namespace

EngineRuntime::EngineRuntime(const EngineConfig& config, Credentials credentials)
    : config_(config), impl_(std::make_unique<Impl>()) {
  config_.account.validate();
  if (config_.snapshot_interval.count() <= 0)
    throw std::invalid_argument("snapshot_interval must be positive");
  if (config_.log_max_file_bytes < kMinLogFileBytes)
    throw std::invalid_argument("log_max_file_bytes must be at least " +
                                std::to_string(kMinLogFileBytes));
  if (config_.log_keep_files > kMaxLogKeepFiles)
    throw std::invalid_argument("log_keep_files must be at most " +
                                std::to_string(kMaxLogKeepFiles));
  if (config_.follow && (config_.journal || config_.nats)) {
    throw std::invalid_argument(
        "a follower neither journals nor publishes: the stream it follows is the account's "
        "journal (fillwire replay reads a gateway's journal file)");
  }
  if (!config_.follow) {
    // The URLs are checked before anything is opened; an error never quotes them (url.hpp).
    try {
      (void)parse_url(config_.live.url);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("live.url: ") + e.what());
    }
    if (!config_.live.rest_url.empty()) {
      try {
        (void)parse_url(config_.live.rest_url);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("live.rest_url: ") + e.what());
      }
    }
  }
  impl_->latest = std::make_unique<AccountSnapshot>();
  impl_->access_key = credentials.access_key;
  impl_->logger = make_logger(config_);
  if (config_.follow) {
    follower_ = std::make_unique<JetStreamSource>(*config_.follow);  // connects; throws
    return;
  }
  if (config_.nats && !config_.journal) {
    throw std::invalid_argument("publishing to NATS needs a journal: it publishes the journal");
  }
  if (config_.journal) {
    journal_ = std::make_unique<Journal>(*config_.journal);
    // Before any record: the publisher follows the journal from its end as it is now.
    if (config_.nats) publisher_ = std::make_unique<NatsPublisher>(*journal_, *config_.nats);
    network_journal_ = &journal_->make_producer();
    cold_journal_ = &journal_->make_producer();
  }
  // Notices come from the network thread's (cold) connection steps; they are queued here and
  // written by the housekeeping thread, so no hot thread ever formats or writes a log line.
  Impl* impl = impl_.get();
  source_ = std::make_unique<LiveSource>(config_.live, std::move(credentials), network_journal_,
                                         [impl](std::string_view text) {
                                           std::lock_guard lock(impl->mutex);
                                           impl->notices.emplace_back(text);
                                         });
}

EngineRuntime::~EngineRuntime() {
  if (impl_->thread.joinable()) {
    {
      std::lock_guard lock(impl_->mutex);
      impl_->stop = true;
    }
    impl_->wake.notify_all();
    impl_->thread.join();
  }
}

void EngineRuntime::log(std::string_view line) {
  impl_->write(spdlog::level::info, line);
}

void EngineRuntime::start_housekeeping(const std::vector<std::string>& warnings,
                                       std::function<void()> wake) {
  impl_->wake_consumer = std::move(wake);
  for (const std::string& w : warnings)
    impl_->write(spdlog::level::warn, w);
  std::string started =
      follower_
          ? fmt::format("engine started: following NATS stream {} from {}", follower_->stream(),
                        config_.follow->start_seq == 0
                            ? std::string("new messages")
                            : fmt::format("sequence {}", config_.follow->start_seq))
          : "engine started: " + parse_url(config_.live.url).redacted();
  if (config_.journal) started += ", journal " + config_.journal->path;
  if (publisher_) {
    started += ", publishing to NATS stream " + publisher_->stream() + " (run " +
               publisher_->run_id() + ")";
  }
  if (!config_.log_path.empty()) {
    started += fmt::format(", log rotated at {} bytes, {} kept", config_.log_max_file_bytes,
                           config_.log_keep_files);
  }
  impl_->write(spdlog::level::info, started);
  impl_->started = std::chrono::steady_clock::now();
  impl_->last_summary = impl_->started;
  impl_->thread = std::thread([this] { run(); });
}

void EngineRuntime::take_latest() {
  const AccountSnapshot* s = handoff_.take();
  if (s == nullptr) return;
  std::lock_guard lock(impl_->mutex);
  *impl_->latest = *s;
  impl_->have_latest = true;
  ++impl_->snapshots;
}

bool EngineRuntime::snapshot(AccountSnapshot& out) const {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->have_latest) return false;
  out = *impl_->latest;
  return true;
}

bool EngineRuntime::connected() const noexcept {
  return follower_ ? follower_->connected() : source_->connected();
}

EngineCounters EngineRuntime::counters() const {
  EngineCounters c;
  if (follower_) {
    // acquire: pairs with the release in finish(), after the producer thread was joined.
    c.follow = joined_.load(std::memory_order_acquire) ? follower_->final_counters()
                                                       : follower_->counters();
    c.following = true;
  } else {
    c.live = source_->counters();
  }
  c.connected = connected();
  if (journal_) c.journal = journal_->counters();
  if (publisher_) {
    c.nats = publisher_->counters();
    c.publishing = true;
  }
  c.log_lines_escaped = impl_->lines_escaped.load(std::memory_order_relaxed);
  std::lock_guard lock(impl_->mutex);
  c.snapshots = impl_->snapshots;
  return c;
}

std::string EngineRuntime::nats_error() const {
  if (follower_) return follower_->error();
  return publisher_ ? publisher_->last_error() : std::string();
}

// Notices from the network thread's connection steps, written on the calling (cold) thread.
void EngineRuntime::write_notices() {
  std::vector<std::string> notices;
  {
    std::lock_guard lock(impl_->mutex);
    notices.swap(impl_->notices);
  }
  for (const std::string& n : notices)
    impl_->write(spdlog::level::info, n);
}

// The publisher's or the follower's last error, once each time it changes (the text is capped and
// escaped where it quotes a server, and never holds a credential: nats_link.cpp).
void EngineRuntime::write_nats_error() {
  std::string e = nats_error();
  std::lock_guard lock(impl_->mutex);
  if (e.empty() || e == impl_->last_nats_error) return;
  impl_->last_nats_error = std::move(e);
  impl_->write(spdlog::level::warn, "NATS: " + impl_->last_nats_error);
}

// One summary: a line in the human log (after `line_prefix`) and, with a journal, the panel as a
// summary record titled `title`.
void EngineRuntime::write_summary(const AccountSnapshot& snapshot, std::string_view title,
                                  std::string_view line_prefix, double elapsed_s,
                                  double events_per_s) {
  const EngineCounters c = counters();
  impl_->write(spdlog::level::info,
               fmt::format("{}{}", line_prefix, format_line(snapshot, c, events_per_s)));
  if (cold_journal_ == nullptr) return;
  ViewContext context;
  context.title = std::string(title);
  context.elapsed_s = elapsed_s;
  context.events_per_s = events_per_s;
  const std::string text = format_view(snapshot, c, context);
  (void)cold_journal_->record(JournalKind::summary, text.data(), text.size(), now_steady_ns());
}

void EngineRuntime::run() noexcept {
  (void)set_thread_name("fw-engine");
  auto summary = std::make_unique<AccountSnapshot>();
  for (;;) {
    {
      std::unique_lock lock(impl_->mutex);
      if (impl_->wake.wait_for(lock, config_.snapshot_interval, [this] { return impl_->stop; }))
        break;
    }
    try {
      write_notices();
      write_nats_error();
      take_latest();
      handoff_.request();  // answered at the strategy thread's next event, or now when idle
      if (impl_->wake_consumer) impl_->wake_consumer();
      const auto now = std::chrono::steady_clock::now();
      if (config_.summary_interval.count() > 0 &&
          now - impl_->last_summary >= config_.summary_interval && snapshot(*summary)) {
        const double seconds = std::chrono::duration<double>(now - impl_->last_summary).count();
        const double rate =
            static_cast<double>(summary->order_events - impl_->last_summary_events) / seconds;
        impl_->last_summary = now;
        impl_->last_summary_events = summary->order_events;
        write_summary(*summary, "summary", "",
                      std::chrono::duration<double>(now - impl_->started).count(), rate);
      }
    } catch (const std::exception& e) {
      // Out of memory while formatting: the summary is skipped, the engine goes on.
      impl_->write(spdlog::level::err, std::string("housekeeping: ") + e.what());
    }
  }
  write_notices();
}

void EngineRuntime::finish() {
  joined_.store(true, std::memory_order_release);  // release: pairs with counters()
  if (impl_->thread.joinable()) {
    {
      std::lock_guard lock(impl_->mutex);
      impl_->stop = true;
    }
    impl_->wake.notify_all();
    impl_->thread.join();
  }
  // The housekeeping thread is gone: this thread is now the handoff's only reader.
  take_latest();
  write_notices();
  auto final_snapshot = std::make_unique<AccountSnapshot>();
  if (snapshot(*final_snapshot)) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - impl_->started).count();
    const double rate =
        seconds > 0 ? static_cast<double>(final_snapshot->order_events) / seconds : 0.0;
    write_summary(*final_snapshot, "final summary", "final: ", seconds, rate);
  }
  if (follower_) {
    write_nats_error();
    const JetStreamCounters& f = follower_->final_counters();
    impl_->write(
        spdlog::level::info,
        fmt::format("NATS: followed {} messages of {} to stream sequence {}: {} frames, {} "
                    "resync events; {} damaged, {} gaps, {} refused, {} journal records "
                    "lost at the gateway",
                    f.messages, follower_->stream(), f.last_stream_seq, f.records.frames,
                    f.records.event_records, f.records.damaged, f.gaps, f.refused, f.journal_lost));
  }
  impl_->write(spdlog::level::info, "engine stopped");
  if (journal_) journal_->flush();
  if (publisher_) {
    publisher_->stop();  // publishes what the journal holds, within its stop_timeout
    write_nats_error();
    const NatsPublisherCounters n = publisher_->counters();
    impl_->write(n.lag_records == 0 ? spdlog::level::info : spdlog::level::warn,
                 fmt::format("NATS: {} records published in {} messages to {}; {} not published "
                             "(they stay in the journal)",
                             n.published, n.messages, publisher_->stream(), n.lag_records));
  }
  impl_->logger->flush();
}

}  // namespace fillwire::detail
