// Sums of doubles or floats that are exact and therefore independent of the
// order of addition: each value is truncated once to a fixed point of 2^-56
// and added as a 128-bit integer. Used where the same bits must come out
// whatever the thread or process count: the whitening moments (a few
// thousand values) and k-means' per-atom sums (atoms x patch dimension).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace smt {

class Communicator;

__extension__ typedef __int128 ExactInt;  // GCC and clang; __extension__: -Wpedantic

class ExactSum {
 public:
  explicit ExactSum(std::size_t n = 0) : acc_(n, 0) {}
  std::size_t size() const { return acc_.size(); }

  // acc[at + i] += v[i]; |v[i]| must stay below 2^48 (checked), which
  // leaves room for 2^23 additions of that size.
  void add(std::size_t at, const std::vector<double>& v) { add(at, v.data(), v.size()); }
  // acc[at + i] += v[i] for i < n.
  void add(std::size_t at, const double* v, std::size_t n);
  void add(std::size_t at, const float* v, std::size_t n);
  // The sums, rounded to double.
  std::vector<double> values() const;

  // Raw accumulators for exchange between processes.
  std::size_t bytes() const { return acc_.size() * sizeof(ExactInt); }
  std::string to_bytes() const;
  // acc += the accumulators in `raw` (to_bytes of an ExactSum of the same size).
  void add_bytes(const std::string& raw);

 private:
  template <typename T>
  void add_values(std::size_t at, const T* v, std::size_t n);

  std::vector<ExactInt> acc_;
};

// sums and counts become their totals over every process of comm, on every
// process: exact, so the same bits whatever the process count. `what` names
// them in the error should a process send another shape.
void all_processes_sum(const Communicator& comm, ExactSum& sums, std::vector<std::int64_t>& counts,
                       const char* what);

}  // namespace smt
