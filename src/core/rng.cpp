#include "smt/core/rng.h"

#include <cmath>

namespace smt {

std::uint64_t Rng::below(std::uint64_t n) {
  const std::uint64_t threshold = (0 - n) % n;
  for (;;) {
    const std::uint64_t x = engine_();
    if (x >= threshold) return x % n;
  }
}

// GCC and Clang's 128-bit integer (not ISO C++, hence __extension__).
__extension__ typedef unsigned __int128 Uint128;

std::uint64_t Rng::below_fast(std::uint64_t n) {
  Uint128 product = static_cast<Uint128>(engine_()) * n;
  auto low = static_cast<std::uint64_t>(product);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      product = static_cast<Uint128>(engine_()) * n;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

double Rng::uniform01() {
  const double r = static_cast<double>(engine_()) * 0x1p-64;
  // Rounding can reach 1.0; the largest double below 1 keeps the range half-open.
  return r >= 1.0 ? std::nextafter(1.0, 0.0) : r;
}

double Rng::normal() {
  if (has_saved_normal_) {
    has_saved_normal_ = false;
    return saved_normal_;
  }
  double x, y, r2;
  do {
    x = 2.0 * uniform01() - 1.0;
    y = 2.0 * uniform01() - 1.0;
    r2 = x * x + y * y;
  } while (r2 > 1.0 || r2 == 0.0);
  const double mult = std::sqrt(-2.0 * std::log(r2) / r2);
  saved_normal_ = x * mult;
  has_saved_normal_ = true;
  return y * mult;
}

}  // namespace smt
