#include "kernels/exact_sum.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "smt/core/error.h"

namespace smt {

namespace {
constexpr int kFractionBits = 56;
constexpr double kScale = static_cast<double>(std::uint64_t{1} << kFractionBits);
}  // namespace

void ExactSum::add(std::size_t at, const std::vector<double>& v) {
  SMT_CHECK(at + v.size() <= acc_.size(), "exact sum of ", acc_.size(), " values: ", v.size(),
            " values at ", at, " do not fit");
  for (std::size_t i = 0; i < v.size(); ++i) {
    SMT_CHECK(std::isfinite(v[i]) && std::fabs(v[i]) < 0x1p48, "value ", v[i],
              " is outside the exact-sum range (finite, below 2^48 in magnitude)");
    acc_[at + i] += static_cast<ExactInt>(std::ldexp(v[i], kFractionBits));
  }
}

void ExactSum::add(std::size_t at, const float* v, std::size_t n) {
  SMT_CHECK(at + n <= acc_.size(), "exact sum of ", acc_.size(), " values: ", n, " values at ", at,
            " do not fit");
  for (std::size_t i = 0; i < n; ++i) {
    SMT_CHECK(std::isfinite(v[i]) && std::fabs(v[i]) < 0x1p48f, "value ", v[i],
              " is outside the exact-sum range (finite, below 2^48 in magnitude)");
    // A power of two: the product is exact, as ldexp's is (and cheaper).
    acc_[at + i] += static_cast<ExactInt>(static_cast<double>(v[i]) * kScale);
  }
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

}  // namespace smt
