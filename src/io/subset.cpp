#include "smt/io/subset.h"

#include <algorithm>

#include "smt/core/error.h"
#include "smt/core/rng.h"

namespace smt {

namespace {

// Fisher-Yates: the first k entries of v become a uniform random k-subset.
template <typename T>
void partial_shuffle(std::vector<T>& v, std::size_t k, Rng& rng) {
  for (std::size_t i = 0; i < k && i + 1 < v.size(); ++i) {
    const std::size_t j = i + static_cast<std::size_t>(rng.below(v.size() - i));
    std::swap(v[i], v[j]);
  }
}

// Per-class quotas summing to `limit` (< total): the largest level L with
// sum_c min(count_c, L) <= limit, then one more for `limit - that sum` of the
// classes with more than L images, drawn with rng.
std::vector<std::size_t> class_quotas(const std::vector<std::size_t>& counts, std::size_t limit,
                                      Rng& rng) {
  auto filled = [&](std::size_t level) {
    std::size_t s = 0;
    for (std::size_t c : counts) s += std::min(c, level);
    return s;
  };
  std::size_t lo = 0, hi = *std::max_element(counts.begin(), counts.end());
  while (lo < hi) {  // largest level with filled(level) <= limit
    const std::size_t mid = lo + (hi - lo + 1) / 2;
    if (filled(mid) <= limit)
      lo = mid;
    else
      hi = mid - 1;
  }
  std::vector<std::size_t> quota(counts.size());
  std::vector<std::size_t> open;  // classes that can take one more
  for (std::size_t c = 0; c < counts.size(); ++c) {
    quota[c] = std::min(counts[c], lo);
    if (counts[c] > lo) open.push_back(c);
  }
  const std::size_t extra = limit - filled(lo);
  partial_shuffle(open, extra, rng);
  for (std::size_t i = 0; i < extra; ++i) ++quota[open[i]];
  return quota;
}

}  // namespace

std::vector<char> balanced_choice(const std::vector<int>& labels, int num_classes,
                                  std::size_t limit, std::uint64_t seed,
                                  const std::string& source) {
  const std::size_t n = labels.size();
  if (limit >= n) return std::vector<char>(n, 1);
  const int num_labels = std::max(num_classes, *std::max_element(labels.begin(), labels.end()) + 1);
  std::vector<std::vector<std::size_t>> members(static_cast<std::size_t>(num_labels));
  for (std::size_t i = 0; i < n; ++i) {
    SMT_CHECK(labels[i] >= 0, source, ": image ", i, " has negative label ", labels[i]);
    members[static_cast<std::size_t>(labels[i])].push_back(i);
  }
  std::vector<std::size_t> counts;
  for (const auto& m : members) counts.push_back(m.size());
  Rng rng(seed, Stream::kSubset);
  const std::vector<std::size_t> quota = class_quotas(counts, limit, rng);
  std::vector<char> chosen(n, 0);
  for (std::size_t c = 0; c < members.size(); ++c) {
    partial_shuffle(members[c], quota[c], rng);
    for (std::size_t j = 0; j < quota[c]; ++j) chosen[members[c][j]] = 1;
  }
  return chosen;
}

std::string subset_note(std::size_t n, std::uint64_t seed) {
  return str_cat(" (", n, " images drawn with seed ", seed, ")");
}

std::string hold_out_note(std::size_t n, std::uint64_t seed) {
  return str_cat(" (", n, " images held out with seed ", seed, ")");
}

}  // namespace smt
