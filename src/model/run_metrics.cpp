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
