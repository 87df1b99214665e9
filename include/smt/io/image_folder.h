// Image-folder datasets: `root`/train/<class>/*.{jpg,jpeg,png} and
// `root`/test/<class>/*.{jpg,jpeg,png}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "smt/core/image_set.h"
#include "smt/io/split_listing.h"

namespace smt {

// The class names of the image folder at `root`, in label order:
//  1. `root`/classes.txt (one name per line) when present;
//  2. otherwise the CIFAR-10 label order (airplane automobile bird cat deer
//     dog frog horse ship truck) when the folders of `root`/train are exactly
//     those ten;
//  3. otherwise the folder names of `root`/train, sorted.
// Entries whose name starts with '.' and plain files are not class folders.
// Throws naming the file or directory on an unreadable, empty or duplicated list.
std::vector<std::string> image_folder_classes(const std::string& root);

// Lists `root`/train (train = true) or `root`/test without decoding
// anything (split_listing.h): one file per image, labelled by its class.
// Every class of image_folder_classes must have a folder there and every
// folder must be a listed class. Within a class, the .jpg/.jpeg/.png files
// (extension in any case; names starting with '.' skipped) are taken in
// byte-wise name order, so the listing never depends on the file system;
// other files are ignored. Throws smt::Error naming the folder for an empty
// class folder or an unknown or missing class. source = "<split dir> (image
// folder)".
SplitListing list_image_folder(const std::string& root, bool train);

// Decodes the images at `indices` (ascending) of a listed image folder, and
// only those, in parallel (OpenMP) into their place in that order, so an
// undecodable file elsewhere in the folder does not matter. All must share
// the height, width and channel count of the first one (grayscale: 1
// channel, colour: 3). With resize > 0 every image (also one of that size
// already) is first scaled by its shorter side to `resize` and cropped to
// the centre resize x resize (image_resize.h), so only the channel counts
// must agree. Throws smt::Error naming the file for an undecodable image or
// a size mismatch. No indices: an empty set of shape 0x0x0.
ImageSet read_image_folder(const SplitListing& split, const std::vector<std::size_t>& indices,
                           int resize = 0);

// Loads `root`/train or `root`/test: list_image_folder, then with limit > 0
// only the files of the seeded class-balanced subset that apply_limit
// (dataset.h) would keep are decoded (and checked), giving the same set.
ImageSet load_image_folder(const std::string& root, bool train, std::int64_t limit = 0,
                           std::uint64_t seed = 0, int resize = 0);

// True when `root`/train and `root`/test are directories and `root`/train
// has at least one class folder. Never throws.
bool looks_like_image_folder(const std::string& root);

// True when `name` ends in .jpg, .jpeg or .png, in any letter case.
bool is_image_file_name(const std::string& name);

// The CIFAR-10 class names in label order.
const std::vector<std::string>& cifar10_class_names();

}  // namespace smt
