// upbit-sim-load: measures how many events per second upbit-sim delivers to one client.
//
//   upbit-sim --port 0 --rate 0 --seed 1 &      # as fast as the client reads
//   upbit-sim-load --port PORT --events 2000000 [--wss --cert FILE] [--format SIMPLE] [--decode]
//
// Connects over loopback, subscribes to myOrder, reads until N events arrived, and prints events/s
// and MB/s measured from the first event to the last. --decode runs the project's Decoder on every
// frame (what the engine's network thread does); without it frames are only counted.

#include <CLI/CLI.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "fillwire/decoder.hpp"
#include "jwt.hpp"

namespace asio = boost::asio;            // <boost/asio/*.hpp>
namespace beast = boost::beast;          // <boost/beast/core.hpp>
namespace websocket = beast::websocket;  // <boost/beast/websocket.hpp>
namespace ssl = asio::ssl;               // <boost/asio/ssl.hpp>
using tcp = asio::ip::tcp;

namespace {

struct Options {
  std::uint16_t port = 0;
  std::uint64_t events = 1'000'000;
  bool wss = false;
  std::string cert;
  std::string format = "DEFAULT";
  bool decode = false;
  std::string access_key = "sim-access-key";
  std::string secret_key = "sim-secret-key";
};

struct CountingSink {
  fillwire::OrderEvent slot;
  std::uint64_t events = 0;
  fillwire::OrderEvent& claim() noexcept { return slot; }
  void publish() noexcept { ++events; }
};

template <class Next>
int measure(websocket::stream<Next>& ws, const Options& o) {
  ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
    req.set(beast::http::field::authorization,
            "Bearer " + fillwire::sim::JwtVerifier::sign(o.access_key, o.secret_key,
                                                         "load-" + std::to_string(::getpid())));
  }));
  ws.handshake("127.0.0.1:" + std::to_string(o.port), "/websocket/v1/private");
  ws.text(true);
  ws.write(
      asio::buffer(R"([{"ticket":"load"},{"type":"myOrder"},{"format":")" + o.format + R"("}])"));

  fillwire::Decoder decoder(1 << 20);
  CountingSink sink;
  beast::flat_buffer buf;
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;
  std::uint64_t frames = 0;
  const bool list = o.format.find("LIST") != std::string::npos;
  auto first = std::chrono::steady_clock::now();
  while (events < o.events) {
    buf.clear();
    buf.reserve(64 * 1024);  // keeps room for the decoder's padding after the frame
    const std::size_t n = ws.read(buf);
    if (frames++ == 0) first = std::chrono::steady_clock::now();
    bytes += n;
    if (o.decode) {
      buf.prepare(fillwire::kFramePadding);  // padding bytes, not committed
      const auto r =
          decoder.decode(static_cast<const char*>(buf.data().data()), n, fillwire::EventSink(sink));
      events = sink.events;
      if (r.error && r.kind == fillwire::FrameKind::order) {
        std::fprintf(stderr, "decode error: %s\n",
                     std::string(fillwire::to_string(r.error.code)).c_str());
        return 1;
      }
    } else if (list) {
      // Count the events of a list frame by its top-level objects' "type"/"ty" keys.
      const std::string_view s(static_cast<const char*>(buf.data().data()), n);
      const std::string_view key = o.format == "SIMPLE_LIST" ? "\"ty\":" : "\"type\":";
      for (std::size_t p = s.find(key); p != std::string_view::npos; p = s.find(key, p + 1))
        ++events;
    } else {
      ++events;
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - first).count();
  std::printf("%llu events in %llu frames, %.3f s: %.0f events/s, %.1f MB/s (%s, %s%s)\n",
              static_cast<unsigned long long>(events), static_cast<unsigned long long>(frames),
              secs, static_cast<double>(events) / secs, static_cast<double>(bytes) / secs / 1e6,
              o.wss ? "wss" : "ws", o.format.c_str(), o.decode ? ", decoded" : "");
  beast::error_code ec;
  ws.close(websocket::close_code::normal, ec);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"upbit-sim-load: events/s that upbit-sim delivers to one client over loopback"};
  app.add_option("--port", o.port, "upbit-sim's port")->required();
  app.add_option("--events", o.events, "Events to receive");
  app.add_flag("--wss", o.wss, "Use TLS (wss://)");
  app.add_option("--cert", o.cert, "Certificate to trust for --wss (upbit-sim prints cert=FILE)");
  app.add_option("--format", o.format, "DEFAULT, SIMPLE, JSON_LIST or SIMPLE_LIST");
  app.add_flag("--decode", o.decode, "Decode every frame with fillwire's Decoder");
  app.add_option("--access-key", o.access_key, "Access key (as given to upbit-sim)");
  app.add_option("--secret-key", o.secret_key, "Secret key (as given to upbit-sim)");
  CLI11_PARSE(app, argc, argv);
  try {
    asio::io_context ioc;
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), o.port);
    if (!o.wss) {
      websocket::stream<tcp::socket> ws(ioc);
      ws.next_layer().connect(ep);
      return measure(ws, o);
    }
    ssl::context ctx(ssl::context::tls_client);
    if (!o.cert.empty()) {
      ctx.load_verify_file(o.cert);
      ctx.set_verify_mode(ssl::verify_peer);
    }
    websocket::stream<ssl::stream<tcp::socket>> ws(ioc, ctx);
    beast::get_lowest_layer(ws).connect(ep);
    ws.next_layer().handshake(ssl::stream_base::client);
    return measure(ws, o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "upbit-sim-load: %s\n", e.what());
    return 1;
  }
}
