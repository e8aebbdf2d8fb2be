#pragma once

// The cluster benchmark's push rows: C3 cross-node push_to_user(s), C4
// cross-node latency at 10k/s, C8's false downs during C3 load, C5
// broadcast over three nodes. Node a pushes to the sessions of node b
// (user{i}, tok{i}-web, web); C5 adds node c and sessions on a and c.

#include <cstddef>

namespace bench {

struct push_rows_options {
  /// Sessions per node.
  size_t n = 100000;
  /// C4's measured run (10k pushes/s); a warm-up of half as long goes first.
  int c4_ms = 2000;
  /// How long C8 watches the membership under C3's load.
  int c8_load_seconds = 60;
};

/// Runs the rows; exits non-zero if a count is off.
void push_rows(const push_rows_options& opts);

} // namespace bench
