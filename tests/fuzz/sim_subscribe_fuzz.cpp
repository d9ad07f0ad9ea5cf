// libFuzzer target: upbit-sim's parser for subscription requests (the client's text messages on
// the private WebSocket), over arbitrary bytes.
//
// Invariants: parsing never crashes and never lets an exception out; whatever it decides, the
// answer the server would send (an error frame, or the LIST_SUBSCRIPTIONS frame echoing the
// client's ticket and codes) is valid JSON and carries the client's text back unchanged.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "invariant.hpp"
#include "subscription.hpp"

namespace {

using namespace fillwire::sim;

using fillwire::fuzz::check;

nlohmann::json parse_answer(const std::string& frame) {
  nlohmann::json j = nlohmann::json::parse(frame, nullptr, false);
  check(!j.is_discarded(), "the server's answer is not valid JSON");
  return j;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ParsedRequest r = parse_request(text);
  switch (r.kind) {
    case ParsedRequest::Kind::error: {
      check(r.error != SubErrc::ok, "an error without a name");
      const auto j = parse_answer(error_frame(to_string(r.error), r.message));
      check(j["error"]["message"] == r.message, "the error message did not survive");
      break;
    }
    case ParsedRequest::Kind::list_subscriptions: {
      check(!r.ticket.empty(), "LIST_SUBSCRIPTIONS without a ticket");
      const auto j = parse_answer(list_subscriptions_frame(nullptr, r.ticket));
      check(j["ticket"] == r.ticket, "the ticket did not survive");
      break;
    }
    case ParsedRequest::Kind::subscribe: {
      const Subscription& s = r.subscription;
      check(!s.ticket.empty() && !s.types.empty(), "a subscription without ticket or type");
      const auto j = parse_answer(list_subscriptions_frame(&s, s.ticket));
      check(j["ticket"] == s.ticket, "the ticket did not survive");
      check(j["result"].size() == s.types.size(), "types lost in the answer");
      for (const auto& t : s.types) {
        check(t.type == "myOrder" || t.type == "myAsset", "a public type was accepted");
        if (t.only_snapshot) continue;
        for (const auto& code : t.codes)
          check(s.wants_order(code), "a subscribed market is not wanted");
        if (t.type == "myOrder" && t.codes.empty())
          check(s.wants_order("KRW-BTC"), "an all-markets subscription misses a market");
        if (t.type == "myAsset")
          check(s.wants_asset(), "myAsset subscription does not want assets");
      }
      break;
    }
  }
  return 0;
}
