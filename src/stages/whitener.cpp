#include "smt/stages/whitener.h"

#include <cblas.h>

#include <cmath>
#include <string>

#include "kernels/exact_sum.h"
#include "kernels/lapack.h"
#include "smt/core/context.h"
#include "smt/core/error.h"
#include "smt/core/parallel.h"
#include "smt/io/binary_format.h"
#include "smt/stages/patch_source.h"

namespace smt {

MomentAccumulator::MomentAccumulator(int dim)
    : dim_(dim), sum_(dim, 0.0), outer_(static_cast<std::size_t>(dim) * dim, 0.0) {}

void MomentAccumulator::add(const float* patches, std::int64_t n) {
  if (n <= 0) return;
  // Single-precision rank-n update of a small buffer, then added in double:
  // fast (BLAS-3) and accurate enough for a dim x dim covariance.
  std::vector<float> block(static_cast<std::size_t>(dim_) * dim_, 0.0f);
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, dim_, static_cast<int>(n), 1.0f, patches, dim_,
              0.0f, block.data(), dim_);
  for (int a = 0; a < dim_; ++a)
    for (int b = a; b < dim_; ++b) outer_[a * dim_ + b] += block[a * dim_ + b];
  for (std::int64_t i = 0; i < n; ++i) {
    const float* x = patches + i * dim_;
    for (int a = 0; a < dim_; ++a) sum_[a] += x[a];
  }
  count_ += n;
}

void MomentAccumulator::merge(const MomentAccumulator& other) {
  SMT_CHECK(other.dim_ == dim_, "cannot merge moments of dimension ", other.dim_, " into ", dim_);
  for (std::size_t i = 0; i < sum_.size(); ++i) sum_[i] += other.sum_[i];
  for (std::size_t i = 0; i < outer_.size(); ++i) outer_[i] += other.outer_[i];
  count_ += other.count_;
}

MomentAccumulator MomentAccumulator::from_sums(int dim, std::int64_t count, std::vector<double> sum,
                                               std::vector<double> outer) {
  SMT_CHECK(sum.size() == static_cast<std::size_t>(dim) &&
                outer.size() == static_cast<std::size_t>(dim) * dim && count >= 0,
            "moment sums of dimension ", dim, " hold ", sum.size(), " and ", outer.size(),
            " values");
  MomentAccumulator m(dim);
  m.count_ = count;
  m.sum_ = std::move(sum);
  m.outer_ = std::move(outer);
  return m;
}

std::vector<double> MomentAccumulator::mean() const {
  std::vector<double> m(dim_, 0.0);
  if (count_ == 0) return m;
  for (int a = 0; a < dim_; ++a) m[a] = sum_[a] / static_cast<double>(count_);
  return m;
}

std::vector<double> MomentAccumulator::covariance() const {
  SMT_CHECK(count_ > 1, "whitening needs at least two training patches, got ", count_);
  std::vector<double> m = mean();
  std::vector<double> c(static_cast<std::size_t>(dim_) * dim_);
  const double n = static_cast<double>(count_);
  for (int a = 0; a < dim_; ++a) {
    for (int b = a; b < dim_; ++b) {
      const double v = outer_[a * dim_ + b] / n - m[a] * m[b];
      c[a * dim_ + b] = v;
      c[b * dim_ + a] = v;
    }
  }
  return c;
}

MomentAccumulator patch_moments(const PatchSource& source, const Context& ctx) {
  // 32 images a block; blocks run in waves of 64 so that the partial moments
  // held at once stay a few MB whatever the image count. Shards of a
  // distributed run hold whole blocks (model/data_split.h).
  constexpr std::size_t kBlockImages = 32, kWaveBlocks = 64;
  SMT_CHECK(source.layout().whole() || source.layout().block % kBlockImages == 0,
            "shard blocks of ", source.layout().block,
            " training images split the 32-image moment blocks");
  const int dim = source.dim();
  const std::size_t n = source.num_images();
  const std::size_t blocks = (n + kBlockImages - 1) / kBlockImages;
  const std::size_t patch_values = static_cast<std::size_t>(source.patches_per_image()) * dim;
  const ScopedBlasThreads serial(1);  // each ssyrk on one thread, the same one way (context.h)
  // sum of x (dim), then sum of x x^T (dim x dim), exactly.
  const std::size_t values = static_cast<std::size_t>(dim) * (dim + 1);
  ExactSum total(values);
  std::vector<std::int64_t> count{0};  // patches
  std::vector<MomentAccumulator> wave(kWaveBlocks, MomentAccumulator(dim));
  struct Buffers {
    std::vector<float> patches, scratch;
  };
  for (std::size_t w0 = 0; w0 < blocks; w0 += kWaveBlocks) {
    const std::size_t wn = std::min(kWaveBlocks, blocks - w0);
    parallel_for(
        ctx.num_threads(), 0, wn, Schedule::dynamic(1),
        [&] {
          return Buffers{std::vector<float>(patch_values), {}};
        },
        [&](Buffers& buf, std::size_t b) {
          ctx.check_cancelled();  // a pass over every image: stay stoppable
          MomentAccumulator& part = wave[b] = MomentAccumulator(dim);
          const std::size_t first = (w0 + b) * kBlockImages;
          for (std::size_t i = first; i < std::min(n, first + kBlockImages); ++i) {
            source.patches(i, buf.patches.data(), buf.scratch);
            part.add(buf.patches.data(), source.patches_per_image());
          }
        });
    for (std::size_t b = 0; b < wn; ++b) {
      total.add(0, wave[b].sums());
      total.add(static_cast<std::size_t>(dim), wave[b].outer_sums());
      count[0] += wave[b].count();
    }
  }
  if (ctx.distributed()) all_processes_sum(*ctx.comm, total, count, "moment sums");
  std::vector<double> all = total.values();
  std::vector<double> outer(all.begin() + dim, all.end());
  all.resize(static_cast<std::size_t>(dim));
  return MomentAccumulator::from_sums(dim, count[0], std::move(all), std::move(outer));
}

Whitener Whitener::fit(const MomentAccumulator& moments, double tol) {
  SMT_CHECK(tol > 0 && std::isfinite(tol), param("whiten-tol"),
            " must be positive and finite, got ", tol);
  const int d = moments.dim();
  std::vector<double> cov = moments.covariance();
  for (double v : cov) SMT_CHECK(std::isfinite(v), "patch covariance contains NaN or inf");
  std::vector<double> evals(d), evecs(static_cast<std::size_t>(d) * d);
  {
    const ScopedBlasThreads serial(1);  // LAPACK: the same bits whatever the thread count
    lapack::syev(d, cov.data(), evals.data(), evecs.data());
  }
  // W = U diag((lambda + tol)^(-1/2)) U^T; negative round-off eigenvalues are clamped.
  Whitener w;
  w.dim_ = d;
  w.w_.assign(static_cast<std::size_t>(d) * d, 0.0f);
  std::vector<double> acc(static_cast<std::size_t>(d) * d, 0.0);
  for (int k = 0; k < d; ++k) {
    const double s = 1.0 / std::sqrt(std::max(evals[k], 0.0) + tol);
    const double* u = evecs.data() + static_cast<std::size_t>(k) * d;  // column k
    for (int a = 0; a < d; ++a)
      for (int b = 0; b < d; ++b) acc[a * d + b] += s * u[a] * u[b];
  }
  for (std::size_t i = 0; i < acc.size(); ++i) w.w_[i] = static_cast<float>(acc[i]);
  w.spectrum_.assign(evals.rbegin(), evals.rend());  // syev returns ascending order
  return w;
}

void Whitener::apply(float* patches, std::int64_t n) const {
  if (n <= 0) return;
  std::vector<float> tmp(static_cast<std::size_t>(n) * dim_);
  // Row-major X (n x d) times symmetric W.
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(n), dim_, dim_, 1.0f,
              patches, dim_, w_.data(), dim_, 0.0f, tmp.data(), dim_);
  for (std::int64_t i = 0; i < n; ++i) {
    const float* src = tmp.data() + i * dim_;
    float* dst = patches + i * dim_;
    double ss = 0;
    for (int a = 0; a < dim_; ++a) ss += static_cast<double>(src[a]) * src[a];
    const double norm = std::sqrt(ss);
    const float inv = norm > 1e-12 ? static_cast<float>(1.0 / norm) : 0.0f;
    for (int a = 0; a < dim_; ++a) dst[a] = src[a] * inv;
  }
}

void Whitener::save(SectionWriter& w, bool with_spectrum) const {
  w.add_i64("whitener.dim", dim_);
  w.add_array("whitener.matrix", w_);
  if (with_spectrum) w.add_array("whitener.spectrum", spectrum_);
}

Whitener Whitener::load(const SectionReader& r) {
  Whitener w;
  w.dim_ = static_cast<int>(r.i64("whitener.dim"));
  SMT_CHECK(w.dim_ > 0 && w.dim_ <= 1 << 16, "model file: invalid whitener dimension ", w.dim_);
  w.w_ = r.array<float>("whitener.matrix", static_cast<std::size_t>(w.dim_) * w.dim_);
  if (r.has("whitener.spectrum"))
    w.spectrum_ = r.array<double>("whitener.spectrum", static_cast<std::size_t>(w.dim_));
  return w;
}

}  // namespace smt
