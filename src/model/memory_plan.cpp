#include "smt/model/memory_plan.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "smt/core/error.h"
#include "smt/model/resource_usage.h"

namespace smt {

KnnStreaming resolve_streaming(KnnStreaming s, std::size_t train_images, std::size_t test_images) {
  if (s != KnnStreaming::kAuto) return s;
  return train_images < test_images ? KnnStreaming::kStreamTest : KnnStreaming::kStreamTrain;
}

nlohmann::json MemoryPlan::to_json() const {
  return {{"limit_bytes", limit},
          {"base_bytes", base},
          {"fit_fixed_bytes", fit_fixed},
          {"knn_fixed_bytes", knn_fixed},
          {"code_cache_bytes", code_cache},
          {"knn_streamed", streaming == KnnStreaming::kStreamTest ? "test" : "train"},
          {"knn_block_images", knn_block_images}};
}

MemoryPlan plan_memory(const Config& cfg, int height, int width, std::size_t train_images,
                       std::size_t test_images) {
  const double phys =
      static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  return plan_memory(cfg, height, width, train_images, test_images,
                     static_cast<std::size_t>(current_rss_bytes()), static_cast<std::size_t>(phys));
}

MemoryPlan plan_memory(const Config& cfg, int height, int width, std::size_t train_images,
                       std::size_t test_images, std::size_t process_bytes,
                       std::size_t physical_bytes) {
  MemoryPlan p;
  const double gib = 1024.0 * 1024.0 * 1024.0;
  if (cfg.memory_limit_gb > 0) {
    p.limit = static_cast<std::size_t>(cfg.memory_limit_gb * gib);
  } else {
    p.limit = static_cast<std::size_t>(0.6 * static_cast<double>(physical_bytes));
  }
  p.base = process_bytes + (std::size_t{256} << 20);
  const std::size_t k = static_cast<std::size_t>(cfg.dict_size);
  // Statistics: L and (unless codes are one-hot) V as K x K doubles, reused in
  // place by the solver, plus its n x p blocks (p = 2 (skip + d) columns: the
  // basis, its image, the Ritz vectors and their image, QR workspace).
  const std::size_t m = static_cast<std::size_t>(cfg.skip + cfg.embed_dim);
  const std::size_t block = std::min(k, std::max(2 * m, m + 16));
  p.fit_fixed = ((cfg.vector_quantization() ? 1 : 2) * k * k + 5 * k * block) * sizeof(double);
  const int g_h = (height - cfg.patch_size) / cfg.stride + 1;
  const int g_w = (width - cfg.patch_size) / cfg.stride + 1;
  const int o_h = g_h >= cfg.pool_window ? (g_h - cfg.pool_window) / cfg.pool_stride + 1 : 0;
  const int o_w = g_w >= cfg.pool_window ? (g_w - cfg.pool_window) / cfg.pool_stride + 1 : 0;
  const std::size_t fdim = static_cast<std::size_t>(std::max(o_h, 1)) * std::max(o_w, 1) *
                           static_cast<std::size_t>(cfg.embed_dim);
  const std::size_t feature_bytes = fdim * sizeof(float);
  p.streaming = resolve_streaming(KnnStreaming::kAuto, train_images, test_images);
  const bool stream_test = p.streaming == KnnStreaming::kStreamTest;
  const std::size_t resident_images = stream_test ? train_images : test_images;
  const std::size_t other_images = stream_test ? test_images : train_images;
  const std::size_t resident_bytes = resident_images * feature_bytes;
  // A streamed block: up to 5 % of the budget (12.5 % when streaming the test
  // side, where each block re-reads the resident training features), 16..4096
  // images, with its row of similarities.
  const std::size_t per_image = feature_bytes + resident_images * sizeof(float);
  p.knn_block_images = std::clamp<std::size_t>(
      p.limit / (stream_test ? 8 : 20) / std::max<std::size_t>(per_image, 1), 16, 4096);
  p.knn_block_images = std::min(p.knn_block_images, std::max<std::size_t>(other_images, 1));
  // Plus the k-NN's own buffers (similarity block, normalised references).
  p.knn_fixed = resident_bytes + p.knn_block_images * per_image + (std::size_t{160} << 20);
  const std::size_t need = p.base + std::max(p.fit_fixed, p.knn_fixed);
  auto in_gib = [&](std::size_t b) { return std::round(static_cast<double>(b) / gib * 100) / 100; };
  SMT_CHECK(need <= p.limit, param("memory-limit"), " ", in_gib(p.limit), " GiB is below the ",
            in_gib(need), " GiB this run needs at least (", in_gib(p.fit_fixed), " GiB for the ", k,
            "x", k, " statistics and their solve, ", in_gib(resident_bytes),
            " GiB for the features of ", resident_images, stream_test ? " training" : " test",
            " images, ", in_gib(p.base), " GiB already in use); raise ", param("memory-limit"),
            " or lower ", param("dict-size"), " / ", param("test-limit"));
  // Kept codes live through the fit and, streaming the training side, through
  // the k-NN; streaming the test side they are dropped once the training
  // features exist (both are resident for that moment).
  const std::size_t with_codes =
      stream_test ? p.base + std::max(p.fit_fixed, resident_bytes) : need;
  p.code_cache = p.limit > with_codes ? p.limit - with_codes : 0;
  return p;
}

}  // namespace smt
