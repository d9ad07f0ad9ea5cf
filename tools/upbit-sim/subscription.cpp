#include "subscription.hpp"

#include <algorithm>
#include <iterator>

#include <nlohmann/json.hpp>

namespace fillwire::sim {
namespace {

using nlohmann::json;

ParsedRequest fail(SubErrc e, std::string message) {
  ParsedRequest r;
  r.kind = ParsedRequest::Kind::error;
  r.error = e;
  r.message = std::move(message);
  return r;
}

bool is_upper_code(const std::string& code) {
  return !code.empty() &&
         std::none_of(code.begin(), code.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

}  // namespace

// Upbit's names, in the enums' order.
constexpr std::string_view kFormatNames[] = {"DEFAULT", "SIMPLE", "JSON_LIST", "SIMPLE_LIST"};
static_assert(std::size(kFormatNames) == static_cast<std::size_t>(StreamFormat::simple_list) + 1,
              "Every StreamFormat needs its name here, in the enum's order.");
constexpr std::string_view kSubErrorNames[] = {"OK",      "WRONG_FORMAT", "NO_TICKET",
                                               "NO_TYPE", "NO_CODES",     "INVALID_PARAM"};
static_assert(std::size(kSubErrorNames) == static_cast<std::size_t>(SubErrc::INVALID_PARAM) + 1,
              "Every SubErrc needs its name here, in the enum's order.");

std::string_view to_string(StreamFormat f) noexcept {
  const auto i = static_cast<std::size_t>(f);
  return i < std::size(kFormatNames) ? kFormatNames[i] : kFormatNames[0];
}

std::string_view to_string(SubErrc e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < std::size(kSubErrorNames) ? kSubErrorNames[i] : "WRONG_FORMAT";
}

bool Subscription::wants_order(std::string_view market) const noexcept {
  for (const auto& t : types) {
    if (t.type != "myOrder" || t.only_snapshot) continue;
    if (t.codes.empty()) return true;
    for (const auto& c : t.codes) {
      if (c == market) return true;
    }
  }
  return false;
}

bool Subscription::wants_asset() const noexcept {
  for (const auto& t : types) {
    if (t.type == "myAsset" && !t.only_snapshot) return true;
  }
  return false;
}

ParsedRequest parse_request(std::string_view text) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return fail(SubErrc::WRONG_FORMAT, "Invalid JSON request.");
  if (!doc.is_array() || doc.empty()) {
    return fail(SubErrc::WRONG_FORMAT, "The request must be a JSON array of objects.");
  }
  ParsedRequest r;
  bool have_ticket = false;
  bool list_method = false;
  for (const auto& item : doc) {
    if (!item.is_object())
      return fail(SubErrc::WRONG_FORMAT, "Each request element must be an object.");
    if (const auto m = item.find("method"); m != item.end()) {
      if (!m->is_string() || *m != "LIST_SUBSCRIPTIONS") {
        return fail(SubErrc::INVALID_PARAM, "Unknown method.");
      }
      list_method = true;
      continue;
    }
    if (const auto t = item.find("ticket"); t != item.end()) {
      if (!t->is_string() || t->get_ref<const std::string&>().empty()) {
        return fail(SubErrc::WRONG_FORMAT, "ticket must be a non-empty string.");
      }
      r.subscription.ticket = t->get<std::string>();
      have_ticket = true;
      continue;
    }
    if (const auto f = item.find("format"); f != item.end()) {
      if (!f->is_string()) return fail(SubErrc::WRONG_FORMAT, "format must be a string.");
      const auto& s = f->get_ref<const std::string&>();
      if (s == "DEFAULT")
        r.subscription.format = StreamFormat::full;
      else if (s == "SIMPLE")
        r.subscription.format = StreamFormat::simple;
      else if (s == "JSON_LIST")
        r.subscription.format = StreamFormat::full_list;
      else if (s == "SIMPLE_LIST")
        r.subscription.format = StreamFormat::simple_list;
      else
        return fail(SubErrc::INVALID_PARAM, "Unknown format: " + s);
      continue;
    }
    if (const auto t = item.find("type"); t != item.end()) {
      if (!t->is_string()) return fail(SubErrc::WRONG_FORMAT, "type must be a string.");
      TypeSpec spec;
      spec.type = t->get<std::string>();
      const auto codes = item.find("codes");
      const bool is_private = spec.type == "myOrder" || spec.type == "myAsset";
      if (!is_private) {
        static constexpr std::string_view kPublic[] = {"ticker", "trade", "orderbook", "candle.1s"};
        const bool known =
            std::find(std::begin(kPublic), std::end(kPublic), spec.type) != std::end(kPublic);
        if (!known) return fail(SubErrc::INVALID_PARAM, "Unknown type: " + spec.type);
        if (codes == item.end())
          return fail(SubErrc::NO_CODES, "codes is required for " + spec.type);
        return fail(SubErrc::INVALID_PARAM, "This server streams private types only.");
      }
      if (codes != item.end() && !codes->is_null()) {
        if (spec.type == "myAsset") return fail(SubErrc::WRONG_FORMAT, "myAsset takes no codes.");
        if (!codes->is_array()) return fail(SubErrc::WRONG_FORMAT, "codes must be an array.");
        for (const auto& c : *codes) {
          if (!c.is_string()) return fail(SubErrc::WRONG_FORMAT, "codes must hold strings.");
          const auto& code = c.get_ref<const std::string&>();
          if (!is_upper_code(code)) {
            return fail(SubErrc::INVALID_PARAM, "codes must be upper case: " + code);
          }
          spec.codes.push_back(code);
        }
      }
      for (const auto* key : {"is_only_snapshot", "is_only_realtime"}) {
        if (const auto b = item.find(key); b != item.end()) {
          if (!b->is_boolean())
            return fail(SubErrc::WRONG_FORMAT, std::string(key) + " must be a boolean.");
          (key[8] == 's' ? spec.only_snapshot : spec.only_realtime) = b->get<bool>();
        }
      }
      r.subscription.types.push_back(std::move(spec));
      continue;
    }
    return fail(SubErrc::WRONG_FORMAT, "Unknown request element.");
  }
  if (!have_ticket) return fail(SubErrc::NO_TICKET, "ticket is required.");
  if (list_method) {
    r.kind = ParsedRequest::Kind::list_subscriptions;
    r.ticket = r.subscription.ticket;
    r.error = SubErrc::ok;
    return r;
  }
  if (r.subscription.types.empty()) return fail(SubErrc::NO_TYPE, "type is required.");
  r.kind = ParsedRequest::Kind::subscribe;
  r.error = SubErrc::ok;
  return r;
}

std::string error_frame(std::string_view name, std::string_view message) {
  nlohmann::ordered_json j = {{"error", {{"name", name}, {"message", message}}}};
  return j.dump();
}

std::string list_subscriptions_frame(const Subscription* current, std::string_view ticket) {
  nlohmann::ordered_json j;
  j["method"] = "LIST_SUBSCRIPTIONS";
  j["result"] = nlohmann::ordered_json::array();
  if (current) {
    for (const auto& t : current->types) {
      nlohmann::ordered_json e;
      e["type"] = t.type;
      if (t.type == "myOrder") e["codes"] = t.codes;
      j["result"].push_back(std::move(e));
    }
  }
  j["ticket"] = ticket;
  return j.dump();
}

}  // namespace fillwire::sim
