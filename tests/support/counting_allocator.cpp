// Replaces every global allocation and deallocation function ([new.delete]) with a version that
// counts the call and forwards to malloc / aligned_alloc / free.

#include "counting_allocator.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace fillwire::test {
namespace {

std::atomic<std::uint64_t> g_allocations{0};
std::atomic<std::uint64_t> g_deallocations{0};
thread_local std::uint64_t t_allocations = 0;  // this thread's (trivial: no allocation itself)

void* allocate(std::size_t size) noexcept {
  // relaxed: a statistic; readers only compare totals after synchronising with the threads.
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  ++t_allocations;
  return std::malloc(size == 0 ? 1 : size);
}

void* allocate_aligned(std::size_t size, std::align_val_t align) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);  // relaxed: as above
  ++t_allocations;
  const auto a = static_cast<std::size_t>(align);
  const std::size_t rounded = (size + a - 1) / a * a;  // aligned_alloc wants a multiple
  return std::aligned_alloc(a, rounded == 0 ? a : rounded);
}

void release(void* p) noexcept {
  if (p == nullptr) return;
  g_deallocations.fetch_add(1, std::memory_order_relaxed);  // relaxed: as above
  std::free(p);
}

void* or_throw(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

std::uint64_t allocation_count() noexcept {
  return g_allocations.load(std::memory_order_relaxed);  // relaxed: see allocate()
}
std::uint64_t thread_allocation_count() noexcept {
  return t_allocations;
}
std::uint64_t deallocation_count() noexcept {
  return g_deallocations.load(std::memory_order_relaxed);  // relaxed: see allocate()
}

}  // namespace fillwire::test

using fillwire::test::allocate;
using fillwire::test::allocate_aligned;
using fillwire::test::or_throw;
using fillwire::test::release;

// NOLINTBEGIN(misc-new-delete-overloads): the full replaceable set, on purpose.
void* operator new(std::size_t size) {
  return or_throw(allocate(size));
}
void* operator new[](std::size_t size) {
  return or_throw(allocate(size));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return allocate(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return allocate(size);
}
void* operator new(std::size_t size, std::align_val_t a) {
  return or_throw(allocate_aligned(size, a));
}
void* operator new[](std::size_t size, std::align_val_t a) {
  return or_throw(allocate_aligned(size, a));
}
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_aligned(size, a);
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_aligned(size, a);
}

void operator delete(void* p) noexcept {
  release(p);
}
void operator delete[](void* p) noexcept {
  release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}
// NOLINTEND(misc-new-delete-overloads)
