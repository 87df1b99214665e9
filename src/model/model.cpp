#include "smt/model/model.h"

#include <cstdint>
#include <limits>

#include "smt/core/error.h"
#include "smt/io/binary_format.h"
#include "smt/stages/pooling.h"

namespace smt {
namespace {

// Far above any dataset image; a larger side means the file is damaged.
constexpr std::int64_t kMaxImageSide = 1 << 16;

}  // namespace

int SmtModel::pooled_grid() const {
  PatchExtractor ex = extractor();
  SMT_CHECK(ex.grid_h() == ex.grid_w(), "pooling needs a square patch grid, got ", ex.grid_h(), "x",
            ex.grid_w());
  return smt::pooled_grid(ex.grid_h(), config.pool_window, config.pool_stride);
}

std::size_t SmtModel::feature_dim() const {
  const std::size_t o = static_cast<std::size_t>(pooled_grid());
  return o * o * static_cast<std::size_t>(projection.embed_dim());
}

void SmtModel::save(const std::string& path) const {
  sections().save(path, kMagic, kFormatVersion);
}

void SmtModel::save(std::ostream& out) const {
  sections().write(out, kMagic, kFormatVersion);
}

SmtModel SmtModel::load(const std::string& path) {
  return from_sections(SectionReader(path, kMagic, kFormatVersion));
}

SmtModel SmtModel::load(std::istream& in, const std::string& name) {
  return from_sections(SectionReader(in, name, kMagic, kFormatVersion));
}

SectionWriter SmtModel::sections() const {
  SectionWriter w;
  // The thread count says how the fit ran, not what it fitted (the model is
  // the same for any count): leaving it out keeps the file's bytes the same.
  nlohmann::json recorded = config.to_json();
  recorded.erase("threads");
  w.add_string("config", recorded.dump());
  w.add_i64("image.height", height);
  w.add_i64("image.width", width);
  w.add_i64("image.channels", channels);
  w.add_i64("num_classes", num_classes);
  w.add_string("fit_report", fit_report.dump());
  whitener.save(w);
  dictionary.save(w);
  projection.save(w);
  return w;
}

SmtModel SmtModel::from_sections(const SectionReader& r) {
  const std::string& path = r.path();
  SmtModel m;
  try {
    m.config.update_from_json(nlohmann::json::parse(r.str("config")), "model file '" + path + "'");
    m.fit_report = nlohmann::json::parse(r.str("fit_report"));
  } catch (const nlohmann::json::exception& e) {
    SMT_THROW("model file '", path, "': invalid configuration record: ", e.what());
  }
  // Range-checked before narrowing: the sizes below are computed from them.
  const auto bounded = [&](const char* tag, std::int64_t lo, std::int64_t hi) {
    const std::int64_t v = r.i64(tag);
    SMT_CHECK(v >= lo && v <= hi, "model file '", path, "' is corrupted (", tag, " = ", v,
              ", expected ", lo, "..", hi, "); re-create it with smt fit");
    return static_cast<int>(v);
  };
  m.height = bounded("image.height", 1, kMaxImageSide);
  m.width = bounded("image.width", 1, kMaxImageSide);
  m.channels = bounded("image.channels", 1, 3);
  m.num_classes = bounded("num_classes", 0, std::numeric_limits<int>::max());
  m.whitener = Whitener::load(r);
  m.dictionary = Dictionary::load(r);
  m.projection = Projection::load(r);
  const int dim = m.config.patch_size * m.config.patch_size * m.channels;
  SMT_CHECK(m.whitener.dim() == dim && m.dictionary.dim() == dim &&
                m.projection.dict_size() == m.dictionary.size() &&
                m.projection.embed_dim() == m.config.embed_dim,
            "model file '", path,
            "': its parts have inconsistent sizes; re-create it with smt fit");
  return m;
}

}  // namespace smt
