# The library's sources, relative to the repository's top. One list for the
# library (CMakeLists.txt) and the fuzz target (fuzz/CMakeLists.txt), which
# compiles them itself with clang's instrumentation, so a new source file
# cannot be missing from one of them.
set(presence_sources
  libpresence/src/config.cpp
  libpresence/src/error.cpp
  libpresence/src/messages.cpp
  libpresence/src/validation.cpp
  libpresence/src/client_calls.cpp
  libpresence/src/online_manager.cpp
  libpresence/src/manager_core.cpp
  libpresence/src/manager_logouts.cpp
  libpresence/src/logout_list.cpp
  libpresence/src/pending.cpp
  libpresence/src/in_memory_pusher.cpp
  libpresence/src/lifecycle.cpp
  libpresence/src/registry.cpp
  scheduler/spinning_sharing.cpp
  scheduler/lean_clock.cpp
  registry/offline_buffer.cpp
  registry/token_index.cpp
  registry/user_table.cpp
  registry/message_ids.cpp
  registry/idle_wheel.cpp
  registry/event_outbox.cpp
  registry/client_replies.cpp
  registry/push_pipeline.cpp
  registry/relay_set.cpp
  registry/remote_sink.cpp
  registry/session_changes.cpp
  registry/session_changes_cluster.cpp
  registry/session_changes_idle.cpp
  registry/forwarded_writes.cpp
  registry/cluster_link.cpp
  registry/push_routing.cpp
  registry/subscriptions.cpp
  registry/registry_core.cpp
  memory/block_pool.cpp
  memory/huge_pages.cpp
  memory/free_memory.cpp
  actors/user_actor.cpp
  actors/user_retirement.cpp
  actors/registry_actor.cpp
  actors/registry_admission.cpp
  actors/pusher_relay.cpp
  actors/in_memory_pusher_actor.cpp
  actors/callback_pusher_actor.cpp)
