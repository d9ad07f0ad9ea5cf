#pragma once
// Allocation counting on chosen threads, for benchmarks that must show a hot path allocates
// nothing. Link hot_alloc.cpp into a benchmark executable of its own: it replaces glibc's malloc
// family (malloc, calloc, realloc, free, memalign, posix_memalign, aligned_alloc, valloc,
// pvalloc) with versions that forward to glibc's own allocator (__libc_malloc and friends) and
// count. Every operator new of libstdc++, and every allocation of OpenSSL, Boost and the C
// library, goes through malloc, so all of them are seen.
//
// A call is counted only when the calling thread has called mark_this_thread() and counting is
// armed (arm()). The first few counted calls also record their stack (print_stacks() prints them
// at the end without allocating), to find where an allocation comes from.
//
// Thread contract: mark_this_thread(), thread_count() and set_thread_count() act on the calling
// thread; arm() and print_stacks() may be called from any thread.

#include <cstdint>
#include <cstdio>

namespace fillwire::bench::hot_alloc {

// The calling thread's allocations are counted while armed. Any thread, for itself.
void mark_this_thread() noexcept;
// Starts (true) or stops (false) counting on every marked thread. Any thread.
void arm(bool on) noexcept;
// Calls counted on the calling thread so far.
[[nodiscard]] std::uint64_t thread_count() noexcept;
// Sets the calling thread's count back, to leave a cold window out of it.
void set_thread_count(std::uint64_t n) noexcept;
// Stacks recorded so far (slots claimed), and forgetting those from slot `n` on, so that a caller
// that finds a window cold can leave its allocations out of the stacks as well as the count. Only
// for a program where one marked thread allocates at a time (the others must not: a run in which
// they do fails anyway). Any thread.
[[nodiscard]] std::size_t stacks_taken() noexcept;
void rewind_stacks(std::size_t n) noexcept;
// Captures the stack of the calling thread's next counted allocation (forgetting any earlier
// capture); afterwards, captured_stack_has() tells whether a function whose (mangled) name
// contains `needle` was on it. Names come from the dynamic symbol table (dladdr): link the
// executable with -rdynamic (ENABLE_EXPORTS). Calling thread only; captured_stack_has() is cold.
void capture_next() noexcept;
[[nodiscard]] bool captured() noexcept;
[[nodiscard]] bool captured_stack_has(const char* needle) noexcept;
// Writes the recorded stacks of the first counted calls (at most 4) to `out`; returns how many.
std::size_t print_stacks(std::FILE* out) noexcept;
// Loads what backtrace() needs, so that recording a stack later does not itself allocate. Call
// once at start, before arming.
void prepare() noexcept;

}  // namespace fillwire::bench::hot_alloc
