#include "token_file_io.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace ledger::server {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError(what + " " + path + ": " + std::strerror(errno));
}

FileIdentity IdentityOf(const struct stat& info) {
  FileIdentity identity;
  identity.exists = true;
  identity.device = info.st_dev;
  identity.inode = info.st_ino;
  identity.size = info.st_size;
  identity.mtime_ns = int64_t{info.st_mtim.tv_sec} * 1'000'000'000 + info.st_mtim.tv_nsec;
  identity.ctime_ns = int64_t{info.st_ctim.tv_sec} * 1'000'000'000 + info.st_ctim.tv_nsec;
  return identity;
}

std::string DirectoryOf(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

// Reads all of `fd`, up to kTokenFileBytesMax bytes.
Status ReadAll(int fd, const std::string& path, std::string* contents) {
  char buffer[1 << 16];
  while (true) {
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Errno("cannot read", path);
    if (got == 0) return Status::Ok();
    contents->append(buffer, static_cast<size_t>(got));
    if (contents->size() > kTokenFileBytesMax) {
      return Status::LimitExceeded(path + " is larger than " + std::to_string(kTokenFileBytesMax) +
                                   " bytes");
    }
  }
}

Status WriteAll(int fd, const std::string& path, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t wrote = ::write(fd, bytes.data(), bytes.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return Errno("cannot write", path);
    bytes.remove_prefix(static_cast<size_t>(wrote));
  }
  return Status::Ok();
}

Status WriteSyncedFile(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", path);
  // A leftover file from a crashed writer keeps its mode through O_TRUNC.
  Status status = ::fchmod(fd, 0600) == 0 ? WriteAll(fd, path, bytes) : Errno("cannot chmod", path);
  if (status.ok() && ::fsync(fd) != 0) status = Errno("cannot fsync", path);
  if (::close(fd) != 0 && status.ok()) status = Errno("cannot close", path);
  return status;
}

Status SyncDirectory(const std::string& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open directory", directory);
  Status status = ::fsync(fd) == 0 ? Status::Ok() : Errno("cannot fsync directory", directory);
  ::close(fd);
  return status;
}

}  // namespace

Result<FileIdentity> StatTokenFile(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) == 0) return IdentityOf(info);
  if (errno == ENOENT) return FileIdentity{};
  return Errno("cannot stat", path);
}

Result<TokenFileContents> ReadTokenFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return TokenFileContents{};
  if (fd < 0) return Errno("cannot open", path);
  TokenFileContents contents;
  std::string bytes;
  struct stat info;
  Status status = ::fstat(fd, &info) == 0 ? ReadAll(fd, path, &bytes) : Errno("cannot stat", path);
  ::close(fd);
  if (!status.ok()) return status;
  contents.identity = IdentityOf(info);
  Result<std::vector<TokenRecord>> records = ParseTokenFile(bytes);
  if (!records.ok()) return records.status().WithContext("token file " + path);
  contents.records = std::move(records).value();
  return contents;
}

Status ReplaceTokenFile(const std::string& path, const std::vector<TokenRecord>& records) {
  std::string temporary = path + ".tmp";
  Status status = WriteSyncedFile(temporary, FormatTokenFile(records));
  if (status.ok() && ::rename(temporary.c_str(), path.c_str()) != 0) {
    status = Errno("cannot rename " + temporary + " to", path);
  }
  if (!status.ok()) {
    ::unlink(temporary.c_str());
    return status;
  }
  return SyncDirectory(DirectoryOf(path));
}

Status WithWriterLock(const std::string& path, const std::function<Status()>& body) {
  std::error_code error;
  std::filesystem::create_directories(DirectoryOf(path), error);
  if (error) return Status::IoError("cannot create directory of " + path + ": " + error.message());
  std::string lock_path = path + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot open", lock_path);
  // Closing the descriptor releases the lock, also if `body` throws.
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* open) { ::close(*open); });
  int locked;
  do {
    locked = ::flock(fd, LOCK_EX);
  } while (locked != 0 && errno == EINTR);
  if (locked != 0) return Errno("cannot lock", lock_path);
  return body();
}

}  // namespace ledger::server
