#include "tools/loadgen/node_exporter_series.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <span>

#include "libs/ingest/remote_write_encoder.h"

namespace strata::loadgen {
namespace {

// One node_exporter metric family: its name, whether it is a counter, and how its
// per-host series are labelled.
struct Family {
  const char* name;
  bool counter;
  enum Kind { kPlain, kCpuMode, kDevice, kFilesystem } kind;
};

constexpr Family kFamilies[] = {
    {"node_cpu_seconds_total", true, Family::kCpuMode},
    {"node_cpu_guest_seconds_total", true, Family::kCpuMode},
    {"node_network_receive_bytes_total", true, Family::kDevice},
    {"node_network_transmit_bytes_total", true, Family::kDevice},
    {"node_network_receive_packets_total", true, Family::kDevice},
    {"node_network_transmit_packets_total", true, Family::kDevice},
    {"node_network_receive_errs_total", true, Family::kDevice},
    {"node_disk_read_bytes_total", true, Family::kDevice},
    {"node_disk_written_bytes_total", true, Family::kDevice},
    {"node_disk_io_time_seconds_total", true, Family::kDevice},
    {"node_filesystem_avail_bytes", false, Family::kFilesystem},
    {"node_filesystem_size_bytes", false, Family::kFilesystem},
    {"node_filesystem_files_free", false, Family::kFilesystem},
    {"node_memory_MemAvailable_bytes", false, Family::kPlain},
    {"node_memory_MemFree_bytes", false, Family::kPlain},
    {"node_memory_Cached_bytes", false, Family::kPlain},
    {"node_memory_Buffers_bytes", false, Family::kPlain},
    {"node_load1", false, Family::kPlain},
    {"node_load5", false, Family::kPlain},
    {"node_load15", false, Family::kPlain},
    {"node_context_switches_total", true, Family::kPlain},
    {"node_intr_total", true, Family::kPlain},
    {"node_procs_running", false, Family::kPlain},
};

constexpr const char* kModes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
constexpr const char* kDevices[] = {"eth0", "eth1", "lo", "nvme0n1", "nvme1n1", "sda"};
constexpr const char* kMounts[] = {"/", "/boot", "/var", "/home", "/run"};
constexpr int kCpus = 8;

// Every (labels) of one host, in a fixed order.
std::vector<std::vector<Label>> HostSeries(const std::string& instance) {
  std::vector<std::vector<Label>> out;
  for (const Family& f : kFamilies) {
    auto base = [&](std::vector<Label> extra) {
      std::vector<Label> l = {{"__name__", f.name}};
      l.insert(l.end(), extra.begin(), extra.end());
      l.push_back({"instance", instance});
      l.push_back({"job", "node"});
      std::sort(l.begin() + 1, l.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
      out.push_back(std::move(l));
    };
    switch (f.kind) {
      case Family::kPlain:
        base({});
        break;
      case Family::kCpuMode:
        for (int c = 0; c < kCpus; ++c) {
          for (const char* m : kModes) base({{"cpu", std::to_string(c)}, {"mode", m}});
        }
        break;
      case Family::kDevice:
        for (const char* d : kDevices) base({{"device", d}});
        break;
      case Family::kFilesystem:
        for (size_t k = 0; k < std::size(kMounts); ++k) {
          const std::string m = kMounts[k];
          base({{"device", m == "/run" ? "tmpfs" : "/dev/nvme0n1p" + std::to_string(k + 1)},
                {"fstype", m == "/run" ? "tmpfs" : "ext4"},
                {"mountpoint", m}});
        }
        break;
    }
  }
  return out;
}

}  // namespace

NodeExporterSeries::NodeExporterSeries(size_t series, uint64_t seed) : rng_(seed) {
  labels_.reserve(series);
  for (size_t host = 0; labels_.size() < series; ++host) {
    for (auto& l : HostSeries("host-" + std::to_string(host) + ":9100")) {
      if (labels_.size() == series) break;
      labels_.push_back(std::move(l));
    }
  }
  std::uniform_real_distribution<double> start(0, 1e9);
  values_.resize(series);
  counter_.resize(series);
  for (size_t i = 0; i < series; ++i) {
    const std::string& name = labels_[i][0].value;
    counter_[i] = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    values_[i] = counter_[i] ? std::floor(start(rng_)) : start(rng_);
  }
}

std::vector<std::string> NodeExporterSeries::Round(int64_t t_ms, size_t series_per_body) {
  std::uniform_real_distribution<double> step(0, 1000);
  std::normal_distribution<double> wander(0, 1);
  std::vector<std::string> bodies;
  std::vector<ingest::WriteRequestSeries> batch;
  batch.reserve(series_per_body);
  for (size_t i = 0; i < labels_.size(); ++i) {
    values_[i] = counter_[i] ? values_[i] + std::floor(step(rng_)) : values_[i] * (1 + 0.001 * wander(rng_));
    batch.push_back({labels_[i], {{t_ms, values_[i]}}});
    if (batch.size() == series_per_body || i + 1 == labels_.size()) {
      bodies.push_back(ingest::EncodeWriteRequest(batch));
      batch.clear();
    }
  }
  return bodies;
}

}  // namespace strata::loadgen
