// Replaces glibc's malloc family (see hot_alloc.hpp). glibc supports replacing malloc this way
// (its manual, "Replacing malloc"): the program defines the functions, and the C library, the C++
// runtime and every shared library then call them. Here they forward to the __libc_* entry points
// of glibc's own allocator, so memory still comes from, and goes back to, the same heap.

#include "hot_alloc.hpp"

#include <dlfcn.h>  // dladdr
#include <errno.h>
#include <execinfo.h>  // backtrace, backtrace_symbols_fd (no allocation)
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstring>

extern "C" {
void* __libc_malloc(std::size_t size) noexcept;
void* __libc_calloc(std::size_t n, std::size_t size) noexcept;
void* __libc_realloc(void* p, std::size_t size) noexcept;
void __libc_free(void* p) noexcept;
void* __libc_memalign(std::size_t alignment, std::size_t size) noexcept;
void* __libc_valloc(std::size_t size) noexcept;
void* __libc_pvalloc(std::size_t size) noexcept;
}

namespace fillwire::bench::hot_alloc {
namespace {

constexpr std::size_t kStacks = 4;
constexpr int kFrames = 24;

std::atomic<bool> g_armed{false};
// Plain thread-locals with constant initialisers: in the executable they need no run-time
// set-up (and no allocation) to be read from inside malloc.
thread_local bool t_marked = false;
thread_local bool t_in_hook = false;  // set while recording a stack (backtrace may call malloc)
thread_local std::uint64_t t_count = 0;

struct Stack {
  std::array<void*, kFrames> frames{};
  int depth = 0;
  std::size_t size = 0;
};
thread_local bool t_capture = false;  // capture the next counted allocation's stack
thread_local int t_captured_depth = 0;
thread_local std::array<void*, 2 * kFrames> t_captured{};
std::array<Stack, kStacks> g_stacks;
std::atomic<std::size_t> g_stacks_taken{0};  // slots claimed
std::atomic<std::size_t> g_stacks_done{0};   // slots filled

inline void count(std::size_t size) noexcept {
  // relaxed: a flag read on every allocation; arming is not ordered with anything else, the
  // benchmark arms it well before and disarms it well after the window it measures.
  if (!t_marked || t_in_hook || !g_armed.load(std::memory_order_relaxed)) return;
  ++t_count;
  if (t_capture) {
    t_capture = false;
    t_in_hook = true;
    t_captured_depth = backtrace(t_captured.data(), static_cast<int>(t_captured.size()));
    t_in_hook = false;
  }
  // relaxed: claims a slot index; the slot is published by g_stacks_done below.
  const std::size_t slot = g_stacks_taken.fetch_add(1, std::memory_order_relaxed);
  if (slot >= kStacks) return;
  t_in_hook = true;
  g_stacks[slot].size = size;
  g_stacks[slot].depth = backtrace(g_stacks[slot].frames.data(), kFrames);
  t_in_hook = false;
  // release: pairs with the acquire load in print_stacks().
  g_stacks_done.fetch_add(1, std::memory_order_release);
}

}  // namespace

void mark_this_thread() noexcept {
  t_marked = true;
}

void arm(bool on) noexcept {
  g_armed.store(on, std::memory_order_relaxed);  // relaxed: see count()
}

std::uint64_t thread_count() noexcept {
  return t_count;
}

void set_thread_count(std::uint64_t n) noexcept {
  t_count = n;
}

void capture_next() noexcept {
  t_capture = true;
  t_captured_depth = 0;
}

bool captured() noexcept {
  return t_captured_depth > 0;
}

bool captured_stack_has(const char* needle) noexcept {
  for (int i = 0; i < t_captured_depth; ++i) {
    Dl_info info{};
    if (dladdr(t_captured[static_cast<std::size_t>(i)], &info) != 0 && info.dli_sname != nullptr &&
        std::strstr(info.dli_sname, needle) != nullptr) {
      return true;
    }
  }
  return false;
}

std::size_t stacks_taken() noexcept {
  // relaxed: the caller's own earlier claims are program-ordered before it; see rewind_stacks().
  return std::min(g_stacks_taken.load(std::memory_order_relaxed), kStacks);
}

void rewind_stacks(std::size_t n) noexcept {
  if (n >= kStacks) return;
  // relaxed (both): only the thread that claimed the slots rewinds them (see the header), and
  // print_stacks() runs after the threads were joined.
  if (g_stacks_taken.load(std::memory_order_relaxed) <= n) return;
  g_stacks_taken.store(n, std::memory_order_relaxed);
  g_stacks_done.store(n, std::memory_order_relaxed);
}

std::size_t print_stacks(std::FILE* out) noexcept {
  // acquire: pairs with the release increment in count().
  const std::size_t n = g_stacks_done.load(std::memory_order_acquire);
  std::fflush(out);
  for (std::size_t i = 0; i < n && i < kStacks; ++i) {
    std::fprintf(out, "allocation %zu on a hot thread, %zu bytes:\n", i + 1, g_stacks[i].size);
    std::fflush(out);
    backtrace_symbols_fd(g_stacks[i].frames.data(), g_stacks[i].depth, fileno(out));
  }
  return n;
}

void prepare() noexcept {
  std::array<void*, 2> frames{};
  (void)backtrace(frames.data(), static_cast<int>(frames.size()));
}

}  // namespace fillwire::bench::hot_alloc

using fillwire::bench::hot_alloc::count;

extern "C" {

void* malloc(std::size_t size) noexcept {
  count(size);
  return __libc_malloc(size);
}

void* calloc(std::size_t n, std::size_t size) noexcept {
  count(n * size);
  return __libc_calloc(n, size);
}

void* realloc(void* p, std::size_t size) noexcept {
  count(size);
  return __libc_realloc(p, size);
}

void free(void* p) noexcept {
  __libc_free(p);
}

void* memalign(std::size_t alignment, std::size_t size) noexcept {
  count(size);
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  count(size);
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  count(size);
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

void* valloc(std::size_t size) noexcept {
  count(size);
  return __libc_valloc(size);
}

void* pvalloc(std::size_t size) noexcept {
  count(size);
  return __libc_pvalloc(size);
}

}  // extern "C"
