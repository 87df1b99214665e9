// Minimal raster plotting for the demo figures: colour maps, lines, dots,
// a 5x7 bitmap font, and a few composite plots. Pixel (0, 0) is top-left.
#pragma once

#include <string>
#include <vector>

#include "smt/demo/png_image.h"

namespace smt {

namespace colors {
inline constexpr Rgb kWhite{255, 255, 255};
inline constexpr Rgb kBlack{0, 0, 0};
inline constexpr Rgb kGrey{150, 150, 150};
inline constexpr Rgb kLightGrey{225, 225, 225};
inline constexpr Rgb kBlue{33, 102, 172};
inline constexpr Rgb kRed{178, 24, 43};
}  // namespace colors

// ColorBrewer RdBu (11 classes), v in [-1, 1]: -1 dark blue, 0 white, +1 dark
// red; v outside is clamped.
Rgb diverging_color(double v);
// A cyclic hue for t in [0, 1) (for colouring points by angle).
Rgb cyclic_color(double t);

void fill_rect(RgbImage& img, int x, int y, int w, int h, Rgb c);
void draw_rect(RgbImage& img, int x, int y, int w, int h, Rgb c);  // 1-pixel outline
void draw_line(RgbImage& img, double x0, double y0, double x1, double y1, Rgb c);
void fill_disk(RgbImage& img, double cx, double cy, double radius, Rgb c);
// Text in a 5x7 font (upper case; unknown characters draw as blanks), each
// glyph 6*scale pixels wide, top-left at (x, y). Returns the width drawn.
int draw_text(RgbImage& img, int x, int y, const std::string& text, Rgb c, int scale = 1);
int text_width(const std::string& text, int scale = 1);

// Panels of equal size laid out in `columns` columns with a caption above
// each, under a title line.
RgbImage panel_grid(const std::vector<RgbImage>& panels, const std::vector<std::string>& captions,
                    int columns, const std::string& title);

// A scatter/line plot of y against x with axes, min/max tick labels and a
// title. Points: filled dots of `dot` pixels radius; joined when `lines`.
struct SeriesPlot {
  std::vector<double> x, y;
  std::vector<Rgb> color;  // one per point, or empty for blue
  bool lines = false;
  double dot = 3.0;
};
RgbImage plot_series(const std::vector<SeriesPlot>& series, int width, int height,
                     const std::string& title, const std::string& x_label,
                     const std::string& y_label, bool equal_aspect = false);

}  // namespace smt
