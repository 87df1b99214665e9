// The machine's single-precision GEMM rate, measured in the same run as the
// stages it is compared with (the coding and the k-NN are GEMM-bound).
#pragma once

namespace smt {

// GFLOP/s of cblas_sgemm on a 1024^3 product with every thread, over
// ~`seconds` after one warm-up product.
double measure_sgemm_gflops(double seconds = 0.5);

}  // namespace smt
