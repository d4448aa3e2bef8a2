// mqtt_load: an MQTT 3.1.1 / 5.0 load generator for comparing brokers on loopback.
//
//   mqtt_load --port 1883 --publishers 10 --subscribers 1 --qos 1 --payload 100
//             --duration 3 --broker-pid 1234 --label edge-gateway
//
// Prints one JSON line (for scripts) and one human-readable line. Exit status: 0 when the run
// completed (QoS 0 loss is a result, not a failure), 1 when setup failed or a connection was
// lost, 2 for bad options, 3 when a QoS 1/2 run did not deliver exactly the expected messages.
// Built on the project's codec (broker/protocol) only, never on broker internals.
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "tests/bench/load/connect_cycles.hpp"
#include "tests/bench/load/load_run.hpp"

namespace {

using gw::bench::LoadOptions;
using gw::bench::LoadResult;

std::string stats_json(const char* name, const std::optional<gw::bench::ProcStats>& s) {
  if (!s) return fmt::format("\"{}\":null", name);
  return fmt::format("\"{}\":{{\"rss_kb\":{},\"hwm_kb\":{},\"cpu_s\":{:.3f}}}", name, s->rss_kb, s->hwm_kb, s->cpu_s);
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) {
      out += ' ';
      continue;
    }
    out += ch;
  }
  return out;
}

double rate(double count, double secs) { return secs > 0 ? count / secs : 0; }

void print(const LoadOptions& o, const LoadResult& r) {
  const auto qos = static_cast<int>(o.qos);
  const double pub_rate = rate(static_cast<double>(r.published), r.publish_s);
  const double del_rate = rate(static_cast<double>(r.delivered), r.deliver_s);
  const std::int64_t lost = static_cast<std::int64_t>(r.expected) - static_cast<std::int64_t>(r.delivered);
  const bool exact = r.delivered == r.expected && r.duplicates == 0 && r.unacknowledged == 0 &&
                     r.downgraded == 0;
  double broker_cpu = -1;
  if (r.broker_connected && r.broker_after) broker_cpu = r.broker_after->cpu_s - r.broker_connected->cpu_s;
  const double cpu_us_per_msg =
      broker_cpu >= 0 && r.delivered > 0 ? broker_cpu * 1e6 / static_cast<double>(r.delivered) : -1;
  const auto& l = r.latency;
  std::printf("%s\n",
      fmt::format(
          "{{\"label\":\"{}\",\"version\":\"{}\",\"qos\":{},\"publishers\":{},\"subscribers\":{},\"idle\":{},"
          "\"payload\":{},\"rate\":{},\"max_backlog\":{},\"inflight\":{},\"setup_ok\":{},\"error\":\"{}\","
          "\"published\":{},\"unacknowledged\":{},\"expected\":{},\"delivered\":{},\"lost\":{},"
          "\"duplicates\":{},\"gaps\":{},\"downgraded\":{},\"exact\":{},\"closed_by_broker\":{},"
          "\"setup_s\":{:.3f},\"publish_s\":{:.3f},\"deliver_s\":{:.3f},"
          "\"publish_rate\":{:.0f},\"deliver_rate\":{:.0f},"
          "\"latency_us\":{{\"count\":{},\"p50\":{:.1f},\"p90\":{:.1f},\"p99\":{:.1f},\"p999\":{:.1f},"
          "\"max\":{:.1f},\"mean\":{:.1f}}},"
          "{},{},{},\"broker_cpu_s\":{:.3f},\"broker_cpu_us_per_msg\":{:.3f},\"load_cpu_s\":{:.3f},"
          "\"loadavg\":{:.2f}}}",
          json_escape(o.label), o.version == gw::broker::protocol::ProtocolVersion::V5 ? "5" : "3.1.1",
          qos, o.publishers, o.subscribers, o.idle, o.payload, o.rate, o.max_backlog, r.effective_inflight,
          r.setup_ok, json_escape(r.error), r.published, r.unacknowledged, r.expected, r.delivered,
          lost, r.duplicates, r.gaps, r.downgraded, exact, r.closed_by_broker, r.setup_s, r.publish_s,
          r.deliver_s, pub_rate, del_rate, l.count, l.p50_us, l.p90_us, l.p99_us, l.p999_us,
          l.max_us, l.mean_us, stats_json("broker_before", r.broker_before),
          stats_json("broker_connected", r.broker_connected), stats_json("broker_after", r.broker_after),
          broker_cpu, cpu_us_per_msg, r.own_cpu_s, r.load_average)
          .c_str());

  std::string line = fmt::format("{}: {}p->{}s", o.label.empty() ? "broker" : o.label, o.publishers, o.subscribers);
  if (o.idle > 0) line += fmt::format(" +{} idle", o.idle);
  line += fmt::format(" qos{} {}B v{}", qos, o.payload,
                      o.version == gw::broker::protocol::ProtocolVersion::V5 ? "5" : "3.1.1");
  if (!r.setup_ok) {
    line += " SETUP FAILED: " + r.error;
  } else {
    if (o.publishers > 0) {
      line += fmt::format(" | published {} ({:.0f}/s) delivered {}/{} ({:.0f}/s)", r.published, pub_rate,
                          r.delivered, r.expected, del_rate);
      if (o.qos == gw::QoS::AtMostOnce) {
        line += fmt::format(" loss {:.2f}%", r.expected > 0 ? 100.0 * static_cast<double>(lost) / static_cast<double>(r.expected) : 0.0);
      } else {
        line += exact ? " exact" : fmt::format(" NOT EXACT (dup {}, unacked {}, downgraded {})", r.duplicates, r.unacknowledged, r.downgraded);
      }
      line += fmt::format(" | latency us p50 {:.0f} p90 {:.0f} p99 {:.0f} max {:.0f}", l.p50_us, l.p90_us, l.p99_us, l.max_us);
    } else if (o.remote_publishers > 0) {
      // Receive-only: nothing was published here, so no expected count; the latency is the
      // other process's send time (same steady clock, same machine) to the delivery here.
      line += fmt::format(" | received {} ({:.0f}/s) duplicates {} gaps {}", r.delivered, del_rate,
                          r.duplicates, r.gaps);
      line += fmt::format(" | latency us p50 {:.0f} p90 {:.0f} p99 {:.0f} max {:.0f}", l.p50_us, l.p90_us, l.p99_us, l.max_us);
    }
    if (r.broker_after) {
      line += fmt::format(" | broker RSS {:.1f} MiB (peak {:.1f})", static_cast<double>(r.broker_after->rss_kb) / 1024,
                          static_cast<double>(r.broker_after->hwm_kb) / 1024);
      if (r.broker_before && r.broker_connected) {
        line += fmt::format(" connected +{} KiB", static_cast<std::int64_t>(r.broker_connected->rss_kb) -
                                                      static_cast<std::int64_t>(r.broker_before->rss_kb));
      }
      if (cpu_us_per_msg >= 0) line += fmt::format(" cpu {:.2f} us/msg", cpu_us_per_msg);
    }
    if (!r.error.empty()) line += " | error: " + r.error;
  }
  line += fmt::format(" | load {:.2f}", r.load_average);
  std::printf("%s\n", line.c_str());
}

void print_cycles(const LoadOptions& o, const gw::bench::ConnectCyclesResult& r) {
  const double cycle_rate = rate(static_cast<double>(r.completed), r.elapsed_s);
  double broker_cpu = -1;
  if (r.broker_before && r.broker_after) broker_cpu = r.broker_after->cpu_s - r.broker_before->cpu_s;
  const auto& l = r.latency;
  std::printf("%s\n",
      fmt::format(
          "{{\"label\":\"{}\",\"version\":\"{}\",\"connect_cycles\":{},\"parallel\":{},\"setup_ok\":{},"
          "\"error\":\"{}\",\"completed\":{},\"failed\":{},\"elapsed_s\":{:.3f},\"cycle_rate\":{:.0f},"
          "\"latency_us\":{{\"count\":{},\"p50\":{:.1f},\"p90\":{:.1f},\"p99\":{:.1f},\"p999\":{:.1f},"
          "\"max\":{:.1f},\"mean\":{:.1f}}},"
          "{},{},\"broker_cpu_s\":{:.3f},\"load_cpu_s\":{:.3f},\"loadavg\":{:.2f}}}",
          json_escape(o.label), o.version == gw::broker::protocol::ProtocolVersion::V5 ? "5" : "3.1.1",
          o.connect_cycles, o.parallel, r.failed == 0 && r.error.empty(), json_escape(r.error), r.completed,
          r.failed, r.elapsed_s, cycle_rate, l.count, l.p50_us, l.p90_us, l.p99_us, l.p999_us, l.max_us,
          l.mean_us, stats_json("broker_before", r.broker_before), stats_json("broker_after", r.broker_after),
          broker_cpu, r.own_cpu_s, r.load_average)
          .c_str());
  std::printf("%s\n",
      fmt::format("{}: {} connect cycles, {} in parallel | {} ok, {} failed in {:.2f} s ({:.0f}/s) | CONNACK after "
                  "p50 {:.0f} us p99 {:.0f} us | broker CPU {:.2f} s, mqtt_load CPU {:.2f} s{} | load {:.2f}",
                  o.label.empty() ? "broker" : o.label, o.connect_cycles, o.parallel, r.completed, r.failed,
                  r.elapsed_s, cycle_rate, l.p50_us, l.p99_us, broker_cpu, r.own_cpu_s,
                  r.error.empty() ? "" : " | error: " + r.error, r.load_average)
          .c_str());
}

// 10,000 idle connections need more descriptors than the usual soft limit of 1024.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  LoadOptions o;
  CLI::App app{"mqtt_load: MQTT load generator for loopback broker benchmarks", "mqtt_load"};
  int qos = 0;
  std::string version = "5";
  app.add_option("--host", o.host, "Broker address (loopback only)")->capture_default_str();
  app.add_option("--port", o.port, "Broker port")->capture_default_str();
  app.add_option("--publishers", o.publishers, "Publishing connections")->capture_default_str();
  app.add_option("--subscribers", o.subscribers, "Subscribing connections (all take <topic>/#)")->capture_default_str();
  app.add_option("--idle", o.idle, "Extra connections that only CONNECT")->capture_default_str();
  app.add_option("--qos", qos, "QoS of publications and subscriptions")->check(CLI::IsMember({0, 1, 2}))->capture_default_str();
  app.add_option("--payload", o.payload, "Payload bytes (>= 16)")->capture_default_str();
  app.add_option("--messages", o.messages, "Messages per publisher (exclusive with --duration)");
  app.add_option("--duration", o.duration_s, "Publish phase in seconds (exclusive with --messages)");
  app.add_option("--rate", o.rate, "Total messages/s over all publishers; 0 = as fast as possible")->capture_default_str();
  app.add_option("--inflight", o.inflight, "Unacknowledged QoS 1/2 PUBLISHes per publisher (lowered to the broker's Receive Maximum)")->capture_default_str();
  app.add_option("--max-backlog", o.max_backlog, "Closed loop: pause publishing while this many messages per subscriber are sent but undelivered; 0 = open loop")->capture_default_str();
  app.add_option("--session-expiry", o.session_expiry, "MQTT 5 Session Expiry Interval of the subscribers, seconds; 0 = none")->capture_default_str();
  app.add_option("--version", version, "MQTT version: 5 or 311")->check(CLI::IsMember({"5", "311"}))->capture_default_str();
  app.add_option("--topic", o.topic, "Topic prefix")->capture_default_str();
  app.add_option("--hold", o.hold_s, "Seconds to keep all connections open before publishing (memory measurements)")->capture_default_str();
  app.add_option("--drain-timeout", o.drain_timeout_s, "Max seconds to wait for deliveries after publishing")->capture_default_str();
  app.add_option("--setup-timeout", o.setup_timeout_s, "Max seconds for connecting and subscribing")->capture_default_str();
  app.add_option("--timeout", o.run_timeout_s, "Max seconds for the publish phase in --messages mode")->capture_default_str();
  app.add_option("--connect-burst", o.connect_burst, "Connections in the CONNECT handshake at once")->capture_default_str();
  app.add_option("--connect-cycles", o.connect_cycles, "Connect-rate mode: cycles of connect, CONNECT, CONNACK, DISCONNECT (give --publishers 0 --subscribers 0)");
  app.add_option("--parallel", o.parallel, "Connect-rate mode: cycles in flight at once")->capture_default_str();
  app.add_option("--remote-publishers", o.remote_publishers, "Receive-only mode: publishers run in another mqtt_load process (give --publishers 0)");
  app.add_option("--ready-file", o.ready_file, "Created once every connection is set up (and held)");
  app.add_option("--broker-pid", o.broker_pid, "Broker process to measure (RSS from /proc/PID/status, CPU from /proc/PID/stat)");
  app.add_option("--label", o.label, "Name for the output, e.g. the broker");
  CLI11_PARSE(app, argc, argv);
  o.qos = static_cast<gw::QoS>(qos);
  o.version = version == "5" ? gw::broker::protocol::ProtocolVersion::V5 : gw::broker::protocol::ProtocolVersion::V311;
  if (const auto problem = gw::bench::validate(o); !problem.empty()) {
    std::fprintf(stderr, "mqtt_load: %s\n", problem.c_str());
    return 2;
  }
  raise_fd_limit();
  if (o.connect_cycles > 0) {
    const auto result = gw::bench::run_connect_cycles(o);
    print_cycles(o, result);
    return result.failed == 0 && result.error.empty() ? 0 : 1;
  }
  gw::bench::LoadRun run(o);
  const auto result = run.run();
  print(o, result);
  if (!result.setup_ok || result.closed_by_broker > 0) return 1;
  if (o.qos != gw::QoS::AtMostOnce && o.publishers > 0 &&
      (result.delivered != result.expected || result.duplicates > 0 || result.unacknowledged > 0 ||
       result.downgraded > 0)) {
    return 3;
  }
  return 0;
}
