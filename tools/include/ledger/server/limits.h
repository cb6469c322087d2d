// Every limit of ledgerd in one place, each with its reason. ledgerd's flags
// override them; HelloOk tells clients the ones they must respect.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "ledger/limits.h"
#include "ledger/wire/frame.h"

namespace ledger::server {

struct ServerLimits {
  // Largest frame payload after the handshake (kHelloPayloadMax before it).
  uint32_t max_frame_payload = wire::kPayloadMaxDefault;
  // Commands in one Append: the engine's own bound on one Submit. Also the
  // sealed values in one OpenSealed (ledgerd --max-commands sets both): they
  // are opened on a network thread, so this caps how long one request holds it.
  uint32_t max_commands_per_request = limits::kCommandsMax;
  // Requests (subscriptions included) in flight on one connection. Past it
  // the server stops reading that socket: TCP pushes back on the client.
  uint32_t max_in_flight = 256;
  // Open connections. Past it a new connection is accepted, sent one Error
  // (kTooManyConnections) and closed, so a flood cannot exhaust descriptors
  // or memory.
  uint32_t max_connections = 1024;
  // A connection with nothing in flight and no complete frame for this long
  // is closed; a frame must also complete within it once started, so a
  // trickling client cannot hold a connection open.
  std::chrono::milliseconds idle_timeout{60'000};
  // Commands waiting for the sequencer across all connections. A connection
  // whose append does not fit waits (and stops reading) until it does.
  size_t sequencer_queue_commands = 100'000;
  // Commands in one group commit (one Submit, one WriteBatch, one fsync).
  size_t max_group_commands = limits::kCommandsMax;
  // Reply bytes queued on one connection before the server stops reading it
  // (and stops pushing subscription batches to it) until the client reads.
  size_t max_outbound_bytes = size_t{64} << 20;
  // Events in one Events or SubscriptionEvents reply.
  uint32_t max_read_events = 1000;
};

}  // namespace ledger::server
