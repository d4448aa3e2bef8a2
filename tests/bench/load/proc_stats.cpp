#include "tests/bench/load/proc_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace gw::bench {

std::optional<ProcStats> read_proc_stats(int pid) {
  ProcStats s;
  const std::string dir = "/proc/" + std::to_string(pid);
  {
    std::ifstream status(dir + "/status");
    if (!status) return std::nullopt;
    std::string line;
    bool rss = false;
    bool hwm = false;
    while (std::getline(status, line)) {
      std::istringstream in(line);
      std::string key;
      std::uint64_t kb = 0;
      in >> key >> kb;
      if (key == "VmRSS:") s.rss_kb = kb, rss = true;
      if (key == "VmHWM:") s.hwm_kb = kb, hwm = true;
    }
    if (!rss || !hwm) return std::nullopt;  // a zombie has neither
  }
  {
    std::ifstream stat(dir + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // proc(5): the command name (field 2) may contain spaces; fields after it follow the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream in(text.substr(close + 2));
    std::string field;
    std::uint64_t utime = 0;
    std::uint64_t stime = 0;
    // Fields 3..13 precede utime (14) and stime (15).
    for (int i = 3; i <= 13; ++i) in >> field;
    in >> utime >> stime;
    if (!in) return std::nullopt;
    s.cpu_s = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return s;
}

double own_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

double load_average_1m() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  if (!(in >> load)) return -1;
  return load;
}

}  // namespace gw::bench
