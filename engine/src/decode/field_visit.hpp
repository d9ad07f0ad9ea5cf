#pragma once
// visit_field: the per-field dispatch of the decoder's two paths and the encoder, generated from
// the field table (FILLWIRE_ORDER_FIELDS, order_event.hpp). One switch over the field enum; each
// case calls `fn(KindTag<kind>{}, event.member)`, so the caller picks its reader or writer by
// overloading on the kind and the member's type, and the compiler sees a plain switch.
// A second event type gets its own visit_field overload from its own table, the same way.

#include <cstddef>
#include <cstdint>

#include "fillwire/order_event.hpp"

namespace fillwire::detail {

template <FieldKind K>
struct KindTag {
  static constexpr FieldKind kind = K;
};

// `Event` is OrderEvent or const OrderEvent. A field outside the table calls nothing.
template <class Event, class Fn>
[[gnu::always_inline]] inline void visit_field(Field f, Event& e, Fn&& fn) noexcept {
  switch (f) {
#define FILLWIRE_VISIT_CASE_(name, simple, kind, member, presence) \
  case Field::name:                                                \
    fn(KindTag<FieldKind::kind>{}, e.member);                      \
    break;
    FILLWIRE_ORDER_FIELDS(FILLWIRE_VISIT_CASE_)
#undef FILLWIRE_VISIT_CASE_
    case Field::count_:
    case Field::none:
      break;
  }
}

// Where each field's member lives in OrderEvent, for readers that skip the switch (the fast path's
// numbers).
inline constexpr auto kFieldOffsets = [] {
  struct Table {
    std::uint16_t offset[kFieldCount];
    constexpr std::uint16_t operator[](std::size_t i) const { return offset[i]; }
  } t{};
#define FILLWIRE_FIELD_OFFSET_(name, simple, kind, member, presence) \
  t.offset[static_cast<std::size_t>(Field::name)] =                  \
      static_cast<std::uint16_t>(offsetof(OrderEvent, member));
  FILLWIRE_ORDER_FIELDS(FILLWIRE_FIELD_OFFSET_)
#undef FILLWIRE_FIELD_OFFSET_
  return t;
}();

}  // namespace fillwire::detail
