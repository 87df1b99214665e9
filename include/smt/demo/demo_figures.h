// The figures of the synthetic-manifold demo, drawn from a fitted result.
#pragma once

#include "smt/demo/manifold_demo.h"
#include "smt/demo/png_image.h"

namespace smt {

// functions.png: one panel (`panel` pixels square) per embedding function,
// captioned with its dominant angular frequency and purity. Circle: a ring
// coloured by f(theta) around the polar graph r = 0.4 + 0.18 f / max|f|;
// disk: f coloured over the disk.
RgbImage function_panels(const ManifoldDemoResult& r, int panel);
// spectrum.png: the SMT eigenvalues (skipped ones grey) and the Laplacian's
// eigenvalues predicted from the identified modes, scaled by lambda_1.
RgbImage spectrum_plot(const ManifoldDemoResult& r);
// embedding.png (circle): the circle mapped by (f1, f2) and, obliquely, by
// (f1, f2, f3), coloured by angle.
RgbImage embedding_plot(const ManifoldDemoResult& r);

}  // namespace smt
