// Entities of one kind keyed by id, as ById<T> (state.h), except that those
// unpacked from a snapshot may stay packed in it until first used.
//
// Why: a busy org's state is mostly finished missions and tasks (80,000 in
// the 1M-event org of ledger-state-bench) and settled agent requests, and
// unpacking each one is a map node and several allocations. A query "as of T" needs only the ones
// the events after the snapshot touch, and what its caller then reads. So UnpackState leaves them
// packed; the first lookup of an id unpacks that one entity into the map, and the first iteration
// unpacks all of them (after which the snapshot's bytes are let go).
//
// Each packed table is verified (FlatBuffers' verifier) just before it is
// first read, not all of them up front: verifying 80,000 tables was half an
// as-of query's unpacking. A table that fails is dropped, never read: it
// counts in dropped(), not in size(), and no lookup or iteration gives it.
// A damaged table makes lookups scan the list rather than search it, so it
// hides no neighbour. All this needs a snapshot damaged after its checksum
// was computed (LoadState checks the checksum first), that is, one forged
// with a matching XXH3: memory safety does not rest on the checksum. (The
// write model would then decide against a state without the dropped
// entity, as against any forged state; the snapshot worker writes no
// snapshot from one.)
//
// It behaves as the unordered_map it wraps: find, count, try_emplace and
// iteration give the same entities, and references stay valid until the
// container is destroyed or cleared. Lookups through a const reference may
// unpack too, so the map and the packed side are mutable under a mutex, and
// the map has room reserved for every packed entity: a lookup never
// rehashes, so const readers on several threads, and iterators held across
// lookups, are as safe as with a plain map.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "flatbuffers/flatbuffers.h"
#include "ledger/uuid.h"

namespace ledger {

template <typename T>
class LazyById {
 public:
  using Table = typename T::TableType;
  using PackedList = flatbuffers::Vector<flatbuffers::Offset<Table>>;
  using Map = std::unordered_map<Uuid, T, UuidHash>;
  using key_type = Uuid;
  using mapped_type = T;
  using value_type = typename Map::value_type;
  using iterator = typename Map::iterator;
  using const_iterator = typename Map::const_iterator;

  LazyById() = default;
  LazyById(const LazyById& other) { CopyFrom(other); }
  LazyById(LazyById&& other) noexcept { MoveFrom(other); }
  LazyById& operator=(const LazyById& other) {
    if (this != &other) {
      LazyById copy(other);
      std::scoped_lock lock(mutex_);
      MoveFromLocked(copy);
    }
    return *this;
  }
  LazyById& operator=(LazyById&& other) noexcept {
    if (this != &other) {
      std::scoped_lock lock(mutex_, other.mutex_);
      MoveFromLocked(other);
    }
    return *this;
  }

  // Leaves `list` packed until used; `owner` keeps `buffer`, the whole
  // FlatBuffer it lies in, which each table is verified against. The
  // vector itself must be verified already (its tables need not be), and
  // sorted by id with no id twice (PackState writes it so); the container
  // must be empty.
  void KeepPacked(std::shared_ptr<const void> owner, std::string_view buffer,
                  const PackedList* list) {
    std::scoped_lock lock(mutex_);
    if (list == nullptr || list->size() == 0) return;
    map_.reserve(list->size());
    owner_ = std::move(owner);
    buffer_ = buffer;
    packed_ = list;
    taken_.assign(list->size(), false);
    left_ = list->size();
  }

  size_t size() const {
    std::scoped_lock lock(mutex_);
    return map_.size() + left_;
  }
  bool empty() const { return size() == 0; }
  // How many are still packed (for tests and benchmarks).
  size_t packed() const {
    std::scoped_lock lock(mutex_);
    return left_;
  }
  // How many packed tables failed verification when first read.
  size_t dropped() const {
    std::scoped_lock lock(mutex_);
    return dropped_;
  }

  iterator find(const Uuid& id) {
    std::scoped_lock lock(mutex_);
    return FindLocked(id);
  }
  const_iterator find(const Uuid& id) const {
    std::scoped_lock lock(mutex_);
    return FindLocked(id);
  }
  size_t count(const Uuid& id) const { return find(id) == map_.end() ? 0 : 1; }
  bool contains(const Uuid& id) const { return count(id) != 0; }

  template <typename... Args>
  std::pair<iterator, bool> try_emplace(const Uuid& id, Args&&... args) {
    std::scoped_lock lock(mutex_);
    iterator found = FindLocked(id);
    if (found != map_.end()) return {found, false};
    // Keep room for every packed entity (see the top of the file).
    size_t needed = map_.size() + left_ + 1;
    if (left_ != 0 && needed > map_.bucket_count() * map_.max_load_factor()) map_.reserve(needed);
    return map_.try_emplace(id, std::forward<Args>(args)...);
  }
  template <typename... Args>
  std::pair<iterator, bool> emplace(const Uuid& id, Args&&... args) {
    return try_emplace(id, std::forward<Args>(args)...);
  }

  // Iteration unpacks every entity first.
  iterator begin() {
    UnpackAll();
    return map_.begin();
  }
  iterator end() { return map_.end(); }
  const_iterator begin() const {
    UnpackAll();
    return map_.begin();
  }
  const_iterator end() const { return map_.end(); }

  void reserve(size_t count) {
    std::scoped_lock lock(mutex_);
    map_.reserve(count);
  }
  void clear() {
    std::scoped_lock lock(mutex_);
    map_.clear();
    ReleasePacked();
    dropped_ = 0;
  }

 private:
  flatbuffers::Verifier TableVerifier() const {
    return flatbuffers::Verifier(reinterpret_cast<const uint8_t*>(buffer_.data()), buffer_.size());
  }
  const Table* TableAt(size_t index) const {
    return packed_->Get(static_cast<flatbuffers::uoffset_t>(index));
  }

  // The id of packed entry `index`, reading only what the verifier has
  // checked: the table's start and its id string (nullopt if they fail;
  // nil if the text is no id). The whole table is verified when taken.
  std::optional<Uuid> IdAt(size_t index) const {
    const Table* table = TableAt(index);
    flatbuffers::Verifier verifier = TableVerifier();
    const auto* fields = reinterpret_cast<const flatbuffers::Table*>(table);
    if (!verifier.VerifyTableStart(reinterpret_cast<const uint8_t*>(table)) ||
        !fields->VerifyOffset(verifier, Table::VT_ID) || !verifier.VerifyString(table->id())) {
      return std::nullopt;
    }
    const flatbuffers::String* id = table->id();
    if (id == nullptr) return Uuid{};
    return Uuid::Parse(id->string_view()).value_or(Uuid{});
  }

  iterator FindLocked(const Uuid& id) const {
    iterator found = map_.find(id);
    if (found != map_.end() || left_ == 0) return found;
    // Binary search of the packed list, which is sorted by id.
    size_t low = 0, high = packed_->size();
    while (low < high) {
      size_t mid = low + (high - low) / 2;
      std::optional<Uuid> at = IdAt(mid);
      if (!at) return FindByScan(id);  // a damaged table: no order to go by
      if (*at == id) return Take(mid, id);
      if (*at < id) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return map_.end();
  }

  // Every entry not yet taken, in turn: only for a list with a damaged
  // table, so that it hides none of its neighbours from a lookup.
  iterator FindByScan(const Uuid& id) const {
    for (size_t i = 0; i < taken_.size(); ++i) {
      if (taken_[i]) continue;
      std::optional<Uuid> at = IdAt(i);
      if (at && *at == id) return Take(i, id);
    }
    return map_.end();
  }

  // Verifies entry `index` and unpacks it into the map, or drops it (end())
  // if it fails; either way it is taken, once. Unpacked aside first: if it
  // throws (bad_alloc), nothing has changed.
  iterator Take(size_t index, const Uuid& id) const {
    if (taken_[index]) return map_.find(id);  // unpacked before, or dropped: end()
    const Table* table = TableAt(index);
    flatbuffers::Verifier verifier = TableVerifier();
    iterator it = map_.end();
    if (verifier.VerifyTable(table)) {
      T value;
      table->UnPackTo(&value);
      it = map_.try_emplace(id, std::move(value)).first;
    } else {
      ++dropped_;
    }
    taken_[index] = true;
    if (--left_ == 0) ReleasePacked();
    return it;
  }

  void UnpackAll() const {
    std::scoped_lock lock(mutex_);
    if (left_ == 0) return;
    for (size_t i = 0; i < taken_.size() && left_ != 0; ++i) {
      if (!taken_[i]) Take(i, IdAt(i).value_or(Uuid{}));  // a damaged start fails Take too
    }
  }

  void ReleasePacked() const {
    owner_.reset();
    buffer_ = {};
    packed_ = nullptr;
    taken_.clear();
    taken_.shrink_to_fit();
    left_ = 0;
  }

  void CopyFrom(const LazyById& other) {
    std::scoped_lock lock(other.mutex_);
    map_ = other.map_;
    owner_ = other.owner_;
    buffer_ = other.buffer_;
    packed_ = other.packed_;
    taken_ = other.taken_;
    left_ = other.left_;
    dropped_ = other.dropped_;
  }
  void MoveFrom(LazyById& other) noexcept {
    std::scoped_lock lock(other.mutex_);
    MoveFromLocked(other);
  }
  void MoveFromLocked(LazyById& other) noexcept {
    map_ = std::move(other.map_);
    owner_ = std::move(other.owner_);
    buffer_ = std::exchange(other.buffer_, {});
    packed_ = std::exchange(other.packed_, nullptr);
    taken_ = std::move(other.taken_);
    left_ = std::exchange(other.left_, 0);
    dropped_ = std::exchange(other.dropped_, 0);
    other.map_.clear();
    other.taken_.clear();
  }

  // All mutable: a const lookup may unpack (under the mutex).
  mutable std::mutex mutex_;
  mutable Map map_;
  // The packed side: what keeps the snapshot's bytes, the bytes, its list,
  // which entries the map has taken, how many it has not, and how many
  // failed verification.
  mutable std::shared_ptr<const void> owner_;
  mutable std::string_view buffer_;
  mutable const PackedList* packed_ = nullptr;
  mutable std::vector<bool> taken_;
  mutable size_t left_ = 0;
  mutable size_t dropped_ = 0;
};

}  // namespace ledger
