// A fitted one-layer SMT model: everything needed to turn images into
// features (configuration, image shape, whitening, dictionary, P), saved and
// loaded through one versioned, checksummed file format.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

#include "smt/core/config.h"
#include "smt/io/binary_format.h"
#include "smt/stages/dictionary.h"
#include "smt/stages/patch_extractor.h"
#include "smt/stages/projection.h"
#include "smt/stages/sparse_coder.h"
#include "smt/stages/whitener.h"

namespace smt {

class SmtModel {
 public:
  static constexpr char kMagic[8] = {'S', 'M', 'T', 'M', 'O', 'D', 'E', 'L'};
  static constexpr std::uint32_t kFormatVersion = 1;

  Config config;
  int height = 0, width = 0, channels = 0, num_classes = 0;
  Whitener whitener;
  Dictionary dictionary;
  Projection projection;
  nlohmann::json fit_report;  // what the fit measured (sizes, eigenvalues, timings)

  PatchExtractor extractor() const {
    return PatchExtractor(height, width, channels, config.patch_size, config.stride, config.context,
                          config.context_mean == ContextMean::kChannel);
  }
  SparseCoder coder() const {
    return SparseCoder(dictionary, config.threshold, config.code_values);
  }
  int pooled_grid() const;
  // Length of one image's feature vector: pooled cells x embed_dim.
  std::size_t feature_dim() const;

  void save(const std::string& path) const;  // atomic: temporary file, then rename
  static SmtModel load(const std::string& path);
  // The same format on streams; `name` stands for the file in error messages.
  void save(std::ostream& out) const;
  static SmtModel load(std::istream& in, const std::string& name = "model stream");

 private:
  SectionWriter sections() const;
  static SmtModel from_sections(const SectionReader& reader);
};

}  // namespace smt
