#include "kernels/exact_sum.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "smt/core/communicator.h"
#include "smt/core/error.h"

namespace smt {

namespace {
constexpr int kFractionBits = 56;
constexpr double kScale = static_cast<double>(std::uint64_t{1} << kFractionBits);
}  // namespace

template <typename T>
void ExactSum::add_values(std::size_t at, const T* v, std::size_t n) {
  SMT_CHECK(at + n <= acc_.size(), "exact sum of ", acc_.size(), " values: ", n, " values at ", at,
            " do not fit");
  for (std::size_t i = 0; i < n; ++i) {
    const double x = static_cast<double>(v[i]);
    SMT_CHECK(std::isfinite(x) && std::fabs(x) < 0x1p48, "value ", x,
              " is outside the exact-sum range (finite, below 2^48 in magnitude)");
    // A power of two: the product is exact (as ldexp's is, and cheaper), and
    // the conversion truncates once.
    acc_[at + i] += static_cast<ExactInt>(x * kScale);
  }
}

void ExactSum::add(std::size_t at, const double* v, std::size_t n) {
  add_values(at, v, n);
}
void ExactSum::add(std::size_t at, const float* v, std::size_t n) {
  add_values(at, v, n);
}

std::vector<double> ExactSum::values() const {
  std::vector<double> out(acc_.size());
  for (std::size_t i = 0; i < acc_.size(); ++i)
    out[i] = std::ldexp(static_cast<double>(acc_[i]), -kFractionBits);
  return out;
}

std::string ExactSum::to_bytes() const {
  std::string s(bytes(), '\0');
  std::memcpy(s.data(), acc_.data(), bytes());
  return s;
}

void ExactSum::add_bytes(const std::string& raw) {
  SMT_CHECK(raw.size() >= bytes(), "exact sums of ", raw.size(), " bytes, expected ", bytes());
  for (std::size_t i = 0; i < acc_.size(); ++i) {
    ExactInt x;
    std::memcpy(&x, raw.data() + i * sizeof(ExactInt), sizeof(x));
    acc_[i] += x;
  }
}

void all_processes_sum(const Communicator& comm, ExactSum& sums, std::vector<std::int64_t>& counts,
                       const char* what) {
  std::string mine = sums.to_bytes();
  mine.append(reinterpret_cast<const char*>(counts.data()), counts.size() * sizeof(counts[0]));
  sums = ExactSum(sums.size());
  std::fill(counts.begin(), counts.end(), 0);
  for (const std::string& part : comm.allgather(mine)) {
    SMT_CHECK(part.size() == mine.size(), "a process sent ", what, " of ", part.size(),
              " bytes, expected ", mine.size());
    sums.add_bytes(part);
    for (std::size_t k = 0; k < counts.size(); ++k) {
      std::int64_t c = 0;
      std::memcpy(&c, part.data() + sums.bytes() + k * sizeof(c), sizeof(c));
      counts[k] += c;
    }
  }
}

}  // namespace smt
