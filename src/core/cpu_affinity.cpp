#include "smt/core/cpu_affinity.h"

#ifdef __linux__
#include <dirent.h>
#include <sched.h>
#include <sys/types.h>

#include <cstdlib>
#endif

namespace smt {

#ifdef __linux__
namespace {

cpu_set_t mask_of(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus)
    if (c >= 0 && c < CPU_SETSIZE) CPU_SET(c, &set);
  return set;
}

// Sets the mask of every thread of this process (threads of the OpenMP and
// BLAS pools included); threads that end meanwhile are skipped.
bool set_all_threads(const cpu_set_t& set) {
  DIR* tasks = opendir("/proc/self/task");
  if (!tasks) return false;
  bool any = false;
  while (const dirent* e = readdir(tasks)) {
    if (e->d_name[0] == '.') continue;
    const pid_t tid = static_cast<pid_t>(std::atol(e->d_name));
    if (tid > 0 && sched_setaffinity(tid, sizeof(set), &set) == 0) any = true;
  }
  closedir(tasks);
  return any;
}

}  // namespace

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

ScopedCpuAffinity::ScopedCpuAffinity(const std::vector<int>& cpus) {
  if (cpus.empty()) return;
  before_ = allowed_cpus();
  if (before_.empty() || before_ == cpus) return;
  changed_ = set_all_threads(mask_of(cpus));
}

ScopedCpuAffinity::~ScopedCpuAffinity() {
  if (changed_) set_all_threads(mask_of(before_));
}

#else

std::vector<int> allowed_cpus() {
  return {};
}
ScopedCpuAffinity::ScopedCpuAffinity(const std::vector<int>&) {}
ScopedCpuAffinity::~ScopedCpuAffinity() = default;

#endif

}  // namespace smt
