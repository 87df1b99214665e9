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

namespace {

constexpr int kRows = 512;

void symm_piece(int rows, int p, const double* a, int lda, const double* b, double* c, int ld) {
  cblas_dsymm(CblasColMajor, CblasLeft, CblasLower, rows, p, 1.0, a, lda, b, ld, 0.0, c, ld);
}
void symm_piece(int rows, int p, const float* a, int lda, const float* b, float* c, int ld) {
  cblas_ssymm(CblasColMajor, CblasLeft, CblasLower, rows, p, 1.0f, a, lda, b, ld, 0.0f, c, ld);
}
void gemm_add(bool trans_a, int m, int p, int k, const double* a, int lda, const double* b,
              double* c, int ld) {
  cblas_dgemm(CblasColMajor, trans_a ? CblasTrans : CblasNoTrans, CblasNoTrans, m, p, k, 1.0, a,
              lda, b, ld, 1.0, c, ld);
}
void gemm_add(bool trans_a, int m, int p, int k, const float* a, int lda, const float* b, float* c,
              int ld) {
  cblas_sgemm(CblasColMajor, trans_a ? CblasTrans : CblasNoTrans, CblasNoTrans, m, p, k, 1.0f, a,
              lda, b, ld, 1.0f, c, ld);
}

// Rows [r0, r1) of W take the stored rows left of their diagonal block, the
// block, and the stored columns below it, transposed: together one pass over
// the matrix, whatever p (column blocks would each stream all of C again).
template <typename T>
void blocked_symm(int n, int p, const T* c, const T* q, T* w, int threads) {
  const ScopedBlasThreads serial(1);
  const std::size_t blocks = static_cast<std::size_t>((n + kRows - 1) / kRows);
  const std::size_t ld = static_cast<std::size_t>(n);
  parallel_for(threads, 0, blocks, Schedule::dynamic(1), [&](std::size_t b) {
    const int r0 = static_cast<int>(b) * kRows, rows = std::min(kRows, n - r0), r1 = r0 + rows;
    symm_piece(rows, p, c + r0 * ld + r0, n, q + r0, w + r0, n);
    if (r0 > 0) gemm_add(false, rows, p, r0, c + r0, n, q, w + r0, n);
    if (r1 < n) gemm_add(true, rows, p, n - r1, c + r0 * ld + r1, n, q + r1, w + r0, n);
  });
}

// One vector (the Lanczos estimate's product, memory-bound): each column of
// the stored triangle is read once and feeds both its own row (a dot
// product) and the rows below it (an axpy), as dsymv does. Column blocks of
// kCols write partial results that are summed in block order.
void symmetric_multiply_vector(int n, const double* c, const double* q, double* w, int threads) {
  constexpr int kCols = 256;
  const std::size_t blocks = static_cast<std::size_t>((n + kCols - 1) / kCols);
  const std::size_t ld = static_cast<std::size_t>(n);
  std::vector<double> part(blocks * ld);
  parallel_for(threads, 0, blocks, Schedule::dynamic(1), [&](std::size_t b) {
    const std::size_t j0 = b * kCols, j1 = std::min(ld, j0 + kCols);
    double* y = part.data() + b * ld;
    std::fill(y + j0, y + ld, 0.0);
    for (std::size_t j = j0; j < j1; ++j) {
      const double* col = c + j * ld;
      const double qj = q[j];
      double d0 = 0, d1 = 0, d2 = 0, d3 = 0;  // four fixed partial sums: vectorisable
      std::size_t i = j + 1;
      for (; i + 4 <= ld; i += 4) {
        y[i] += col[i] * qj;
        y[i + 1] += col[i + 1] * qj;
        y[i + 2] += col[i + 2] * qj;
        y[i + 3] += col[i + 3] * qj;
        d0 += col[i] * q[i];
        d1 += col[i + 1] * q[i + 1];
        d2 += col[i + 2] * q[i + 2];
        d3 += col[i + 3] * q[i + 3];
      }
      for (; i < ld; ++i) {
        y[i] += col[i] * qj;
        d0 += col[i] * q[i];
      }
      y[j] += col[j] * qj + ((d0 + d1) + (d2 + d3));
    }
  });
  // Block by block (rows j0.. of each), so that every row's sum runs in
  // block order and the reads are sequential.
  std::fill(w, w + ld, 0.0);
  for (std::size_t b = 0; b < blocks; ++b)
    for (std::size_t i = b * kCols; i < ld; ++i) w[i] += part[b * ld + i];
}

}  // namespace

void symmetric_multiply(int n, int p, const double* c, const double* q, double* w, int threads) {
  if (p == 1) {
    symmetric_multiply_vector(n, c, q, w, threads);
    return;
  }
  blocked_symm(n, p, c, q, w, threads);
}

void symmetric_multiply(int n, int p, const float* c, const float* q, float* w, int threads) {
  blocked_symm(n, p, c, q, w, threads);
}

}  // namespace smt::lapack
