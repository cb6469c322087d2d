// Entities of one kind keyed by id, as ById<T> (state.h), except that those
// unpacked from a snapshot may stay packed in it until first used.
//
// Why: a busy org's state is mostly finished missions and tasks (80,000 in
// the 1M-event org of ledger-state-bench), and unpacking each one is a map
// node and several allocations. A query "as of T" needs only the ones the
// events after the snapshot touch, and what its caller then reads. So
// UnpackState verifies the snapshot's mission and task tables and leaves
// them packed; the first lookup of an id unpacks that one entity into the
// map, and the first iteration unpacks all of them (after which the
// snapshot's bytes are let go).
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
#include <string>
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

  // Leaves `list` packed until used; `owner` keeps the bytes it lies in.
  // The list must be sorted by id with no id twice (PackState writes it so)
  // and each of its tables already verified; the container must be empty.
  void KeepPacked(std::shared_ptr<const void> owner, const PackedList* list) {
    std::scoped_lock lock(mutex_);
    if (list == nullptr || list->size() == 0) return;
    map_.reserve(list->size());
    owner_ = std::move(owner);
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
  }

 private:
  static Uuid IdAt(const Table* table) {
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
      Uuid at = IdAt(packed_->Get(static_cast<flatbuffers::uoffset_t>(mid)));
      if (at == id) return Take(mid, id);
      if (at < id) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return map_.end();
  }

  // Unpacks entry `index` into the map. An entry taken before was found in
  // the map already, so `index` is not taken. Unpacked aside first: if it
  // throws (bad_alloc), nothing has changed.
  iterator Take(size_t index, const Uuid& id) const {
    T value;
    packed_->Get(static_cast<flatbuffers::uoffset_t>(index))->UnPackTo(&value);
    iterator it = map_.try_emplace(id, std::move(value)).first;
    taken_[index] = true;
    if (--left_ == 0) ReleasePacked();
    return it;
  }

  void UnpackAll() const {
    std::scoped_lock lock(mutex_);
    if (left_ == 0) return;
    for (size_t i = 0; i < taken_.size() && left_ != 0; ++i) {
      if (!taken_[i]) Take(i, IdAt(packed_->Get(static_cast<flatbuffers::uoffset_t>(i))));
    }
  }

  void ReleasePacked() const {
    owner_.reset();
    packed_ = nullptr;
    taken_.clear();
    taken_.shrink_to_fit();
    left_ = 0;
  }

  void CopyFrom(const LazyById& other) {
    std::scoped_lock lock(other.mutex_);
    map_ = other.map_;
    owner_ = other.owner_;
    packed_ = other.packed_;
    taken_ = other.taken_;
    left_ = other.left_;
  }
  void MoveFrom(LazyById& other) noexcept {
    std::scoped_lock lock(other.mutex_);
    MoveFromLocked(other);
  }
  void MoveFromLocked(LazyById& other) noexcept {
    map_ = std::move(other.map_);
    owner_ = std::move(other.owner_);
    packed_ = std::exchange(other.packed_, nullptr);
    taken_ = std::move(other.taken_);
    left_ = std::exchange(other.left_, 0);
    other.map_.clear();
    other.taken_.clear();
  }

  // All mutable: a const lookup may unpack (under the mutex).
  mutable std::mutex mutex_;
  mutable Map map_;
  // The packed side: what keeps the snapshot's bytes, its list, which
  // entries the map has taken, and how many it has not.
  mutable std::shared_ptr<const void> owner_;
  mutable const PackedList* packed_ = nullptr;
  mutable std::vector<bool> taken_;
  mutable size_t left_ = 0;
};

}  // namespace ledger
