#pragma once
// visit_field: the per-field dispatch of the decoder's two paths and the encoder, generated from
// the field tables (FILLWIRE_ORDER_FIELDS, order_event.hpp; FILLWIRE_ASSET_FIELDS and
// FILLWIRE_ASSET_ITEM_FIELDS, asset_event.hpp). One switch over the field enum; each case calls
// `fn(KindTag<kind>{}, event.member)`, so the caller picks its reader or writer by overloading on
// the kind and the member's type, and the compiler sees a plain switch.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "fillwire/asset_event.hpp"
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

// `Event` is AssetEvent or const AssetEvent: the frame's fields and one currency's.
template <class Event, class Fn>
[[gnu::always_inline]] inline void visit_field(AssetField f, Event& e, Fn&& fn) noexcept {
  switch (f) {
#define FILLWIRE_VISIT_ASSET_CASE_(name, simple, kind, member, presence) \
  case AssetField::name:                                                 \
    fn(KindTag<FieldKind::kind>{}, e.member);                            \
    break;
    FILLWIRE_ASSET_FIELDS(FILLWIRE_VISIT_ASSET_CASE_)
    FILLWIRE_ASSET_ITEM_FIELDS(FILLWIRE_VISIT_ASSET_CASE_)
#undef FILLWIRE_VISIT_ASSET_CASE_
    case AssetField::count_:
    case AssetField::none:
      break;
  }
}

// One element of a myAsset frame's `assets`, as the decoder holds it between reading a frame and
// publishing it (AssetEvent's item members, generated from FILLWIRE_ASSET_ITEM_FIELDS).
struct AssetItem {
// `member` is a member name, not an expression.
#define FILLWIRE_ASSET_ITEM_MEMBER_(name, simple, kind, member, presence) \
  decltype(AssetEvent::member) member;  // NOLINT(bugprone-macro-parentheses)
  FILLWIRE_ASSET_ITEM_FIELDS(FILLWIRE_ASSET_ITEM_MEMBER_)
#undef FILLWIRE_ASSET_ITEM_MEMBER_
  std::uint32_t present;  // the item fields' presence bits (asset_field_bit)
};
static_assert(std::is_trivially_copyable_v<AssetItem>,
              "AssetItems are decoded into a fixed array.");

// An item field of an AssetItem (a field outside FILLWIRE_ASSET_ITEM_FIELDS calls nothing).
template <class Fn>
[[gnu::always_inline]] inline void visit_field(AssetField f, AssetItem& item, Fn&& fn) noexcept {
  switch (f) {
#define FILLWIRE_VISIT_ITEM_CASE_(name, simple, kind, member, presence) \
  case AssetField::name:                                                \
    fn(KindTag<FieldKind::kind>{}, item.member);                        \
    break;
    FILLWIRE_ASSET_ITEM_FIELDS(FILLWIRE_VISIT_ITEM_CASE_)
#undef FILLWIRE_VISIT_ITEM_CASE_
    default:
      break;
  }
}

// The frame's fields come first in AssetField, then the item fields.
inline constexpr AssetField kFirstAssetItemField = [] {
  std::size_t n = 0;
#define FILLWIRE_COUNT_ASSET_FIELD_(name, simple, kind, member, presence) ++n;
  FILLWIRE_ASSET_FIELDS(FILLWIRE_COUNT_ASSET_FIELD_)
#undef FILLWIRE_COUNT_ASSET_FIELD_
  return static_cast<AssetField>(n);
}();
[[nodiscard]] constexpr bool is_item_field(AssetField f) noexcept {
  return f >= kFirstAssetItemField && f < AssetField::count_;
}

// The presence bits of the item fields.
inline constexpr std::uint32_t kAssetItemBits = [] {
  std::uint32_t bits = 0;
  for (std::size_t f = static_cast<std::size_t>(kFirstAssetItemField); f < kAssetFieldCount; ++f)
    bits |= asset_field_bit(static_cast<AssetField>(f));
  return bits;
}();

// Copies an item's fields into the event that carries it.
inline void apply_item(const AssetItem& item, AssetEvent& e) noexcept {
#define FILLWIRE_COPY_ASSET_ITEM_(name, simple, kind, member, presence) e.member = item.member;
  FILLWIRE_ASSET_ITEM_FIELDS(FILLWIRE_COPY_ASSET_ITEM_)
#undef FILLWIRE_COPY_ASSET_ITEM_
  e.present |= item.present;
}

}  // namespace fillwire::detail
