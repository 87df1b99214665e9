#include "smt/stages/compact_codes.h"

#include <utility>

#include "smt/core/error.h"

namespace smt {

namespace {

void put_varint(std::vector<std::uint8_t>& out, std::uint32_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

std::uint32_t get_varint(const std::uint8_t*& p, const std::uint8_t* end) {
  std::uint32_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    SMT_CHECK(p < end, "compact codes: stream ends inside a number (corrupt cache)");
    const std::uint8_t b = *p++;
    v |= static_cast<std::uint32_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  SMT_THROW("compact codes: number longer than 5 bytes (corrupt cache)");
}

// Signed atom differences as small unsigned numbers: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ...
std::uint32_t zigzag(std::int32_t d) {
  return (static_cast<std::uint32_t>(d) << 1) ^ static_cast<std::uint32_t>(d >> 31);
}
std::int32_t unzigzag(std::uint32_t z) {
  return static_cast<std::int32_t>(z >> 1) ^ -static_cast<std::int32_t>(z & 1);
}

}  // namespace

CompactCodes::CompactCodes(const PatchCodes& codes)
    : num_patches_(codes.num_patches()), has_flags_(!codes.fallback.empty()) {
  SMT_CHECK(codes.fallback.empty() || codes.fallback.size() == codes.offsets.size() - 1,
            "compact codes: ", codes.fallback.size(), " zero-code flags for ", num_patches_,
            " patches");
  SMT_CHECK(codes.values.empty() || codes.values.size() == codes.atoms.size(),
            "compact codes: ", codes.values.size(), " values for ", codes.atoms.size(), " atoms");
  stream_.reserve(codes.atoms.size() + 2 * static_cast<std::size_t>(num_patches_));
  for (int p = 0; p < num_patches_; ++p) {
    const std::uint32_t b = codes.begin(p), e = codes.end(p);
    const std::uint32_t flag = has_flags_ && codes.fallback[p] ? 1 : 0;
    // Ascending atoms (what the coder emits) store plain differences, which
    // fit a byte up to 127; any other order falls back to zig-zag.
    bool ascending = true;
    for (std::uint32_t k = b + 1; k < e && ascending; ++k)
      ascending = codes.atoms[k] > codes.atoms[k - 1];
    put_varint(stream_, (e - b) << 2 | (ascending ? 2u : 0u) | flag);
    std::int32_t prev = 0;
    for (std::uint32_t k = b; k < e; ++k) {
      const std::int32_t a = codes.atoms[k];
      put_varint(stream_, ascending ? static_cast<std::uint32_t>(a - prev) : zigzag(a - prev));
      prev = a;
    }
  }
  stream_.shrink_to_fit();
  values_ = codes.values;
}

CompactCodes CompactCodes::from_packed(int num_patches, bool has_flags,
                                       std::vector<std::uint8_t> stream,
                                       std::vector<float> values) {
  // Every patch takes at least its header byte: a larger count is corrupt, and
  // checking it here keeps unpack() from reserving for patches that are not there.
  SMT_CHECK(num_patches >= 0 && static_cast<std::size_t>(num_patches) <= stream.size(),
            "compact codes: ", num_patches, " patches cannot fit in ", stream.size(),
            " bytes (corrupt cache)");
  CompactCodes c;
  c.num_patches_ = num_patches;
  c.has_flags_ = has_flags;
  c.stream_ = std::move(stream);
  c.values_ = std::move(values);
  return c;
}

void CompactCodes::unpack(PatchCodes& out) const {
  out.clear();
  out.offsets.reserve(static_cast<std::size_t>(num_patches_) + 1);
  if (has_flags_) out.fallback.reserve(static_cast<std::size_t>(num_patches_));
  out.values = values_;
  const std::uint8_t* p = stream_.data();
  const std::uint8_t* end = p + stream_.size();
  for (int i = 0; i < num_patches_; ++i) {
    const std::uint32_t header = get_varint(p, end);
    const std::uint32_t count = header >> 2;
    const bool ascending = (header & 2) != 0;
    if (has_flags_) out.fallback.push_back(static_cast<std::uint8_t>(header & 1));
    // Each atom takes at least one byte.
    SMT_CHECK(count <= static_cast<std::size_t>(end - p), "compact codes: patch ", i, " claims ",
              count, " atoms in the last ", end - p, " bytes (corrupt cache)");
    // 64 bits: a corrupt difference must not overflow before the range check.
    std::int64_t prev = 0;
    for (std::uint32_t k = 0; k < count; ++k) {
      const std::uint32_t v = get_varint(p, end);
      prev += ascending ? std::int64_t{v} : std::int64_t{unzigzag(v)};
      SMT_CHECK(prev >= 0 && prev <= 0xffff, "compact codes: atom index ", prev,
                " out of range (corrupt cache)");
      out.atoms.push_back(static_cast<std::uint16_t>(prev));
    }
    out.offsets.push_back(static_cast<std::uint32_t>(out.atoms.size()));
  }
  SMT_CHECK(p == end, "compact codes: ", end - p, " bytes left after ", num_patches_,
            " patches (corrupt cache)");
  SMT_CHECK(out.values.empty() || out.values.size() == out.atoms.size(),
            "compact codes: values do not match the atoms (corrupt cache)");
}

}  // namespace smt
