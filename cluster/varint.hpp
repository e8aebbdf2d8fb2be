#pragma once

// Varints (7 bits a byte, low bits first) and varint-length strings, as
// both packed forms write them: a session in memory (session_set.cpp) and a
// delta's ops on the wire (wire_codec.cpp). Each has its own reader: the
// first reads its own bytes, the second a peer's.

#include <cstdint>
#include <string>
#include <string_view>

namespace presence::cluster {

inline void put_varint(std::string& out, uint64_t x) {
  while (x >= 0x80) {
    out.push_back(static_cast<char>((x & 0x7f) | 0x80));
    x >>= 7;
  }
  out.push_back(static_cast<char>(x));
}

inline void put_string(std::string& out, std::string_view x) {
  put_varint(out, x.size());
  out.append(x.data(), x.size());
}

} // namespace presence::cluster
