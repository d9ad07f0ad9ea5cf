#include "fillwire/nats_config.hpp"

#include <boost/url/parse.hpp>

#include <cstdlib>
#include <stdexcept>

namespace fillwire {

namespace {

bool account_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

void validate_server(const std::string& url) {
  const auto parsed = boost::urls::parse_uri(url);
  // The URL is the user's own configuration, not a secret, unless it carries credentials: then
  // only its scheme is named.
  if (!parsed) {
    throw std::invalid_argument("NATS server '" + url +
                                "' is not a URL (expected nats://host:port)");
  }
  if (parsed->has_userinfo()) {
    throw std::invalid_argument(
        "a NATS server URL carries credentials: give them as NATS credentials (environment or "
        "a 0600 file), never in the URL");
  }
  const std::string scheme(parsed->scheme());
  if (scheme != "nats" && scheme != "tls") {
    throw std::invalid_argument("NATS server '" + url + "': scheme '" + scheme +
                                "' (expected nats:// or tls://)");
  }
  if (parsed->host().empty()) throw std::invalid_argument("NATS server '" + url + "': no host");
}

}  // namespace

void validate(const NatsConfig& config) {
  if (config.servers.empty()) throw std::invalid_argument("no NATS server given");
  for (const std::string& s : config.servers)
    validate_server(s);
  if (config.account.empty() || config.account.size() > 64) {
    throw std::invalid_argument("the NATS account name must be 1 to 64 characters");
  }
  for (const char c : config.account) {
    if (!account_char(c)) {
      throw std::invalid_argument("the NATS account name '" + config.account +
                                  "' may hold only letters, digits, '_' and '-'");
    }
  }
  if (config.replicas < 1 || config.replicas > 5) {
    throw std::invalid_argument("NATS stream replicas must be 1 to 5, not " +
                                std::to_string(config.replicas));
  }
  if (config.connect_timeout.count() <= 0 || config.request_timeout.count() <= 0) {
    throw std::invalid_argument("NATS timeouts must be positive");
  }
  if (config.duplicate_window.count() <= 0) {
    throw std::invalid_argument("the NATS duplicate window must be positive");
  }
  if (!config.credentials.password.empty() && config.credentials.user.empty()) {
    throw std::invalid_argument("a NATS password without a user");
  }
}

std::string nats_stream_name(std::string_view account) {
  return "FILLWIRE_" + std::string(account);
}

std::string nats_subject(std::string_view account) {
  return "fillwire." + std::string(account) + ".journal";
}

NatsCredentials nats_credentials_from_env() {
  // Read once at start-up, before any thread of ours exists.
  const auto get = [](const char* name) -> std::string {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
    return v == nullptr ? std::string() : std::string(v);
  };
  NatsCredentials c;
  c.user = get("FILLWIRE_NATS_USER");
  c.password = Secret(get("FILLWIRE_NATS_PASSWORD"));
  c.token = Secret(get("FILLWIRE_NATS_TOKEN"));
  c.creds_file = get("FILLWIRE_NATS_CREDS");
  return c;
}

NatsCredentials nats_credentials_from_file(const std::string& path) {
  constexpr std::string_view kNames[] = {"NATS_USER", "NATS_PASSWORD", "NATS_TOKEN", "NATS_CREDS"};
  NatsCredentials c;
  for (KeyFileEntry& e : read_key_file(path, "NATS credentials file", kNames)) {
    if (e.name == kNames[0]) {
      c.user = std::string(e.value.reveal());
    } else if (e.name == kNames[1]) {
      c.password = std::move(e.value);
    } else if (e.name == kNames[2]) {
      c.token = std::move(e.value);
    } else {
      c.creds_file = std::string(e.value.reveal());
    }
  }
  return c;
}

}  // namespace fillwire
