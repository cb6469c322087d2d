// The string type of the org state's object API (schemas/state.fbs is
// compiled with --cpp-str-type ledger::Text).
//
// Why not std::string: an org's state holds hundreds of thousands of short
// strings, most of them 36-byte UUID text, and std::string keeps only 15
// bytes inline, so each id of each unpacked entity was a heap block to
// allocate and later free. Text keeps up to kInline bytes in place and only
// longer values (JSON documents, descriptions) on the heap. Measured at 1M
// events (80,000 missions and tasks): as-of p50 about 2-5 ms lower in paired
// runs (README, "commands, replay and state as of T").
//
// It converts implicitly to std::string_view and is built from any
// string-like value; code that needs a std::string asks for str().
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace ledger {

class Text {
 public:
  // 40 bytes of text and a terminating NUL in place; sizeof(Text) is 48.
  static constexpr size_t kInline = 40;

  Text() noexcept { inline_[0] = '\0'; }
  Text(const char* data, size_t size) { Assign(data, size); }
  Text(std::string_view s) : Text(s.data(), s.size()) {}  // NOLINT: implicit by design
  Text(const std::string& s) : Text(s.data(), s.size()) {}
  Text(const char* s) : Text(std::string_view(s)) {}
  Text(const Text& other) : Text(other.data(), other.size()) {}
  Text(Text&& other) noexcept { Steal(other); }
  ~Text() { Free(); }

  Text& operator=(const Text& other) {
    if (this != &other) Replace(other.data(), other.size());
    return *this;
  }
  Text& operator=(Text&& other) noexcept {
    if (this != &other) {
      Free();
      Steal(other);
    }
    return *this;
  }
  Text& operator=(std::string_view s) {
    Replace(s.data(), s.size());
    return *this;
  }
  Text& operator=(const std::string& s) { return *this = std::string_view(s); }
  Text& operator=(const char* s) { return *this = std::string_view(s); }

  const char* data() const noexcept { return heap_ ? ptr_ : inline_; }
  const char* c_str() const noexcept { return data(); }
  size_t size() const noexcept { return size_; }
  size_t length() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  void clear() noexcept { Replace("", 0); }

  std::string_view view() const noexcept { return {data(), size_}; }
  operator std::string_view() const noexcept { return view(); }  // NOLINT: implicit by design
  std::string str() const { return std::string(view()); }

  friend bool operator==(const Text& a, const Text& b) noexcept { return a.view() == b.view(); }
  friend bool operator==(const Text& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(const Text& a, const std::string& b) noexcept { return a.view() == b; }
  friend bool operator==(const Text& a, const char* b) noexcept { return a.view() == b; }
  friend std::strong_ordering operator<=>(const Text& a, const Text& b) noexcept {
    return a.view() <=> b.view();
  }
  friend std::strong_ordering operator<=>(const Text& a, std::string_view b) noexcept {
    return a.view() <=> b;
  }
  friend std::strong_ordering operator<=>(const Text& a, const std::string& b) noexcept {
    return a.view() <=> std::string_view(b);
  }
  friend std::string operator+(std::string a, const Text& b) { return a.append(b.view()); }
  friend std::string operator+(const char* a, const Text& b) { return std::string(a).append(b); }
  friend std::string operator+(const Text& a, std::string_view b) {
    return std::string(a.view()).append(b);
  }
  friend std::ostream& operator<<(std::ostream& out, const Text& t) { return out << t.view(); }

 private:
  void Assign(const char* data, size_t size) {
    size_ = static_cast<uint32_t>(size);
    char* to = inline_;
    if (size > kInline) {
      ptr_ = to = new char[size + 1];
      heap_ = true;
    }
    if (size != 0) std::memcpy(to, data, size);
    to[size] = '\0';
  }
  void Replace(const char* data, size_t size) {
    if (heap_ || size > kInline) {
      Text copy(data, size);  // data may point into *this
      Free();
      Steal(copy);
      return;
    }
    std::memmove(inline_, data, size);
    inline_[size] = '\0';
    size_ = static_cast<uint32_t>(size);
  }
  void Steal(Text& other) noexcept {
    size_ = other.size_;
    heap_ = other.heap_;
    if (heap_) {
      ptr_ = other.ptr_;
    } else {
      std::memcpy(inline_, other.inline_, size_ + 1);
    }
    other.heap_ = false;
    other.size_ = 0;
    other.inline_[0] = '\0';
  }
  void Free() noexcept {
    if (heap_) delete[] ptr_;
    heap_ = false;
  }

  union {
    char inline_[kInline + 1];
    char* ptr_;
  };
  bool heap_ = false;
  uint32_t size_ = 0;
};

}  // namespace ledger

template <>
struct std::hash<ledger::Text> {
  size_t operator()(const ledger::Text& t) const noexcept {
    return std::hash<std::string_view>()(t.view());
  }
};
