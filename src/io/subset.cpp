#include "smt/io/subset.h"

#include <algorithm>
#include <random>

#include "smt/core/error.h"

namespace smt {

namespace {

// Uniform in [0, n), n > 0, by rejection: the accepted range
// [2^64 mod n, 2^64) holds a whole number of copies of every residue.
std::uint64_t bounded(std::mt19937_64& rng, std::uint64_t n) {
  const std::uint64_t threshold = (0 - n) % n;
  for (;;) {
    const std::uint64_t x = rng();
    if (x >= threshold) return x % n;
  }
}

// Fisher-Yates: the first k entries of v become a uniform random k-subset.
template <typename T>
void partial_shuffle(std::vector<T>& v, std::size_t k, std::mt19937_64& rng) {
  for (std::size_t i = 0; i < k && i + 1 < v.size(); ++i) {
    const std::size_t j = i + static_cast<std::size_t>(bounded(rng, v.size() - i));
    std::swap(v[i], v[j]);
  }
}

// Per-class quotas summing to `limit` (< total): the largest level L with
// sum_c min(count_c, L) <= limit, then one more for `limit - that sum` of the
// classes with more than L images, drawn with rng.
std::vector<std::size_t> class_quotas(const std::vector<std::size_t>& counts, std::size_t limit,
                                      std::mt19937_64& rng) {
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
  std::mt19937_64 rng(seed);
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

}  // namespace smt
