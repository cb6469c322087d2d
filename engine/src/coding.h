// Fixed-width integer encoding. Keys use big-endian so that byte order is
// numeric order in RocksDB's default comparator; values use little-endian.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ledger::coding {

inline void PutFixed64BigEndian(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

inline uint64_t GetFixed64BigEndian(std::string_view in) {  // REQUIRES: in.size() >= 8
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = value << 8 | static_cast<uint8_t>(in[i]);
  return value;
}

inline void PutFixed64(std::string* out, uint64_t value) {
  for (int shift = 0; shift < 64; shift += 8) out->push_back(static_cast<char>(value >> shift));
}

// REQUIRES: out has room for 8 bytes.
inline void EncodeFixed64(char* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (8 * i));
}

inline void PutFixed32(std::string* out, uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out->push_back(static_cast<char>(value >> shift));
}

inline uint64_t GetFixed64(std::string_view in) {  // REQUIRES: in.size() >= 8
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = value << 8 | static_cast<uint8_t>(in[i]);
  return value;
}

inline uint32_t GetFixed32(std::string_view in) {  // REQUIRES: in.size() >= 4
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = value << 8 | static_cast<uint8_t>(in[i]);
  return value;
}

}  // namespace ledger::coding
