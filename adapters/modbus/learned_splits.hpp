// adapters::modbus learned splits: the read plans a link learned from devices that refused a
// merged read with "illegal data address" (read_plan.hpp, split()), kept in a small text file
// per link in the gateway's data directory so that a restart starts with the working plan
// instead of learning it again with one refused request per split.
//
// The file (LinkOptions::learned_splits), one line per request of a learned plan:
//
//   edge-gateway learned-splits 1
//   <device> <fingerprint> <interval ms> <table> <address> <count>
//
// Lines starting with '#' are comments. The device name is percent-encoded (spaces and '%').
// The fingerprint (plan_fingerprint()) covers everything the plan depends on: the device's unit
// id and read limits, and each point's table, address, size and poll interval. A learned plan
// whose fingerprint no longer matches the configuration is discarded: the configuration changed,
// and the plan is learned again if the device still refuses.
//
// The file is replaced atomically (temporary file, fsync, rename, fsync of the directory), so a
// crash leaves the old or the new one. A file that cannot be read or parsed is reported and
// ignored; it is overwritten at the next split.
//
// Thread safety: reentrant; a link's file is written by that link's thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/modbus/options.hpp"
#include "adapters/modbus/poll_schedule.hpp"
#include "adapters/modbus/read_plan.hpp"
#include "core/result.hpp"

namespace gw::adapters::modbus {

// One request of a learned plan, as stored.
struct LearnedRequest {
  std::string device;
  std::uint64_t fingerprint = 0;
  std::chrono::milliseconds interval{0};  // of the job (point group) it belongs to
  Table table = Table::HoldingRegister;
  std::uint16_t address = 0;
  std::uint16_t count = 0;
  friend bool operator==(const LearnedRequest&, const LearnedRequest&) = default;
};

// `<data_dir>/modbus-<link name>.splits`; bytes of the name other than letters, digits, '-',
// '_' and '.' are percent-encoded.
[[nodiscard]] std::string learned_splits_path(std::string_view data_dir, std::string_view link);

// A stable 64-bit hash (FNV-1a) of what the read plan of `device` depends on.
[[nodiscard]] std::uint64_t plan_fingerprint(const DeviceOptions& device);

struct LoadedSplits {
  std::vector<LearnedRequest> requests;
  bool found = false;  // the file exists
  std::string error;   // why the file was ignored ("line 3: ..."); empty when it was usable
};

// Reads `path`. A missing file is not an error (found = false). Never throws.
[[nodiscard]] LoadedSplits load_learned_splits(const std::string& path);

// Replaces `path` with `requests`, atomically. Errors: the errno of the failed open, write, fsync
// or rename.
Result<void> save_learned_splits(const std::string& path,
                                 const std::vector<LearnedRequest>& requests);

// The learned plans of `schedule` (its jobs with PollSchedule::Job::learned), for saving.
[[nodiscard]] std::vector<LearnedRequest> learned_requests(const LinkOptions& link,
                                                           const PollSchedule& schedule);

// What adopt_learned_splits() did, one sentence per device, for the log and `explain`.
struct AdoptOutcome {
  std::vector<std::string> adopted;    // "device 'meter': 2 request(s) every 1s"
  std::vector<std::string> discarded;  // "device 'meter': its points or read limits changed"
};

// Puts the learned plans that still fit the configuration into `schedule`: the device exists,
// its fingerprint matches, a job with that interval exists, and the learned ranges cover each of
// its points exactly once, each range trimmed to its points and within the read limits.
AdoptOutcome adopt_learned_splits(const LinkOptions& link, PollSchedule& schedule,
                                  const std::vector<LearnedRequest>& learned);

}  // namespace gw::adapters::modbus
