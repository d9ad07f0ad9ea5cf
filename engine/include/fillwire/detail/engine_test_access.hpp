#pragma once
// EngineTestAccess: the test hooks of Engine (engine.hpp), kept off the facade. Tests and the soak
// tool use them to start the engine with the network thread polling a probe of their own (a
// Source that forwards to the live source's poll() and looks around each call, or a replay) and
// to reach the live source such a probe wraps. Not part of the API and not installed.
//
// Thread contract: start() as Engine::start() (the constructing thread, once); live_source()'s
// poll() belongs to the network thread, its counters() and connected() may be read from any thread.

#include "fillwire/engine.hpp"

namespace fillwire::detail {

struct EngineTestAccess {
  // As Engine::start(), with the network thread polling `probe` instead of the live source.
  // `probe` must outlive stop().
  template <class S, class Wait, class Probe>
  static void start(Engine<S, Wait>& engine, Probe& probe) {
    engine.start_with(probe);
  }

  template <class S, class Wait>
  [[nodiscard]] static LiveSource& live_source(Engine<S, Wait>& engine) noexcept {
    return *engine.runtime_->source();
  }
};

}  // namespace fillwire::detail
