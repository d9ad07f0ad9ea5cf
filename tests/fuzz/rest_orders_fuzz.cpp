// libFuzzer target: the client's parser for REST order answers (resync), over arbitrary bodies.
//
// Invariants: parsing never crashes or throws; every order of a successful parse is a resync
// event stamped with the caller's time, and it is something the stream could have carried: its
// exchange JSON decodes back to the same event (so no NaN, infinity or out-of-range value enters
// the account through a resync).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "fillwire/decoder.hpp"
#include "fillwire/detail/rest_orders.hpp"
#include "invariant.hpp"
#include "round_trip.hpp"

namespace {

using namespace fillwire;

constexpr std::int64_t kAsOf = 1'764'000'000'000;

using fillwire::fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::int64_t ms = 0;
  (void)parse_iso8601_ms(body, ms);

  const RestParseResult r = parse_rest_orders(body, kAsOf);
  if (!r.ok()) return 0;
  static Decoder decoder;
  for (const OrderEvent& e : r.orders) {
    check(e.origin == EventOrigin::resync && e.kind == EventKind::order, "not a resync order");
    check(e.timestamp == kAsOf, "timestamp is not the query's time");
    if (const char* what = fuzz::round_trip_failure(decoder, e)) check(false, what);
  }
  return 0;
}
