#include "ledger/event_mentions.h"

#include "ledger/payload_table.h"

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
  MentionsVisitor visitor(id);
  flatbuffers::IterateObject(static_cast<const uint8_t*>(event.payload()), PayloadTable(type),
                             &visitor);
  return visitor.found();
}

}  // namespace ledger
