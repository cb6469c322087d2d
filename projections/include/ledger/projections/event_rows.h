// Rows that come straight from the feed, one per event: the events table
// (every event, its payload as JSON printed from its type tables) and
// usage_records (each UsageRecorded).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/projections/row.h"
#include "ledger/projections/sealed_opener.h"
#include "ledger/stored_event.h"

namespace ledger::projections {

// "UsageRecorded" -> "usage_recorded"; and the event's area ("billing",
// "people", "approvals", ...) for events.event_category.
std::string EventTypeName(fb::Payload type);
std::string_view EventCategory(fb::Payload type);

// Ids the payload names in its *_id fields (nested tables included), in
// field order: what an event touches.
void NamedIds(const fb::Event& event, std::vector<std::string_view>* ids);

std::optional<Row> UsageRow(const StoredEvent& event);

// The events row. A personal field prints as {"subject_id": S, "value":
// plaintext}, value null when it does not open.
Row EventRow(const StoredEvent& event, SealedOpener& opener);

}  // namespace ledger::projections
