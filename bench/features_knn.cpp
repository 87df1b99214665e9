// Weighted cosine k-NN on features written by `smt embed` (.npy), for a grid
// of k and temperatures: one embedding pass, then each k costs one k-NN pass
// instead of a whole `smt eval` (which recodes every image).
// Usage: smt_bench_features_knn REF.npy REF_LABELS.npy QUERY.npy QUERY_LABELS.npy
//            [k list=10] [temperature list=0.03]      (lists comma-separated)
// Prints one JSON line per (k, temperature).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "smt/core/error.h"
#include "smt/eval/knn.h"
#include "smt/io/npy.h"

namespace {

std::vector<double> parse_list(const char* s) {
  std::vector<double> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::atof(item.c_str()));
  return out;
}

struct Labelled {
  std::vector<float> features;
  std::vector<int> labels;
  std::size_t n = 0, dim = 0;
};

Labelled load(const char* features_path, const char* labels_path) {
  const smt::NpyArray f = smt::read_npy(features_path);
  const smt::NpyArray l = smt::read_npy(labels_path);
  SMT_CHECK(f.shape.size() == 2, features_path, ": expected an N x D array");
  SMT_CHECK(l.shape.size() == 1 && l.shape[0] == f.shape[0], labels_path, ": expected ", f.shape[0],
            " labels");
  Labelled out;
  out.n = f.shape[0];
  out.dim = f.shape[1];
  out.features = f.as_float();
  const std::vector<std::int32_t> lab = l.as_int32();
  out.labels.assign(lab.begin(), lab.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: %s REF.npy REF_LABELS.npy QUERY.npy QUERY_LABELS.npy [k list] "
                 "[temperature list]\n",
                 argv[0]);
    return 2;
  }
  try {
    const Labelled ref = load(argv[1], argv[2]);
    const Labelled query = load(argv[3], argv[4]);
    SMT_CHECK(ref.dim == query.dim, "reference features have ", ref.dim, " columns, queries ",
              query.dim);
    const std::vector<double> ks = parse_list(argc > 5 ? argv[5] : "10");
    const std::vector<double> temps = parse_list(argc > 6 ? argv[6] : "0.03");
    int num_classes = 0;
    for (int c : ref.labels) num_classes = std::max(num_classes, c + 1);
    for (double kd : ks) {
      const int k = static_cast<int>(kd);
      smt::KnnAccumulator acc(query.features.data(), query.n, query.dim, k);
      acc.add_references(ref.features.data(), ref.labels.data(), ref.n);
      for (double t : temps) {
        const smt::KnnResult r = acc.classify(num_classes, static_cast<float>(t), query.labels);
        std::printf("{\"k\": %d, \"temperature\": %g, \"top1\": %.4f, \"top5\": %.4f}\n", k, t,
                    r.top1_accuracy, r.top5_accuracy);
        std::fflush(stdout);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smt_bench_features_knn: %s\n", e.what());
    return 1;
  }
  return 0;
}
