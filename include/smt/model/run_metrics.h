// Seconds per stage and other measurements of a run, for the metrics JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace smt {

// Wall-clock seconds per stage plus other measurements, in insertion order.
class RunMetrics {
 public:
  void add_seconds(const std::string& stage, double seconds);
  double seconds(const std::string& stage) const;
  // A distributed run's communication during `stage` (added up per stage):
  // "communication": {stage: {"seconds", "bytes"}}.
  void add_communication(const std::string& stage, double seconds, std::uint64_t bytes);
  nlohmann::json& extra() { return extra_; }
  const nlohmann::json& extra() const { return extra_; }
  // {"seconds": {..., "total": t}, "peak_rss_bytes": ..., extra...}
  nlohmann::json to_json(double total_seconds) const;

 private:
  std::vector<std::pair<std::string, double>> seconds_;
  nlohmann::json extra_ = nlohmann::json::object();
  nlohmann::json peak_rss_after_ = nlohmann::json::object();  // stage -> peak RSS when it ended
};

}  // namespace smt
