// CompactCodes (the packed training-code cache) restores PatchCodes exactly:
// atom order, values, zero-code flags, empty patches, the full uint16 range,
// and takes fewer bytes than PatchCodes for many-atom binary codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "smt/stages/compact_codes.h"
#include "smt/stages/sparse_coder.h"
#include "test_util.h"

namespace smt {
namespace {

PatchCodes make_codes(int n, int k, int max_atoms, bool values, bool flags, bool sorted,
                      std::uint32_t seed) {
  std::mt19937 rng(seed);
  return testing::random_patch_codes(
      n, k, max_atoms, values, rng, sorted,
      flags ? testing::CodeFlags::kRandom : testing::CodeFlags::kNone);
}

void expect_equal(const PatchCodes& a, const PatchCodes& b) {
  EXPECT_EQ(a.offsets, b.offsets);
  EXPECT_EQ(a.atoms, b.atoms);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.fallback, b.fallback);
}

TEST(CompactCodes, RoundTripsExactly) {
  struct Case {
    int n, k, max_atoms;
    bool values, flags, sorted;
  };
  const Case cases[] = {{729, 8192, 200, false, true, true}, {729, 8192, 30, false, true, false},
                        {529, 4096, 1, false, true, true},   {100, 65536, 50, false, false, true},
                        {300, 65536, 40, true, true, false}, {50, 300, 3, true, false, true},
                        {0, 10, 0, false, false, true},      {64, 8192, 0, false, true, true}};
  std::uint32_t seed = 3;
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << c.n << " patches, K " << c.k << ", <= " << c.max_atoms << " atoms, values "
                 << c.values << ", flags " << c.flags << ", sorted " << c.sorted);
    const PatchCodes codes = make_codes(c.n, c.k, c.max_atoms, c.values, c.flags, c.sorted, seed++);
    const CompactCodes packed(codes);
    EXPECT_EQ(packed.num_patches(), c.n);
    PatchCodes back;
    back.atoms.assign(5, 7);  // unpack overwrites whatever was there
    packed.unpack(back);
    expect_equal(back, codes);
  }
}

TEST(CompactCodes, ExtremeAtomIndices) {
  PatchCodes c;
  c.atoms = {65535, 0, 65535, 1, 32768, 0};
  c.offsets = {0, 3, 3, 6};
  c.fallback = {0, 1, 0};
  PatchCodes back;
  CompactCodes(c).unpack(back);
  expect_equal(back, c);
}

// CIFAR-like binary codes (~140 sorted atoms of 8192 per patch) pack to well
// under the 2 bytes an atom (plus 4 per patch) that PatchCodes holds.
TEST(CompactCodes, ManyAtomBinaryCodesShrink) {
  const PatchCodes codes = make_codes(729, 8192, 280, false, true, true, 11);
  const CompactCodes packed(codes);
  const double per_atom =
      static_cast<double>(packed.bytes()) / static_cast<double>(codes.atoms.size());
  EXPECT_LT(per_atom, 1.25);
  EXPECT_LT(packed.bytes() * 10, codes.bytes() * 6);
}

}  // namespace
}  // namespace smt
