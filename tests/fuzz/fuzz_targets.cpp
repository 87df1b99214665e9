#include "fuzz_targets.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "smt/core/config.h"
#include "smt/core/error.h"
#include "smt/io/cifar_reader.h"
#include "smt/io/idx_reader.h"
#include "smt/io/image_decode.h"
#include "smt/io/npy.h"
#include "smt/model/model.h"
#include "smt/stages/compact_codes.h"

namespace smt::fuzz {
namespace {

std::string as_string(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

std::uint32_t le16(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8;
}

}  // namespace

void idx(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return;
  const std::size_t n = le16(data) | std::size_t{le16(data + 2)} << 16;
  const std::size_t image_bytes = std::min(n, size - 4);
  std::istringstream images(as_string(data + 4, image_bytes));
  std::istringstream labels(as_string(data + 4 + image_bytes, size - 4 - image_bytes));
  try {
    read_idx(images, "images.idx", labels, "labels.idx");
  } catch (const Error&) {
  }
}

void cifar10(const std::uint8_t* data, std::size_t size) {
  try {
    read_cifar10_bytes(data, size, "data_batch.bin");
  } catch (const Error&) {
  }
}

void cifar100(const std::uint8_t* data, std::size_t size) {
  try {
    read_cifar100_bytes(data, size, "train.bin", /*coarse=*/false);
  } catch (const Error&) {
  }
}

void image(const std::uint8_t* data, std::size_t size) {
  try {
    decode_image(data, size, "image");
  } catch (const Error&) {
  }
}

void model(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(as_string(data, size));
  try {
    const SmtModel m = SmtModel::load(in, "model.smt");
    // What every user of a loaded model asks first.
    (void)m.feature_dim();
  } catch (const Error&) {
  }
}

void npy(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(as_string(data, size));
  try {
    const NpyArray a = read_npy(in, "array.npy");
    if (a.descr == "<f4") (void)a.as_float();
    if (a.descr == "<i4") (void)a.as_int32();
  } catch (const Error&) {
  }
}

void config_json(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(as_string(data, size));
  try {
    Config c;
    c.load_json(in, "config.json");
    c.validate();
    // A loaded configuration is written back into metrics and model files.
    Config back;
    back.update_from_json(c.to_json(), "round trip");
  } catch (const Error&) {
  }
}

void compact_codes(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return;
  const bool flags = (data[0] & 1) != 0, values = (data[0] & 2) != 0;
  const int num_patches = static_cast<int>(le16(data + 1));
  try {
    const CompactCodes packed = CompactCodes::from_packed(
        num_patches, flags, std::vector<std::uint8_t>(data + 3, data + size), {});
    PatchCodes out;
    packed.unpack(out);
    if (values) {
      // One value per atom; bit 2 adds one too many, which must be rejected.
      const std::size_t n = out.atoms.size() + ((data[0] & 4) != 0 ? 1 : 0);
      CompactCodes::from_packed(num_patches, flags, packed.stream(), std::vector<float>(n, 0.5f))
          .unpack(out);
    }
    // Whatever unpacks must pack and unpack to the same codes.
    PatchCodes again;
    CompactCodes(out).unpack(again);
    if (again.offsets != out.offsets || again.atoms != out.atoms || again.values != out.values ||
        again.fallback != out.fallback) {
      std::abort();  // a real bug: make the fuzzer report it
    }
  } catch (const Error&) {
  }
}

const std::vector<NamedTarget>& targets() {
  static const std::vector<NamedTarget> all = {{"idx", idx},
                                               {"cifar10", cifar10},
                                               {"cifar100", cifar100},
                                               {"image", image},
                                               {"model", model},
                                               {"npy", npy},
                                               {"config_json", config_json},
                                               {"compact_codes", compact_codes}};
  return all;
}

std::vector<std::uint8_t> idx_input(const std::vector<std::uint8_t>& images,
                                    const std::vector<std::uint8_t>& labels) {
  const auto n = static_cast<std::uint32_t>(images.size());
  // Reserved and pushed: GCC 12 warns (-Warray-bounds, a false positive)
  // about inserting into a vector built from a short initializer list.
  std::vector<std::uint8_t> out;
  out.reserve(4 + images.size() + labels.size());
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<std::uint8_t>(n >> shift));
  out.insert(out.end(), images.begin(), images.end());
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

std::vector<std::uint8_t> compact_input(bool flags, bool values, int num_patches,
                                        const std::vector<std::uint8_t>& stream) {
  std::vector<std::uint8_t> out;  // as in idx_input
  out.reserve(3 + stream.size());
  out.push_back(static_cast<std::uint8_t>((flags ? 1 : 0) | (values ? 2 : 0)));
  out.push_back(static_cast<std::uint8_t>(num_patches));
  out.push_back(static_cast<std::uint8_t>(num_patches >> 8));
  out.insert(out.end(), stream.begin(), stream.end());
  return out;
}

}  // namespace smt::fuzz
