// The load of a stress run: client threads, each appending realistic
// histories (tools/history_generator.h: orgs, employees with sealed personal
// fields, agents, approvals, missions, usage) through the C++ client, with
// a few Appends in flight, and recording every acknowledged event in the
// AckLog.
//
// A history is valid only when appended whole and in order. When an Append
// fails with its outcome unknown (the server was killed under it), the
// client finishes what it has in flight (a later batch may still be decided
// on the restarted server: accepted, recorded; or rejected, counted) and
// starts a fresh history with new orgs. A rejection in a history that lost
// nothing is unexpected and reported as an error.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ack_log.h"

namespace ledger::stress {

struct WorkloadOptions {
  std::string address;  // HOST:PORT of ledgerd
  std::string token;
  int clients = 4;
  uint64_t seed = 1;
  size_t batch_max = 32;  // commands per Append: 1..batch_max, at random
  size_t in_flight = 4;   // Appends in flight per client
  double rate = 300;      // commands per second per client; 0: as fast as acknowledged
};

struct WorkloadCounts {
  std::atomic<uint64_t> commands_sent{0};
  std::atomic<uint64_t> commands_accepted{0};
  std::atomic<uint64_t> events_acknowledged{0};
  std::atomic<uint64_t> outcome_unknown{0};      // commands in Appends that failed
  std::atomic<uint64_t> rejected_after_loss{0};  // expected: their history has a gap
  std::atomic<uint64_t> histories{0};
};

class Workload {
 public:
  Workload(WorkloadOptions options, AckLog* acks) : options_(std::move(options)), acks_(acks) {}
  ~Workload() { Stop(); }

  // Connects every client (the server must be up) and starts appending.
  Status Start();
  // Returns once no client has an Append in flight (each waits for its
  // replies, then holds); the log then changes no more until Resume.
  void Pause();
  void Resume();
  void Stop();

  const WorkloadCounts& counts() const { return counts_; }
  // Unexpected outcomes since the last call: a rejection in an intact
  // history, a position acknowledged twice, an error that is not
  // "connection lost".
  std::vector<std::string> TakeErrors();

 private:
  class Client;
  friend class Client;

  // Called by a client with nothing in flight: holds while paused.
  // False: stop.
  bool Hold();
  void AddError(std::string error);

  WorkloadOptions options_;
  AckLog* acks_;
  WorkloadCounts counts_;
  std::vector<std::thread> threads_;

  std::mutex mutex_;
  std::condition_variable changed_;
  // Also read without the mutex by clients deciding whether to send.
  std::atomic<bool> pause_requested_{false};
  std::atomic<bool> stopping_{false};
  int holding_ = 0;  // clients holding for the pause
  int running_ = 0;  // client threads still running
  std::vector<std::string> errors_;
};

}  // namespace ledger::stress
