#include "smt/model/run_metrics.h"

#include "smt/model/resource_usage.h"

namespace smt {

void RunMetrics::add_seconds(const std::string& stage, double s) {
  peak_rss_after_[stage] = peak_rss_bytes();
  for (auto& [name, v] : seconds_) {
    if (name == stage) {
      v += s;
      return;
    }
  }
  seconds_.emplace_back(stage, s);
}

void RunMetrics::add_communication(const std::string& stage, double seconds,
                                   std::uint64_t bytes) {
  nlohmann::json& c = extra_["communication"][stage];
  if (!c.is_object()) c = nlohmann::json::object();
  c["seconds"] = c.value("seconds", 0.0) + seconds;
  c["bytes"] = c.value("bytes", std::uint64_t{0}) + bytes;
}

double RunMetrics::seconds(const std::string& stage) const {
  for (const auto& [name, v] : seconds_)
    if (name == stage) return v;
  return 0;
}

nlohmann::json RunMetrics::to_json(double total) const {
  nlohmann::json j = extra_;
  nlohmann::json s = nlohmann::json::object();
  for (const auto& [name, v] : seconds_) s[name] = v;
  s["total"] = total;
  j["seconds"] = s;
  j["peak_rss_bytes"] = peak_rss_bytes();
  j["peak_rss_bytes_after_stage"] = peak_rss_after_;
  j["disk_write_bytes"] = disk_write_bytes();
  return j;
}

}  // namespace smt
