#include "smt/demo/plot.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "smt/core/error.h"

namespace smt {

namespace {

// Classic 5x7 font, ASCII 32..90: five column bytes per glyph, bit 0 = top row.
constexpr std::array<std::array<std::uint8_t, 5>, 59> kFont = {{
    {0x00, 0x00, 0x00, 0x00, 0x00}, {0x00, 0x00, 0x5F, 0x00, 0x00}, {0x00, 0x07, 0x00, 0x07, 0x00},
    {0x14, 0x7F, 0x14, 0x7F, 0x14}, {0x24, 0x2A, 0x7F, 0x2A, 0x12}, {0x23, 0x13, 0x08, 0x64, 0x62},
    {0x36, 0x49, 0x56, 0x20, 0x50}, {0x00, 0x08, 0x07, 0x03, 0x00}, {0x00, 0x1C, 0x22, 0x41, 0x00},
    {0x00, 0x41, 0x22, 0x1C, 0x00}, {0x2A, 0x1C, 0x7F, 0x1C, 0x2A}, {0x08, 0x08, 0x3E, 0x08, 0x08},
    {0x00, 0x50, 0x30, 0x00, 0x00}, {0x08, 0x08, 0x08, 0x08, 0x08}, {0x00, 0x60, 0x60, 0x00, 0x00},
    {0x20, 0x10, 0x08, 0x04, 0x02}, {0x3E, 0x51, 0x49, 0x45, 0x3E}, {0x00, 0x42, 0x7F, 0x40, 0x00},
    {0x72, 0x49, 0x49, 0x49, 0x46}, {0x21, 0x41, 0x49, 0x4D, 0x33}, {0x18, 0x14, 0x12, 0x7F, 0x10},
    {0x27, 0x45, 0x45, 0x45, 0x39}, {0x3C, 0x4A, 0x49, 0x49, 0x31}, {0x41, 0x21, 0x11, 0x09, 0x07},
    {0x36, 0x49, 0x49, 0x49, 0x36}, {0x46, 0x49, 0x49, 0x29, 0x1E}, {0x00, 0x00, 0x14, 0x00, 0x00},
    {0x00, 0x40, 0x34, 0x00, 0x00}, {0x00, 0x08, 0x14, 0x22, 0x41}, {0x14, 0x14, 0x14, 0x14, 0x14},
    {0x00, 0x41, 0x22, 0x14, 0x08}, {0x02, 0x01, 0x59, 0x09, 0x06}, {0x3E, 0x41, 0x5D, 0x59, 0x4E},
    {0x7C, 0x12, 0x11, 0x12, 0x7C}, {0x7F, 0x49, 0x49, 0x49, 0x36}, {0x3E, 0x41, 0x41, 0x41, 0x22},
    {0x7F, 0x41, 0x41, 0x41, 0x3E}, {0x7F, 0x49, 0x49, 0x49, 0x41}, {0x7F, 0x09, 0x09, 0x09, 0x01},
    {0x3E, 0x41, 0x41, 0x51, 0x73}, {0x7F, 0x08, 0x08, 0x08, 0x7F}, {0x00, 0x41, 0x7F, 0x41, 0x00},
    {0x20, 0x40, 0x41, 0x3F, 0x01}, {0x7F, 0x08, 0x14, 0x22, 0x41}, {0x7F, 0x40, 0x40, 0x40, 0x40},
    {0x7F, 0x02, 0x1C, 0x02, 0x7F}, {0x7F, 0x04, 0x08, 0x10, 0x7F}, {0x3E, 0x41, 0x41, 0x41, 0x3E},
    {0x7F, 0x09, 0x09, 0x09, 0x06}, {0x3E, 0x41, 0x51, 0x21, 0x5E}, {0x7F, 0x09, 0x19, 0x29, 0x46},
    {0x26, 0x49, 0x49, 0x49, 0x32}, {0x03, 0x01, 0x7F, 0x01, 0x03}, {0x3F, 0x40, 0x40, 0x40, 0x3F},
    {0x1F, 0x20, 0x40, 0x20, 0x1F}, {0x3F, 0x40, 0x38, 0x40, 0x3F}, {0x63, 0x14, 0x08, 0x14, 0x63},
    {0x03, 0x04, 0x78, 0x04, 0x03}, {0x61, 0x59, 0x49, 0x4D, 0x43},
}};

Rgb lerp(Rgb a, Rgb b, double t) {
  auto mix = [t](std::uint8_t x, std::uint8_t y) {
    return static_cast<std::uint8_t>(std::lround(x + (static_cast<double>(y) - x) * t));
  };
  return {mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b)};
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace

Rgb diverging_color(double v) {
  static constexpr std::array<Rgb, 11> kRdBu = {{{5, 48, 97},
                                                 {33, 102, 172},
                                                 {67, 147, 195},
                                                 {146, 197, 222},
                                                 {209, 229, 240},
                                                 {247, 247, 247},
                                                 {253, 219, 199},
                                                 {244, 165, 130},
                                                 {214, 96, 77},
                                                 {178, 24, 43},
                                                 {103, 0, 31}}};
  if (!std::isfinite(v)) return colors::kGrey;
  const double u = (std::clamp(v, -1.0, 1.0) + 1.0) * 5.0;  // [0, 10]
  const int i = std::min(static_cast<int>(u), 9);
  return lerp(kRdBu[i], kRdBu[i + 1], u - i);
}

Rgb cyclic_color(double t) {
  t -= std::floor(t);
  // HSV hue wheel at saturation 0.85, value 0.9.
  const double h = t * 6.0, s = 0.85, v = 0.9;
  const int i = static_cast<int>(h) % 6;
  const double f = h - std::floor(h);
  const double p = v * (1 - s), q = v * (1 - s * f), r = v * (1 - s * (1 - f));
  double rr = v, gg = r, bb = p;
  switch (i) {
    case 1:
      rr = q, gg = v, bb = p;
      break;
    case 2:
      rr = p, gg = v, bb = r;
      break;
    case 3:
      rr = p, gg = q, bb = v;
      break;
    case 4:
      rr = r, gg = p, bb = v;
      break;
    case 5:
      rr = v, gg = p, bb = q;
      break;
    default:
      break;
  }
  auto byte = [](double x) { return static_cast<std::uint8_t>(std::lround(255 * x)); };
  return {byte(rr), byte(gg), byte(bb)};
}

void fill_rect(RgbImage& img, int x, int y, int w, int h, Rgb c) {
  for (int j = y; j < y + h; ++j)
    for (int i = x; i < x + w; ++i) img.set(i, j, c);
}

void draw_rect(RgbImage& img, int x, int y, int w, int h, Rgb c) {
  for (int i = x; i < x + w; ++i) {
    img.set(i, y, c);
    img.set(i, y + h - 1, c);
  }
  for (int j = y; j < y + h; ++j) {
    img.set(x, j, c);
    img.set(x + w - 1, j, c);
  }
}

void draw_line(RgbImage& img, double x0, double y0, double x1, double y1, Rgb c) {
  const double len = std::max(std::abs(x1 - x0), std::abs(y1 - y0));
  if (!std::isfinite(len)) return;
  const int steps = std::max(1, static_cast<int>(std::ceil(len)));
  for (int s = 0; s <= steps; ++s) {
    const double t = static_cast<double>(s) / steps;
    img.set(static_cast<int>(std::lround(x0 + t * (x1 - x0))),
            static_cast<int>(std::lround(y0 + t * (y1 - y0))), c);
  }
}

void fill_disk(RgbImage& img, double cx, double cy, double radius, Rgb c) {
  if (!std::isfinite(cx) || !std::isfinite(cy)) return;
  const int x0 = static_cast<int>(std::floor(cx - radius)),
            x1 = static_cast<int>(std::ceil(cx + radius));
  const int y0 = static_cast<int>(std::floor(cy - radius)),
            y1 = static_cast<int>(std::ceil(cy + radius));
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x)
      if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius) img.set(x, y, c);
}

int text_width(const std::string& text, int scale) {
  return static_cast<int>(text.size()) * 6 * scale;
}

int draw_text(RgbImage& img, int x, int y, const std::string& text, Rgb c, int scale) {
  int pen = x;
  for (char ch : text) {
    const int code = std::toupper(static_cast<unsigned char>(ch));
    if (code >= 32 && code <= 90) {
      const auto& g = kFont[static_cast<std::size_t>(code - 32)];
      for (int col = 0; col < 5; ++col)
        for (int row = 0; row < 7; ++row)
          if (g[col] >> row & 1)
            fill_rect(img, pen + col * scale, y + row * scale, scale, scale, c);
    }
    pen += 6 * scale;
  }
  return pen - x;
}

RgbImage panel_grid(const std::vector<RgbImage>& panels, const std::vector<std::string>& captions,
                    int columns, const std::string& title) {
  SMT_CHECK(!panels.empty() && columns >= 1, "panel grid needs panels and columns");
  const int pw = panels[0].width(), ph = panels[0].height();
  for (const RgbImage& p : panels)
    SMT_CHECK(p.width() == pw && p.height() == ph, "panel grid: panels differ in size");
  const int rows = (static_cast<int>(panels.size()) + columns - 1) / columns;
  const int gap = 8, caption_h = 12, title_h = title.empty() ? 0 : 22;
  RgbImage out(columns * (pw + gap) + gap, title_h + rows * (ph + caption_h + gap) + gap);
  if (!title.empty())
    draw_text(out, (out.width() - text_width(title, 2)) / 2, 4, title, colors::kBlack, 2);
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const int r = static_cast<int>(i) / columns, c = static_cast<int>(i) % columns;
    const int x = gap + c * (pw + gap), y = title_h + gap + r * (ph + caption_h + gap);
    if (i < captions.size())
      draw_text(out, x + (pw - text_width(captions[i])) / 2, y, captions[i], colors::kBlack);
    out.blit(panels[i], x, y + caption_h);
  }
  return out;
}

RgbImage plot_series(const std::vector<SeriesPlot>& series, int width, int height,
                     const std::string& title, const std::string& x_label,
                     const std::string& y_label, bool equal_aspect) {
  RgbImage img(width, height);
  const int left = 64, right = 16, top = 34, bottom = 36;
  const int pw = width - left - right, ph = height - top - bottom;
  SMT_CHECK(pw > 10 && ph > 10, "plot of ", width, "x", height, " is too small");
  double xmin = 1e300, xmax = -1e300, ymin = 1e300, ymax = -1e300;
  for (const SeriesPlot& s : series) {
    SMT_CHECK(s.x.size() == s.y.size(), "plot series: x and y differ in length");
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, s.y[i]);
      ymax = std::max(ymax, s.y[i]);
    }
  }
  if (xmin > xmax) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  auto widen = [](double& lo, double& hi) {
    const double pad = hi > lo ? 0.05 * (hi - lo) : std::max(1e-12, std::abs(lo) * 0.1 + 1e-12);
    lo -= pad;
    hi += pad;
  };
  widen(xmin, xmax);
  widen(ymin, ymax);
  double sx = pw / (xmax - xmin), sy = ph / (ymax - ymin);
  if (equal_aspect) {
    const double s = std::min(sx, sy);
    const double cx = 0.5 * (xmin + xmax), cy = 0.5 * (ymin + ymax);
    sx = sy = s;
    xmin = cx - 0.5 * pw / s;
    xmax = cx + 0.5 * pw / s;
    ymin = cy - 0.5 * ph / s;
    ymax = cy + 0.5 * ph / s;
  }
  auto px = [&](double x) { return left + (x - xmin) * sx; };
  auto py = [&](double y) { return top + ph - (y - ymin) * sy; };
  // Frame, zero lines, labels.
  if (xmin < 0 && xmax > 0) draw_line(img, px(0), top, px(0), top + ph, colors::kLightGrey);
  if (ymin < 0 && ymax > 0) draw_line(img, left, py(0), left + pw, py(0), colors::kLightGrey);
  draw_rect(img, left, top, pw + 1, ph + 1, colors::kBlack);
  draw_text(img, (width - text_width(title, 2)) / 2, 6, title, colors::kBlack, 2);
  draw_text(img, left, top + ph + 6, number(xmin), colors::kBlack);
  const std::string xm = number(xmax);
  draw_text(img, left + pw - text_width(xm), top + ph + 6, xm, colors::kBlack);
  draw_text(img, left + (pw - text_width(x_label)) / 2, top + ph + 20, x_label, colors::kBlack);
  const std::string yM = number(ymax), ym = number(ymin);
  draw_text(img, left - 4 - text_width(yM), top, yM, colors::kBlack);
  draw_text(img, left - 4 - text_width(ym), top + ph - 7, ym, colors::kBlack);
  draw_text(img, 4, top + ph / 2 - 3, y_label.substr(0, 9), colors::kBlack);
  for (const SeriesPlot& s : series) {
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      const Rgb c = s.color.empty() ? colors::kBlue : s.color[std::min(i, s.color.size() - 1)];
      if (s.lines && i + 1 < s.x.size())
        draw_line(img, px(s.x[i]), py(s.y[i]), px(s.x[i + 1]), py(s.y[i + 1]), c);
      if (s.dot > 0) fill_disk(img, px(s.x[i]), py(s.y[i]), s.dot, c);
    }
  }
  return img;
}

}  // namespace smt
