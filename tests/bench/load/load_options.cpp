#include "tests/bench/load/load_options.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace gw::bench {

std::string validate(const LoadOptions& o) {
  in_addr addr{};
  if (inet_pton(AF_INET, o.host.c_str(), &addr) != 1) return "--host: an IPv4 literal is required";
  // A load generator must never be pointed at someone else's broker by accident.
  if ((ntohl(addr.s_addr) >> 24) != 127) return "--host: only loopback (127.0.0.0/8) is allowed";
  if (o.port == 0) return "--port: 1..65535";
  if (o.publishers > 1000 || o.subscribers > 1000) return "--publishers/--subscribers: at most 1000";
  if (o.idle > 10000) return "--idle: at most 10000";
  if (o.connect_cycles > 0) {
    if (o.publishers + o.subscribers + o.idle != 0) {
      return "--connect-cycles: give --publishers 0 --subscribers 0 and no --idle";
    }
    if (o.connect_cycles > 100'000) return "--connect-cycles: at most 100000";
    if (o.parallel == 0 || o.parallel > 1000) return "--parallel: 1..1000";
    if (o.run_timeout_s <= 0 || o.run_timeout_s > 3600) return "--timeout: (0, 3600] s";
    return {};
  }
  if (o.publishers + o.subscribers + o.idle == 0) return "nothing to do: no connections";
  if (o.remote_publishers > 0 && (o.publishers > 0 || o.subscribers == 0)) {
    return "--remote-publishers: receive-only, give --publishers 0 and some --subscribers";
  }
  if (o.remote_publishers > 1000) return "--remote-publishers: at most 1000";
  if (o.payload < kMinPayload || o.payload > 1024 * 1024) return "--payload: 16..1048576 bytes";
  if (o.publishers > 0) {
    if ((o.messages == 0) == (o.duration_s <= 0)) return "give exactly one of --messages and --duration";
    if (o.messages > 100'000'000) return "--messages: at most 100000000 per publisher";
    if (o.duration_s > 600) return "--duration: at most 600 s";
  }
  if (o.rate < 0 || o.rate > 10'000'000) return "--rate: 0..10000000 messages/s";
  if (o.inflight == 0 || o.inflight > 65535) return "--inflight: 1..65535";
  if (o.hold_s < 0 || o.hold_s > 600) return "--hold: 0..600 s";
  if (o.drain_timeout_s <= 0 || o.drain_timeout_s > 600) return "--drain-timeout: (0, 600] s";
  if (o.setup_timeout_s <= 0 || o.setup_timeout_s > 600) return "--setup-timeout: (0, 600] s";
  if (o.run_timeout_s <= 0 || o.run_timeout_s > 3600) return "--timeout: (0, 3600] s";
  if (o.connect_burst == 0) return "--connect-burst: at least 1";
  if (o.topic.empty() || o.topic.find_first_of("+#") != std::string::npos) {
    return "--topic: a non-empty topic name without wildcards";
  }
  return {};
}

}  // namespace gw::bench
