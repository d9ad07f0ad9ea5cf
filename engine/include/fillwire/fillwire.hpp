#pragma once
// The whole public API of fillwire in one include. Each header below is one concept and may be
// included on its own; headers under fillwire/detail/ are internals (their names may change).
//
//   embedding     engine.hpp (Engine<Strategy>, EngineConfig), strategy.hpp, account_snapshot.hpp,
//                 snapshot_view.hpp
//   the account   account_state.hpp, account_config.hpp, account_summary.hpp, apply_counters.hpp,
//                 order.hpp, position.hpp, execution_stats.hpp, balance.hpp, valuation.hpp
//   events        order_event.hpp, asset_event.hpp, control_event.hpp, uuid.hpp, client_id.hpp, fixed_string.hpp,
//                 decoder.hpp, encoder.hpp
//   threads       pipeline.hpp, order_ring.hpp, wait_strategy.hpp, clock.hpp, source.hpp,
//                 live_source.hpp, replay_source.hpp
//   files, keys   journal.hpp, auth.hpp, safe_text.hpp

#include "fillwire/account_config.hpp"
#include "fillwire/account_snapshot.hpp"
#include "fillwire/account_state.hpp"
#include "fillwire/account_summary.hpp"
#include "fillwire/apply_counters.hpp"
#include "fillwire/asset_event.hpp"
#include "fillwire/auth.hpp"
#include "fillwire/balance.hpp"
#include "fillwire/client_id.hpp"
#include "fillwire/clock.hpp"
#include "fillwire/control_event.hpp"
#include "fillwire/decoder.hpp"
#include "fillwire/encoder.hpp"
#include "fillwire/engine.hpp"
#include "fillwire/execution_stats.hpp"
#include "fillwire/fixed_string.hpp"
#include "fillwire/journal.hpp"
#include "fillwire/live_source.hpp"
#include "fillwire/order.hpp"
#include "fillwire/order_event.hpp"
#include "fillwire/order_ring.hpp"
#include "fillwire/pipeline.hpp"
#include "fillwire/position.hpp"
#include "fillwire/replay_source.hpp"
#include "fillwire/safe_text.hpp"
#include "fillwire/snapshot_view.hpp"
#include "fillwire/source.hpp"
#include "fillwire/strategy.hpp"
#include "fillwire/uuid.hpp"
#include "fillwire/valuation.hpp"
#include "fillwire/wait_strategy.hpp"
