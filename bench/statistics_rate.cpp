// Times SmtStatistics::add_images on synthetic threshold codes shaped like
// CIFAR's (27 x 27 patches, K atoms, k active atoms per patch drawn from an
// image-specific pool), for the sparse and the BLAS-3 S S^T paths.
// Usage: smt_bench_stats [atoms=8192] [active=60] [pool=2000] [images=256]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "smt/core/context.h"
#include "smt/stages/statistics.h"

int main(int argc, char** argv) {
  const int k = argc > 1 ? std::atoi(argv[1]) : 8192;
  const int active = argc > 2 ? std::atoi(argv[2]) : 60;
  const int pool = argc > 3 ? std::atoi(argv[3]) : 2000;
  const int n_img = argc > 4 ? std::atoi(argv[4]) : 256;
  const int g = 27, npatch = g * g;
  std::mt19937_64 rng(7);
  std::vector<smt::PatchCodes> images(n_img);
  for (auto& c : images) {
    std::vector<std::uint16_t> atoms(k);
    for (int i = 0; i < k; ++i) atoms[i] = static_cast<std::uint16_t>(i);
    std::shuffle(atoms.begin(), atoms.end(), rng);
    for (int p = 0; p < npatch; ++p) {
      std::vector<std::uint16_t> pick;
      for (int a = 0; a < active; ++a) pick.push_back(atoms[rng() % pool]);
      std::sort(pick.begin(), pick.end());
      pick.erase(std::unique(pick.begin(), pick.end()), pick.end());
      c.atoms.insert(c.atoms.end(), pick.begin(), pick.end());
      c.offsets.push_back(static_cast<std::uint32_t>(c.atoms.size()));
      c.fallback.push_back(0);
    }
  }
  std::vector<const smt::PatchCodes*> ptrs;
  for (auto& c : images) ptrs.push_back(&c);
  smt::Context ctx;
  for (auto policy : {smt::OuterProducts::kSparse, smt::OuterProducts::kDense,
                      smt::OuterProducts::kAuto}) {
    smt::SmtStatistics stats(k, false, {smt::Operator::kSecond, -1, smt::ZeroCode::kDrop});
    stats.set_outer_products(policy);
    smt::Timer t;
    stats.add_images(ptrs, g, g, ctx);
    const double s = t.seconds();
    std::printf("K=%d k=%d pool=%d: %s S S^T: %.2f ms/image (%.0f images)\n", k, active, pool,
                policy == smt::OuterProducts::kSparse  ? "sparse"
                : policy == smt::OuterProducts::kDense ? "dense "
                                                       : "auto  ",
                1e3 * s / n_img, static_cast<double>(n_img));
  }
}
