// NumPy .npy files (format 1.0, C order, little-endian) for handing
// embeddings and labels to Python: np.load(path) reads them directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace smt {

// Writes `data` (product(shape) values, C order) as '<f4' / '<i4' to `path`
// atomically (see write_file_atomically). An empty shape writes a scalar.
void write_npy(const std::string& path, const float* data, const std::vector<std::size_t>& shape);
void write_npy(const std::string& path, const std::int32_t* data,
               const std::vector<std::size_t>& shape);

struct NpyArray {
  std::string path;   // where it was read from, for messages
  std::string descr;  // dtype string, e.g. "<f4"
  std::vector<std::size_t> shape;
  std::size_t item_size = 0;  // bytes per element
  std::vector<char> bytes;    // raw little-endian element data, C order

  std::size_t count() const;  // product(shape)
  // The elements, when descr is '<f4' / '<i4' (smt::Error otherwise).
  std::vector<float> as_float() const;
  std::vector<std::int32_t> as_int32() const;
};

// Reads a C-order, little-endian .npy file (format 1.x or 2.x), validating
// the header and that the data size matches the shape.
NpyArray read_npy(const std::string& path);
// The same from a seekable stream holding the file's bytes (read from
// position 0); `name` stands for the file in messages.
NpyArray read_npy(std::istream& in, const std::string& name);

}  // namespace smt
