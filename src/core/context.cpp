#include "smt/core/context.h"

#include <cblas.h>
#include <omp.h>

#include <cstdio>

#include "smt/core/error.h"

namespace smt {

int Context::num_threads() const {
  return threads > 0 ? threads : omp_get_max_threads();
}

void Context::log(const std::string& message) const {
  if (observer) observer->log(message);
}

void Context::check_cancelled() const {
  if (observer && observer->cancelled()) throw Cancelled("cancelled by the observer");
}

void apply_thread_limit(int threads) {
  const int n = threads > 0 ? threads : omp_get_num_procs();
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

ScopedThreadLimit::ScopedThreadLimit(int threads)
    : omp_threads_(omp_get_max_threads()), blas_threads_(openblas_get_num_threads()) {
  apply_thread_limit(threads);
}

ScopedThreadLimit::~ScopedThreadLimit() {
  omp_set_num_threads(omp_threads_);
  openblas_set_num_threads(blas_threads_);
}

ScopedBlasThreads::ScopedBlasThreads(int threads) : blas_threads_(openblas_get_num_threads()) {
  openblas_set_num_threads(threads);
}

ScopedBlasThreads::~ScopedBlasThreads() {
  openblas_set_num_threads(blas_threads_);
}

Progress::Progress(const Context& ctx, std::string what, std::int64_t total)
    : observer_(ctx.observer),
      what_(std::move(what)),
      total_(total),
      begin_(std::chrono::steady_clock::now()) {}

void Progress::update(std::int64_t done) {
  if (!observer_) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count();
  observer_->progress(what_, done, total_, elapsed);
  if (observer_->cancelled()) throw Cancelled(str_cat("cancelled by the observer during ", what_));
}

void Progress::finish() {
  if (!observer_) return;
  observer_->finished(
      what_, total_,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count());
}

}  // namespace smt
