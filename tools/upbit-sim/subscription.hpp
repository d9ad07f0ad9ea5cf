#pragma once
// Subscription requests on the private WebSocket (PROTOCOL.md §3, §5): parsing, validation with
// Upbit's error names, and the LIST_SUBSCRIPTIONS answer. Pure logic; any thread.
//
//   [{"ticket":"t"},{"type":"myOrder","codes":["KRW-BTC"]},{"format":"SIMPLE"}]
//   [{"method":"LIST_SUBSCRIPTIONS"},{"ticket":"t"}]

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fillwire::sim {

enum class StreamFormat : std::uint8_t { full, simple, full_list, simple_list };

[[nodiscard]] constexpr bool is_list(StreamFormat f) noexcept {
  return f == StreamFormat::full_list || f == StreamFormat::simple_list;
}
[[nodiscard]] constexpr bool is_simple(StreamFormat f) noexcept {
  return f == StreamFormat::simple || f == StreamFormat::simple_list;
}
[[nodiscard]] std::string_view to_string(StreamFormat f) noexcept;

struct TypeSpec {
  std::string type;                // "myOrder" or "myAsset"
  std::vector<std::string> codes;  // empty: all markets
  bool only_snapshot = false;
  bool only_realtime = false;
};

struct Subscription {
  std::string ticket;
  std::vector<TypeSpec> types;
  StreamFormat format = StreamFormat::full;

  // True when myOrder events of `market` go to this subscriber.
  [[nodiscard]] bool wants_order(std::string_view market) const noexcept;
  // True when myAsset events go to this subscriber.
  [[nodiscard]] bool wants_asset() const noexcept;
};

enum class SubErrc : std::uint8_t { ok, WRONG_FORMAT, NO_TICKET, NO_TYPE, NO_CODES, INVALID_PARAM };
[[nodiscard]] std::string_view to_string(SubErrc e) noexcept;

struct ParsedRequest {
  enum class Kind : std::uint8_t { subscribe, list_subscriptions, error };
  Kind kind = Kind::error;
  Subscription subscription;  // kind == subscribe
  std::string ticket;         // kind == list_subscriptions
  SubErrc error = SubErrc::WRONG_FORMAT;
  std::string message;  // kind == error: human text for the error frame
};

[[nodiscard]] ParsedRequest parse_request(std::string_view text);

// {"error":{"name":"<name>","message":"<message>"}}
[[nodiscard]] std::string error_frame(std::string_view name, std::string_view message);

// {"method":"LIST_SUBSCRIPTIONS","result":[{"type":..,"codes":[..]}],"ticket":"<ticket>"}
[[nodiscard]] std::string list_subscriptions_frame(const Subscription* current,
                                                   std::string_view ticket);

}  // namespace fillwire::sim
