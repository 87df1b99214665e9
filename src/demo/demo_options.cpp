// Range checks and per-manifold defaults of the demo's options.
#include <cmath>

#include "smt/core/error.h"
#include "smt/demo/manifold_demo.h"

namespace smt {

ManifoldDemoOptions resolved(const ManifoldDemoOptions& in) {
  ManifoldDemoOptions o = in;
  const bool circle = o.manifold == Manifold::kCircle;
  if (o.trajectories == 0) o.trajectories = 400;
  if (o.steps == 0) o.steps = 2500;
  SMT_CHECK(o.dict_size >= (circle ? 3 : 4) && o.dict_size <= 65536, param("dict-size"), " ",
            o.dict_size, " out of range [", circle ? 3 : 4, ", 65536]");
  SMT_CHECK(o.embed_dim >= 1 && o.skip >= 0 && o.skip + o.embed_dim < o.dict_size,
            param("embed-dim"), " ", o.embed_dim, " + ", param("skip"), " ", o.skip,
            " must be below ", param("dict-size"), " ", o.dict_size);
  SMT_CHECK(o.trajectories >= 1, param("trajectories"), " must be >= 1");
  SMT_CHECK(o.steps >= 3, param("steps"), " must be >= 3");
  SMT_CHECK(static_cast<double>(o.trajectories) * o.steps <= 2e8, param("trajectories"), " x ",
            param("steps"), " must stay below 2e8 points");
  SMT_CHECK(o.step_size > 0 && std::isfinite(o.step_size), param("step-size"), " must be positive");
  SMT_CHECK(o.smoothness >= 0 && o.smoothness < 1, param("smoothness"), " must be in [0, 1)");
  SMT_CHECK(o.neighborhood == -1 || o.neighborhood >= 1, param("neighborhood"),
            " must be >= 1 or -1");
  SMT_CHECK(o.threshold >= 0 && o.threshold <= 1, param("threshold"),
            " must be in [0, 1] (0: auto)");
  SMT_CHECK(o.threshold_radius > 0, param("threshold-radius"), " must be positive");
  SMT_CHECK(o.v_reg >= 0, param("v-reg"), " must be >= 0");
  return o;
}

}  // namespace smt
