#include "json_lines.hpp"

#include <fmt/core.h>

#include <iterator>
#include <string>

namespace fillwire::cli {

namespace {

// The codes in DecodeErrc's order: the enumerators' names.
constexpr std::string_view kErrorCodes[] = {"ok",
                                            "empty_frame",
                                            "frame_too_large",
                                            "invalid_utf8",
                                            "malformed_json",
                                            "not_an_object",
                                            "missing_field",
                                            "wrong_type",
                                            "bad_enum",
                                            "bad_uuid",
                                            "too_long",
                                            "out_of_range",
                                            "duplicate_field",
                                            "unsupported_type",
                                            "unknown_frame",
                                            "unexpected_list"};
static_assert(std::size(kErrorCodes) == kDecodeErrcCount,
              "Every DecodeErrc needs its code here, in the enum's order.");

}  // namespace

std::string_view error_code(DecodeErrc e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < std::size(kErrorCodes) ? kErrorCodes[i] : "invalid_error_code";
}

Json located(const FrameReader& reader, std::uint64_t number) {
  return Json{{reader.journal() ? "record" : "line", number}};
}

Json decode_error_json(Json where, const FrameResult& r) {
  where["error"] = std::string(error_code(r.error.code));
  if (r.error.field != Field::none) where["field"] = std::string(field_name(r.error.field));
  if (r.error.asset_field != AssetField::none) {
    where["field"] = std::string(field_name(r.error.asset_field));
  }
  if (r.error.asset_index >= 0) where["asset_index"] = r.error.asset_index;
  if (r.rejected > 0 && r.events > 0) where["element"] = r.error.element;
  return where;
}

Json errors_by_code(const DecoderStats& s) {
  Json j = Json::object();
  for (std::size_t i = 1; i < kDecodeErrcCount; ++i) {
    if (s.by_error[i] > 0) j[std::string(error_code(static_cast<DecodeErrc>(i)))] = s.by_error[i];
  }
  return j;
}

void print_line(const Json& j) {
  fmt::print("{}\n", j.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace fillwire::cli
