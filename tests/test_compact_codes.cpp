// CompactCodes (the packed training-code cache) restores PatchCodes exactly:
// atom order, values, zero-code flags, empty patches, the full uint16 range,
// and takes fewer bytes than PatchCodes for many-atom binary codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "smt/core/error.h"
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
TEST(CompactCodes, FromPackedRestoresTheSameCodes) {
  const PatchCodes codes = make_codes(50, 300, 3, true, true, false, 11);
  const CompactCodes packed(codes);
  const CompactCodes copy = CompactCodes::from_packed(packed.num_patches(), packed.has_flags(),
                                                      packed.stream(), packed.values());
  PatchCodes back;
  copy.unpack(back);
  expect_equal(back, codes);
}

// Found by fuzz_compact_codes (tests/data/fuzz/compact_codes/atom-difference-overflow):
// a difference near 2^31 overflowed the int32 running atom index (undefined
// behaviour) before the range check could reject it.
TEST(CompactCodes, CorruptStreamsAreErrorsNotOverflows) {
  // One ascending patch of two atoms: 27952, then +0x7ffffffe.
  const std::vector<std::uint8_t> stream = {2 << 2 | 2, 0xb0, 0xda, 0x01,
                                            0xfe, 0xff, 0xff, 0xff, 0x07};
  PatchCodes out;
  try {
    CompactCodes::from_packed(1, false, stream, {}).unpack(out);
    ADD_FAILURE() << "expected smt::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out of range (corrupt cache)"), std::string::npos)
        << e.what();
  }
  // A patch count the stream cannot hold fails before anything is reserved.
  EXPECT_THROW(CompactCodes::from_packed(60000, false, {0, 0}, {}), Error);
  EXPECT_THROW(CompactCodes::from_packed(-1, false, {0}, {}), Error);
  // A patch claiming more atoms than bytes remain.
  EXPECT_THROW(CompactCodes::from_packed(1, false, {0xff, 0xff, 0x03, 1}, {}).unpack(out), Error);
}

}  // namespace smt
