#pragma once
// Counting replacements of every global operator new and delete (plain, array, nothrow, aligned,
// sized). Link counting_allocator.cpp into a test executable of its own: it replaces the global
// allocation functions for the whole program. Counts are process-wide and thread-safe, so a test
// can assert that a hot loop (on one thread or several) performs no allocation at all.
//
// Usage:
//   const auto before = fillwire::test::allocation_count();
//   ... hot loop ...
//   EXPECT_EQ(fillwire::test::allocation_count(), before);

#include <cstdint>

namespace fillwire::test {

// Calls of any operator new / new[] form since program start. Any thread.
[[nodiscard]] std::uint64_t allocation_count() noexcept;
// The same, made by the calling thread only: a hot thread's count while cold threads allocate.
[[nodiscard]] std::uint64_t thread_allocation_count() noexcept;
// Calls of any operator delete / delete[] form with a non-null pointer. Any thread.
[[nodiscard]] std::uint64_t deallocation_count() noexcept;

// Counts allocations during a scope (any thread's allocations, not only the caller's).
class AllocationScope {
 public:
  AllocationScope() noexcept : start_(allocation_count()) {}
  [[nodiscard]] std::uint64_t allocations() const noexcept { return allocation_count() - start_; }

 private:
  std::uint64_t start_;
};

}  // namespace fillwire::test
