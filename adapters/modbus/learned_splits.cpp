#include "adapters/modbus/learned_splits.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>

#include "adapters/modbus/names.hpp"
#include "core/unique_fd.hpp"

namespace gw::adapters::modbus {
namespace {

constexpr std::string_view kMagic = "edge-gateway learned-splits 1";

bool plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (plain(c)) {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_digit(s[i + 1]);
    const int lo = hex_digit(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi << 4 | lo);
    i += 2;
  }
  return out;
}

class Fnv1a {
 public:
  void add(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      hash_ ^= (v >> (8 * i)) & 0xFF;
      hash_ *= 0x100000001B3ULL;
    }
  }
  [[nodiscard]] std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 0xCBF29CE484222325ULL;
};

template <class T>
bool parse_number(std::string_view s, T& out, int base = 10) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && end == s.data() + s.size();
}

std::optional<Table> parse_table(std::string_view s) {
  for (Table t : {Table::Coil, Table::DiscreteInput, Table::HoldingRegister, Table::InputRegister}) {
    if (name(t) == s) return t;
  }
  return std::nullopt;
}

std::error_code last_error() { return {errno, std::generic_category()}; }

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(last_error());
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::uint16_t limit_of(const DeviceOptions& dev, Table table) {
  return is_bit_table(table) ? dev.max_bits_per_read : dev.max_registers_per_read;
}

std::uint32_t end_of(const PointOptions& p) {
  return std::uint32_t{p.address} + (is_bit_table(p.table) ? 1U : register_count(p.type, p.length));
}

// The job's points placed in the learned ranges; nullopt when they do not fit exactly.
std::optional<std::vector<ReadRequest>> resolve(const DeviceOptions& dev,
                                                const PollSchedule::Job& job,
                                                const std::vector<const LearnedRequest*>& ranges) {
  std::vector<std::size_t> points;
  for (const ReadRequest& r : job.requests) points.insert(points.end(), r.points.begin(), r.points.end());
  std::vector<ReadRequest> out;
  std::size_t placed = 0;
  for (const LearnedRequest* l : ranges) {
    if (l->count == 0 || l->count > limit_of(dev, l->table)) return std::nullopt;
    ReadRequest req{.table = l->table, .address = l->address, .count = l->count, .points = {}};
    std::uint32_t end = 0;
    for (std::size_t p : points) {
      const PointOptions& pt = dev.points[p];
      if (pt.table != l->table || pt.address < l->address) continue;
      if (pt.address >= std::uint32_t{l->address} + l->count) continue;
      if (end_of(pt) > std::uint32_t{l->address} + l->count) return std::nullopt;  // cut in two
      req.points.push_back(p);
      end = std::max(end, end_of(pt));
    }
    if (req.points.empty()) return std::nullopt;
    // Trimmed to its points, as split() leaves them.
    std::sort(req.points.begin(), req.points.end(), [&](std::size_t a, std::size_t b) {
      return std::pair(dev.points[a].address, a) < std::pair(dev.points[b].address, b);
    });
    if (dev.points[req.points.front()].address != l->address ||
        end != std::uint32_t{l->address} + l->count) {
      return std::nullopt;
    }
    placed += req.points.size();
    out.push_back(std::move(req));
  }
  // Every point in exactly one range: none left out, none in two (ranges do not overlap).
  if (placed != points.size()) return std::nullopt;
  for (std::size_t p : points) {
    const auto n = std::count_if(out.begin(), out.end(), [&](const ReadRequest& r) {
      return std::find(r.points.begin(), r.points.end(), p) != r.points.end();
    });
    if (n != 1) return std::nullopt;
  }
  return out;
}

}  // namespace

std::string learned_splits_path(std::string_view data_dir, std::string_view link) {
  std::string dir(data_dir);
  if (!dir.empty() && dir.back() != '/') dir += '/';
  return dir + "modbus-" + percent_encode(link) + ".splits";
}

std::uint64_t plan_fingerprint(const DeviceOptions& dev) {
  Fnv1a h;
  h.add(dev.unit_id);
  h.add(dev.max_registers_per_read);
  h.add(dev.max_bits_per_read);
  h.add(dev.max_gap);
  h.add(static_cast<std::uint64_t>(dev.poll_interval.count()));
  h.add(dev.points.size());
  for (const PointOptions& p : dev.points) {
    h.add(static_cast<std::uint64_t>(p.table));
    h.add(p.address);
    h.add(end_of(p) - p.address);
    h.add(static_cast<std::uint64_t>(p.poll_interval.value_or(dev.poll_interval).count()));
  }
  return h.value();
}

LoadedSplits load_learned_splits(const std::string& path) {
  LoadedSplits out;
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return out;
    out.found = true;
    out.error = "cannot read it: " + std::generic_category().message(errno != 0 ? errno : EIO);
    return out;
  }
  out.found = true;
  std::string line;
  std::size_t number = 0;
  bool header = false;
  const auto bad = [&](const std::string& why) {
    out.requests.clear();
    out.error = "line " + std::to_string(number) + ": " + why;
    return out;
  };
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line.front() == '#') continue;
    if (!header) {
      if (line != kMagic) return bad("not a learned-splits file (expected '" + std::string(kMagic) + "')");
      header = true;
      continue;
    }
    std::istringstream fields(line);
    std::string device, fingerprint, interval, table, address, count, extra;
    if (!(fields >> device >> fingerprint >> interval >> table >> address >> count) ||
        (fields >> extra)) {
      return bad("expected 6 fields: device fingerprint interval table address count");
    }
    LearnedRequest r;
    const auto decoded = percent_decode(device);
    if (!decoded) return bad("bad percent-encoding in device name '" + device + "'");
    r.device = *decoded;
    if (!parse_number(fingerprint, r.fingerprint, 16)) return bad("bad fingerprint '" + fingerprint + "'");
    std::int64_t ms = 0;
    // 0 is a plan polled as fast as possible.
    if (!parse_number(interval, ms) || ms < 0) return bad("bad interval '" + interval + "'");
    r.interval = std::chrono::milliseconds(ms);
    const auto t = parse_table(table);
    if (!t) return bad("unknown table '" + table + "'");
    r.table = *t;
    if (!parse_number(address, r.address)) return bad("bad address '" + address + "'");
    if (!parse_number(count, r.count) || r.count == 0) return bad("bad count '" + count + "'");
    out.requests.push_back(std::move(r));
  }
  if (in.bad()) {
    out.requests.clear();
    out.error = "cannot read it: I/O error";
    return out;
  }
  if (!header) {
    out.error = "empty (no 'edge-gateway learned-splits 1' line)";
    return out;
  }
  return out;
}

Result<void> save_learned_splits(const std::string& path,
                                 const std::vector<LearnedRequest>& requests) {
  std::string text =
      "# Read plans this gateway learned from devices that refused a merged read with\n"
      "# \"illegal data address\". Rewritten by the gateway; delete it to learn them again.\n"
      "# device fingerprint interval_ms table address count\n";
  text += kMagic;
  text += '\n';
  for (const LearnedRequest& r : requests) {
    char fp[17];
    const auto [end, ec] = std::to_chars(fp, fp + 16, r.fingerprint, 16);
    text += percent_encode(r.device) + ' ' + std::string(fp, end) + ' ' +
            std::to_string(r.interval.count()) + ' ' + std::string(name(r.table)) + ' ' +
            std::to_string(r.address) + ' ' + std::to_string(r.count) + '\n';
  }
  // A temporary file of its own (two links' threads may save during a reload), removed on any
  // failure.
  std::string tmp = path + ".XXXXXX";
  {
    UniqueFd f{::mkostemp(tmp.data(), O_CLOEXEC)};
    if (f.get() < 0) return fail(last_error());
    const auto written = [&]() -> Result<void> {
      if (::fchmod(f.get(), 0644) != 0) return fail(last_error());
      GW_TRY_VOID(write_all(f.get(), text));
      if (::fsync(f.get()) != 0) return fail(last_error());
      return {};
    }();
    if (!written) {
      ::unlink(tmp.c_str());
      return written;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const auto ec = last_error();
    ::unlink(tmp.c_str());
    return fail(ec);
  }
  // The rename itself is durable only once the directory is on disk.
  UniqueFd dir{::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) return fail(last_error());
  return {};
}

std::vector<LearnedRequest> learned_requests(const LinkOptions& link, const PollSchedule& schedule) {
  std::vector<LearnedRequest> out;
  for (const PollSchedule::Job& job : schedule.jobs()) {
    if (!job.learned || job.device >= link.devices.size()) continue;
    const DeviceOptions& dev = link.devices[job.device];
    const std::uint64_t fp = plan_fingerprint(dev);
    for (const ReadRequest& r : job.requests) {
      out.push_back(LearnedRequest{.device = dev.name,
                                   .fingerprint = fp,
                                   .interval = job.interval,
                                   .table = r.table,
                                   .address = r.address,
                                   .count = r.count});
    }
  }
  return out;
}

AdoptOutcome adopt_learned_splits(const LinkOptions& link, PollSchedule& schedule,
                                  const std::vector<LearnedRequest>& learned) {
  AdoptOutcome out;
  // device name -> interval -> its ranges, in file order.
  std::map<std::string, std::map<std::chrono::milliseconds, std::vector<const LearnedRequest*>>>
      by_device;
  for (const LearnedRequest& r : learned) by_device[r.device][r.interval].push_back(&r);
  for (const auto& [device, jobs] : by_device) {
    const auto it = std::find_if(link.devices.begin(), link.devices.end(),
                                 [&name = device](const DeviceOptions& d) { return d.name == name; });
    if (it == link.devices.end()) {
      out.discarded.push_back("device '" + device + "': no longer configured on this link");
      continue;
    }
    const DeviceOptions& dev = *it;
    const auto d = static_cast<std::size_t>(it - link.devices.begin());
    const std::uint64_t fp = plan_fingerprint(dev);
    if (std::any_of(jobs.begin(), jobs.end(), [&](const auto& j) {
          return std::any_of(j.second.begin(), j.second.end(),
                             [&](const LearnedRequest* r) { return r->fingerprint != fp; });
        })) {
      out.discarded.push_back("device '" + device +
                              "': its points or read limits changed since the split was learned");
      continue;
    }
    for (const auto& [interval, ranges] : jobs) {
      const std::string cadence = interval == kAsFastAsPossible
                                      ? "polled as fast as possible"
                                      : "every " + std::to_string(interval.count()) + " ms";
      std::optional<std::size_t> job;
      for (std::size_t i = 0; i < schedule.jobs().size(); ++i) {
        if (schedule.job(i).device == d && !schedule.is_instrument(i) &&
            schedule.job(i).interval == interval) {
          job = i;
        }
      }
      auto requests = job ? resolve(dev, schedule.job(*job), ranges) : std::nullopt;
      if (!requests) {
        out.discarded.push_back("device '" + device + "': the learned plan " + cadence +
                                " does not fit its configured points");
        continue;
      }
      const std::size_t n = requests->size();
      schedule.set_learned_requests(*job, std::move(*requests));
      out.adopted.push_back("device '" + device + "': " + std::to_string(n) + " request(s) " +
                            cadence);
    }
  }
  return out;
}

}  // namespace gw::adapters::modbus
