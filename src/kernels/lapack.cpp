#include "kernels/lapack.h"

#include <vector>

#include "smt/core/error.h"

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

}  // namespace smt::lapack
