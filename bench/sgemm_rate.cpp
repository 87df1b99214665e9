// Prints this machine's OpenBLAS sgemm rate: a large square product on all
// threads, and the coding kernel's shape (patches x 256 atoms x dim) per thread.
#include <cblas.h>
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "smt/context.h"
#include "smt/pipeline.h"

int main(int argc, char** argv) {
  const int dim = argc > 1 ? std::atoi(argv[1]) : 36;
  const int patches = argc > 2 ? std::atoi(argv[2]) : 529;
  std::printf("square 1024^3, all threads: %.1f GFLOP/s\n", smt::measure_sgemm_gflops(2.0));
  double total = 0;
  const int threads = omp_get_max_threads();
#pragma omp parallel reduction(+ : total)
  {
    std::vector<float> x(static_cast<std::size_t>(patches) * dim, 0.5f), a(256 * dim, 0.25f),
        s(static_cast<std::size_t>(patches) * 256);
    smt::Timer t;
    int reps = 0;
    while (t.seconds() < 2.0) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, patches, 256, dim, 1.0f, x.data(), dim,
                  a.data(), dim, 0.0f, s.data(), 256);
      ++reps;
    }
    total += 2.0 * patches * 256.0 * dim * reps / t.seconds() / 1e9;
  }
  std::printf("coding tile %dx256x%d, %d threads: %.1f GFLOP/s\n", patches, dim, threads, total);
  return 0;
}
