// SmtStatistics::add_sequences: the temporal differential operators of
// ordered sequences. A sequence of T steps is a 1 x T patch grid, on which the
// image operators of docs/algorithm.md step 7 become exactly the temporal ones:
//   second derivative: d_t = e_t - mean of e_s over 0 < |s - t| <= w,
//   first derivative:  e_t - e_s for every pair 0 < s - t <= w,
// (whole sequence when w < 0 or w >= T), never across sequences since each
// sequence is its own "image". Reusing add_images keeps one implementation of
// the operators and of the cache-aware, thread-count independent accumulation.
#include <algorithm>
#include <map>

#include "smt/core/error.h"
#include "smt/stages/statistics.h"

namespace smt {

void SmtStatistics::add_sequences(const std::vector<const PatchCodes*>& sequences,
                                  const Context& ctx) {
  // Validate everything before accumulating anything.
  std::vector<PatchCodes> with_flags;  // copies of sequences given without fallback flags
  std::vector<const PatchCodes*> seqs(sequences.size());
  for (std::size_t s = 0; s < sequences.size(); ++s) {
    SMT_CHECK(sequences[s] != nullptr, "sequence ", s, " is null");
    const PatchCodes& c = *sequences[s];
    const int t = c.num_patches();
    SMT_CHECK(t >= 0 && c.offsets.front() == 0 && c.atoms.size() == c.offsets.back() &&
                  (c.values.empty() || c.values.size() == c.atoms.size()),
              "sequence ", s, ": malformed codes (offsets, atoms and values disagree)");
    SMT_CHECK(c.fallback.empty() || c.fallback.size() == static_cast<std::size_t>(t), "sequence ",
              s, ": ", c.fallback.size(), " fallback flags for ", t, " steps");
    for (std::uint16_t a : c.atoms)
      SMT_CHECK(a < k_, "sequence ", s, ": atom ", a, " outside the dictionary of ", k_);
    if (diagonal_v_) {
      // Diagonal V holds only alpha_k^2: exact for one-hot codes alone.
      for (int p = 0; p < t; ++p)
        SMT_CHECK(c.end(p) - c.begin(p) <= 1, "sequence ", s, " step ", p, " has ",
                  c.end(p) - c.begin(p),
                  " atoms, but these statistics keep V diagonal (one-hot codes only); "
                  "construct them with diagonal_v = false");
    }
    seqs[s] = &c;
  }
  std::size_t need_flags = 0;
  for (const PatchCodes* c : seqs) need_flags += c->fallback.empty() && c->num_patches() > 0;
  with_flags.reserve(need_flags);
  for (const PatchCodes*& c : seqs) {
    if (!c->fallback.empty() || c->num_patches() == 0) continue;
    with_flags.push_back(*c);
    with_flags.back().fallback.assign(c->num_patches(), 0);
    c = &with_flags.back();
  }
  // Sequences of equal length share a grid shape: one add_images call per
  // length, in order of first appearance.
  std::vector<int> lengths;
  std::map<int, std::vector<const PatchCodes*>> by_length;
  for (const PatchCodes* c : seqs) {
    auto [it, fresh] = by_length.try_emplace(c->num_patches());
    if (fresh) lengths.push_back(c->num_patches());
    it->second.push_back(c);
  }
  for (int t : lengths) {
    const auto& group = by_length[t];
    if (t == 0) {
      images_ += static_cast<std::int64_t>(group.size());  // empty sequences add nothing else
      continue;
    }
    add_images(group, 1, t, ctx);
  }
}

}  // namespace smt
