#include "kernels/lapack.h"

#include <cblas.h>

#include <algorithm>
#include <vector>

#include "smt/core/context.h"
#include "smt/core/error.h"
#include "smt/core/parallel.h"

namespace smt::lapack {

void syev(int n, double* a, double* w, double* z) {
  const char jobz = 'V', range = 'A', uplo = 'U';
  const double vl = 0, vu = 0, abstol = 0;
  const int il = 0, iu = 0;
  int m = 0, info = 0, lwork = -1, liwork = -1, iwork_query = 0;
  double work_query = 0;
  std::vector<int> isuppz(2 * static_cast<std::size_t>(n));
  dsyevr_(&jobz, &range, &uplo, &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, w, z, &n, isuppz.data(),
          &work_query, &lwork, &iwork_query, &liwork, &info);
  lwork = static_cast<int>(work_query);
  liwork = iwork_query;
  std::vector<double> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(liwork));
  dsyevr_(&jobz, &range, &uplo, &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, w, z, &n, isuppz.data(),
          work.data(), &lwork, iwork.data(), &liwork, &info);
  SMT_CHECK(info == 0, "LAPACK dsyevr failed (info=", info, ") on a ", n, "x", n, " matrix");
}

// Rows [r0, r1) take the stored rows left of their diagonal block, the
// block, and the stored columns below it, transposed.
void symmetric_multiply(int n, const double* c, const double* q, double* w, int threads) {
  constexpr int kRows = 512;
  const ScopedBlasThreads serial(1);
  const std::size_t blocks = static_cast<std::size_t>((n + kRows - 1) / kRows);
  const std::size_t ld = static_cast<std::size_t>(n);
  parallel_for(threads, 0, blocks, Schedule::dynamic(1), [&](std::size_t b) {
    const int r0 = static_cast<int>(b) * kRows, rows = std::min(kRows, n - r0), r1 = r0 + rows;
    cblas_dsymv(CblasColMajor, CblasLower, rows, 1.0, c + r0 * ld + r0, n, q + r0, 1, 0.0, w + r0,
                1);
    if (r0 > 0)
      cblas_dgemv(CblasColMajor, CblasNoTrans, rows, r0, 1.0, c + r0, n, q, 1, 1.0, w + r0, 1);
    if (r1 < n)
      cblas_dgemv(CblasColMajor, CblasTrans, n - r1, rows, 1.0, c + r0 * ld + r1, n, q + r1, 1, 1.0,
                  w + r0, 1);
  });
}

}  // namespace smt::lapack
