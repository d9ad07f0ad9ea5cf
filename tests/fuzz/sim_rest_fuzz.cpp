// libFuzzer target: upbit-sim's REST request handling (request target, query string, times),
// over arbitrary request targets, each signed like a real client's (JWT with the query's hash),
// against a simulation that already has open and closed orders.
//
// Invariants: nothing crashes or throws (an exception would end the server's io thread); every
// reply has an HTTP status the simulator documents and a body that is valid JSON.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "jwt.hpp"
#include "rest.hpp"
#include "simulation.hpp"

namespace {

using namespace fillwire::sim;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "sim_rest_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

// The verifier and the simulation are made once; each input gets a fresh nonce registry and
// REST front (cheap), so that no state grows from one input to the next.
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World w;
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  std::int64_t ms = 0;
  (void)parse_time(target, ms);

  const auto q = target.find('?');
  const std::string_view query =
      q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  (void)parse_query(query);
  const std::string auth =
      "Bearer " + JwtVerifier::sign("ak", "sk", "nonce-1", HmacAlg::sha256, query);
  NonceRegistry nonces{16};
  RestApi api{w.verifier, nonces, w.sim, RestConfig{.rate_limit = false, .per_second = 30}};
  const RestReply r = api.handle("GET", target, auth, 1'000, 1'764'000'000'000 + 10'000'000);
  check(r.status == 200 || r.status == 400 || r.status == 401 || r.status == 404 ||
            r.status == 405 || r.status == 429,
        "an undocumented HTTP status");
  check(nlohmann::json::accept(r.body), "the reply body is not valid JSON");
  return 0;
}
