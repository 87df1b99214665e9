// Image feature from per-patch embeddings: average pooling over a grid of
// patch embeddings followed by per-cell L2 normalisation.
#pragma once

namespace smt {

// Side of the pooled grid: (g - window) / stride + 1. Throws smt::Error when
// window or stride is < 1 or the grid is smaller than the window.
int pooled_grid(int g, int window, int stride);

// beta: g x g grid of d-vectors, row-major, cell (i, j) channel c at
// ((i * g) + j) * d + c. out: o x o cells (o = pooled_grid(g, window, stride))
// laid out ((oi * o) + oj) * d + c, each the mean of beta over its
// window x window block, then L2-normalised (an all-zero cell stays zero).
// Single-threaded: callers parallelise over images.
void average_pool(const float* beta, int g, int d, int window, int stride, float* out);

}  // namespace smt
