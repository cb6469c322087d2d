// Signed tree heads around the crashes: a sampler fetches the signed heads
// of recently acknowledged orgs all through the run, and after each restart
// every head fetched before it must still hold: its signature verifies under
// the pinned key, and an RFC 9162 consistency proof, built from the events
// the restarted server serves (audit::AuditSource recomputes every hash),
// shows it is a prefix of the org's log now.
#pragma once

#include <atomic>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ack_log.h"
#include "ledger/audit/signed_head.h"
#include "ledger/audit/source.h"
#include "ledger/client/client.h"

namespace ledger::stress {

class HeadSampler {
 public:
  HeadSampler(AckLog* acks, audit::PublicKey key, uint64_t seed)
      : acks_(acks), key_(key), random_(seed) {}
  ~HeadSampler() { Stop(); }

  // Connects (the server must be up) and samples every `interval`.
  Status Start(const client::ClientOptions& options, std::chrono::milliseconds interval);
  void Stop();

  // Heads fetched since the last call, each already checked against the
  // pinned key. Also kept as the newest head of its org (NewestPerOrg).
  std::vector<audit::SignedHead> TakeHeads();
  std::vector<audit::SignedHead> NewestPerOrg();
  // Heads that did not verify when fetched (each an error).
  std::vector<std::string> TakeErrors();

 private:
  void Sample();

  AckLog* acks_;
  audit::PublicKey key_;
  std::mt19937_64 random_;
  std::unique_ptr<client::Client> client_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::chrono::milliseconds interval_{20};

  std::mutex mutex_;
  std::vector<audit::SignedHead> taken_;
  std::unordered_map<Uuid, audit::SignedHead, UuidHash> newest_;
  std::vector<std::string> errors_;
};

// The signature of `head` verifies and it was made with `key`.
Status CheckSigned(const audit::SignedHead& head, const audit::PublicKey& key);

// Checks each head against the log `source` serves now (signature, size
// not smaller, consistency proof). Counts the heads checked in *checked.
// The first failure names the org, both sizes and both roots.
Status CheckHeadsExtended(audit::AuditSource& source, std::span<const audit::SignedHead> heads,
                          const audit::PublicKey& key, uint64_t* checked);

}  // namespace ledger::stress
