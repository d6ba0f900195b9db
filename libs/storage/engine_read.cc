// StorageEngine: the read path — series selection, blocks, labels, cardinality.
#include <algorithm>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "libs/common/status_util.h"
#include "libs/common/thread_cache.h"
#include "libs/common/thread_pool.h"
#include "libs/encoding/block.h"
#include "libs/encoding/packed_samples.h"
#include "libs/encoding/varint.h"
#include "libs/model/dedup.h"
#include "libs/model/ref_grid.h"
#include "libs/rpc/proto_convert.h"
#include "libs/rpc/search_wire.h"
#include "libs/storage/engine.h"
#include "libs/storage/key_format.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"

namespace strata::storage {
namespace {

absl::Status CheckRange(int64_t mint, int64_t maxt) {
  if (mint > maxt) {
    return absl::InvalidArgumentError(absl::StrCat("min_time_ms ", mint, " is after max_time_ms ", maxt));
  }
  return absl::OkStatus();
}

// Request times of 0/0 mean "all time", as Prometheus' label APIs default.
void DefaultRange(int64_t* mint, int64_t* maxt) {
  if (*mint == 0 && *maxt == 0) {
    *mint = kMinTime;
    *maxt = kMaxTime;
  }
}

// Series whose labels one SeriesLabelsBatch call fetches.
constexpr size_t kLabelBatch = 512;
// Series below which one thread reads a whole search.
constexpr size_t kMinParallelSearch = 2048;
// Series whose head entries are fetched into the cache together (Head::Prefetch).
constexpr size_t kHeadPrefetch = 16;

// Calls fn(labels) for every series of `ids` still known, in batches of kLabelBatch.
template <typename Fn>
absl::Status ForEachLabels(const Index& index, uint64_t tenant, const std::vector<uint64_t>& ids, Fn fn) {
  std::vector<absl::StatusOr<Labels>> labels;
  for (size_t chunk = 0; chunk < ids.size(); chunk += kLabelBatch) {
    std::span<const uint64_t> sids(ids.data() + chunk, std::min(kLabelBatch, ids.size() - chunk));
    STRATA_RETURN_IF_ERROR(index.SeriesLabelsBatch(tenant, sids, &labels));
    for (auto& l : labels) {
      if (l.ok()) fn(*l);
    }
  }
  return absl::OkStatus();
}

// SearchSeries.blocks fields appended to a string.
class WireBlockSink final : public StorageEngine::BlockSink {
 public:
  explicit WireBlockSink(std::string* out) : out_(out) {}
  void Add(int64_t min_t, int64_t max_t, uint32_t samples, BlockPayload kind, std::string_view payload) override {
    AppendBlockField(min_t, max_t, samples, kind, payload, out_);
  }
  size_t Mark() const override { return out_->size(); }
  void Rollback(size_t mark) override { out_->resize(mark); }

 private:
  std::string* out_;
};

}  // namespace

absl::StatusOr<std::vector<uint64_t>> StorageEngine::SelectSeries(uint64_t tenant, const Matchers& ms, int64_t mint,
                                                                  int64_t maxt, std::vector<uint32_t>* days) const {
  uint32_t lo = DayOf(mint), hi = DayOf(maxt);
  std::vector<uint64_t> all;
  for (uint32_t day : index_->Days()) {
    if (day < lo || day > hi) continue;
    STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, index_->Select(day, tenant, ms));
    if (ids.empty()) continue;
    if (days != nullptr) days->push_back(day);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

BlockIterators::BlockIterators(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::vector<uint32_t> days,
                               uint64_t epoch)
    : epoch_(epoch), db_(db), cf_(cf), days_(std::move(days)), its_(days_.size()) {}

void BlockIterators::Reset(uint64_t epoch) {
  epoch_ = epoch;
  for (auto& it : its_) it.reset();
}

BlockIterators::~BlockIterators() = default;

rocksdb::Iterator* BlockIterators::For(size_t i) {
  if (its_[i] == nullptr) its_[i].reset(db_->NewIterator(rocksdb::ReadOptions(), cf_));
  return its_[i].get();
}

absl::Status StorageEngine::CollectBlocks(uint64_t tenant, uint64_t sid, BlockIterators& iters, int64_t mint,
                                          int64_t maxt, bool fill_cache, bool packed_head, const RefGrid& refs,
                                          BlockSink& out) {
  const size_t before = out.Mark();
  for (;;) {
    for (size_t i = 0; i < iters.days().size(); ++i) {
      const uint32_t day = iters.days()[i];
      if (DayEndMs(day) < mint || DayStartMs(day) > maxt) continue;
      // Adds the value's block when it overlaps the range; false when corrupt.
      auto add = [&](std::string_view value) {
        BlockValue bv;
        if (!DecodeBlockValue(value, &bv)) return false;
        if (bv.max_t < mint || bv.min_t > maxt) return true;
        out.Add(bv.min_t, bv.max_t, bv.count, BlockPayload::kData, bv.data);
        return true;
      };
      const SeriesBlockCache::Key cache_key{day, tenant, sid};
      if (SeriesBlockCache::Records cached = block_cache_ ? block_cache_->Find(cache_key, iters.epoch()) : nullptr) {
        stats_.block_cache_hits++;
        bool ok = true;
        if (!SeriesBlockCache::ForEachRecord(*cached, [&](std::string_view v) { return ok = add(v); }) || !ok) {
          return absl::DataLossError(absl::StrCat("corrupt block record for series ", sid));
        }
        continue;
      }
      const std::string prefix = BlockPrefix(day, tenant, sid);
      const rocksdb::Slice prefix_slice(prefix);
      rocksdb::Iterator* it = iters.For(i);
      const bool fill = block_cache_ != nullptr && fill_cache;
      std::string records;  // every block value of the series in this partition, for the cache
      // One step at most: after the previous series' blocks the iterator usually
      // sits on this one's first key already, and when it does not, the series
      // between are seldom few (eight steps before the seek were a fifth of a
      // scattered search's time).
      for (SeekForward(it, prefix_slice, 1); it->Valid() && it->key().starts_with(prefix_slice); it->Next()) {
        const std::string_view value(it->value().data(), it->value().size());
        if (!add(value)) return absl::DataLossError(absl::StrCat("corrupt block record for series ", sid));
        if (fill) SeriesBlockCache::AppendRecord(&records, value);
      }
      STRATA_RETURN_IF_ERROR(FromRocks(it->status(), "block scan"));
      if (fill) {
        stats_.block_cache_misses++;
        block_cache_->Insert(cache_key, iters.epoch(), std::move(records));
      }
    }
    // Kept per thread (one allocation per thread, not per series) unless a series
    // made it large.
    thread_local std::vector<Sample> head;
    if (head.capacity() > (size_t{1} << 16)) head = std::vector<Sample>();
    head.clear();
    if (packed_head && refs.count == 0) {
      // The head's packed runs go out as they are; the rest is packed below.
      head_.ReadPacked(
          HeadKey{tenant, sid}, mint, maxt,
          [&](const Head::PackedRun& r) { out.Add(r.min_t, r.max_t, r.count, BlockPayload::kPackedSamples, r.bytes); },
          &head);
      ReadPersisting(HeadKey{tenant, sid}, mint, maxt, &head);
    } else {
      ReadUnpersisted(HeadKey{tenant, sid}, mint, maxt, &head);
    }
    // A flush that finished after the iterators were made may have moved samples
    // out of the head into blocks those iterators do not see: read again.
    const uint64_t epoch = persist_epoch_.load();
    if (epoch != iters.epoch()) {
      out.Rollback(before);
      iters.Reset(epoch);
      continue;
    }
    if (!head.empty()) {
      SortAndCollapse(&head);
      KeepLatestAtRefs(refs, &head);
    }
    if (!head.empty()) {
      const auto n = static_cast<uint32_t>(head.size());
      if (packed_head) {
        thread_local std::string packed;
        packed.clear();
        AppendPackedSamples(head, &packed);
        out.Add(head.front().t, head.back().t, n, BlockPayload::kPackedSamples, packed);
      } else {
        out.Add(head.front().t, head.back().t, n, BlockPayload::kRawSamples, RawSamplesBytes(head));
      }
    }
    return absl::OkStatus();
  }
}

absl::Status StorageEngine::Search(const pb::SearchRequest& req, const SeriesCallback& emit) {
  return SearchWire(req, [&](std::string_view field) {
    // The field's tag (1 byte) and length, then the SearchSeries.
    encoding::ByteReader r(field.substr(1));
    uint64_t len = 0;
    pb::SearchSeries series;
    if (field.empty() || !r.ReadUvarint(&len) || len != r.remaining() ||
        !series.ParseFromArray(r.position(), static_cast<int>(len))) {
      return false;
    }
    return emit(std::move(series));
  });
}

absl::Status StorageEngine::SearchWire(const pb::SearchRequest& req, const SeriesWireCallback& emit) {
  stats_.searches++;
  STRATA_RETURN_IF_ERROR(CheckRange(req.min_time_ms(), req.max_time_ms()));
  STRATA_ASSIGN_OR_RETURN(Matchers ms, MatchersFromProto(req.matchers()));
  const RefGrid refs{.first = req.instant_refs().first_ms(),
                     .step = req.instant_refs().step_ms(),
                     .count = req.instant_refs().count()};
  STRATA_RETURN_IF_ERROR(ValidateRefGrid(refs));
  const uint64_t tenant = TenantOf(req).Key();
  std::vector<uint32_t> days;
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids,
                          SelectSeries(tenant, ms, req.min_time_ms(), req.max_time_ms(), &days));
  if (req.max_series() > 0 && ids.size() > req.max_series()) {
    return absl::ResourceExhaustedError(absl::StrCat("the search matches ", ids.size(),
                                                     " series, above the limit of ", req.max_series()));
  }
  // Labels come from one forward-moving iterator per chunk of ids and each
  // partition's block iterator only moves forward (ids are ascending). Chunks are
  // read by up to search_parallelism threads and emitted in order on this one.
  size_t threads = options_.search_parallelism > 0 ? static_cast<size_t>(options_.search_parallelism)
                                                   : HardwareThreads();
  // Chunks of up to kLabelBatch series, but at least ~4 per thread so a small
  // search is shared out too.
  const size_t chunk_size = std::clamp<size_t>(ids.size() / (4 * threads), 64, kLabelBatch);
  const size_t chunks = (ids.size() + chunk_size - 1) / chunk_size;
  threads = std::min(threads, chunks);
  // A small search reads faster than a helper thread wakes up (and a wake-up may
  // land on a CPU the hypervisor is not running).
  if (ids.size() < kMinParallelSearch) threads = 1;
  // A chunk's series as SearchResponse.series fields, one after another.
  struct SeriesFields {
    std::string bytes;
    std::vector<size_t> ends;  // where each field ends in `bytes`
    void clear() {
      bytes.clear();
      ends.clear();
    }
  };
  auto read_chunk = [&](size_t chunk, BlockIterators& iters, SeriesFields* out) -> absl::Status {
    std::span<const uint64_t> sids(ids.data() + chunk * chunk_size,
                                   std::min(chunk_size, ids.size() - chunk * chunk_size));
    // Labels as entries (one string per series) when the client reads them, else
    // as Label messages.
    const bool entries = req.accept_label_entries();
    std::vector<absl::StatusOr<Labels>> labels;
    std::vector<std::string> label_entries;
    std::vector<absl::Status> entries_status;
    if (entries) {
      STRATA_RETURN_IF_ERROR(index_->SeriesLabelEntriesBatch(tenant, sids, &label_entries, &entries_status));
    } else {
      STRATA_RETURN_IF_ERROR(index_->SeriesLabelsBatch(tenant, sids, &labels));
    }
    std::vector<HeadKey> ahead;
    std::vector<SeriesBlockCache::Key> cached_ahead;
    std::string body;  // one SearchSeries
    WireBlockSink blocks(&body);
    out->bytes.reserve(out->bytes.size() + sids.size() * 512);  // a typical series' size over blocks
    for (size_t i = 0; i < sids.size(); ++i) {
      if (i % kHeadPrefetch == 0 && !req.labels_only()) {
        ahead.clear();
        cached_ahead.clear();
        for (size_t j = i; j < std::min(sids.size(), i + kHeadPrefetch); ++j) {
          ahead.push_back({tenant, sids[j]});
          for (uint32_t day : days) cached_ahead.push_back({day, tenant, sids[j]});
        }
        if (block_cache_) block_cache_->Prefetch(cached_ahead);
        head_.Prefetch(ahead);
      }
      const absl::Status& found = entries ? entries_status[i] : labels[i].status();
      if (absl::IsNotFound(found)) continue;  // deleted meanwhile
      if (!found.ok()) return found;
      // Fields in protobuf's order: labels, blocks, label_entries.
      body.clear();
      if (!entries) AppendLabelMessages(*labels[i], &body);
      if (!req.labels_only()) {
        const size_t before = body.size();
        STRATA_RETURN_IF_ERROR(CollectBlocks(tenant, sids[i], iters, req.min_time_ms(), req.max_time_ms(),
                                             /*fill_cache=*/true, req.accept_packed_samples(), refs, blocks));
        if (body.size() == before) continue;  // indexed in the partition, no samples in range
      }
      if (entries) AppendLabelEntriesField(label_entries[i], &body);
      AppendSeriesField(body, &out->bytes);
      out->ends.push_back(out->bytes.size());
    }
    return absl::OkStatus();
  };
  auto emit_all = [&](const SeriesFields& batch) -> absl::Status {
    size_t from = 0;
    for (size_t end : batch.ends) {
      stats_.search_series++;
      if (!emit(std::string_view(batch.bytes).substr(from, end - from))) {
        return absl::CancelledError("search cancelled by the client");
      }
      from = end;
    }
    return absl::OkStatus();
  };

  if (threads <= 1 || req.labels_only()) {
    BlockIterators iters(db_->db(), db_->blocks(), days, persist_epoch_.load());
    SeriesFields batch;
    for (size_t c = 0; c < chunks; ++c) {
      batch.clear();
      STRATA_RETURN_IF_ERROR(read_chunk(c, iters, &batch));
      STRATA_RETURN_IF_ERROR(emit_all(batch));
    }
    return absl::OkStatus();
  }

  // Workers take chunks in ascending order (so each one's iterators move forward)
  // and stay at most 2 chunks per worker ahead of what has been emitted. The
  // emitting thread reads the next chunk itself when no worker has taken it yet:
  // a worker can take milliseconds to be scheduled, as long as a small search.
  struct Chunk {
    bool done = false;
    absl::Status status;
    SeriesFields series;
  };
  std::vector<Chunk> results(chunks);
  std::mutex mu;
  std::condition_variable cv;
  size_t next = 0, emitted = 0;
  bool stop = false;
  auto worker = [&] {
    BlockIterators iters(db_->db(), db_->blocks(), days, persist_epoch_.load());
    for (;;) {
      size_t c;
      {
        std::unique_lock<std::mutex> l(mu);
        cv.wait(l, [&] { return stop || next >= chunks || next < emitted + 2 * threads; });
        if (stop || next >= chunks) return;
        c = next++;
      }
      SeriesFields out;
      absl::Status st = read_chunk(c, iters, &out);
      std::lock_guard<std::mutex> l(mu);
      results[c].status = std::move(st);
      results[c].series = std::move(out);
      results[c].done = true;
      cv.notify_all();
    }
  };
  // Chunks are emitted in order on this thread; the workers are helpers that
  // never run if they are scheduled only after the last chunk is out.
  absl::Status status;
  const std::function<void()> emit_in_order = [&] {
    std::optional<BlockIterators> own_iters;
    for (size_t c = 0; c < chunks && status.ok(); ++c) {
      SeriesFields batch;
      {
        std::unique_lock<std::mutex> l(mu);
        if (!results[c].done && next == c) {
          ++next;
          l.unlock();
          if (!own_iters) own_iters.emplace(db_->db(), db_->blocks(), days, persist_epoch_.load());
          status = read_chunk(c, *own_iters, &batch);
          l.lock();
        } else {
          cv.wait(l, [&] { return results[c].done; });
          status = results[c].status;
          batch = std::move(results[c].series);
        }
      }
      if (status.ok()) status = emit_all(batch);
      std::lock_guard<std::mutex> l(mu);
      emitted = c + 1;
      cv.notify_all();
    }
    std::lock_guard<std::mutex> l(mu);
    stop = true;
    cv.notify_all();
  };
  ThreadCache::Shared().RunWithHelpers(threads, worker, emit_in_order);
  return status;
}

absl::Status StorageEngine::LabelNames(const pb::LabelNamesRequest& req, pb::LabelNamesResponse* resp) {
  int64_t mint = req.min_time_ms(), maxt = req.max_time_ms();
  DefaultRange(&mint, &maxt);
  STRATA_RETURN_IF_ERROR(CheckRange(mint, maxt));
  STRATA_ASSIGN_OR_RETURN(Matchers ms, MatchersFromProto(req.matchers()));
  const uint64_t tenant = TenantOf(req).Key();
  std::vector<std::string> names;
  if (ms.empty()) {
    for (uint32_t day : index_->Days()) {
      if (day < DayOf(mint) || day > DayOf(maxt)) continue;
      STRATA_RETURN_IF_ERROR(index_->AllLabelNames(day, tenant, &names));
    }
  } else {
    STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, SelectSeries(tenant, ms, mint, maxt, nullptr));
    STRATA_RETURN_IF_ERROR(ForEachLabels(*index_, tenant, ids, [&](const Labels& labels) {
      for (const Label& l : labels) names.push_back(l.name);
    }));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::erase(names, std::string());  // the all-series posting list
  for (const std::string& n : names) {
    if (req.limit() > 0 && static_cast<uint64_t>(resp->names_size()) >= req.limit()) break;
    resp->add_names(n);
  }
  return absl::OkStatus();
}

absl::Status StorageEngine::LabelValues(const pb::LabelValuesRequest& req, pb::LabelValuesResponse* resp) {
  int64_t mint = req.min_time_ms(), maxt = req.max_time_ms();
  DefaultRange(&mint, &maxt);
  STRATA_RETURN_IF_ERROR(CheckRange(mint, maxt));
  if (req.name().empty()) return absl::InvalidArgumentError("label name is empty");
  STRATA_ASSIGN_OR_RETURN(Matchers ms, MatchersFromProto(req.matchers()));
  const uint64_t tenant = TenantOf(req).Key();
  std::vector<std::string> values;
  if (ms.empty()) {
    for (uint32_t day : index_->Days()) {
      if (day < DayOf(mint) || day > DayOf(maxt)) continue;
      STRATA_RETURN_IF_ERROR(index_->AllLabelValues(day, tenant, req.name(), &values));
    }
  } else {
    STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, SelectSeries(tenant, ms, mint, maxt, nullptr));
    STRATA_RETURN_IF_ERROR(ForEachLabels(*index_, tenant, ids, [&](const Labels& labels) {
      std::string_view v = labels.Get(req.name());
      if (!v.empty()) values.emplace_back(v);
    }));
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  for (const std::string& v : values) {
    if (req.limit() > 0 && static_cast<uint64_t>(resp->values_size()) >= req.limit()) break;
    resp->add_values(v);
  }
  return absl::OkStatus();
}

absl::Status StorageEngine::TSDBStatus(const pb::TSDBStatusRequest& req, pb::TSDBStatusResponse* resp) {
  int64_t mint = req.min_time_ms(), maxt = req.max_time_ms();
  DefaultRange(&mint, &maxt);
  STRATA_RETURN_IF_ERROR(CheckRange(mint, maxt));
  STRATA_ASSIGN_OR_RETURN(Matchers ms, MatchersFromProto(req.matchers()));
  const uint64_t tenant = TenantOf(req).Key();
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, SelectSeries(tenant, ms, mint, maxt, nullptr));
  std::map<std::string, uint64_t> by_metric, by_pair, by_name;
  std::map<std::string, std::vector<std::string>> values_by_name;
  STRATA_RETURN_IF_ERROR(ForEachLabels(*index_, tenant, ids, [&](const Labels& labels) {
    if (!labels.MetricName().empty()) by_metric[std::string(labels.MetricName())]++;
    for (const Label& l : labels) {
      by_pair[absl::StrCat(l.name, "=", l.value)]++;
      by_name[l.name]++;
      values_by_name[l.name].push_back(l.value);
    }
  }));
  const size_t top = req.top_n() == 0 ? 10 : req.top_n();
  auto emit_top = [top](const std::map<std::string, uint64_t>& m,
                        google::protobuf::RepeatedPtrField<pb::NameCount>* out) {
    std::vector<std::pair<std::string, uint64_t>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (size_t i = 0; i < v.size() && i < top; ++i) {
      auto* nc = out->Add();
      nc->set_name(v[i].first);
      nc->set_count(v[i].second);
    }
  };
  std::map<std::string, uint64_t> value_counts;
  for (auto& [name, vals] : values_by_name) {
    std::sort(vals.begin(), vals.end());
    value_counts[name] = std::unique(vals.begin(), vals.end()) - vals.begin();
  }
  resp->set_total_series(ids.size());
  resp->set_total_label_value_pairs(by_pair.size());
  emit_top(by_metric, resp->mutable_series_count_by_metric_name());
  emit_top(value_counts, resp->mutable_label_value_count_by_label_name());
  emit_top(by_pair, resp->mutable_series_count_by_label_value_pair());
  emit_top(by_name, resp->mutable_series_count_by_label_name());
  return absl::OkStatus();
}

}  // namespace strata::storage
