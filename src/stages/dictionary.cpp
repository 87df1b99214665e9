#include "smt/stages/dictionary.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "kernels/exact_sum.h"
#include "smt/core/error.h"
#include "smt/core/parallel.h"
#include "smt/core/rng.h"
#include "smt/io/binary_format.h"
#include "smt/stages/patch_source.h"
#include "smt/stages/sparse_coder.h"

namespace smt {

namespace {

// Draws `n` random (augmented image, patch position) pairs, grouped by image,
// and writes their whitened patches to out (n x dim). Zero patches (flat
// regions that whiten to nothing) are returned too; callers skip them.
// Deterministic for a given rng state, independent of the thread count. In a
// distributed run every process draws the same pairs over the whole set and
// extracts those of its own shard. Without `local_rows` it then receives the
// others' rows, so that every process holds exactly the single-process
// sample; with it, the rows stay where they were made: out holds only this
// process's rows, packed in batch order, and local_rows their batch rows.
void sample_patches(const PatchSource& src, Rng& rng, std::int64_t n, std::vector<float>& out,
                    const Context& ctx, std::vector<int>* local_rows = nullptr) {
  const int per_image = src.patches_per_image(), dim = src.dim();
  // A handful of positions per image amortises the image's extraction.
  const int per_draw = std::max(1, std::min(8, per_image / 4));
  const std::int64_t draws = (n + per_draw - 1) / per_draw;
  std::vector<std::size_t> images(static_cast<std::size_t>(draws));
  std::vector<int> positions(static_cast<std::size_t>(draws) * per_draw);
  for (std::int64_t d = 0; d < draws; ++d) {
    images[d] = static_cast<std::size_t>(rng.below_fast(src.global_num_images()));
    for (int k = 0; k < per_draw; ++k)
      positions[d * per_draw + k] =
          static_cast<int>(rng.below_fast(static_cast<std::uint64_t>(per_image)));
  }
  const ShardLayout layout = src.layout();
  SMT_CHECK(layout.whole() || layout.local_count() == src.num_images(), "a shard of ",
            src.num_images(), " training images where its layout says ", layout.local_count());
  auto rows_of = [&](std::int64_t d) {
    return static_cast<int>(std::min<std::int64_t>(per_draw, n - d * per_draw));
  };
  auto mine = [&](std::size_t d) { return layout.owner(images[d]) == layout.rank; };
  // Where each of this process's draws goes in out: its batch row, or the
  // next packed row.
  std::vector<std::int64_t> at(static_cast<std::size_t>(draws), -1);
  std::int64_t made = 0;
  if (local_rows) local_rows->clear();
  for (std::int64_t d = 0; d < draws; ++d) {
    if (!mine(static_cast<std::size_t>(d))) continue;
    at[d] = local_rows ? made : d * per_draw;
    if (local_rows)
      for (int k = 0; k < rows_of(d); ++k)
        local_rows->push_back(static_cast<int>(d * per_draw + k));
    made += rows_of(d);
  }
  out.resize(static_cast<std::size_t>(local_rows ? made : n) * dim);
  struct Buffers {
    std::vector<float> all, scratch;
  };
  parallel_for(
      ctx.num_threads(), 0, static_cast<std::size_t>(draws), Schedule::dynamic(4),
      [] { return Buffers{}; },
      [&](Buffers& b, std::size_t d) {
        if (at[d] < 0) return;  // another process's image
        const std::int64_t row = static_cast<std::int64_t>(d) * per_draw;
        src.patches_at(layout.local_index(images[d]), positions.data() + row,
                       rows_of(static_cast<std::int64_t>(d)),
                       out.data() + static_cast<std::size_t>(at[d]) * dim, b.all, b.scratch);
      });
  if (local_rows || !ctx.distributed()) return;
  // Each process sends the rows of its images in draw order; the owner of
  // each draw's image says whose rows come next.
  std::string rows;
  for (std::int64_t d = 0; d < draws; ++d) {
    if (!mine(static_cast<std::size_t>(d))) continue;
    const char* p = reinterpret_cast<const char*>(out.data() + d * per_draw * dim);
    rows.append(p, static_cast<std::size_t>(rows_of(d)) * dim * sizeof(float));
  }
  const std::vector<std::string> all = ctx.comm->allgather(rows);
  SMT_CHECK(all.size() == static_cast<std::size_t>(layout.processes), "patch samples from ",
            all.size(), " processes, expected ", layout.processes);
  std::vector<std::size_t> read(all.size(), 0);
  for (std::int64_t d = 0; d < draws; ++d) {
    const std::size_t bytes = static_cast<std::size_t>(rows_of(d)) * dim * sizeof(float);
    const std::size_t r = static_cast<std::size_t>(layout.owner(images[d]));
    SMT_CHECK(read[r] + bytes <= all[r].size(), "process ", r, " sent too few sampled patches");
    std::memcpy(out.data() + d * per_draw * dim, all[r].data() + read[r], bytes);
    read[r] += bytes;
  }
  for (std::size_t r = 0; r < all.size(); ++r)
    SMT_CHECK(read[r] == all[r].size(), "process ", r, " sent ", all[r].size() - read[r],
              " bytes of sampled patches too many: the shards do not agree on the training set");
}

bool is_zero(const float* x, int dim) {
  for (int a = 0; a < dim; ++a)
    if (x[a] != 0.0f) return false;
  return true;
}

// The nearest atom by cosine (the sparse coder's vector quantisation, fused
// where available: no n x size similarity matrix is stored) of each of the n
// patches in cand, and that cosine; -1 and 2 for zero patches.
void assign_nearest(const Dictionary& current, const std::vector<float>& cand, int n,
                    std::vector<int>& assign, std::vector<float>& best_sim, int threads) {
  const int dim = current.dim();
  const SparseCoder coder(current, 1.0, CodeValues::kBinary);
  assign.assign(static_cast<std::size_t>(n), -1);
  best_sim.assign(static_cast<std::size_t>(n), 2.0f);
  constexpr int kChunk = 1024;
  const int chunks = (n + kChunk - 1) / kChunk;
  struct Buffers {
    SparseCoder::Scratch scratch;
    PatchCodes codes;
  };
  parallel_for(
      threads, 0, static_cast<std::size_t>(chunks), Schedule::dynamic(1), [] { return Buffers{}; },
      [&](Buffers& b, std::size_t chunk) {
        const int r0 = static_cast<int>(chunk) * kChunk, rn = std::min(kChunk, n - r0);
        b.codes.clear();
        coder.encode(cand.data() + static_cast<std::size_t>(r0) * dim, rn, b.codes, b.scratch);
        for (int i = 0; i < rn; ++i) {
          if (is_zero(cand.data() + static_cast<std::size_t>(r0 + i) * dim, dim)) continue;
          assign[r0 + i] = b.codes.atoms[b.codes.begin(i)];
          best_sim[r0 + i] = b.scratch.best[i];
        }
      });
}

// The non-zero patches of a batch (assign >= 0), worst represented first
// (ascending best cosine, ties in batch order): where atoms that stop
// winning are moved.
std::vector<int> worst_represented_first(const std::vector<float>& best_sim,
                                         const std::vector<int>& assign) {
  std::vector<int> order;
  order.reserve(assign.size());
  for (std::size_t r = 0; r < assign.size(); ++r)
    if (assign[r] >= 0) order.push_back(static_cast<int>(r));
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return best_sim[a] < best_sim[b]; });
  return order;
}

// A patch of a batch and how well the dictionary represents it.
struct WorstPatch {
  float best = 0;
  std::int64_t row = 0;  // in the batch
  std::vector<float> patch;
};

// The `count` worst-represented non-zero patches of a batch over every
// process (ascending best cosine, ties in batch order): each process offers
// its own `count` worst (its packed patches `local`, batch rows `rows`), and
// the offers are merged.
std::vector<WorstPatch> worst_represented(const std::vector<float>& best_sim,
                                          const std::vector<int>& assign,
                                          const std::vector<int>& rows,
                                          const std::vector<float>& local, int dim, int count,
                                          const Context& ctx) {
  std::vector<int> order = worst_represented_first(best_sim, assign);
  if (order.size() > static_cast<std::size_t>(count)) order.resize(count);
  const std::size_t record = sizeof(float) + sizeof(std::int64_t) + dim * sizeof(float);
  std::string mine;
  for (const int i : order) {
    const std::int64_t row = rows[i];
    mine.append(reinterpret_cast<const char*>(&best_sim[i]), sizeof(float));
    mine.append(reinterpret_cast<const char*>(&row), sizeof(row));
    mine.append(reinterpret_cast<const char*>(local.data() + static_cast<std::size_t>(i) * dim),
                dim * sizeof(float));
  }
  // One process merges its single offer the same way.
  std::vector<WorstPatch> all;
  for (const std::string& part :
       ctx.distributed() ? ctx.comm->allgather(mine) : std::vector<std::string>{mine}) {
    SMT_CHECK(part.size() % record == 0, "a process sent worst-represented patches of ",
              part.size(), " bytes, not a multiple of ", record);
    for (std::size_t at = 0; at < part.size(); at += record) {
      WorstPatch w;
      w.patch.resize(static_cast<std::size_t>(dim));
      std::memcpy(&w.best, part.data() + at, sizeof(float));
      std::memcpy(&w.row, part.data() + at + sizeof(float), sizeof(w.row));
      std::memcpy(w.patch.data(), part.data() + at + sizeof(float) + sizeof(w.row),
                  dim * sizeof(float));
      all.push_back(std::move(w));
    }
  }
  std::sort(all.begin(), all.end(), [](const WorstPatch& a, const WorstPatch& b) {
    return a.best != b.best ? a.best < b.best : a.row < b.row;
  });
  if (all.size() > static_cast<std::size_t>(count)) all.resize(count);
  return all;
}

// x / |x| in place (zero stays zero).
void normalize(float* x, int dim) {
  double ss = 0;
  for (int d = 0; d < dim; ++d) ss += static_cast<double>(x[d]) * x[d];
  const float inv = ss > 0 ? static_cast<float>(1.0 / std::sqrt(ss)) : 0.0f;
  for (int d = 0; d < dim; ++d) x[d] *= inv;
}

}  // namespace

Dictionary::Dictionary(int size, int dim, std::vector<float> atoms)
    : size_(size), dim_(dim), atoms_(std::move(atoms)) {
  SMT_CHECK(atoms_.size() == static_cast<std::size_t>(size) * dim, "dictionary holds ",
            atoms_.size(), " values, expected ", size, " x ", dim);
}

Dictionary Dictionary::fit_greedy(const PatchSource& src, int size, double threshold,
                                  std::int64_t max_candidates, const Context& ctx) {
  SMT_CHECK(size >= 1, param("dict-size"), " must be >= 1");
  const int dim = src.dim();
  if (max_candidates <= 0) max_candidates = 200LL * size;
  // Visiting more candidates than there are patches only revisits patches.
  max_candidates = std::min(max_candidates, 4 * src.global_num_patches());
  Rng rng(ctx.seed, Stream::kDictionaryGreedy);
  std::vector<float> atoms(static_cast<std::size_t>(size) * dim);
  int accepted = 0;
  std::int64_t seen = 0;
  const float theta = static_cast<float>(threshold);
  const std::int64_t chunk = 4096;
  constexpr int kScreenBlock = 1024;
  std::vector<float> cand, sims, packed;
  std::vector<std::int64_t> alive;
  Progress progress(ctx, "dictionary (greedy)", size);
  while (accepted < size && seen < max_candidates) {
    const std::int64_t n = std::min(chunk, max_candidates - seen);
    sample_patches(src, rng, n, cand, ctx);
    seen += n;
    // Screen the chunk against the atoms accepted before it, one block of
    // atoms at a time (one GEMM each): a candidate too close to an atom of a
    // block is dropped before the next, and once the dictionary is nearly
    // full most candidates are dropped by the first blocks.
    const int before = accepted;
    alive.clear();
    for (std::int64_t r = 0; r < n; ++r)
      if (!is_zero(cand.data() + r * dim, dim)) alive.push_back(r);
    for (int a0 = 0; a0 < before && !alive.empty(); a0 += kScreenBlock) {
      const int an = std::min(kScreenBlock, before - a0);
      const int na = static_cast<int>(alive.size());
      packed.resize(static_cast<std::size_t>(na) * dim);
      for (int i = 0; i < na; ++i)
        std::copy_n(cand.data() + alive[i] * dim, dim,
                    packed.data() + static_cast<std::size_t>(i) * dim);
      sims.resize(static_cast<std::size_t>(na) * an);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, na, an, dim, 1.0f, packed.data(), dim,
                  atoms.data() + static_cast<std::size_t>(a0) * dim, dim, 0.0f, sims.data(), an);
      int kept = 0;
      for (int i = 0; i < na; ++i) {
        const float* s = sims.data() + static_cast<std::size_t>(i) * an;
        bool ok = true;
        for (int k = 0; k < an && ok; ++k) ok = s[k] <= theta;
        if (ok) alive[kept++] = alive[i];
      }
      alive.resize(kept);
    }
    for (const std::int64_t r : alive) {
      if (accepted >= size) break;
      const float* x = cand.data() + r * dim;
      bool ok = true;
      // Atoms accepted earlier in this chunk.
      for (int k = before; k < accepted && ok; ++k)
        ok = cblas_sdot(dim, x, 1, atoms.data() + static_cast<std::size_t>(k) * dim, 1) <= theta;
      if (!ok) continue;
      std::copy_n(x, dim, atoms.data() + static_cast<std::size_t>(accepted) * dim);
      ++accepted;
    }
    progress.update(accepted);
  }
  SMT_CHECK(accepted == size, "dictionary: found only ", accepted,
            " atoms with cosine <= ", threshold, " after ", seen, " candidate patches, but ",
            param("dict-size"), " is ", size, ". Raise ", param("dict-threshold"), ", lower ",
            param("dict-size"), ", use more training images, or raise ",
            param("dict-max-candidates"));
  progress.finish();
  return Dictionary(size, dim, std::move(atoms));
}

Dictionary Dictionary::fit_kmeans(const PatchSource& src, int size, int iterations, int batch,
                                  double init_threshold, const Context& ctx) {
  const int dim = src.dim();
  // Initial atoms from the greedy selection: random patches alone would
  // start many atoms on the same frequent pattern (e.g. flat background),
  // which then never win a patch and stay dead.
  std::vector<float> atoms = fit_greedy(src, size, init_threshold, 0, ctx).atoms_;
  Rng rng(ctx.seed, Stream::kDictionaryKMeans);
  // Patches won by each atom so far: its atom is their running mean.
  std::vector<std::int64_t> counts(static_cast<std::size_t>(size), 0);
  std::vector<float> local, best_sim;
  std::vector<int> rows, assign;
  const std::size_t sum_values = static_cast<std::size_t>(size) * dim;
  Progress progress(ctx, "dictionary (k-means)", iterations);
  for (int it = 0; it < iterations; ++it) {
    // Each process assigns the batch's patches of its own images, and the
    // per-atom sums are reduced: exact sums, so the same bits whatever the
    // order of addition, and so whatever the process count.
    sample_patches(src, rng, batch, local, ctx, &rows);
    const int n = static_cast<int>(rows.size());
    assign_nearest(Dictionary(size, dim, atoms), local, n, assign, best_sim, ctx.num_threads());
    ExactSum sums(sum_values);
    std::vector<std::int64_t> wins(static_cast<std::size_t>(size), 0);
    for (int i = 0; i < n; ++i) {
      const int k = assign[i];
      if (k < 0) continue;
      ++wins[k];
      sums.add(static_cast<std::size_t>(k) * dim, local.data() + static_cast<std::size_t>(i) * dim,
               static_cast<std::size_t>(dim));
    }
    if (ctx.distributed()) all_processes_sum(*ctx.comm, sums, wins, "k-means sums");
    // The running mean over every patch won so far, in closed form: an
    // atom's start (or its previous batch's normalised mean) weighs as the
    // patches behind it; a first win replaces the start.
    const std::vector<double> total = sums.values();
    int dead = 0;
    for (int k = 0; k < size; ++k) {
      float* a = atoms.data() + static_cast<std::size_t>(k) * dim;
      const double* t = total.data() + static_cast<std::size_t>(k) * dim;
      if (wins[k] > 0) {
        const double before = static_cast<double>(counts[k]);
        const double inv = 1.0 / (before + static_cast<double>(wins[k]));
        for (int d = 0; d < dim; ++d) a[d] = static_cast<float>((before * a[d] + t[d]) * inv);
        counts[k] += wins[k];
      }
      dead += counts[k] == 0;
    }
    // Atoms that have never won a patch move to the worst-represented
    // patches of this batch (ascending best cosine, ties in batch order).
    if (dead > 0) {
      const std::vector<WorstPatch> worst =
          worst_represented(best_sim, assign, rows, local, dim, dead, ctx);
      std::size_t next = 0;
      for (int k = 0; k < size && next < worst.size(); ++k)
        if (counts[k] == 0)
          std::copy_n(worst[next++].patch.data(), dim,
                      atoms.data() + static_cast<std::size_t>(k) * dim);
    }
    for (int k = 0; k < size; ++k) normalize(atoms.data() + static_cast<std::size_t>(k) * dim, dim);
    progress.update(it + 1);
  }
  progress.finish();
  return Dictionary(size, dim, std::move(atoms));
}

Dictionary Dictionary::fit_online(const PatchSource& src, int size, std::int64_t samples, int batch,
                                  const Context& ctx) {
  SMT_CHECK(size >= 1, param("dict-size"), " must be >= 1");
  const int dim = src.dim();
  if (samples <= 0) samples = 500LL * size;
  Rng rng(ctx.seed, Stream::kDictionaryOnline);
  std::vector<float> atoms(static_cast<std::size_t>(size) * dim);
  std::vector<float> cand;
  // Start: the first `size` non-zero patches of the seeded stream.
  int filled = 0;
  std::int64_t drawn = 0;
  const std::int64_t max_draws = std::max<std::int64_t>(4 * src.global_num_patches(), 8LL * size);
  while (filled < size && drawn < max_draws) {
    const std::int64_t n = std::min<std::int64_t>(batch, max_draws - drawn);
    sample_patches(src, rng, n, cand, ctx);
    drawn += n;
    for (std::int64_t r = 0; r < n && filled < size; ++r) {
      const float* x = cand.data() + r * dim;
      if (is_zero(x, dim)) continue;
      std::copy_n(x, dim, atoms.data() + static_cast<std::size_t>(filled++) * dim);
    }
  }
  SMT_CHECK(filled == size, "online dictionary: the training images have only ", filled,
            " non-zero patches among ", drawn, " drawn, but ", param("dict-size"), " is ", size,
            ". Lower ", param("dict-size"), " or use more training images");
  // The running mean of atom k is over its seed patch and every patch it
  // has won; an atom that wins nothing for `stale` batches (about 20 patches
  // per atom) is replaced by one of the batch's worst-represented patches.
  std::vector<double> counts(static_cast<std::size_t>(size), 1.0);
  std::vector<std::int64_t> last_win(static_cast<std::size_t>(size), 0);
  const std::int64_t stale = std::max<std::int64_t>(2, (20LL * size + batch - 1) / batch);
  std::vector<int> assign;
  std::vector<float> best_sim;
  std::int64_t visited = 0, batches = 0, replaced = 0;
  Progress progress(ctx, "dictionary (online 1-sparse)", samples);
  while (visited < samples) {
    const int n = static_cast<int>(std::min<std::int64_t>(batch, samples - visited));
    sample_patches(src, rng, n, cand, ctx);
    visited += n;
    ++batches;
    assign_nearest(Dictionary(size, dim, atoms), cand, n, assign, best_sim, ctx.num_threads());
    // In batch order: deterministic whatever the thread count.
    for (int r = 0; r < n; ++r) {
      const int k = assign[r];
      if (k < 0) continue;
      last_win[k] = batches;
      counts[k] += 1.0;
      const float eta = static_cast<float>(1.0 / counts[k]);
      float* a = atoms.data() + static_cast<std::size_t>(k) * dim;
      const float* x = cand.data() + static_cast<std::size_t>(r) * dim;
      for (int d = 0; d < dim; ++d) a[d] += eta * (x[d] - a[d]);
      normalize(a, dim);
    }
    const std::vector<int> worst = worst_represented_first(best_sim, assign);
    std::size_t next = 0;
    for (int k = 0; k < size; ++k) {
      if (batches - last_win[k] < stale) continue;
      if (next == worst.size()) break;
      std::copy_n(cand.data() + static_cast<std::size_t>(worst[next++]) * dim, dim,
                  atoms.data() + static_cast<std::size_t>(k) * dim);
      counts[k] = 1.0;
      last_win[k] = batches;
      ++replaced;
    }
    progress.update(visited);
  }
  progress.finish();
  ctx.log(str_cat("online dictionary: ", visited, " patches in ", batches, " batches, ", replaced,
                  " atoms replaced after winning nothing for ", stale, " batches"));
  return Dictionary(size, dim, std::move(atoms));
}

Dictionary Dictionary::fit(const PatchSource& src, const Config& c, const Context& ctx) {
  if (c.dict_method == DictMethod::kOnline)
    return fit_online(src, c.dict_size, c.dict_samples, c.kmeans_batch, ctx);
  if (c.dict_method == DictMethod::kGreedy)
    return fit_greedy(src, c.dict_size, c.dict_threshold, c.dict_max_candidates, ctx);
  return fit_kmeans(src, c.dict_size, c.kmeans_iters, c.kmeans_batch, c.dict_threshold, ctx);
}

void Dictionary::save(SectionWriter& w) const {
  w.add_i64("dictionary.size", size_);
  w.add_i64("dictionary.dim", dim_);
  w.add_array("dictionary.atoms", atoms_);
}

Dictionary Dictionary::load(const SectionReader& r) {
  const std::int64_t size = r.i64("dictionary.size"), dim = r.i64("dictionary.dim");
  SMT_CHECK(size >= 1 && size <= 65536 && dim >= 1 && dim <= 1 << 16,
            "model file: invalid dictionary shape ", size, " x ", dim);
  return Dictionary(static_cast<int>(size), static_cast<int>(dim),
                    r.array<float>("dictionary.atoms", static_cast<std::size_t>(size * dim)));
}

}  // namespace smt
