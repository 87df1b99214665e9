// One image's sparse codes packed for the training-code cache. Binary codes
// are 2-byte atom indices in PatchCodes; here each patch is a varint header
// (active-atom count, zero-code flag, order) followed by its atom indices as
// varint differences from the previous one (zig-zag when the atoms are not
// ascending). With many active atoms per patch (CIFAR at threshold 0.3: ~140
// of 8192, differences ~60) that is about 1.1 bytes an atom instead of 2, so
// twice the images stay cached under the same --memory-limit instead of being
// recoded for the k-NN. Unpacking restores the PatchCodes exactly (same atom
// order, values, flags).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "smt/stages/sparse_coder.h"

namespace smt {

class CompactCodes {
 public:
  CompactCodes() = default;
  explicit CompactCodes(const PatchCodes& codes);

  // Packed codes from elsewhere (a saved cache, a fuzzer): `stream` and
  // `values` as stream() and values() of the CompactCodes that packed them.
  // Throws smt::Error when num_patches cannot fit in the stream; unpack()
  // checks the rest.
  static CompactCodes from_packed(int num_patches, bool has_flags,
                                  std::vector<std::uint8_t> stream, std::vector<float> values);

  // Overwrites out with the codes this was built from; throws smt::Error
  // (out then unspecified) when the packed bytes are corrupt.
  void unpack(PatchCodes& out) const;

  int num_patches() const { return num_patches_; }
  bool has_flags() const { return has_flags_; }
  const std::vector<std::uint8_t>& stream() const { return stream_; }
  const std::vector<float>& values() const { return values_; }
  // Heap bytes held (what the cache budget counts).
  std::size_t bytes() const { return stream_.capacity() + values_.capacity() * sizeof(float); }

 private:
  int num_patches_ = 0;
  bool has_flags_ = false;  // the codes carried zero-code flags (PatchCodes::fallback)
  std::vector<std::uint8_t> stream_;
  std::vector<float> values_;  // real-valued codes only ("variable"); empty for binary
};

}  // namespace smt
