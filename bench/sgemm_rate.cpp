// Prints this machine's single-precision rates next to smt's coding kernels:
//  - OpenBLAS sgemm, large square product, all threads;
//  - the sparse coder (vector quantisation and threshold 0.3) on one image's
//    patches per thread, fused AVX2 kernel and BLAS path.
// Usage: smt_bench_sgemm [dim=36] [atoms=16384] [patches=529] [seconds=2] [threshold=0.3]
// (random unit vectors in 108 dimensions: t=0.2 activates ~2 % of the atoms,
// about CIFAR-10's 142 of 8192 at t=0.3 on real whitened patches)
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "smt/core/context.h"
#include "smt/stages/dictionary.h"
#include "smt/smt.h"
#include "smt/stages/sparse_coder.h"

namespace {

std::vector<float> unit_rows(int n, int dim, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(static_cast<std::size_t>(n) * dim);
  for (int i = 0; i < n; ++i) {
    double ss = 0;
    for (int d = 0; d < dim; ++d)
      ss += std::pow(v[static_cast<std::size_t>(i) * dim + d] = g(rng), 2);
    for (int d = 0; d < dim; ++d)
      v[static_cast<std::size_t>(i) * dim + d] /= static_cast<float>(std::sqrt(ss));
  }
  return v;
}

double coder_rate(const smt::Dictionary& dict, int patches, double threshold, bool fused,
                  double seconds) {
  double total = 0;
#pragma omp parallel reduction(+ : total)
  {
    const smt::SparseCoder coder(dict, threshold, smt::CodeValues::kBinary, fused);
    const std::vector<float> x = unit_rows(patches, dict.dim(), 7 + omp_get_thread_num());
    smt::PatchCodes codes;
    smt::SparseCoder::Scratch s;
    smt::Timer t;
    long reps = 0;
    while (t.seconds() < seconds) {
      codes.clear();
      coder.encode(x.data(), patches, codes, s);
      ++reps;
    }
    total += coder.flops(static_cast<std::int64_t>(patches) * reps) / t.seconds() / 1e9;
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  const int dim = argc > 1 ? std::atoi(argv[1]) : 36;
  const int atoms = argc > 2 ? std::atoi(argv[2]) : 16384;
  const int patches = argc > 3 ? std::atoi(argv[3]) : 529;
  const double seconds = argc > 4 ? std::atof(argv[4]) : 2.0;
  const double threshold = argc > 5 ? std::atof(argv[5]) : 0.3;
  std::printf("threads: %d\n", omp_get_max_threads());
  std::printf("sgemm 1024^3, all threads:            %7.1f GFLOP/s\n",
              smt::measure_sgemm_gflops(seconds));
  const smt::Dictionary dict(atoms, dim, unit_rows(atoms, dim, 1));
  for (double t : {1.0, threshold}) {
    std::printf("coder t=%-4g, %d atoms x %d, fused AVX2: %7.1f GFLOP/s\n", t, atoms, dim,
                coder_rate(dict, patches, t, true, seconds));
    std::printf("coder t=%-4g, %d atoms x %d, BLAS:       %7.1f GFLOP/s\n", t, atoms, dim,
                coder_rate(dict, patches, t, false, seconds));
  }
  return 0;
}
