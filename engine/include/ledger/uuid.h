// 16-byte UUIDs: the ids of orgs and subjects. Text form is canonical
// lowercase 8-4-4-4-12; keys on disk use the 16 raw bytes.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledger {

struct Uuid {
  std::array<uint8_t, 16> bytes{};

  // Accepts canonical text, any case. nullopt for anything else.
  static std::optional<Uuid> Parse(std::string_view text);
  // Random version-4 UUID from libsodium's CSPRNG.
  static Uuid Random();
  // REQUIRES: raw.size() == 16.
  static Uuid FromBytes(std::string_view raw);

  std::string ToString() const;
  std::string_view AsBytes() const {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  bool IsNil() const;
  auto operator<=>(const Uuid&) const = default;
};

struct UuidHash {
  size_t operator()(const Uuid& id) const;
};

}  // namespace ledger
