// Which images of a listed split (split_listing.h) a set holds, chosen from
// the labels alone: apply_limit's seeded subset and hold_out's validation
// images (dataset.h) as index lists. The choice is made on the whole split,
// so every process of a distributed run makes the same one and then reads
// only its share of the chosen images.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "smt/io/split_listing.h"

namespace smt {

struct SplitSelection {
  std::vector<std::size_t> indices;  // into the split, ascending
  // The `source` the chosen set gets: the split's, with the same notes
  // apply_limit and hold_out add.
  std::string source;

  std::size_t size() const { return indices.size(); }
};

// Every image of the split.
SplitSelection select_all(const SplitListing& split);

// Keeps the images apply_limit(set, limit, seed) would keep of the set
// `selection` stands for (limit <= 0 or >= size() keeps all, adding no note).
void limit_selection(SplitSelection& selection, const SplitListing& split, std::int64_t limit,
                     std::uint64_t seed);

// Moves the n images hold_out(set, n, seed) would move out of `selection`
// into the returned selection (both keep their order).
SplitSelection hold_out_selection(SplitSelection& selection, const SplitListing& split,
                                  std::size_t n, std::uint64_t seed);

}  // namespace smt
