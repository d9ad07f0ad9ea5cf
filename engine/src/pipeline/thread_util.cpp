// Thread set-up on Linux: sched_getaffinity / pthread_setaffinity_np / pthread_setname_np.

#include "fillwire/detail/thread_util.hpp"

#include <pthread.h>
#include <sched.h>

#include <cstring>
#include <string>
#include <system_error>

namespace fillwire {
namespace {

// The CPUs the process was started on (taskset, cgroup cpuset), read before main() runs. Not the
// calling thread's mask: a thread started by an already pinned thread inherits its single CPU,
// and must still be allowed to move to another CPU of the process.
cpu_set_t start_affinity() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) {
    CPU_ZERO(&set);
    CPU_SET(0, &set);
  }
  return set;
}
const cpu_set_t g_process_cpus = start_affinity();

}  // namespace

std::size_t usable_cpus() noexcept {
  const int n = CPU_COUNT(&g_process_cpus);
  return n > 0 ? static_cast<std::size_t>(n) : 1;
}

ThreadStatus check_pinning(std::size_t pinned_threads, std::size_t cores) {
  if (pinned_threads <= cores) return {};
  return {ThreadSetupCode::too_few_cores, "pinning skipped: " + std::to_string(pinned_threads) +
                                              " threads to pin but only " + std::to_string(cores) +
                                              " usable core" + (cores == 1 ? "" : "s")};
}

ThreadStatus pin_current_thread(int cpu) {
  if (cpu < 0) return {ThreadSetupCode::not_requested, {}};
  if (cpu >= CPU_SETSIZE || !CPU_ISSET(static_cast<std::size_t>(cpu), &g_process_cpus)) {
    return {ThreadSetupCode::bad_cpu,
            "cpu " + std::to_string(cpu) + " is not in this process's allowed set"};
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(static_cast<std::size_t>(cpu), &one);
  if (const int rc = pthread_setaffinity_np(pthread_self(), sizeof one, &one); rc != 0) {
    return {ThreadSetupCode::failed, "pthread_setaffinity_np(" + std::to_string(cpu) +
                                         "): " + std::system_category().message(rc)};
  }
  return {};
}

ThreadStatus set_thread_name(std::string_view name) {
  const std::string cut(name.substr(0, kMaxThreadName));
  if (const int rc = pthread_setname_np(pthread_self(), cut.c_str()); rc != 0) {
    return {ThreadSetupCode::failed,
            std::string("pthread_setname_np: ") + std::system_category().message(rc)};
  }
  if (cut.size() < name.size()) {
    return {ThreadSetupCode::name_truncated,
            "thread name '" + std::string(name) + "' cut to '" + cut + "' (15 characters max)"};
  }
  return {};
}

std::string current_thread_name() {
  char buf[kMaxThreadName + 1] = {};
  if (pthread_getname_np(pthread_self(), buf, sizeof buf) != 0) return {};
  return buf;
}

}  // namespace fillwire
