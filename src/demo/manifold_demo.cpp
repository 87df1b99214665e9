// The run of the synthetic-manifold demo: trajectories coded in parallel,
// sequence statistics, the eigen solve for P, the analysis and the outputs.
#include "smt/demo/manifold_demo.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "smt/core/error.h"
#include "smt/core/parallel.h"
#include "smt/demo/demo_figures.h"
#include "smt/demo/harmonic_analysis.h"
#include "smt/demo/manifold_coder.h"
#include "smt/demo/png_image.h"
#include "smt/demo/trajectories.h"
#include "smt/io/atomic_file.h"
#include "smt/stages/sparse_coder.h"

namespace smt {

namespace {

const char* name(Manifold m) {
  return m == Manifold::kCircle ? "circle" : "disk";
}

}  // namespace

std::vector<double> evaluate_functions(const ManifoldDemoResult& r,
                                       const std::vector<Point2>& points) {
  SMT_CHECK(r.coder != nullptr, "evaluate_functions: no fitted demo");
  PatchCodes codes;
  SparseCoder::Scratch scratch;
  r.coder->encode(points, codes, scratch);
  const int d = r.projection.embed_dim();
  const auto& p = r.projection.by_atom();
  std::vector<double> f(points.size() * static_cast<std::size_t>(d), 0.0);
  for (int i = 0; i < codes.num_patches(); ++i) {
    double* row = f.data() + static_cast<std::size_t>(i) * d;
    for (auto e = codes.begin(i); e < codes.end(i); ++e) {
      const double a = codes.value(i, e);
      const float* col = p.data() + static_cast<std::size_t>(codes.atoms[e]) * d;
      for (int j = 0; j < d; ++j) row[j] += a * col[j];
    }
  }
  return f;
}

ManifoldDemoResult run_manifold_demo(const ManifoldDemoOptions& options, const Context& ctx) {
  ManifoldDemoResult r;
  r.options = resolved(options);
  const ManifoldDemoOptions& o = r.options;
  Timer timer;
  auto coder = std::make_shared<ManifoldCoder>(o, ctx);
  r.coder = coder;
  ctx.log(str_cat(name(o.manifold), ": ", o.dict_size, " landmarks, ", o.trajectories,
                  " trajectories x ", o.steps, " steps, ",
                  o.coding == LandmarkCoding::kInterpolate ? "interpolation" : "threshold",
                  " coding"));
  // Trajectories and their codes, in parallel; each depends only on its index.
  // Each thread counts the points coded outside the hull; integer sums, so
  // the total is the same for any thread count.
  std::vector<PatchCodes> codes(o.trajectories);
  struct Worker {
    SparseCoder::Scratch scratch;
    std::int64_t outside = 0;
  };
  const std::vector<Worker> workers = parallel_for(
      ctx.num_threads(), 0, static_cast<std::size_t>(o.trajectories), Schedule::dynamic(1),
      [] { return Worker{}; },
      [&](Worker& w, std::size_t i) {
        const int index = static_cast<int>(i);
        coder->encode(trajectory(o, coder->spacing(), ctx.seed, index), codes[i], w.scratch,
                      &w.outside);
      });
  std::int64_t outside = 0;
  for (const Worker& w : workers) outside += w.outside;
  std::int64_t entries = 0;
  for (const PatchCodes& c : codes) entries += static_cast<std::int64_t>(c.atoms.size());
  const double points = static_cast<double>(o.trajectories) * o.steps;
  r.mean_atoms_per_code = static_cast<double>(entries) / points;
  r.outside_hull_fraction = static_cast<double>(outside) / points;
  SmtStatistics stats(o.dict_size, false, {o.op, o.neighborhood, ZeroCode::kArgmax});
  std::vector<const PatchCodes*> seqs;
  for (const PatchCodes& c : codes) seqs.push_back(&c);
  stats.add_sequences(seqs, ctx);
  std::vector<PatchCodes>().swap(codes);
  const std::int64_t columns = stats.num_columns();
  r.projection = Projection::fit(std::move(stats), o.embed_dim, o.skip, o.v_reg, EigenMethod::kAuto,
                                 ctx, &r.report);
  r.eigenvalues = r.projection.eigenvalues();
  r.fit_seconds = timer.seconds();
  ctx.log(str_cat("fitted in ", r.fit_seconds, "s; ", r.mean_atoms_per_code, " atoms per code"));

  nlohmann::json& m = r.metrics;
  m["manifold"] = name(o.manifold);
  m["dict_size"] = o.dict_size;
  m["embed_dim"] = o.embed_dim;
  m["skip"] = o.skip;
  m["seed"] = ctx.seed;
  m["trajectories"] = o.trajectories;
  m["steps"] = o.steps;
  m["step_size"] = o.step_size;
  m["smoothness"] = o.smoothness;
  m["operator"] = to_string(o.op);
  m["neighborhood"] = o.neighborhood;
  m["coding"] = o.coding == LandmarkCoding::kInterpolate ? "landmark" : "threshold";
  if (o.coding == LandmarkCoding::kThreshold) {
    m["threshold"] = coder->threshold();
    m["code_values"] = to_string(o.code_values);
  }
  if (o.manifold == Manifold::kDisk)
    m["layout"] = o.layout == DiskLayout::kRings ? "rings" : "kmeans";
  m["mean_atoms_per_code"] = r.mean_atoms_per_code;
  if (o.manifold == Manifold::kDisk && o.coding == LandmarkCoding::kInterpolate)
    m["outside_hull_fraction"] = r.outside_hull_fraction;
  m["operator_columns"] = columns;
  m["active_atoms"] = r.report.active_atoms;
  m["eigenvalues"] = r.eigenvalues;
  m["skipped_eigenvalues"] =
      std::vector<double>(r.report.eigenvalues.begin(), r.report.eigenvalues.begin() + o.skip);
  std::vector<double> ratio;
  for (double l : r.eigenvalues) ratio.push_back(l / r.eigenvalues[0]);
  m["eigenvalue_ratio"] = ratio;
  m["eigen_method"] = r.report.method;
  m["eigen_max_rel_residual"] = r.report.max_rel_residual;
  if (o.manifold == Manifold::kCircle)
    analyse_circle(r, m);
  else
    analyse_disk(r, m);
  m["laplacian_ratio"] = r.laplacian_ratio;
  m["vanishing_functions"] = r.vanishing;
  if (!r.vanishing.empty())
    ctx.log(str_cat("warning: ", r.vanishing.size(),
                    " embedding functions vanish on the manifold (P directions in the null "
                    "space of the codes); with threshold coding change ",
                    param("threshold-radius")));
  m["checks_passed"] = r.checks_passed;
  m["fit_seconds"] = r.fit_seconds;
  m["seconds"] = timer.seconds();
  return r;
}

void write_manifold_demo(const ManifoldDemoResult& r, const std::string& dir, const Context& ctx,
                         int panel) {
  SMT_CHECK(panel >= 32 && panel <= 1024, "panel size ", panel, " out of range [32, 1024]");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  SMT_CHECK(!ec && std::filesystem::is_directory(dir), "cannot create output directory '", dir,
            "': ", ec.message());
  const std::filesystem::path base(dir);
  write_png((base / "functions.png").string(), function_panels(r, panel));
  write_png((base / "spectrum.png").string(), spectrum_plot(r));
  if (r.options.manifold == Manifold::kCircle)
    write_png((base / "embedding.png").string(), embedding_plot(r));
  const std::string text = r.metrics.dump(2) + "\n";
  write_file_atomically((base / "metrics.json").string(), [&](std::ostream& os) { os << text; });
  ctx.log(str_cat("wrote figures and metrics.json to ", dir));
}

}  // namespace smt
