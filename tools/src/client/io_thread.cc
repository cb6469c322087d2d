// IoThread: a thread running one io_context for any number of clients.
#include <cassert>

#include "core.h"

namespace ledger::client {

IoThread::IoThread() : impl_(std::make_unique<Impl>()) {}

IoThread::~IoThread() {
  assert(std::this_thread::get_id() != impl_->thread.get_id() &&
         "the last Client of an IoThread must not be destroyed from a callback");
  impl_->work.reset();  // run() returns once the last handler has run
  impl_->thread.join();
}

}  // namespace ledger::client
