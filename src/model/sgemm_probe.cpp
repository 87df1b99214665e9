#include "smt/model/sgemm_probe.h"

#include <cblas.h>

#include <vector>

#include "smt/core/context.h"

namespace smt {

double measure_sgemm_gflops(double seconds) {
  const int n = 1024;
  std::vector<float> a(static_cast<std::size_t>(n) * n), b(a.size()), c(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<float>(i % 7) * 0.1f;
    b[i] = static_cast<float>(i % 5) * 0.2f;
  }
  auto once = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n,
                0.0f, c.data(), n);
  };
  once();  // warm-up: thread pool start, page faults
  Timer t;
  int reps = 0;
  do {
    once();
    ++reps;
  } while (t.seconds() < seconds);
  return 2.0 * n * n * static_cast<double>(n) * reps / t.seconds() / 1e9;
}

}  // namespace smt
