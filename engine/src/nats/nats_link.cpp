#include "nats_link.hpp"

#include <cstring>
#include <stdexcept>
#include <vector>

#include "fillwire/safe_text.hpp"

namespace fillwire::nats {

std::string error_text(natsStatus status, jsErrCode code, const NatsCredentials& credentials) {
  std::string text = natsStatus_GetText(status);
  if (code != 0) text += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (detail != nullptr && *detail != '\0' && last == status) {
    const std::string_view secrets[] = {credentials.password.reveal(), credentials.token.reveal()};
    text += ": " + quote_server_text(detail, kServerTextCap, secrets);
  }
  return text;
}

namespace {

// Throws the error of a failed option call.
void check(natsStatus s, const char* what, const NatsCredentials& credentials) {
  if (s != NATS_OK) {
    throw std::runtime_error(std::string("NATS ") + what + ": " +
                             error_text(s, static_cast<jsErrCode>(0), credentials));
  }
}

}  // namespace

Link::Link(const NatsConfig& config, const std::string& name, jsPubAckHandler on_ack,
           void* ack_closure, std::int64_t max_pending, std::atomic<std::uint64_t>* reconnects)
    : config_(config), reconnects_(reconnects) {
  validate(config);
  const NatsCredentials& cred = config.credentials;
  try {
    check(natsOptions_Create(&opts_), "options", cred);
    std::vector<const char*> servers;
    bool tls = config.tls;
    for (const std::string& s : config.servers) {
      servers.push_back(s.c_str());
      if (s.rfind("tls://", 0) == 0) tls = true;
    }
    check(natsOptions_SetServers(opts_, servers.data(), static_cast<int>(servers.size())),
          "servers", cred);
    check(natsOptions_SetNoRandomize(opts_, true), "servers", cred);
    check(natsOptions_SetName(opts_, name.c_str()), "name", cred);
    check(natsOptions_SetTimeout(opts_, config.connect_timeout.count()), "timeout", cred);
    // Reconnects for ever, a quarter second apart; a silent server is found within 3 s.
    check(natsOptions_SetMaxReconnect(opts_, -1), "reconnect", cred);
    check(natsOptions_SetReconnectWait(opts_, 250), "reconnect", cred);
    check(natsOptions_SetPingInterval(opts_, 1000), "ping interval", cred);
    check(natsOptions_SetMaxPingsOut(opts_, 2), "pings out", cred);
    check(natsOptions_SetErrorHandler(opts_, &Link::on_error, this), "error handler", cred);
    check(natsOptions_SetReconnectedCB(opts_, &Link::on_reconnected, this), "reconnect", cred);
    // A Secret holds a std::string: what reveal() views is terminated, and is not copied here.
    if (!cred.user.empty()) {
      check(natsOptions_SetUserInfo(opts_, cred.user.c_str(), cred.password.reveal().data()),
            "user", cred);
    }
    if (!cred.token.empty()) {
      check(natsOptions_SetToken(opts_, cred.token.reveal().data()), "token", cred);
    }
    if (!cred.creds_file.empty()) {
      check(natsOptions_SetUserCredentialsFromFiles(opts_, cred.creds_file.c_str(), nullptr),
            "creds file", cred);
    }
    if (tls) {
      check(natsOptions_SetSecure(opts_, true), "TLS", cred);
      if (!config.tls_ca_file.empty()) {
        check(natsOptions_LoadCATrustedCertificates(opts_, config.tls_ca_file.c_str()),
              "TLS CA file", cred);
      }
      if (!config.tls_cert_file.empty()) {
        check(natsOptions_LoadCertificatesChain(opts_, config.tls_cert_file.c_str(),
                                                config.tls_key_file.c_str()),
              "TLS certificate", cred);
      }
    }
    const natsStatus s = natsConnection_Connect(&nc_, opts_);
    if (s != NATS_OK) throw std::runtime_error("NATS connect: " + error_text(s, {}, cred));
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = config.request_timeout.count();
    if (on_ack != nullptr) {
      jo.PublishAsync.AckHandler = on_ack;
      jo.PublishAsync.AckHandlerClosure = ack_closure;
      jo.PublishAsync.MaxPending = max_pending;
    }
    check(natsConnection_JetStream(&js_, nc_, &jo), "JetStream", cred);
  } catch (...) {
    release();
    throw;
  }
}

Link::~Link() {
  release();
}

void Link::release() noexcept {
  if (js_ != nullptr) jsCtx_Destroy(js_);
  js_ = nullptr;
  if (nc_ != nullptr) {
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
  nc_ = nullptr;
  if (opts_ != nullptr) natsOptions_Destroy(opts_);
  opts_ = nullptr;
}

bool Link::connected() const noexcept {
  return nc_ != nullptr && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

void Link::on_error(natsConnection*, natsSubscription*, natsStatus, void* closure) {
  static_cast<Link*>(closure)->async_errors_.fetch_add(1, std::memory_order_relaxed);
}

void Link::on_reconnected(natsConnection*, void* closure) {
  auto* counter = static_cast<Link*>(closure)->reconnects_;
  if (counter != nullptr) counter->fetch_add(1, std::memory_order_relaxed);
}

StreamInfoPtr Link::stream_info(const std::string& stream, std::string& error,
                                bool& not_found) const {
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, &code);
  not_found = s == NATS_NOT_FOUND || code == JSStreamNotFoundErr;
  if (s != NATS_OK) {
    error = this->error(s, code);
    return nullptr;
  }
  return StreamInfoPtr(si);
}

Delivery delivery_of(std::string_view reply) noexcept {
  // Tokens after "$JS.ACK.": 7 (old form) or 9+ (domain, account hash first; a token may follow).
  constexpr std::string_view kPrefix = "$JS.ACK.";
  if (reply.substr(0, kPrefix.size()) != kPrefix) return {};
  reply.remove_prefix(kPrefix.size());
  std::string_view tokens[10];
  std::size_t n = 0;
  for (;;) {
    if (n == std::size(tokens)) return {};  // more tokens than either form has
    const std::size_t dot = reply.find('.');
    tokens[n++] = reply.substr(0, dot);
    if (dot == std::string_view::npos) break;
    reply.remove_prefix(dot + 1);
  }
  // Old: stream, consumer, delivered, sseq, cseq, time, pending. New: domain, hash, stream,
  // consumer, delivered, sseq, cseq, time, pending[, token].
  if (n != 7 && n != 9 && n != 10) return {};
  const std::size_t at = n == 7 ? 3 : 5;
  const auto number = [](std::string_view t, std::uint64_t& v) {
    v = 0;
    if (t.empty()) return false;
    for (const char c : t) {
      if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10) return false;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
  };
  Delivery d;
  if (!number(tokens[at], d.stream_seq) || !number(tokens[at + 2], d.stored_ns) ||
      !number(tokens[at + 3], d.pending)) {
    return {};
  }
  return d;
}

std::string_view header(natsMsg* msg, const char* key) noexcept {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK || value == nullptr) return {};
  return value;
}

}  // namespace fillwire::nats
