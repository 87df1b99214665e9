#include "smt/dataset.h"

#include <filesystem>

#include "smt/error.h"
#include "smt/idx_reader.h"

namespace smt {

ImageSet load_split(const std::string& dir, bool train) {
  namespace fs = std::filesystem;
  SMT_CHECK(fs::is_directory(dir), "data directory '", dir,
            "' does not exist; pass --data DIR (or set SMT_DATA_DIR and run scripts/get-data.sh)");
  for (const std::string& d : {dir, (fs::path(dir) / "mnist").string()}) {
    if (looks_like_idx_dir(d)) return load_mnist(d, train);
  }
  SMT_THROW("no dataset found in '", dir,
            "': expected MNIST IDX files (train-images-idx3-ubyte[.gz], "
            "train-labels-idx1-ubyte[.gz], t10k-...) there or in its mnist/ subdirectory");
}

void apply_limit(ImageSet& set, std::int64_t limit) {
  if (limit > 0) set.truncate(static_cast<std::size_t>(limit));
}

}  // namespace smt
