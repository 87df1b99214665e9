#include "smt/io/image_folder.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <set>

#include "smt/core/error.h"
#include "smt/core/parallel.h"
#include "smt/io/cifar_reader.h"
#include "smt/io/image_decode.h"
#include "smt/io/image_resize.h"
#include "smt/io/split_selection.h"

namespace smt {
namespace {

namespace fs = std::filesystem;

bool hidden(const fs::path& p) {
  return p.filename().string().starts_with('.');
}

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// The entries of `dir` (not starting with '.') that are directories
// (want_dirs) or regular files with an image extension, sorted by name.
std::vector<std::string> list_entries(const fs::path& dir, bool want_dirs) {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  SMT_CHECK(!ec, "cannot list directory '", dir.string(), "': ", ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    SMT_CHECK(!ec, "cannot list directory '", dir.string(), "': ", ec.message());
    const fs::path& p = it->path();
    if (hidden(p)) continue;
    std::error_code type_ec;
    const bool keep =
        want_dirs ? fs::is_directory(p, type_ec)
                  : fs::is_regular_file(p, type_ec) && is_image_file_name(p.filename().string());
    if (keep) names.push_back(p.filename().string());
  }
  SMT_CHECK(!ec, "cannot list directory '", dir.string(), "': ", ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : " ") + name;
  return out;
}

// Decodes `file` and, with resize > 0, scales and crops it (resize_and_centre_crop).
DecodedImage decode(const std::string& file, int resize) {
  DecodedImage img = decode_image_file(file);
  if (resize > 0) return resize_and_centre_crop(img, resize);
  return img;
}

// Decodes `files` (in parallel) into one set; labels[i] belongs to files[i].
// No files: an empty set of shape 0x0x0 (nothing was decoded to tell it).
ImageSet decode_all(const std::vector<std::string>& files, const std::vector<int>& labels,
                    int resize) {
  ImageSet set;
  if (files.empty()) return set;
  const DecodedImage first = decode(files[0], resize);
  const std::size_t image_bytes = first.pixels.size();
  set.height = first.height;
  set.width = first.width;
  set.channels = first.channels;
  set.labels = labels;
  set.pixels.resize(files.size() * image_bytes);
  std::copy(first.pixels.begin(), first.pixels.end(), set.pixels.begin());

  // The first failing image in file order is reported, whatever the thread count.
  parallel_for(default_threads(), 1, files.size(), Schedule::dynamic(64), [&](std::size_t k) {
    const DecodedImage img = decode(files[k], resize);
    if (resize > 0) {
      SMT_CHECK(img.channels == first.channels, "image '", files[k], "' has ", img.channels,
                " channel(s) but the first image '", files[0], "' has ", first.channels,
                "; all images of a dataset must be all grayscale or all colour");
    }
    SMT_CHECK(
        img.height == first.height && img.width == first.width && img.channels == first.channels,
        "image '", files[k], "' is ", img.height, "x", img.width, "x", img.channels,
        " (height x width x channels) but the first image '", files[0], "' is ", first.height, "x",
        first.width, "x", first.channels,
        "; all images of a dataset must have the same size and be all grayscale or all "
        "colour",
        img.channels == first.channels
            ? str_cat(" (or set ", param("resize"),
                      " S to scale every image's shorter side to S and crop the centre S x S)")
            : std::string());
    std::memcpy(set.pixels.data() + k * image_bytes, img.pixels.data(), image_bytes);
  });
  return set;
}

}  // namespace

bool is_image_file_name(const std::string& name) {
  const std::string ext = lower(fs::path(name).extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

const std::vector<std::string>& cifar10_class_names() {
  static const std::vector<std::string> names = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return names;
}

std::vector<std::string> image_folder_classes(const std::string& root) {
  const fs::path list = fs::path(root) / "classes.txt";
  std::error_code ec;
  if (fs::exists(list, ec)) {
    std::vector<std::string> names = read_class_names(list.string(), 0);
    SMT_CHECK(!names.empty(), "'", list.string(),
              "' lists no classes; write one class name per "
              "line, or delete it to use the folder names");
    std::set<std::string> seen;
    for (const auto& name : names) {
      SMT_CHECK(seen.insert(name).second, "'", list.string(), "' lists class '", name,
                "' twice; every class must appear once");
      SMT_CHECK(name.find('/') == std::string::npos && name != "." && name != "..", "'",
                list.string(), "' lists '", name, "', which is not a folder name");
    }
    return names;
  }
  const fs::path train = fs::path(root) / "train";
  SMT_CHECK(fs::is_directory(train, ec), "image folder '", root, "' has no train/ directory");
  std::vector<std::string> names = list_entries(train, /*want_dirs=*/true);
  SMT_CHECK(!names.empty(), "image folder '", train.string(),
            "' holds no class folders; expected train/<class>/<image files>");
  std::vector<std::string> cifar = cifar10_class_names();
  std::sort(cifar.begin(), cifar.end());
  if (names == cifar) return cifar10_class_names();
  return names;
}

SplitListing list_image_folder(const std::string& root, bool train) {
  const std::vector<std::string> classes = image_folder_classes(root);
  std::error_code ec;
  const bool from_file = fs::exists(fs::path(root) / "classes.txt", ec);
  const std::string origin = from_file
                                 ? "listed in '" + (fs::path(root) / "classes.txt").string() + "'"
                                 : "found in '" + (fs::path(root) / "train").string() + "'";
  const fs::path split = fs::path(root) / (train ? "train" : "test");
  SMT_CHECK(fs::is_directory(split, ec), "image folder '", root, "' has no ",
            train ? "train" : "test", "/ directory");

  const std::set<std::string> known(classes.begin(), classes.end());
  for (const auto& folder : list_entries(split, /*want_dirs=*/true)) {
    SMT_CHECK(known.count(folder), "folder '", (split / folder).string(),
              "' is not one of the classes ", origin, " (", join(classes), ")",
              from_file ? "; add it to classes.txt or remove the folder"
                        : "; train/ and test/ must have the same class folders");
  }

  std::vector<std::string> files;
  std::vector<int> labels;
  for (std::size_t k = 0; k < classes.size(); ++k) {
    const fs::path dir = split / classes[k];
    SMT_CHECK(fs::is_directory(dir, ec), "class '", classes[k], "' (", origin, ") has no folder '",
              dir.string(), "'");
    const std::vector<std::string> names = list_entries(dir, /*want_dirs=*/false);
    SMT_CHECK(!names.empty(), "class folder '", dir.string(),
              "' holds no images (.jpg, .jpeg or .png files); add images or remove the class");
    for (const auto& name : names) {
      files.push_back((dir / name).string());
      labels.push_back(static_cast<int>(k));
    }
  }

  SplitListing l;
  l.format = DatasetFormat::kImageFolder;
  l.files = std::move(files);
  l.labels = std::move(labels);
  l.num_classes = static_cast<int>(classes.size());
  l.class_names = classes;
  l.source = split.string() + " (image folder)";
  return l;
}

ImageSet read_image_folder(const SplitListing& split, const std::vector<std::size_t>& indices,
                           int resize) {
  SMT_CHECK(split.format == DatasetFormat::kImageFolder, split.source, " is not an image folder");
  SMT_CHECK(resize >= 0, param("resize"), " ", resize, " must be >= 0 (0: off)");
  check_image_indices(indices, split.size(), split.source);
  std::vector<std::string> files;
  std::vector<int> labels;
  for (std::size_t i : indices) {
    files.push_back(split.files[i]);
    labels.push_back(split.labels[i]);
  }
  ImageSet set = decode_all(files, labels, resize);
  set.num_classes = split.num_classes;
  set.class_names = split.class_names;
  set.source = split.source;
  return set;
}

ImageSet load_image_folder(const std::string& root, bool train, std::int64_t limit,
                           std::uint64_t seed, int resize) {
  const SplitListing split = list_image_folder(root, train);
  SplitSelection chosen = select_all(split);
  limit_selection(chosen, split, limit, seed);
  ImageSet set = read_image_folder(split, chosen.indices, resize);
  set.source = chosen.source;
  return set;
}

bool looks_like_image_folder(const std::string& root) {
  std::error_code ec;
  const fs::path r(root);
  if (!fs::is_directory(r / "train", ec) || !fs::is_directory(r / "test", ec)) return false;
  try {
    return !list_entries(r / "train", /*want_dirs=*/true).empty();
  } catch (const Error&) {
    return false;
  }
}

}  // namespace smt
