// Where the registry's per-user memory comes from: the block pool (blocks are
// distinct, aligned, reused, safe to free from other threads; every spawned
// user actor takes one), the pooled allocator of the session vectors, and the
// huge-page allocator of the user table's arrays.

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "memory/block_pool.hpp"
#include "memory/huge_pages.hpp"
#include "memory/pooled_allocator.hpp"
#include "actors/user_actor.hpp"
#include "presence/online_user.hpp"

// A namespace per test file: the tests build in unity batches.
namespace block_pool_tests {

using presence::detail::block_pool;
using presence::detail::huge_page_allocator;
using presence::detail::pooled_allocator;

namespace {

// Under AddressSanitizer the pools pass requests to operator new
// (huge_pages.hpp): their chunks and reuse order are not observable then.
constexpr bool pools_map_chunks = !presence::detail::system_allocator_only;

} // namespace

TEST_CASE("block pool hands out distinct aligned blocks across chunks",
          "[block_pool]") {
  block_pool pool{1000};
  CHECK(pool.block_size() == 1024);
  CHECK(pool.mapped_bytes() == 0);
  // Enough blocks to need a third chunk.
  auto per_chunk = block_pool::chunk_size / pool.block_size();
  std::vector<unsigned char*> blocks;
  for (std::size_t i = 0; i < 2 * per_chunk + 10; ++i) {
    auto* p = static_cast<unsigned char*>(pool.allocate());
    REQUIRE(reinterpret_cast<std::uintptr_t>(p) % 64 == 0);
    std::memset(p, static_cast<int>(i & 0xff), pool.block_size());
    blocks.push_back(p);
  }
  if (pools_map_chunks)
    CHECK(pool.mapped_bytes() == 3 * block_pool::chunk_size);
  CHECK(pool.blocks_in_use() == blocks.size());
  // No block overlaps another: each still holds its own fill byte.
  std::set<unsigned char*> distinct(blocks.begin(), blocks.end());
  CHECK(distinct.size() == blocks.size());
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    auto want = static_cast<unsigned char>(i & 0xff);
    REQUIRE(blocks[i][0] == want);
    REQUIRE(blocks[i][pool.block_size() - 1] == want);
  }
  for (auto* p : blocks)
    pool.deallocate(p);
  CHECK(pool.blocks_in_use() == 0);
}

TEST_CASE("block pool reuses freed blocks before mapping more",
          "[block_pool]") {
  if (!pools_map_chunks) {
    WARN("pool reuse is not observable under AddressSanitizer");
    return;
  }
  block_pool pool{200};
  std::vector<void*> blocks;
  for (int i = 0; i < 100; ++i)
    blocks.push_back(pool.allocate());
  auto mapped = pool.mapped_bytes();
  auto* last_freed = blocks[42];
  pool.deallocate(last_freed);
  CHECK(pool.allocate() == last_freed);
  for (auto* p : blocks)
    pool.deallocate(p);
  std::set<void*> before(blocks.begin(), blocks.end());
  for (int i = 0; i < 100; ++i)
    CHECK(before.count(pool.allocate()) == 1);
  CHECK(pool.mapped_bytes() == mapped);
  pool.deallocate(nullptr); // a no-op, like operator delete
  CHECK(pool.blocks_in_use() == 100);
}

TEST_CASE("block pool stays consistent when blocks are freed on other threads",
          "[block_pool]") {
  // As with actors: each thread allocates and fills blocks, hands them to
  // the next thread, and frees the blocks the previous thread handed it,
  // checking that nobody else wrote to them in between.
  block_pool pool{128};
  constexpr int threads = 4;
  constexpr int rounds = 20000;
  struct mailbox {
    std::mutex mtx;
    std::vector<unsigned char*> blocks;
  };
  std::vector<mailbox> boxes(threads);
  std::vector<int> corrupted(threads, 0);
  std::vector<std::thread> workers;
  auto check_and_free = [&](int t, std::vector<unsigned char*>& got) {
    auto from = (t + threads - 1) % threads;
    for (auto* q : got) {
      for (std::size_t b = 0; b < pool.block_size(); ++b)
        if (q[b] != from + 1)
          ++corrupted[t];
      pool.deallocate(q);
    }
    got.clear();
  };
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      std::vector<unsigned char*> got;
      for (int i = 0; i < rounds; ++i) {
        auto* p = static_cast<unsigned char*>(pool.allocate());
        std::memset(p, t + 1, pool.block_size());
        {
          auto& next = boxes[(t + 1) % threads];
          std::lock_guard<std::mutex> guard{next.mtx};
          next.blocks.push_back(p);
        }
        if (i % 16 == 15) {
          {
            std::lock_guard<std::mutex> guard{boxes[t].mtx};
            got.swap(boxes[t].blocks);
          }
          check_and_free(t, got);
        }
      }
    });
  for (auto& w : workers)
    w.join();
  // What is left in the mailboxes, freed on this (yet another) thread.
  for (int t = 0; t < threads; ++t)
    check_and_free(t, boxes[t].blocks);
  for (int t = 0; t < threads; ++t)
    CHECK(corrupted[t] == 0);
  CHECK(pool.blocks_in_use() == 0);
}

TEST_CASE("every user actor lives in the user actor pool until released",
          "[block_pool]") {
  auto& pool = presence::detail::user_actor_pool();
  auto before = pool.blocks_in_use();
  {
    caf::actor_system_config cfg;
    caf::actor_system sys{cfg};
    {
      auto first = presence::make_online_user("alice", "tok-a", "web");
      auto a = presence::detail::spawn_user(sys, first, caf::timespan{0},
                                            sys.clock().now());
      auto b = presence::detail::spawn_user(sys, first, caf::timespan{0},
                                            sys.clock().now());
      CHECK(pool.blocks_in_use() == before + 2);
      if (pools_map_chunks)
        CHECK(pool.mapped_bytes() >= block_pool::chunk_size);
    }
  }
  // The handles are gone and the system has shut down: so are the actors.
  CHECK(pool.blocks_in_use() == before);
}

TEST_CASE("pooled allocator takes one-element vectors from its pool only",
          "[block_pool]") {
  struct record {
    std::string token;
    uint64_t stamp;
  };
  auto& pool = pooled_allocator<record>::pool();
  CHECK(pool.block_size() == sizeof(record));
  auto before = pool.blocks_in_use();
  {
    std::vector<record, pooled_allocator<record>> one;
    one.reserve(1);
    one.push_back({"a token long enough to live on the heap", 1});
    CHECK(pool.blocks_in_use() == before + 1);
    auto* first = one.data();
    CHECK(reinterpret_cast<std::uintptr_t>(first) % alignof(record) == 0);
    // Growing moves the session out of the pool block and frees the block.
    one.push_back({"b", 2});
    CHECK(pool.blocks_in_use() == before);
    CHECK(one[0].token == "a token long enough to live on the heap");
    CHECK(one[1].stamp == 2);
    // Shrunk back to one element (libstdc++ reallocates on shrink_to_fit):
    // that one element comes from the pool again.
    one.pop_back();
    one.shrink_to_fit();
    REQUIRE(one.capacity() == 1);
    CHECK(pool.blocks_in_use() == before + 1);
    auto moved = std::move(one);
    CHECK(moved.size() == 1);
    CHECK(moved[0].stamp == 1);
  }
  CHECK(pool.blocks_in_use() == before);
}

TEST_CASE("huge page allocator keeps big arrays intact as they grow",
          "[block_pool]") {
  std::vector<uint64_t, huge_page_allocator<uint64_t>> xs;
  // 8 MiB of values: several regrowths across the huge-page threshold.
  constexpr uint64_t count = (uint64_t{8} << 20) / sizeof(uint64_t);
  for (uint64_t i = 0; i < count; ++i)
    xs.push_back(i * 2654435761u);
  CHECK(reinterpret_cast<std::uintptr_t>(xs.data())
          % presence::detail::huge_page_size
        == 0);
  uint64_t wrong = 0;
  for (uint64_t i = 0; i < count; ++i)
    if (xs[i] != i * 2654435761u)
      ++wrong;
  CHECK(wrong == 0);
  xs.clear();
  xs.shrink_to_fit();
  CHECK(xs.capacity() == 0);
}

} // namespace block_pool_tests
