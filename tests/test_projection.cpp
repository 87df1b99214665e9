// Projection::embed (the atom-major AVX2 kernel) against the plain per-patch
// loop, on random codes of several densities and shapes. Without AVX2+FMA
// embed() is that loop itself, so the comparison would be the reference with
// itself: the test then skips.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/coding_kernel.h"
#include "smt/stages/projection.h"
#include "smt/stages/sparse_coder.h"
#include "test_util.h"

namespace smt {
namespace {

struct Shape {
  int k, d, n, max_atoms;
  bool values;
};

class ProjectionEmbed : public ::testing::TestWithParam<Shape> {};

TEST_P(ProjectionEmbed, KernelEqualsReference) {
  if (!kernel::fused_available())
    GTEST_SKIP() << "no AVX2+FMA on this CPU: embed() runs the reference loop";
  const Shape s = GetParam();
  std::mt19937 rng(7);
  std::normal_distribution<float> g;
  std::vector<float> by_atom(static_cast<std::size_t>(s.k) * s.d);
  for (auto& x : by_atom) x = g(rng);
  const Projection proj(s.k, s.d, by_atom, std::vector<double>(s.d, 1.0));
  const PatchCodes codes = testing::random_patch_codes(s.n, s.k, s.max_atoms, s.values, rng);
  // embed() takes the kernel only from two atoms a patch on average
  // (src/stages/projection.cpp); below that this would test nothing.
  ASSERT_GE(codes.atoms.size(), 2 * static_cast<std::size_t>(s.n)) << "codes too sparse";
  std::vector<float> fast(static_cast<std::size_t>(s.n) * s.d, -1.0f), ref(fast.size(), -2.0f);
  proj.embed(codes, fast.data());
  proj.embed_reference(codes, ref.data());
  for (int p = 0; p < s.n; ++p) {
    double norm = 0;
    for (int j = 0; j < s.d; ++j) {
      const std::size_t i = static_cast<std::size_t>(p) * s.d + j;
      ASSERT_NEAR(fast[i], ref[i], 2e-5) << "patch " << p << " column " << j;
      norm += static_cast<double>(fast[i]) * fast[i];
    }
    // Unit rows, except patches without atoms, which stay zero.
    const bool empty = codes.end(p) == codes.begin(p);
    EXPECT_NEAR(norm, empty ? 0.0 : 1.0, 1e-5) << "patch " << p;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ProjectionEmbed,
    ::testing::Values(Shape{300, 16, 50, 40, false},    // d a multiple of 16
                      Shape{257, 24, 40, 60, false},    // one 16-group and one 8-group
                      Shape{100, 21, 30, 20, true},     // 16 + a 5-column tail, real values
                      Shape{64, 5, 20, 10, false},      // tail only
                      Shape{2048, 384, 60, 150, false}  // CIFAR-like density
                      ));

}  // namespace
}  // namespace smt
