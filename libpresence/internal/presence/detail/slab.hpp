#pragma once

// A slab of values addressed by 64-bit keys (slot index and generation): O(1)
// insert, lookup and erase without a heap allocation per value, and a stale
// key never reaches a reused slot. Holds in-flight work in the registry and
// the facade.

#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace presence::detail {

/// Values with a `reset()` member are reset in place on erase (a value that
/// is large or keeps buffers worth reusing); others are assigned `T{}`.
template <class T, class = void>
struct has_reset : std::false_type {};

template <class T>
struct has_reset<T, std::void_t<decltype(std::declval<T&>().reset())>>
  : std::true_type {};

template <class T>
class slab {
public:
  /// Adds a default value in place; returns its key.
  uint64_t emplace() {
    uint32_t idx;
    if (free_.empty()) {
      idx = static_cast<uint32_t>(cells_.size());
      cells_.emplace_back();
    } else {
      idx = free_.back();
      free_.pop_back();
    }
    auto& c = cells_[idx];
    c.used = true;
    ++size_;
    return (uint64_t{c.generation} << 32) | idx;
  }

  /// Precondition: `find(key) != nullptr`.
  T& at(uint64_t key) {
    return cells_[static_cast<uint32_t>(key & 0xFFFFFFFFu)].value;
  }

  uint64_t insert(T value) {
    auto key = emplace();
    at(key) = std::move(value);
    return key;
  }

  T* find(uint64_t key) {
    auto idx = static_cast<uint32_t>(key & 0xFFFFFFFFu);
    if (idx >= cells_.size())
      return nullptr;
    auto& c = cells_[idx];
    if (!c.used || c.generation != static_cast<uint32_t>(key >> 32))
      return nullptr;
    return &c.value;
  }

  /// Precondition: `find(key) != nullptr`.
  void erase(uint64_t key) {
    auto idx = static_cast<uint32_t>(key & 0xFFFFFFFFu);
    auto& c = cells_[idx];
    if constexpr (has_reset<T>::value)
      c.value.reset();
    else
      c.value = T{};
    c.used = false;
    ++c.generation;
    free_.push_back(idx);
    --size_;
  }

  /// Moves the value out and erases it; default T if `key` is unknown.
  T take(uint64_t key) {
    auto ptr = find(key);
    if (ptr == nullptr)
      return T{};
    auto result = std::move(*ptr);
    erase(key);
    return result;
  }

  size_t size() const noexcept {
    return size_;
  }

  template <class F>
  void for_each_key(F f) {
    for (size_t i = 0; i < cells_.size(); ++i)
      if (cells_[i].used)
        f((uint64_t{cells_[i].generation} << 32) | i, cells_[i].value);
  }

  template <class F>
  void for_each(F f) {
    for (auto& c : cells_)
      if (c.used)
        f(c.value);
  }

private:
  struct cell {
    T value{};
    uint32_t generation = 1;
    bool used = false;
  };
  std::vector<cell> cells_;
  std::vector<uint32_t> free_;
  size_t size_ = 0;
};

} // namespace presence::detail
