#include "smt/demo/demo_figures.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "smt/core/error.h"
#include "smt/demo/harmonic_analysis.h"
#include "smt/demo/plot.h"

namespace smt {

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

std::string caption(const ManifoldDemoResult& r, int j) {
  const int pct = static_cast<int>(std::lround(100 * r.angular_purity[j]));
  return str_cat(j + 1, ": M=", r.angular_frequency[j], " (", pct, "%)");
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m > 0 ? m : 1.0;
}

}  // namespace

RgbImage function_panels(const ManifoldDemoResult& r, int panel) {
  const int d = r.projection.embed_dim();
  const double half = 0.5 * panel;
  std::vector<RgbImage> panels;
  std::vector<std::string> captions;
  if (r.options.manifold == Manifold::kCircle) {
    const int n = kCircleGrid;
    const std::vector<double> f = evaluate_functions(r, circle_points(n));
    for (int j = 0; j < d; ++j) {
      const std::vector<double> c = function_column(f, d, j);
      const double s = max_abs(c);
      RgbImage img(panel, panel);
      // Ring coloured by f(theta); inside it the polar graph r = 0.4 + 0.18 f / max|f|.
      for (int y = 0; y < panel; ++y)
        for (int x = 0; x < panel; ++x) {
          const double px = (x + 0.5 - half) / half, py = (half - y - 0.5) / half;
          const double rr = std::hypot(px, py);
          if (rr < 0.68 || rr > 0.96) continue;
          double t = std::atan2(py, px);
          if (t < 0) t += kTwoPi;
          const int i = static_cast<int>(t / kTwoPi * n) % n;
          img.set(x, y, diverging_color(c[i] / s));
        }
      for (int i = 0; i < 256; ++i) {
        const double t = kTwoPi * i / 256;
        draw_line(img, half + 0.4 * half * std::cos(t), half - 0.4 * half * std::sin(t),
                  half + 0.4 * half * std::cos(t + kTwoPi / 256),
                  half - 0.4 * half * std::sin(t + kTwoPi / 256), colors::kLightGrey);
      }
      for (int i = 0; i < n; i += 4) {
        const int k = (i + 4) % n;
        const double ti = kTwoPi * i / n, tk = kTwoPi * k / n;
        const double ri = (0.4 + 0.18 * c[i] / s) * half, rk = (0.4 + 0.18 * c[k] / s) * half;
        draw_line(img, half + ri * std::cos(ti), half - ri * std::sin(ti), half + rk * std::cos(tk),
                  half - rk * std::sin(tk), colors::kBlack);
      }
      panels.push_back(std::move(img));
      captions.push_back(caption(r, j));
    }
  } else {
    std::vector<Point2> pts;
    std::vector<std::pair<int, int>> pix;
    for (int y = 0; y < panel; ++y)
      for (int x = 0; x < panel; ++x) {
        const double px = (x + 0.5 - half) / (half - 2), py = (half - y - 0.5) / (half - 2);
        if (px * px + py * py > 1.0) continue;
        pts.push_back({px, py});
        pix.emplace_back(x, y);
      }
    const std::vector<double> f = evaluate_functions(r, pts);
    for (int j = 0; j < d; ++j) {
      const std::vector<double> c = function_column(f, d, j);
      const double s = max_abs(c);
      RgbImage img(panel, panel);
      for (std::size_t i = 0; i < pix.size(); ++i)
        img.set(pix[i].first, pix[i].second, diverging_color(c[i] / s));
      panels.push_back(std::move(img));
      captions.push_back(caption(r, j));
    }
  }
  const ManifoldDemoOptions& o = r.options;
  const std::string title =
      str_cat("SMT ON THE ", o.manifold == Manifold::kCircle ? "CIRCLE" : "DISK",
              ": ROWS OF P (K=", o.dict_size, ", D=", o.embed_dim, ")");
  return panel_grid(panels, captions, 7, title);
}

RgbImage spectrum_plot(const ManifoldDemoResult& r) {
  SeriesPlot skipped, kept, predicted;
  const int skip = r.options.skip;
  for (std::size_t i = 0; i < r.report.eigenvalues.size(); ++i) {
    SeriesPlot& s = static_cast<int>(i) < skip ? skipped : kept;
    s.x.push_back(static_cast<double>(i) + 1 - skip);
    s.y.push_back(r.report.eigenvalues[i]);
  }
  for (std::size_t j = 0; j < r.laplacian_ratio.size(); ++j) {
    predicted.x.push_back(static_cast<double>(j) + 1);
    predicted.y.push_back(r.laplacian_ratio[j] * r.eigenvalues[0]);
  }
  skipped.color = {colors::kGrey};
  kept.lines = true;
  predicted.color = {colors::kRed};
  predicted.dot = 2.0;
  return plot_series({skipped, predicted, kept}, 720, 420,
                     "EIGENVALUES: SMT (BLUE), LAPLACIAN X LAMBDA1 (RED)",
                     "FUNCTION INDEX (0: SKIPPED)", "LAMBDA");
}

RgbImage embedding_plot(const ManifoldDemoResult& r) {
  const int d = r.projection.embed_dim();
  const int n = 720;
  const std::vector<double> f = evaluate_functions(r, circle_points(n));
  SeriesPlot flat, solid;
  const double az = 0.6, el = 0.45;
  for (int i = 0; i < n; ++i) {
    const double* b = f.data() + static_cast<std::size_t>(i) * d;
    const Rgb c = cyclic_color(static_cast<double>(i) / n);
    flat.x.push_back(b[0]);
    flat.y.push_back(d > 1 ? b[1] : 0.0);
    flat.color.push_back(c);
    const double x = b[0], y = d > 1 ? b[1] : 0.0, z = d > 2 ? b[2] : 0.0;
    solid.x.push_back(x * std::cos(az) - y * std::sin(az));
    solid.y.push_back((x * std::sin(az) + y * std::cos(az)) * std::sin(el) + z * std::cos(el));
    solid.color.push_back(c);
  }
  flat.dot = solid.dot = 2.0;
  const RgbImage a = plot_series({flat}, 420, 420, "F1 VS F2", "F1", "F2", true);
  const RgbImage b = plot_series({solid}, 420, 420, "(F1, F2, F3) OBLIQUE", "", "", true);
  return panel_grid({a, b}, {"", ""}, 2, "CIRCLE EMBEDDED BY P (COLOUR: ANGLE)");
}

}  // namespace smt
