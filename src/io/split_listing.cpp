#include "smt/io/split_listing.h"

#include "smt/core/error.h"

namespace smt {

const char* format_name(DatasetFormat format) {
  switch (format) {
    case DatasetFormat::kMnist:
      return "MNIST IDX";
    case DatasetFormat::kCifar10:
      return "CIFAR-10 binary";
    case DatasetFormat::kCifar100:
      return "CIFAR-100 binary";
    case DatasetFormat::kImageFolder:
      return "image folder";
  }
  return "?";
}

void check_image_indices(const std::vector<std::size_t>& indices, std::size_t n,
                         const std::string& source) {
  for (std::size_t k = 0; k < indices.size(); ++k) {
    SMT_CHECK(indices[k] < n, "image index ", indices[k], " is out of range: ", source, " holds ",
              n, " images");
    SMT_CHECK(k == 0 || indices[k - 1] < indices[k], "image indices into ", source,
              " must ascend strictly (", indices[k - 1], " then ", indices[k], ")");
  }
}

}  // namespace smt
