#pragma once
// Thread set-up for the pipeline's threads: CPU pinning and names. Cold path (start-up): these
// functions may allocate and make system calls, and they never throw: each returns a status the
// caller logs. Pinning is skipped with a warning, not a failure, when the machine has fewer usable
// cores than threads to pin (two pinned threads sharing one core would starve each other).
//
// Thread contract: pin_current_thread() and set_thread_name() act on the calling thread only; the
// others are pure queries, safe from any thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fillwire {

enum class ThreadSetupCode : std::uint8_t {
  ok,
  not_requested,   // cpu < 0: the thread is left where the scheduler puts it
  too_few_cores,   // warning: fewer usable cores than threads to pin; pinning skipped
  bad_cpu,         // the cpu is not in this process's allowed set
  name_truncated,  // warning: the name was cut to the kernel's 15 characters
  failed,          // the system call failed (see message)
};

struct ThreadStatus {
  ThreadSetupCode code = ThreadSetupCode::ok;
  std::string message;  // empty when ok / not_requested

  // True when nothing needs reporting.
  [[nodiscard]] bool ok() const noexcept {
    return code == ThreadSetupCode::ok || code == ThreadSetupCode::not_requested;
  }
};

// Kernel limit for thread names, not counting the terminator.
inline constexpr std::size_t kMaxThreadName = 15;

// Number of CPUs this process may run on (its affinity mask when it started, so a thread pinned
// since does not narrow it), at least 1. Any thread.
[[nodiscard]] std::size_t usable_cpus() noexcept;

// Whether `pinned_threads` threads can each have a core of their own among `cores`: ok, or
// too_few_cores with a message saying pinning is skipped. Any thread.
[[nodiscard]] ThreadStatus check_pinning(std::size_t pinned_threads, std::size_t cores);
[[nodiscard]] inline ThreadStatus check_pinning(std::size_t pinned_threads) {
  return check_pinning(pinned_threads, usable_cpus());
}

// Pins the calling thread to `cpu` (a negative cpu means "do not pin": not_requested).
[[nodiscard]] ThreadStatus pin_current_thread(int cpu);

// Names the calling thread (visible in top -H, perf, gdb). Longer names are cut, with a warning.
[[nodiscard]] ThreadStatus set_thread_name(std::string_view name);

// The calling thread's name as the kernel has it (for tests and logs).
[[nodiscard]] std::string current_thread_name();

}  // namespace fillwire
