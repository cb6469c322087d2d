// AuditSource over a running ledgerd. The server is not trusted with
// hashes: every event it sends is checked (header, FlatBuffer, leaf hash
// recomputed from its bytes), tree hashes are recomputed from those leaves,
// and a head whose root differs from the recomputed one is Tampered.
#include <algorithm>
#include <cstdlib>
#include <unordered_map>

#include "ledger/apply.h"
#include "ledger/client/client.h"
#include "ledger/ledger.h"
#include "ledger/limits.h"
#include "source_backends.h"

namespace ledger::audit {
namespace {

// Events per ReadOrg request: a few MB per reply.
constexpr uint32_t kPageEvents = 10'000;

class RemoteSource final : public AuditSource {
 public:
  explicit RemoteSource(std::unique_ptr<client::Client> client) : client_(std::move(client)) {}

  Result<std::vector<Uuid>> Orgs() override {
    std::optional<Uuid> org = client_->session().org;
    if (!org) {
      return Status::FailedPrecondition(
          "ledgerd does not list orgs to an admin token: name one with --org");
    }
    return std::vector<Uuid>{*org};
  }

  Result<TreeHead> Head(const Uuid& org, uint64_t size) override {
    Result<TreeHead> claimed = client_->TreeHead(org, size);
    if (!claimed.ok()) return claimed.status();
    const std::vector<Digest>* leaves = nullptr;
    LEDGER_RETURN_IF_ERROR(Leaves(org, claimed->size, &leaves));
    Digest root = RootFromLeaves(std::span(*leaves).first(claimed->size));
    if (root != claimed->root) {
      return Status::Tampered("org " + org.ToString() + ": ledgerd's head at size " +
                              std::to_string(claimed->size) + " has root " + ToHex(claimed->root) +
                              " but its events hash to " + ToHex(root));
    }
    return claimed;
  }

  Status Scan(const Uuid& org, uint64_t from_seq, uint64_t to_seq,
              const EventVisitor& visit) override {
    uint64_t seq = std::max<uint64_t>(from_seq, 1);
    while (seq <= to_seq) {
      uint64_t wanted = std::min<uint64_t>(kPageEvents, to_seq - seq + 1);
      Result<std::vector<StoredEvent>> page =
          client_->ReadOrg(org, seq, static_cast<uint32_t>(wanted));
      if (!page.ok()) return page.status();
      if (page->empty()) return Status::Ok();  // past the end
      for (const StoredEvent& event : *page) {
        if (event.position.org != org || event.position.org_seq != seq) {
          return Status::Tampered("org " + org.ToString() + ": ledgerd sent seq " +
                                  std::to_string(event.position.org_seq) + " where seq " +
                                  std::to_string(seq) + " was due");
        }
        LEDGER_RETURN_IF_ERROR(VerifyStoredEvent(event));
        LEDGER_RETURN_IF_ERROR(visit(event));
        if (++seq > to_seq) break;
      }
    }
    return Status::Ok();
  }

  Result<Digest> SubtreeHash(const Uuid& org, uint64_t begin, uint64_t end) override {
    const std::vector<Digest>* leaves = nullptr;
    LEDGER_RETURN_IF_ERROR(Leaves(org, end, &leaves));
    if (begin >= end || end > leaves->size()) {
      return Status::InvalidArgument("org " + org.ToString() + " has " +
                                     std::to_string(leaves->size()) + " events: no subtree [" +
                                     std::to_string(begin) + ", " + std::to_string(end) + ")");
    }
    return RootFromLeaves(std::span(*leaves).subspan(begin, end - begin));
  }

  Result<State> StateAt(const Uuid& org, uint64_t version) override {
    Result<TreeHead> head = client_->TreeHead(org, 0);
    if (!head.ok()) return head.status();
    State state;
    state.org = org;
    LEDGER_RETURN_IF_ERROR(Scan(org, 1, std::min(version, head->size), [&](const StoredEvent& e) {
      Apply(state, *e.event(), e.position);
      return Status::Ok();
    }));
    return state;
  }

  Result<uint64_t> VersionAsOf(const Uuid& org, int64_t recorded_at) override {
    Result<TreeHead> head = client_->TreeHead(org, 0);
    if (!head.ok()) return head.status();
    // recorded_at strictly increases with org_seq: binary search.
    uint64_t low = 0;  // invariant: seq `low` was recorded at or before T (0: none)
    uint64_t high = head->size;
    while (low < high) {
      uint64_t middle = low + (high - low + 1) / 2;
      Result<StoredEvent> event = One(org, middle);
      if (!event.ok()) return event.status();
      if (event->position.recorded_at <= recorded_at) {
        low = middle;
      } else {
        high = middle - 1;
      }
    }
    // Include the derived events committed with the command (ledger.h).
    while (low > 0 && low < head->size) {
      Result<StoredEvent> next = One(org, low + 1);
      if (!next.ok()) return next.status();
      if (!IsDerived(*next->event())) break;
      ++low;
    }
    return low;
  }

  // With a key of our own, we sign the head we recomputed. Otherwise the
  // server's signature is accepted only over the root its events hash to.
  Result<SignedHead> SignedHeadAt(const Uuid& org, uint64_t size) override {
    if (key_) {
      Result<TreeHead> head = Head(org, size);
      if (!head.ok()) return head.status();
      return SignHead(*key_, org, *head, NowMicros());
    }
    Result<client::SignedTreeHeadReply> reply = client_->SignedTreeHead(org, size);
    if (!reply.ok()) return reply.status();
    if (reply->signature.empty()) {
      return Status::FailedPrecondition(
          "this ledgerd does not sign heads (start it with --signing-key)");
    }
    Result<TreeHead> recomputed = Head(org, reply->size);
    if (!recomputed.ok()) return recomputed.status();
    if (recomputed->root != reply->root) {
      return Status::Tampered("org " + org.ToString() + ": ledgerd signed root " +
                              ToHex(reply->root) + " at size " + std::to_string(reply->size) +
                              " but its events hash to " + ToHex(recomputed->root));
    }
    SignedHead head{org, reply->size, reply->root, reply->timestamp, {}, {}};
    std::copy(reply->key.begin(), reply->key.end(), head.key.begin());
    std::copy(reply->signature.begin(), reply->signature.end(), head.signature.begin());
    LEDGER_RETURN_IF_ERROR(VerifyHeadSignature(head));
    return head;
  }

  void SetSigningKey(const SigningKey& key) override { key_ = key; }

  Result<std::vector<std::optional<std::string>>> OpenSealed(
      std::span<const SealedValue> values) override {
    if (client_->session().org) {
      return Status::FailedPrecondition(
          "ledgerd opens personal fields for admin tokens only: they stay sealed");
    }
    std::vector<std::optional<std::string>> opened;
    // The server takes at most 10,000 values per request (PROTOCOL.md).
    for (size_t at = 0; at < values.size(); at += 10'000) {
      Result<std::vector<std::optional<std::string>>> part =
          client_->OpenSealed(values.subspan(at, std::min<size_t>(10'000, values.size() - at)));
      if (!part.ok()) return part.status();
      for (auto& value : *part) opened.push_back(std::move(value));
    }
    return opened;
  }

 private:
  Result<StoredEvent> One(const Uuid& org, uint64_t seq) {
    std::optional<StoredEvent> found;
    LEDGER_RETURN_IF_ERROR(Scan(org, seq, seq, [&](const StoredEvent& event) {
      found = event;
      return Status::Ok();
    }));
    if (!found)
      return Status::NotFound("org " + org.ToString() + " has no event " + std::to_string(seq));
    return std::move(*found);
  }

  // The org's leaf hashes, recomputed from its events, up to at least `size`.
  Status Leaves(const Uuid& org, uint64_t size, const std::vector<Digest>** out) {
    std::vector<Digest>& leaves = leaves_[org];
    if (leaves.size() < size) {
      LEDGER_RETURN_IF_ERROR(Scan(org, leaves.size() + 1, size, [&](const StoredEvent& event) {
        leaves.push_back(event.leaf_hash);  // VerifyStoredEvent recomputed it
        return Status::Ok();
      }));
      if (leaves.size() < size) {
        return Status::Tampered("org " + org.ToString() + ": ledgerd claims " +
                                std::to_string(size) + " events but sent " +
                                std::to_string(leaves.size()));
      }
    }
    *out = &leaves;
    return Status::Ok();
  }

  std::unique_ptr<client::Client> client_;
  std::unordered_map<Uuid, std::vector<Digest>, UuidHash> leaves_;
  std::optional<SigningKey> key_;
};

}  // namespace

Result<std::unique_ptr<AuditSource>> ConnectRemoteSource(const SourceFlags& flags) {
  client::ClientOptions options;
  LEDGER_RETURN_IF_ERROR(client::ParseAddress(flags.connect, &options));
  options.token = flags.token;
  if (options.token.empty() && std::getenv("LEDGER_TOKEN") != nullptr) {
    options.token = std::getenv("LEDGER_TOKEN");
  }
  if (options.token.empty()) {
    return Status::InvalidArgument("no token: pass --token or set LEDGER_TOKEN");
  }
  options.client_name = "ledger-audit";
  options.max_reconnect_attempts = 2;
  Result<std::unique_ptr<client::Client>> client = client::Client::Connect(options);
  if (!client.ok()) return client.status();
  return std::unique_ptr<AuditSource>(new RemoteSource(std::move(client).value()));
}

}  // namespace ledger::audit
