#include "smt/io/split_selection.h"

#include <numeric>

#include "smt/io/dataset.h"
#include "smt/io/subset.h"

namespace smt {

namespace {

std::vector<int> labels_of(const SplitSelection& s, const SplitListing& split) {
  std::vector<int> out;
  out.reserve(s.size());
  for (std::size_t i : s.indices) out.push_back(split.labels[i]);
  return out;
}

// Moves the indices with mask[k] == 1 (in order) out of s.indices into the result.
std::vector<std::size_t> extract(SplitSelection& s, const std::vector<char>& mask) {
  std::vector<std::size_t> taken, kept;
  for (std::size_t k = 0; k < s.size(); ++k) (mask[k] ? taken : kept).push_back(s.indices[k]);
  s.indices = std::move(kept);
  return taken;
}

}  // namespace

SplitSelection select_all(const SplitListing& split) {
  SplitSelection s;
  s.indices.resize(split.size());
  std::iota(s.indices.begin(), s.indices.end(), std::size_t{0});
  s.source = split.source;
  return s;
}

void limit_selection(SplitSelection& s, const SplitListing& split, std::int64_t limit,
                     std::uint64_t seed) {
  if (limit <= 0 || static_cast<std::size_t>(limit) >= s.size()) return;
  std::vector<char> drop = balanced_choice(labels_of(s, split), split.num_classes,
                                           static_cast<std::size_t>(limit), seed, s.source);
  for (char& d : drop) d = !d;
  extract(s, drop);
  s.source += subset_note(s.size(), seed);
}

SplitSelection hold_out_selection(SplitSelection& s, const SplitListing& split, std::size_t n,
                                  std::uint64_t seed) {
  SplitSelection held;
  held.indices =
      extract(s, hold_out_choice(labels_of(s, split), split.num_classes, n, seed, s.source));
  held.source = s.source + hold_out_note(held.size(), seed);
  return held;
}

}  // namespace smt
