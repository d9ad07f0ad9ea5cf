// libFuzzer target: upbit-sim's REST request handling (method, request target, query string, times,
// Authorization header), against a simulation that already has open and closed orders.
//
// Input: the request target alone (GET, signed like a real client's: JWT with the query's hash),
// or "METHOD\nTARGET\nAUTHORIZATION": the given method, and the given Authorization header as it
// is (signed like a real client's when that part is empty).
//
// Invariants: nothing crashes or throws (an exception would end the server's io thread); every
// reply has an HTTP status the simulator documents and a body that is valid JSON; a 418 says when
// to come back (Retry-After, whole seconds) and nothing else does. The request is answered once
// with the rate limits off, then (under /v1) sent six times in a millisecond to a front with tiny
// limits, so that it meets 429s and the ban they start.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "invariant.hpp"
#include "jwt.hpp"
#include "rest.hpp"
#include "simulation.hpp"

namespace {

using namespace fillwire::sim;

using fillwire::fuzz::check;

// The verifier and the simulation are made once; each input gets a fresh nonce registry and
// REST fronts (cheap), so that no state grows from one input to the next.
struct World {
  JwtVerifier verifier{"ak", "sk"};
  Simulation sim{config()};

  World() {
    for (int i = 0; i < 400; ++i)
      sim.next();
  }
  static SimulationConfig config() {
    SimulationConfig c;
    c.generator.seed = 5;
    return c;
  }
};

void check_reply(const RestReply& r) {
  check(r.status == 200 || r.status == 400 || r.status == 401 || r.status == 404 ||
            r.status == 405 || r.status == 418 || r.status == 429,
        "an undocumented HTTP status");
  check(nlohmann::json::accept(r.body), "the reply body is not valid JSON");
  check((r.status == 418) == !r.retry_after.empty(), "Retry-After on a reply that is not a 418");
  if (r.status == 418) {
    check(
        r.retry_after.find_first_not_of("0123456789") == std::string::npos && r.retry_after != "0",
        "Retry-After is not a whole number of seconds");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World w;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view method = "GET";
  std::string_view target = input;
  std::string_view authorization;
  if (const auto first = input.find('\n'); first != std::string_view::npos) {
    method = input.substr(0, first);
    target = input.substr(first + 1);
    if (const auto second = target.find('\n'); second != std::string_view::npos) {
      authorization = target.substr(second + 1);
      target = target.substr(0, second);
    }
  }
  std::int64_t ms = 0;
  (void)parse_time(target, ms);

  const auto q = target.find('?');
  const std::string_view query =
      q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  (void)parse_query(query);
  int nonce = 0;
  const auto auth = [&]() -> std::string {
    if (!authorization.empty()) return std::string(authorization);
    return "Bearer " + JwtVerifier::sign("ak", "sk", "nonce-" + std::to_string(++nonce),
                                         HmacAlg::sha256, query);
  };
  NonceRegistry nonces{64};
  constexpr std::int64_t kSimNow = 1'764'000'000'000 + 10'000'000;

  RestApi api{w.verifier, nonces, w.sim, RestConfig{.rate_limit = false}};
  check_reply(api.handle(method, target, auth(), 1'000, kSimNow));

  RestApi tight{w.verifier, nonces, w.sim,
                RestConfig{.rate_limit = true,
                           .per_second = 2,
                           .market_per_second = 1,
                           .ban_after = 2,
                           .ban_window_ms = 1'000,
                           .ban_ms = 1'000,
                           .ban_max_ms = 4'000}};
  // Two answered, two 429s (the second starts the ban), two 418s. Limits apply under /v1 only.
  if (target.substr(0, 4) != "/v1/") return 0;
  for (int i = 0; i < 6; ++i)
    check_reply(tight.handle(method, target, auth(), 1'000, kSimNow));
  return 0;
}
