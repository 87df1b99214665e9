// A small tagged-section container for model files: versioned, size-checked
// and checksummed, so that a truncated, corrupted or foreign file is reported
// as such instead of being loaded as garbage.
//
// Layout (all integers little-endian):
//   header   8 bytes  magic
//            u32      format version
//            u32      section count
//            u64      total payload bytes (sum over sections)
//   section  u32      tag length, then the tag bytes (no terminator)
//   (each)   u32      element size in bytes (1 for strings and raw blobs)
//            u64      payload byte count (a multiple of the element size)
//            u32      CRC-32 (zlib) of the payload
//            payload  (arrays in native little-endian element order)
//   trailer  u32      CRC-32 of every byte before it
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "smt/core/error.h"

namespace smt {

// Payloads are copied as raw memory, so the on-disk order is the host's.
static_assert(std::endian::native == std::endian::little,
              "smt's binary formats assume a little-endian host");

// zlib's CRC-32 of `bytes` bytes, continuing from `crc` (0 to start); any size.
std::uint32_t crc32_bytes(const void* data, std::size_t bytes, std::uint32_t crc = 0);

class SectionWriter {
 public:
  // Adds a section holding `bytes` bytes copied from `data`. Tags are unique;
  // `bytes` must be a multiple of `element_size`.
  void add(const std::string& tag, const void* data, std::size_t bytes,
           std::uint32_t element_size = 1);
  void add_i64(const std::string& tag, std::int64_t value);
  void add_f64(const std::string& tag, double value);
  void add_string(const std::string& tag, const std::string& value);
  // A section of `bytes` bytes that `produce` hands, in order, to the sink it
  // is given, instead of a copy: for payloads as large as the data they are
  // made from (a checkpoint's K x K statistics). It is called twice when the
  // file is written (checksum, then bytes), so it must be repeatable and the
  // data it reads must outlive the writer.
  using Sink = std::function<void(const void* data, std::size_t bytes)>;
  void add_produced(const std::string& tag, std::size_t bytes, std::uint32_t element_size,
                    std::function<void(const Sink&)> produce);
  template <typename T>
  void add_array(const std::string& tag, const std::vector<T>& values) {
    static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>,
                  "add_array stores arithmetic element types only");
    add(tag, values.data(), values.size() * sizeof(T), static_cast<std::uint32_t>(sizeof(T)));
  }

  // Writes the container to `path` atomically (see write_file_atomically).
  // `magic` is exactly 8 bytes (a terminating NUL, if any, is not stored).
  void save(const std::string& path, const char magic[8], std::uint32_t version) const;
  // The same bytes onto a stream (not atomic: the caller owns the stream).
  void write(std::ostream& out, const char magic[8], std::uint32_t version) const;

 private:
  struct Section {
    std::string tag;
    std::uint32_t element_size;
    std::vector<char> payload;
    std::size_t produced_bytes = 0;
    std::function<void(const Sink&)> produce;  // set: the payload comes from here
    std::size_t size() const { return produce ? produced_bytes : payload.size(); }
  };
  void check_new(const std::string& tag, std::size_t bytes, std::uint32_t element_size) const;
  std::vector<Section> sections_;
};

class SectionReader {
 public:
  // Reads and fully validates `path`: magic, 1 <= version <= max_version,
  // every size, every checksum, unique tags. Throws smt::Error naming the file
  // and the problem otherwise.
  SectionReader(const std::string& path, const char magic[8], std::uint32_t max_version);
  // The same from the rest of a stream; `name` stands for the file in messages.
  SectionReader(std::istream& in, const std::string& name, const char magic[8],
                std::uint32_t max_version);

  std::uint32_t version() const { return version_; }
  const std::string& path() const { return path_; }
  bool has(const std::string& tag) const { return sections_.count(tag) != 0; }
  std::vector<std::string> tags() const;

  // Typed accessors; a missing tag or a size that does not fit the type throws
  // smt::Error naming the tag and the file.
  std::int64_t i64(const std::string& tag) const;
  double f64(const std::string& tag) const;
  std::string str(const std::string& tag) const;
  // `expected_count` (SIZE_MAX: any) is checked against the stored count.
  // The stored bytes of an array section, in place (not aligned for T: copy
  // out with memcpy), after the same checks as array().
  const char* array_bytes(const std::string& tag, std::size_t element_size,
                          std::size_t expected_count) const {
    return data_.data() + checked_array(tag, element_size, expected_count).offset;
  }
  template <typename T>
  std::vector<T> array(const std::string& tag, std::size_t expected_count = SIZE_MAX) const {
    static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>,
                  "array reads arithmetic element types only");
    const Entry& e = checked_array(tag, sizeof(T), expected_count);
    std::vector<T> out(e.bytes / sizeof(T));
    if (e.bytes != 0) std::memcpy(out.data(), data_.data() + e.offset, e.bytes);
    return out;
  }

 private:
  struct Entry {
    std::uint32_t element_size;
    std::size_t offset;  // into data_
    std::size_t bytes;
  };
  void parse(const char magic[8], std::uint32_t max_version);  // validates data_
  const Entry& find(const std::string& tag) const;
  const Entry& checked_scalar(const std::string& tag, std::size_t bytes) const;
  const Entry& checked_array(const std::string& tag, std::size_t element_size,
                             std::size_t expected_count) const;

  std::string path_;
  std::uint32_t version_ = 0;
  std::vector<char> data_;  // the whole file
  std::map<std::string, Entry> sections_;
};

}  // namespace smt
