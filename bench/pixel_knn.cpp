// Raw-pixel weighted cosine k-NN on a dataset's validation hold-out and on its
// test split: a calibration of how much easier or harder `smt run
// --validation N` is than the test split, independent of any SMT setting.
// The hold-out is the one `smt run --validation N --seed S` scores (the same
// hold_out call on the whole training split).
// Usage: smt_bench_pixel_knn DATA_DIR [validation=10000] [seed=0] [k=10] [temperature=0.03]
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>

#include "smt/io/dataset.h"
#include "smt/eval/knn.h"

namespace {

std::vector<float> to_float(const smt::ImageSet& s) {
  std::vector<float> v(s.pixels.size());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = s.pixels[i] / 255.0f;
  return v;
}

double top1(const smt::ImageSet& refs, const smt::ImageSet& queries, int k, float temperature) {
  const std::vector<float> r = to_float(refs);
  smt::KnnAccumulator acc(to_float(queries), queries.size(), queries.image_size(), k);
  acc.add_references(r.data(), refs.labels.data(), refs.size());
  return acc.classify(refs.num_classes, temperature, queries.labels).top1_accuracy;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s DATA_DIR [validation=10000] [seed=0] [k=10] [temperature=0.03]\n",
                 argv[0]);
    return 2;
  }
  const long validation = argc > 2 ? std::atol(argv[2]) : 10000;
  const unsigned long seed = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 0;
  const int k = argc > 4 ? std::atoi(argv[4]) : 10;
  const float temperature = argc > 5 ? static_cast<float>(std::atof(argv[5])) : 0.03f;
  try {
    smt::ImageSet train = smt::load_split(argv[1], true);
    const smt::ImageSet test = smt::load_split(argv[1], false);
    const double on_test = top1(train, test, k, temperature);
    const smt::ImageSet held = smt::hold_out(train, static_cast<std::size_t>(validation), seed);
    const double on_validation = top1(train, held, k, temperature);
    std::printf(
        "{\"k\": %d, \"temperature\": %g, \"seed\": %lu, \"validation_images\": %zu, "
        "\"fit_images_for_validation\": %zu, \"top1_validation\": %.4f, "
        "\"fit_images_for_test\": %zu, \"top1_test\": %.4f}\n",
        k, temperature, seed, held.size(), train.size(), on_validation, train.size() + held.size(),
        on_test);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smt_bench_pixel_knn: %s\n", e.what());
    return 1;
  }
  return 0;
}
