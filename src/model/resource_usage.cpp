#include "smt/model/resource_usage.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace smt {

std::int64_t current_rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::int64_t pages = 0, resident = 0;
  if (!(f >> pages >> resident)) return 0;
  return resident * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}
std::int64_t disk_write_bytes() {
  std::ifstream f("/proc/self/io");
  std::string key;
  std::int64_t value = 0;
  while (f >> key >> value)
    if (key == "write_bytes:") return value;
  return -1;
}

std::int64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::int64_t>(u.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace smt
