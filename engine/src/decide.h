// Decide: checks one command against its org's state and lists the events
// it implies. Pure with respect to the state: the write model applies the
// events (apply.h) only after the whole decision succeeded.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/event_log.h"
#include "ledger/fb/events_generated.h"
#include "ledger/rules.h"
#include "ledger/state.h"

namespace ledger {

struct Rejection {
  Rule rule = Rule::kNone;
  std::string message;  // names the rule's subject and the offending id
};
using Verdict = std::optional<Rejection>;

// Facts outside one org's state that some rules need.
class Lookups {
 public:
  virtual ~Lookups() = default;
  // The org using `slug`, if any: slugs are unique across orgs.
  virtual std::optional<Uuid> OrgWithSlug(std::string_view slug) = 0;
  struct TemplateListing {
    Uuid owner;
    bool is_public = false;
    bool retired = false;
  };
  // A template any org published, for "public or the org's own".
  virtual std::optional<TemplateListing> FindTemplate(const Uuid& id) = 0;
  // A sealed value's plaintext; nullopt once its subject was forgotten.
  virtual std::optional<std::string> Open(const fb::Sealed& sealed) = 0;
  // Data keys are ledger-wide: a subject forgotten through any org (or by an
  // earlier command of the same Submit) takes no new personal data.
  virtual bool IsForgotten(const Uuid& subject) = 0;
};

struct Decision {
  std::vector<std::string> derived;       // implied events, in append order
  std::vector<DirectoryEntry> directory;  // written in the append's batch
  std::optional<Uuid> forget;             // subject whose data key to destroy once durable
};

// REQUIRES: `event` passed the FlatBuffers verifier and names state.org.
Verdict Decide(const State& state, const fb::Event& event, Lookups& lookups, Decision* out);

namespace directory {
std::string SlugKey(std::string_view slug);
std::string TemplateKey(const Uuid& id);
std::string EncodeListing(const Lookups::TemplateListing& listing);
std::optional<Lookups::TemplateListing> DecodeListing(std::string_view value);
}  // namespace directory

}  // namespace ledger
