// Which events concern an entity: the filter behind Ledger::History and the
// auditor's `ledger history`.
#pragma once

#include <string_view>

#include "ledger/fb/events_generated.h"

namespace ledger {

// Does any string field of the event's payload (nested tables included)
// equal `id`? Ids are UUID text, so a match is a reference to that entity.
// False for a payload type this build does not know.
bool EventMentions(const fb::Event& event, std::string_view id);

}  // namespace ledger
