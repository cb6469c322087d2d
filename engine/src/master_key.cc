#include "master_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ledger {
namespace {

using Key = std::array<uint8_t, 32>;

Status CreateKeyFile(const std::string& path) {
  Key key;
  randombytes_buf(key.data(), key.size());
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, key.data(), key.size());
  sodium_memzero(key.data(), key.size());
  // O_EXCL: never overwrite a key that appeared meanwhile; losing the master
  // key would make every sealed field unreadable.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return Status::IoError("cannot create master key " + path + ": " + strerror(errno));
  std::string line = std::string(hex, 64) + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::IoError("cannot write master key " + path + ": " + strerror(errno));
  return Status::Ok();
}

}  // namespace

Result<Key> ReadMasterKey(const std::string& path, bool create_if_missing) {
  if (path.empty()) return Status::InvalidArgument("no master key path given");
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    if (!create_if_missing) return Status::NotFound("master key " + path + " does not exist");
    LEDGER_RETURN_IF_ERROR(CreateKeyFile(path));
  }
  std::ifstream file(path);
  std::string hex;
  if (!(file >> hex)) return Status::IoError("cannot read master key " + path);
  Key key;
  size_t length = 0;
  if (hex.size() != 64 ||
      sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &length, nullptr) !=
          0 ||
      length != key.size()) {
    return Status::InvalidArgument("master key " + path + " is not 64 hex characters");
  }
  return key;
}

}  // namespace ledger
