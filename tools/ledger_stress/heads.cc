#include "heads.h"

#include <algorithm>
#include <map>

#include "ledger/merkle_proof.h"

namespace ledger::stress {

Status HeadSampler::Start(const client::ClientOptions& options,
                          std::chrono::milliseconds interval) {
  Result<std::unique_ptr<client::Client>> client = client::Client::Connect(options);
  if (!client.ok()) return client.status().WithContext("head sampler");
  client_ = std::move(client).value();
  interval_ = interval;
  thread_ = std::thread([this] {
    while (!stopping_) {
      Sample();
      std::this_thread::sleep_for(interval_);
    }
  });
  return Status::Ok();
}

void HeadSampler::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  client_.reset();
}

void HeadSampler::Sample() {
  std::optional<Uuid> org = acks_->RecentOrg(random_());
  if (!org) return;
  // Fails while the server is down: nothing was fetched, nothing to check.
  Result<client::SignedTreeHeadReply> reply = client_->SignedTreeHead(*org, 0);
  if (!reply.ok()) return;
  audit::SignedHead head{*org, reply->size, reply->root, reply->timestamp, {}, {}};
  std::lock_guard lock(mutex_);
  if (reply->key.size() != head.key.size() || reply->signature.size() != head.signature.size()) {
    errors_.push_back("org " + org->ToString() + ": ledgerd served an unsigned head");
    return;
  }
  std::copy(reply->key.begin(), reply->key.end(), head.key.begin());
  std::copy(reply->signature.begin(), reply->signature.end(), head.signature.begin());
  if (Status signed_ok = CheckSigned(head, key_); !signed_ok.ok()) {
    errors_.push_back(signed_ok.message());
    return;
  }
  taken_.push_back(head);
  audit::SignedHead& newest = newest_[*org];
  if (head.size >= newest.size) newest = head;
}

std::vector<audit::SignedHead> HeadSampler::TakeHeads() {
  std::lock_guard lock(mutex_);
  return std::exchange(taken_, {});
}

std::vector<audit::SignedHead> HeadSampler::NewestPerOrg() {
  std::lock_guard lock(mutex_);
  std::vector<audit::SignedHead> heads;
  for (const auto& [org, head] : newest_) heads.push_back(head);
  return heads;
}

std::vector<std::string> HeadSampler::TakeErrors() {
  std::lock_guard lock(mutex_);
  return std::exchange(errors_, {});
}

Status CheckSigned(const audit::SignedHead& head, const audit::PublicKey& key) {
  std::string what = "org " + head.org.ToString() + " head at size " + std::to_string(head.size);
  if (head.key != key) return Status::Tampered(what + ": signed by an unexpected key");
  return audit::VerifyHeadSignature(head).WithContext(what);
}

namespace {

Status CheckOne(audit::AuditSource& source, const audit::SignedHead& old_head,
                const audit::SignedHead& now) {
  std::string what = "org " + old_head.org.ToString() + ": head signed before the crash (size " +
                     std::to_string(old_head.size) + ", root " + ToHex(old_head.root) + ")";
  if (now.size < old_head.size) {
    return Status::Tampered(what + " is not extended: the log now holds " +
                            std::to_string(now.size) + " events");
  }
  if (now.size == old_head.size) {
    if (now.root == old_head.root) return Status::Ok();
    return Status::Tampered(what + " differs from the head now at that size: " + ToHex(now.root));
  }
  Result<std::vector<Digest>> proof = ConsistencyProof(
      old_head.size, now.size,
      [&](uint64_t begin, uint64_t end) { return source.SubtreeHash(old_head.org, begin, end); });
  if (!proof.ok()) return proof.status().WithContext(what);
  if (!VerifyConsistency(old_head.size, now.size, *proof, old_head.root, now.root)) {
    return Status::Tampered(what + " is not a prefix of the log now (size " +
                            std::to_string(now.size) + ", root " + ToHex(now.root) +
                            "): the consistency proof fails");
  }
  return Status::Ok();
}

}  // namespace

Status CheckHeadsExtended(audit::AuditSource& source, std::span<const audit::SignedHead> heads,
                          const audit::PublicKey& key, uint64_t* checked) {
  std::map<Uuid, audit::SignedHead> now;  // one fresh signed head per org
  for (const audit::SignedHead& head : heads) {
    LEDGER_RETURN_IF_ERROR(CheckSigned(head, key));
    auto it = now.find(head.org);
    if (it == now.end()) {
      // The source recomputes the root from the events it reads and checks
      // the signature; the key must still be ours.
      Result<audit::SignedHead> fresh = source.SignedHeadAt(head.org, 0);
      if (!fresh.ok()) return fresh.status().WithContext("org " + head.org.ToString());
      LEDGER_RETURN_IF_ERROR(CheckSigned(*fresh, key));
      it = now.emplace(head.org, *fresh).first;
    }
    LEDGER_RETURN_IF_ERROR(CheckOne(source, head, it->second));
    ++*checked;
  }
  return Status::Ok();
}

}  // namespace ledger::stress
