// The CPUs a process may run on. An MPI launcher binds each process to its
// own cores (OpenMPI binds to a core by default for two processes), so
// process 0, borrowing the cores of its machine's waiting processes for the
// eigenproblem, must also be allowed onto them, or its extra threads share
// its one core.
#pragma once

#include <vector>

namespace smt {

// This process's allowed CPUs (Linux affinity) as CPU ids, ascending; empty
// where that is unknown.
std::vector<int> allowed_cpus();

// For its lifetime, every thread of this process may run on `cpus`; then
// every thread gets the mask the calling thread had before. Nothing happens
// for an empty list or where affinity cannot be set.
class ScopedCpuAffinity {
 public:
  explicit ScopedCpuAffinity(const std::vector<int>& cpus);
  ~ScopedCpuAffinity();
  ScopedCpuAffinity(const ScopedCpuAffinity&) = delete;
  ScopedCpuAffinity& operator=(const ScopedCpuAffinity&) = delete;

 private:
  std::vector<int> before_;
  bool changed_ = false;
};

}  // namespace smt
