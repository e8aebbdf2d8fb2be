#pragma once

// The cluster's public API (library target presence::cluster): its options,
// settings and errors, start_cluster, and what a node tells about itself. Single-node code includes presence/presence.hpp only
// and links neither CAF's io module nor OpenSSL.

#include "presence/cluster_error.hpp"
#include "presence/cluster_members.hpp"
#include "presence/cluster_node.hpp"
#include "presence/cluster_settings.hpp"
