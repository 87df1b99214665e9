// Declarations of the Fortran LAPACK routines we call (provided by OpenBLAS).
// Private to the library.
#pragma once

extern "C" {
void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a,
             const int* lda, const double* vl, const double* vu, const int* il, const int* iu,
             const double* abstol, int* m, double* w, double* z, const int* ldz, int* isuppz,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info);
void dsygvx_(const int* itype, const char* jobz, const char* range, const char* uplo, const int* n,
             double* a, const int* lda, double* b, const int* ldb, const double* vl,
             const double* vu, const int* il, const int* iu, const double* abstol, int* m,
             double* w, double* z, const int* ldz, double* work, const int* lwork, int* iwork,
             int* ifail, int* info);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void dsygv_(const int* itype, const char* jobz, const char* uplo, const int* n, double* a,
            const int* lda, double* b, const int* ldb, double* w, double* work, const int* lwork,
            int* info);
}

namespace smt::lapack {

// Eigen-decomposition of a symmetric n x n matrix (column-major, overwritten):
// all eigenvalues ascending in w, eigenvectors as columns of z.
void syev(int n, double* a, double* w, double* z);

// W = C Q for a symmetric n x n C stored as its lower triangle and Q, W
// n x p (all column-major, leading dimension n), in fixed blocks of 512 rows
// of W, each three single-threaded BLAS-3 calls, spread over `threads`: the
// same bits for any thread count (OpenBLAS's threaded symm and symv split
// their sums by thread count). A single column (p = 1) reads the triangle
// once instead, in column blocks whose partial sums are added in order.
void symmetric_multiply(int n, int p, const double* c, const double* q, double* w, int threads);
void symmetric_multiply(int n, int p, const float* c, const float* q, float* w, int threads);

}  // namespace smt::lapack

extern "C" {
void dsygst_(const int* itype, const char* uplo, const int* n, double* a, const int* lda,
             const double* b, const int* ldb, int* info);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work,
             const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau,
             double* work, const int* lwork, int* info);
}
