#include "smt/demo/numerics.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>

#include "kernels/lapack.h"
#include "smt/core/error.h"

namespace smt {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kTwoPi = 2.0 * std::numbers::pi;

}  // namespace

std::vector<double> canonical_correlations(const std::vector<double>& a, int ka,
                                           const std::vector<double>& b, int kb, int n) {
  SMT_CHECK(ka >= 1 && kb >= 1 && n >= ka && n >= kb, "canonical correlations: ", n,
            " rows cannot span ", ka, " and ", kb, " columns");
  SMT_CHECK(
      a.size() == static_cast<std::size_t>(n) * ka && b.size() == static_cast<std::size_t>(n) * kb,
      "canonical correlations: matrix sizes disagree");
  auto orthonormal = [n](std::vector<double> m, int k) {
    std::vector<double> tau(k);
    int info = 0, lwork = -1;
    double wq = 0;
    dgeqrf_(&n, &k, m.data(), &n, tau.data(), &wq, &lwork, &info);
    lwork = std::max(1, static_cast<int>(wq));
    std::vector<double> work(lwork);
    dgeqrf_(&n, &k, m.data(), &n, tau.data(), work.data(), &lwork, &info);
    SMT_CHECK(info == 0, "LAPACK dgeqrf failed (info=", info, ")");
    lwork = -1;
    dorgqr_(&n, &k, &k, m.data(), &n, tau.data(), &wq, &lwork, &info);
    lwork = std::max(1, static_cast<int>(wq));
    work.resize(lwork);
    dorgqr_(&n, &k, &k, m.data(), &n, tau.data(), work.data(), &lwork, &info);
    SMT_CHECK(info == 0, "LAPACK dorgqr failed (info=", info, ")");
    return m;
  };
  const std::vector<double> qa = orthonormal(a, ka), qb = orthonormal(b, kb);
  // M = Qa^T Qb (ka x kb). Its singular values are the canonical
  // correlations: the square roots of the eigenvalues of the smaller of
  // M M^T and M^T M (accurate for the correlations near 1 that matter here).
  std::vector<double> m(static_cast<std::size_t>(ka) * kb);
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, ka, kb, n, 1.0, qa.data(), n, qb.data(), n,
              0.0, m.data(), ka);
  const int r = std::min(ka, kb);
  std::vector<double> g(static_cast<std::size_t>(r) * r);
  if (ka <= kb)
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, ka, ka, kb, 1.0, m.data(), ka, m.data(),
                ka, 0.0, g.data(), ka);
  else
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, kb, kb, ka, 1.0, m.data(), ka, m.data(),
                ka, 0.0, g.data(), kb);
  std::vector<double> w(r), z(static_cast<std::size_t>(r) * r);
  lapack::syev(r, g.data(), w.data(), z.data());
  std::vector<double> out(r);
  for (int i = 0; i < r; ++i) out[i] = std::sqrt(std::clamp(w[r - 1 - i], 0.0, 1.0));
  return out;
}

AngularSpectrum angular_spectrum(const std::vector<double>& values, int nr, int nt,
                                 const std::vector<double>& weights) {
  SMT_CHECK(nr >= 1 && nt >= 4 && values.size() == static_cast<std::size_t>(nr) * nt &&
                weights.size() == static_cast<std::size_t>(nr),
            "angular spectrum: grid sizes disagree");
  const int mmax = nt / 2 - 1;  // the Nyquist term stays in `total` only
  AngularSpectrum s;
  s.energy.assign(mmax + 1, 0.0);
  // cos(2 pi m j / nt) = cs[(m j) mod nt].
  std::vector<double> cs(nt), sn(nt);
  for (int j = 0; j < nt; ++j) {
    cs[j] = std::cos(kTwoPi * j / nt);
    sn[j] = std::sin(kTwoPi * j / nt);
  }
  std::vector<double> ca(static_cast<std::size_t>(nr) * (mmax + 1)), cb(ca.size());
  for (int i = 0; i < nr; ++i) {
    const double* f = values.data() + static_cast<std::size_t>(i) * nt;
    double sq = 0;
    for (int j = 0; j < nt; ++j) sq += f[j] * f[j];
    // Integral over the angle of f^2 is (2 pi / nt) sum f^2 (Parseval).
    s.total += weights[i] * kTwoPi / nt * sq;
    for (int m = 0; m <= mmax; ++m) {
      double a = 0, b = 0;
      for (int j = 0, idx = 0; j < nt; ++j, idx = (idx + m) % nt) {
        a += f[j] * cs[idx];
        b += f[j] * sn[idx];
      }
      // f = a0 + sum a_m cos + b_m sin: a_0 = mean, a_m = 2/nt sum f cos.
      const double norm = m == 0 ? 1.0 / nt : 2.0 / nt;
      a *= norm;
      b *= norm;
      ca[static_cast<std::size_t>(i) * (mmax + 1) + m] = a;
      cb[static_cast<std::size_t>(i) * (mmax + 1) + m] = b;
      s.energy[m] += weights[i] * (m == 0 ? kTwoPi * a * a : kPi * (a * a + b * b));
    }
  }
  s.dominant =
      static_cast<int>(std::max_element(s.energy.begin(), s.energy.end()) - s.energy.begin());
  s.purity = s.total > 0 ? s.energy[s.dominant] / s.total : 0.0;
  // Signed radial profile: the (a_m, b_m) curve projected on its principal
  // direction (for m = 0 just a_0).
  const int m = s.dominant;
  double saa = 0, sab = 0, sbb = 0;
  for (int i = 0; i < nr; ++i) {
    const double a = ca[static_cast<std::size_t>(i) * (mmax + 1) + m];
    const double b = cb[static_cast<std::size_t>(i) * (mmax + 1) + m];
    saa += a * a;
    sab += a * b;
    sbb += b * b;
  }
  const double phi = 0.5 * std::atan2(2 * sab, saa - sbb);
  s.profile.resize(nr);
  double peak = 0;
  for (int i = 0; i < nr; ++i) {
    const double a = ca[static_cast<std::size_t>(i) * (mmax + 1) + m];
    const double b = cb[static_cast<std::size_t>(i) * (mmax + 1) + m];
    s.profile[i] = a * std::cos(phi) + b * std::sin(phi);
    peak = std::max(peak, std::abs(s.profile[i]));
  }
  int last = 0;
  for (double p : s.profile) {
    if (std::abs(p) < 0.05 * peak) continue;
    const int sign = p > 0 ? 1 : -1;
    if (last != 0 && sign != last) ++s.sign_changes;
    last = sign;
  }
  return s;
}

double bessel_derivative_zero(int m, int n) {
  SMT_CHECK(m >= 0 && m <= 100 && n >= 1 && n <= 100, "Bessel zero (", m, ", ", n,
            ") out of the supported range");
  auto dj = [m](double x) {
    if (m == 0) return -std::cyl_bessel_j(1.0, x);
    return 0.5 * (std::cyl_bessel_j(m - 1.0, x) - std::cyl_bessel_j(m + 1.0, x));
  };
  const double step = 0.01;
  double x = step, fx = dj(x);
  int found = 0;
  while (x < 1000) {
    const double y = x + step, fy = dj(y);
    if ((fx < 0) != (fy < 0)) {
      if (++found == n) {
        double lo = x, hi = y, flo = fx;
        for (int it = 0; it < 100; ++it) {
          const double mid = 0.5 * (lo + hi), fm = dj(mid);
          if ((fm < 0) == (flo < 0)) {
            lo = mid;
            flo = fm;
          } else {
            hi = mid;
          }
        }
        return 0.5 * (lo + hi);
      }
    }
    x = y;
    fx = fy;
  }
  SMT_THROW("Bessel derivative zero (", m, ", ", n, ") not found");
}

}  // namespace smt
