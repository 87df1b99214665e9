#include "smt/stages/pooling.h"

#include <cmath>
#include <cstddef>
#include <vector>

#include "smt/core/error.h"

namespace smt {

int pooled_grid(int g, int window, int stride) {
  SMT_CHECK(window >= 1, "pooling window must be >= 1, got ", window);
  SMT_CHECK(stride >= 1, "pooling stride must be >= 1, got ", stride);
  SMT_CHECK(g >= window, "patch grid ", g, "x", g, " is smaller than the pooling window ", window,
            "; use a smaller window or larger images");
  return (g - window) / stride + 1;
}

void average_pool(const float* beta, int g, int d, int window, int stride, float* out) {
  const int o = pooled_grid(g, window, stride);
  SMT_CHECK(d >= 1, "embedding dimension must be >= 1, got ", d);
  const std::size_t ud = static_cast<std::size_t>(d);
  const std::size_t ug = static_cast<std::size_t>(g);

  // Separable sums: for each output row, first sum the window's grid rows
  // into one g x d strip, then slide over its columns. thread_local keeps the
  // strip allocation out of the per-image loop of parallel callers.
  thread_local std::vector<float> strip;
  strip.resize(ug * ud);

  for (int oi = 0; oi < o; ++oi) {
    const std::size_t row0 = static_cast<std::size_t>(oi) * static_cast<std::size_t>(stride);
    const float* first = beta + row0 * ug * ud;
    for (std::size_t e = 0; e < ug * ud; ++e) strip[e] = first[e];
    for (int r = 1; r < window; ++r) {
      const float* src = beta + (row0 + static_cast<std::size_t>(r)) * ug * ud;
      for (std::size_t e = 0; e < ug * ud; ++e) strip[e] += src[e];
    }
    for (int oj = 0; oj < o; ++oj) {
      float* cell = out + (static_cast<std::size_t>(oi) * o + oj) * ud;
      const std::size_t col0 = static_cast<std::size_t>(oj) * static_cast<std::size_t>(stride);
      const float* s0 = strip.data() + col0 * ud;
      for (std::size_t c = 0; c < ud; ++c) cell[c] = s0[c];
      for (int w = 1; w < window; ++w) {
        const float* sw = s0 + static_cast<std::size_t>(w) * ud;
        for (std::size_t c = 0; c < ud; ++c) cell[c] += sw[c];
      }
      // The 1/(window^2) of the mean cancels in the normalisation, so the sum
      // is normalised directly.
      double sq = 0.0;
      for (std::size_t c = 0; c < ud; ++c) sq += static_cast<double>(cell[c]) * cell[c];
      if (sq > 0.0) {
        const float inv = static_cast<float>(1.0 / std::sqrt(sq));
        for (std::size_t c = 0; c < ud; ++c) cell[c] *= inv;
      }
    }
  }
}

}  // namespace smt
