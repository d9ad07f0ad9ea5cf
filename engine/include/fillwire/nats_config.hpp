#pragma once
// Scale-out through NATS JetStream (docs/scale-out.md): one gateway per exchange account publishes
// its journal to the stream FILLWIRE_<account> (subject fillwire.<account>.journal); followers on
// other hosts read that stream and rebuild the same account.
//
// The account is a name given by configuration, never the access key. NATS credentials (a user and
// password, a token, or a creds file) are Secrets: they reach the NATS client and nothing else
// (logs, errors, published messages). A server URL carrying credentials ("nats://user:pass@...")
// is refused: they belong in the credentials, where they are never printed.
//
// Cold path; any thread.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fillwire/auth.hpp"

namespace fillwire {

struct NatsCredentials {
  std::string user;
  Secret password;
  Secret token;
  std::string creds_file;  // a .creds file (JWT and NKey seed), mode 0600
};

struct NatsConfig {
  std::vector<std::string> servers;  // nats://host:port or tls://host:port, tried in order
  std::string account;               // [A-Za-z0-9_-], 1 to 64 characters
  NatsCredentials credentials;
  // TLS to NATS: on for tls:// URLs or when asked; the CA file verifies the servers.
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;  // client certificate and key, when the servers ask for one
  std::string tls_key_file;
  std::chrono::milliseconds connect_timeout{2000};  // each server, each attempt
  std::chrono::milliseconds request_timeout{2000};  // a publish's ack, a stream or consumer call
  // The stream, created by the gateway when missing (an existing one is used as it is).
  int replicas = 1;                            // 3 on a three-node cluster
  std::chrono::seconds duplicate_window{120};  // Nats-Msg-Id de-duplication
  std::chrono::seconds max_age{0};             // retention: 0 keeps records for ever
  std::int64_t max_bytes = -1;                 // retention: -1 unlimited
};

// Throws std::invalid_argument saying what is wrong: no server, a URL that is not nats:// or
// tls:// or that carries credentials, an account name outside [A-Za-z0-9_-]{1,64}, replicas not
// 1 to 5, a timeout not positive.
void validate(const NatsConfig& config);

// "FILLWIRE_<account>" and "fillwire.<account>.journal".
[[nodiscard]] std::string nats_stream_name(std::string_view account);
[[nodiscard]] std::string nats_subject(std::string_view account);

// Credentials from FILLWIRE_NATS_USER / FILLWIRE_NATS_PASSWORD, FILLWIRE_NATS_TOKEN and
// FILLWIRE_NATS_CREDS (a creds file path); none set gives empty credentials.
[[nodiscard]] NatsCredentials nats_credentials_from_env();

// From a file of NATS_USER=, NATS_PASSWORD=, NATS_TOKEN= and NATS_CREDS= lines ('#' comments),
// refused unless mode 0600 or stricter, as the exchange key file.
[[nodiscard]] NatsCredentials nats_credentials_from_file(const std::string& path);

// The message headers every published journal batch carries.
inline constexpr const char* kNatsHeaderAccount = "Fillwire-Account";
inline constexpr const char* kNatsHeaderRun = "Fillwire-Run";  // the gateway run (16 hex digits)
inline constexpr const char* kNatsHeaderSeq = "Fillwire-Seq";  // the first record's number, from 1
inline constexpr const char* kNatsHeaderRecords = "Fillwire-Records";  // records in the message
inline constexpr const char* kNatsHeaderFormat = "Fillwire-Format";    // "FWJ1/2": record layout

}  // namespace fillwire
