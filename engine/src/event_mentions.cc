#include "ledger/event_mentions.h"

#include <flatbuffers/minireflect.h>

namespace ledger {
namespace {

// Records whether any string the iteration visits equals id.
class MentionsVisitor : public flatbuffers::IterationVisitor {
 public:
  explicit MentionsVisitor(std::string_view id) : id_(id) {}
  void String(const flatbuffers::String* s) override { found_ |= s && s->string_view() == id_; }
  bool found() const { return found_; }

 private:
  std::string_view id_;
  bool found_ = false;
};

}  // namespace

bool EventMentions(const fb::Event& event, std::string_view id) {
  fb::Payload type = event.payload_type();
  if (type == fb::Payload::NONE || event.payload() == nullptr || type > fb::Payload::MAX)
    return false;
  const flatbuffers::TypeTable* union_table = fb::PayloadTypeTable();
  const flatbuffers::TypeCode& code = union_table->type_codes[static_cast<size_t>(type)];
  MentionsVisitor visitor(id);
  flatbuffers::IterateObject(static_cast<const uint8_t*>(event.payload()),
                             union_table->type_refs[code.sequence_ref](), &visitor);
  return visitor.found();
}

}  // namespace ledger
