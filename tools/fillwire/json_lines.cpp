#include "json_lines.hpp"

#include <fmt/core.h>

#include <string>

namespace fillwire::cli {

std::string_view error_code(DecodeErrc e) noexcept {
  switch (e) {
    case DecodeErrc::ok:
      return "ok";
    case DecodeErrc::empty_frame:
      return "empty_frame";
    case DecodeErrc::frame_too_large:
      return "frame_too_large";
    case DecodeErrc::invalid_utf8:
      return "invalid_utf8";
    case DecodeErrc::malformed_json:
      return "malformed_json";
    case DecodeErrc::not_an_object:
      return "not_an_object";
    case DecodeErrc::missing_field:
      return "missing_field";
    case DecodeErrc::wrong_type:
      return "wrong_type";
    case DecodeErrc::bad_enum:
      return "bad_enum";
    case DecodeErrc::bad_uuid:
      return "bad_uuid";
    case DecodeErrc::too_long:
      return "too_long";
    case DecodeErrc::out_of_range:
      return "out_of_range";
    case DecodeErrc::duplicate_field:
      return "duplicate_field";
    case DecodeErrc::unsupported_type:
      return "unsupported_type";
    case DecodeErrc::unknown_frame:
      return "unknown_frame";
    case DecodeErrc::unexpected_list:
      return "unexpected_list";
    case DecodeErrc::count_:
      break;
  }
  return "invalid_error_code";
}

Json located(const FrameReader& reader, std::uint64_t number) {
  return Json{{reader.journal() ? "record" : "line", number}};
}

Json decode_error_json(Json where, const FrameResult& r) {
  where["error"] = std::string(error_code(r.error.code));
  if (r.error.field != Field::none) where["field"] = std::string(field_name(r.error.field));
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
