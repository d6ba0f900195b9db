// StorageEngine: the write path (decode, validate, WAL, index, head) and WAL replay.
#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_util.h"
#include "libs/rpc/proto_convert.h"
#include "libs/rpc/write_wire.h"
#include "libs/rpc/zstd_frame.h"
#include "libs/storage/engine.h"
#include "libs/storage/key_format.h"
#include "rocksdb/write_batch.h"
// Inlined: the same functions and results as libxxhash's, without a call into the
// shared library for every short key (series keys and placement scores are hot).
#define XXH_INLINE_ALL
#include "xxhash.h"

namespace strata::storage {
namespace {

// A WAL record's decompressed size limit: the WAL's own record limit.
constexpr size_t kMaxWalRecordBytes = size_t{1} << 30;

// The series a row's label entries describe, validated as Labels::FromPairs does.
absl::StatusOr<Labels> LabelsFromEntries(std::string_view entries) {
  std::vector<LabelRef> refs;
  STRATA_RETURN_IF_ERROR(LabelRefsOf(entries, &refs));
  std::vector<Label> pairs;
  pairs.reserve(refs.size());
  for (const LabelRef& r : refs) pairs.push_back(Label{std::string(r.name), std::string(r.value)});
  return Labels::FromPairs(std::move(pairs));
}

// The day all of `samples` fall on, or UINT32_MAX when they span several (or none).
uint32_t SingleDay(std::span<const Sample> samples) {
  if (samples.empty()) return UINT32_MAX;
  const uint32_t day = DayOf(samples.front().t);
  for (const Sample& s : samples) {
    if (DayOf(s.t) != day) return UINT32_MAX;
  }
  return day;
}

constexpr const char kUnknownReferencePayload[] = "type.strata/unknown-series-reference";

// FAILED_PRECONDITION marked so that IsUnknownSeriesReference can tell it apart.
absl::Status UnknownReferenceError(const std::string& message) {
  absl::Status s = absl::FailedPreconditionError(message);
  s.SetPayload(kUnknownReferencePayload, absl::Cord());
  return s;
}

}  // namespace

bool IsUnknownSeriesReference(const absl::Status& s) {
  return s.code() == absl::StatusCode::kFailedPrecondition && s.GetPayload(kUnknownReferencePayload).has_value();
}

void StorageEngine::ForgetIndexedLocked() {
  indexed_.clear();
  ++indexed_epoch_;
  index_->ForgetPutPairs();
}

absl::StatusOr<Labels> StorageEngine::LabelsOf(const Row& row) const {
  if (row.labels != nullptr) return *row.labels;
  if (!row.ref) return LabelsFromEntries(row.label_entries);
  // A reference row's series was written in full before (known_), so the index
  // has its labels: in RocksDB since that row was applied, synced before the WAL
  // that held it was truncated (docs/format/wal.md).
  absl::StatusOr<Labels> labels = index_->SeriesLabels(row.tenant.Key(), row.sid);
  if (!labels.ok()) {
    return absl::DataLossError(absl::StrCat("reference to series ", row.sid, " of tenant ", row.tenant.ToString(),
                                            ": its labels are not in the index: ", labels.status().message()));
  }
  return labels;
}

absl::Status StorageEngine::Apply(std::span<const Row> rows) {
  rocksdb::WriteBatch batch;
  struct Indexed {
    uint32_t day;
    uint64_t tenant;
    Labels labels;
  };
  std::vector<Indexed> indexed;  // postings added by this batch
  {
    // One lock for the whole batch: taking it per row showed up in ingestion profiles.
    std::vector<std::pair<const Row*, uint32_t>> to_index;
    {
      std::lock_guard<std::mutex> lock(indexed_mu_);
      for (const Row& row : rows) {
        if (row.indexed) continue;
        uint64_t tenant = row.tenant.Key();
        uint32_t last_day = UINT32_MAX;
        for (const Sample& s : row.samples) {
          uint32_t day = DayOf(s.t);
          if (day == last_day) continue;
          last_day = day;
          if (indexed_.insert(IndexedKey{tenant, row.sid, day}).second) to_index.emplace_back(&row, day);
        }
      }
    }
    indexed.reserve(to_index.size());
    for (const auto& [row, day] : to_index) {
      absl::StatusOr<Labels> labels = LabelsOf(*row);
      if (!labels.ok()) return labels.status();  // cannot happen: checked before
      indexed.push_back(Indexed{day, row->tenant.Key(), *std::move(labels)});
    }
    std::vector<Index::NewSeries> added;
    added.reserve(to_index.size());
    for (size_t k = 0; k < to_index.size(); ++k) {
      added.push_back(Index::NewSeries{indexed[k].day, indexed[k].tenant, to_index[k].first->sid, &indexed[k].labels});
    }
    index_->AddSeries(&batch, added);
  }
  if (batch.Count() > 0) {
    // Not synced here: the WAL already holds these rows; Persist() syncs RocksDB's
    // log before the WAL is truncated.
    absl::Status s = db_->Write(&batch, /*sync=*/false);
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(indexed_mu_);
      ForgetIndexedLocked();  // re-index on the next write
      return s;
    }
    for (const Indexed& x : indexed) index_->PostingsChanged(x.day, x.tenant, x.labels);
  }
  std::vector<HeadKey> keys;
  std::vector<std::span<const Sample>> samples;
  keys.reserve(rows.size());
  samples.reserve(rows.size());
  for (const Row& row : rows) {
    keys.push_back(HeadKey{row.tenant.Key(), row.sid});
    samples.push_back(row.samples);
  }
  std::vector<uint8_t> present;
  head_.AppendIfPresent(keys, samples, &present);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (present[i]) continue;
    const Row& row = rows[i];
    const HeadKey key = keys[i];
    if (row.labels != nullptr) {
      head_.Append(key, *row.labels, row.samples);
      continue;
    }
    absl::StatusOr<Labels> labels = LabelsOf(row);
    if (!labels.ok()) return labels.status();
    head_.Append(key, *labels, row.samples);
  }
  return absl::OkStatus();
}

absl::Status StorageEngine::Write(const pb::WriteRequest& req, pb::WriteResponse* resp) {
  return Write(req.SerializeAsString(), resp);
}

absl::Status StorageEngine::Write(std::string_view raw, pb::WriteResponse* resp, std::string_view zstd_frame) {
  // Reused per thread: decoding then allocates nothing once the buffers have grown.
  thread_local DecodedWrite d;
  if (absl::Status s = DecodeWriteRequest(raw, &d); !s.ok()) {
    stats_.rejected_invalid_rows++;
    return absl::InvalidArgumentError(absl::StrCat("request body (", raw.size(),
                                                   " bytes) is not a valid strata.storage.v1.WriteRequest: ",
                                                   s.message()));
  }
  if (d.rows.size() > options_.max_rows_per_write) {
    stats_.rejected_invalid_rows += d.rows.size();
    return absl::InvalidArgumentError(absl::StrCat("batch has ", d.rows.size(), " rows, above the limit of ",
                                                   options_.max_rows_per_write, " rows per write"));
  }
  const size_t total_samples = d.samples.size();
  if (total_samples > options_.max_samples_per_write) {
    stats_.rejected_invalid_rows += d.rows.size();
    return absl::InvalidArgumentError(absl::StrCat("batch has ", total_samples, " samples, above the limit of ",
                                                   options_.max_samples_per_write, " samples per write"));
  }

  // 1. Series ids: rows whose label bytes were seen before take the cached id;
  // the others are parsed and validated, and any invalid row rejects the batch.
  std::vector<Row> rows(d.rows.size());
  std::vector<RawSeriesKey> raw_keys(d.rows.size());
  std::vector<size_t> misses;
  std::vector<uint32_t> cached_day(d.rows.size(), UINT32_MAX);  // a hit's indexed day, if valid
  uint64_t epoch = 0;  // indexed_epoch_ when the hits were looked up
  size_t refs = 0;
  for (size_t i = 0; i < d.rows.size(); ++i) {
    const DecodedRow& in = d.rows[i];
    rows[i] = Row{in.tenant, 0, in.labels, d.SamplesOf(in)};
    if (in.has_series_id) {
      if (!in.labels.empty()) {
        stats_.rejected_invalid_rows += d.rows.size();
        return absl::InvalidArgumentError(
            absl::StrCat("batch rejected, nothing stored: row ", i, " has both labels and a series_id"));
      }
      rows[i].sid = in.series_id;
      rows[i].ref = true;
      ++refs;
      continue;
    }
    XXH128_hash_t h = XXH3_128bits_withSeed(in.labels.data(), in.labels.size(), in.tenant.Key());
    raw_keys[i] = RawSeriesKey{h.low64, h.high64};
  }
  uint64_t deletes_seen = 0;  // deletes_ when the references were checked
  {
    std::lock_guard<std::mutex> lock(indexed_mu_);
    epoch = indexed_epoch_;
    deletes_seen = deletes_;
    if (refs > 0) {
      // Reference rows: all of them must name series this process has stored in
      // full, or nothing of the batch is stored (the writer resends in full).
      std::string unknown;
      size_t n_unknown = 0;
      for (size_t i = 0; i < rows.size(); ++i) {
        if (!rows[i].ref) continue;
        if (i + 8 < rows.size()) known_.prefetch(HeadKey{rows[i + 8].tenant.Key(), rows[i + 8].sid});
        auto it = known_.find(HeadKey{rows[i].tenant.Key(), rows[i].sid});
        if (it != known_.end()) {
          if (it->second.indexed_epoch == indexed_epoch_) cached_day[i] = it->second.indexed_day;
          continue;
        }
        if (++n_unknown <= 5) {
          absl::StrAppend(&unknown, unknown.empty() ? "" : ", ", "row ", i, " (series_id ", rows[i].sid, ")");
        }
      }
      if (n_unknown > 0) {
        stats_.refused_unknown_refs += n_unknown;
        return UnknownReferenceError(absl::StrCat(
            "batch refused, nothing stored: ", n_unknown, " reference row(s) name series this node does not hold: ",
            unknown, n_unknown > 5 ? ", ..." : "", "; resend them with labels"));
      }
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].ref) continue;
      if (i + 8 < rows.size()) raw_series_.prefetch(raw_keys[i + 8]);  // overlap the misses
      auto it = raw_series_.find(raw_keys[i]);
      if (it != raw_series_.end()) {
        rows[i].sid = it->second.key.sid;
        if (it->second.indexed_epoch == indexed_epoch_) cached_day[i] = it->second.indexed_day;
      } else {
        misses.push_back(i);
      }
    }
  }
  std::vector<std::pair<size_t, Labels>> parsed;  // the misses' labels
  std::string errors;
  int bad = 0;
  for (size_t i : misses) {
    absl::StatusOr<Labels> labels = LabelsFromEntries(rows[i].label_entries);
    absl::Status err = labels.status();
    if (err.ok() && labels->empty()) err = absl::InvalidArgumentError("empty label set");
    if (!err.ok()) {
      if (++bad <= 10) absl::StrAppend(&errors, errors.empty() ? "" : "; ", "row ", i, ": ", err.message());
      continue;
    }
    rows[i].sid = labels->Hash();
    parsed.emplace_back(i, *std::move(labels));
  }
  if (bad > 0) {
    stats_.rejected_invalid_rows += bad;
    return absl::InvalidArgumentError(
        absl::StrCat("batch rejected, nothing stored: ", bad, " invalid row(s): ", errors, bad > 10 ? "; ..." : ""));
  }
  // The misses, learned once stored: their raw keys and series.
  struct Learned {
    size_t row;
    RawSeriesKey raw;
    HeadKey key;
  };
  std::vector<Learned> learned;
  learned.reserve(parsed.size());
  for (const auto& [i, labels] : parsed) {
    rows[i].labels = &labels;  // `parsed` no longer grows
    learned.push_back(Learned{i, raw_keys[i], HeadKey{rows[i].tenant.Key(), rows[i].sid}});
  }

  // 2. Series ids are label hashes: make sure a new id does not collide with a
  // different series already stored (checked once per series per process).
  std::vector<size_t> unknown;  // into parsed
  {
    std::lock_guard<std::mutex> lock(indexed_mu_);
    for (size_t k = 0; k < parsed.size(); ++k) {
      const Row& r = rows[parsed[k].first];
      if (!known_.contains(HeadKey{r.tenant.Key(), r.sid})) unknown.push_back(k);
    }
  }
  for (size_t k : unknown) {
    const auto& [i, labels] = parsed[k];
    HeadKey key{rows[i].tenant.Key(), rows[i].sid};
    absl::StatusOr<Labels> stored = index_->SeriesLabels(key.tenant, key.sid);
    if (stored.ok() && !(*stored == labels)) {
      stats_.rejected_invalid_rows++;
      return absl::InvalidArgumentError(absl::StrCat("batch rejected, nothing stored: row ", i, ": series ",
                                                     labels.ToString(), " collides with stored series ",
                                                     stored->ToString(), " (64-bit id clash)"));
    }
    if (!stored.ok() && !absl::IsNotFound(stored.status())) return stored.status();
    if (!stored.ok()) resp->set_new_series(resp->new_series() + 1);
  }

  // 3. Drop samples outside retention or too far ahead, report them per row.
  const int64_t now = Now();
  const int64_t min_t = now - options_.retention_ms;
  const int64_t max_t = now + options_.future_tolerance_ms;
  bool dropped_any = false;
  uint64_t accepted = 0;
  std::vector<uint32_t> single_day(rows.size(), UINT32_MAX);  // of the kept samples
  std::vector<uint8_t> kept_any(rows.size(), 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    std::span<Sample> samples = d.SamplesOf(d.rows[i]);
    uint64_t old = 0, future = 0;
    size_t kept = 0;
    for (const Sample& s : samples) {
      if (s.t < min_t) {
        ++old;
      } else if (s.t > max_t) {
        ++future;
      } else {
        samples[kept++] = s;
      }
    }
    rows[i].samples = samples.first(kept);
    single_day[i] = SingleDay(rows[i].samples);
    kept_any[i] = kept > 0;
    rows[i].indexed = single_day[i] != UINT32_MAX && single_day[i] == cached_day[i];
    accepted += kept;
    if (old > 0) {
      auto* r = resp->add_rejected();
      r->set_row(static_cast<uint32_t>(i));
      r->set_samples(old);
      r->set_reason("outside_retention");
      r->set_message(absl::StrCat(old, " sample(s) older than the retention cut-off ", min_t, " ms"));
      stats_.rejected_outside_retention += old;
    }
    if (future > 0) {
      auto* r = resp->add_rejected();
      r->set_row(static_cast<uint32_t>(i));
      r->set_samples(future);
      r->set_reason("too_far_in_future");
      r->set_message(absl::StrCat(future, " sample(s) newer than now + ", options_.future_tolerance_ms, " ms"));
      stats_.rejected_too_far_in_future += future;
    }
    if (old + future > 0) dropped_any = true;
  }
  resp->set_accepted_samples(accepted);
  resp->set_rejected_samples(total_samples - accepted);
  if (accepted == 0) return absl::OkStatus();

  // The WAL gets the request's bytes (or their zstd frame), or, when samples were
  // dropped, the rows that are left re-encoded. Replay tells a frame by its magic
  // number, so a plain request that starts with those bytes (possible only with an
  // unknown leading field) is re-encoded too.
  std::string filtered;
  const bool reencode = dropped_any || IsZstdFrame(raw);
  if (reencode) {
    for (const Row& r : rows) {
      if (r.samples.empty()) continue;
      if (r.ref) {
        AppendRefEntry(&filtered, r.tenant, r.sid, r.samples);
      } else {
        AppendSeriesEntry(&filtered, r.tenant, r.label_entries, r.samples);
      }
    }
    std::erase_if(rows, [](const Row& r) { return r.samples.empty(); });
  }
  const std::string_view wal_record = reencode ? std::string_view(filtered) : !zstd_frame.empty() ? zstd_frame : raw;

  // 4. WAL, then index + head, under the shared write lock (see write_mu_).
  {
    std::shared_lock<std::shared_mutex> lock(write_mu_);
    if (refs > 0) {
      // A delete between the reference check and here may have taken a referenced
      // series out of the index; Delete holds write_mu_ exclusively, so none can
      // come after this check.
      std::lock_guard<std::mutex> ilock(indexed_mu_);
      if (deletes_ != deletes_seen) {
        stats_.refused_unknown_refs += refs;
        return UnknownReferenceError(
            "batch refused, nothing stored: series were deleted while it was checked; resend its reference rows "
            "with labels");
      }
    }
    STRATA_ASSIGN_OR_RETURN(wal::Position pos, wal_->Append(wal_record));
    (void)pos;
    STRATA_RETURN_IF_ERROR(Apply(rows));
  }
  {
    std::lock_guard<std::mutex> lock(indexed_mu_);
    // Only series that got a sample are applied, so only they are in the index: a
    // reference row is accepted for exactly those (its labels come from the index).
    for (const Learned& l : learned) {
      if (!kept_any[l.row]) continue;
      known_.try_emplace(l.key);
      raw_series_.emplace(l.raw, RawSeries{l.key});
    }
    // Remember each row's day as indexed, unless indexed_ lost entries meanwhile.
    if (indexed_epoch_ == epoch) {
      for (size_t i = 0; i < single_day.size(); ++i) {
        if (single_day[i] == UINT32_MAX || single_day[i] == cached_day[i]) continue;
        if (d.rows[i].has_series_id) {
          auto it = known_.find(HeadKey{d.rows[i].tenant.Key(), d.rows[i].series_id});
          if (it == known_.end()) continue;  // deleted meanwhile
          it->second.indexed_day = single_day[i];
          it->second.indexed_epoch = epoch;
          continue;
        }
        auto it = raw_series_.find(raw_keys[i]);
        if (it == raw_series_.end()) continue;
        it->second.indexed_day = single_day[i];
        it->second.indexed_epoch = epoch;
      }
    }
  }
  stats_.rows_written += rows.size();
  stats_.samples_written += accepted;
  stats_.new_series += resp->new_series();
  return absl::OkStatus();
}

absl::Status StorageEngine::ApplyRecord(std::string_view record) {
  std::string inflated;
  if (IsZstdFrame(record)) {
    absl::StatusOr<std::string> raw = ZstdDecompress(record, kMaxWalRecordBytes);
    if (!raw.ok()) return absl::DataLossError(absl::StrCat("wal record: ", raw.status().message()));
    inflated = *std::move(raw);
    record = inflated;
  }
  DecodedWrite d;
  if (absl::Status s = DecodeWriteRequest(record, &d); !s.ok()) {
    return absl::DataLossError(absl::StrCat("wal record is not a WriteRequest: ", s.message()));
  }
  std::vector<Labels> labels(d.rows.size());
  std::vector<Row> rows;
  rows.reserve(d.rows.size());
  for (size_t i = 0; i < d.rows.size(); ++i) {
    const DecodedRow& in = d.rows[i];
    if (in.has_series_id) {
      // Its labels come from the head or the index when Apply needs them (LabelsOf).
      // A series deleted after this write was acknowledged (in the moment between
      // Delete's flush and its removal) is no longer in the index: its rows go with
      // it, the record's other rows stay. Checked once per series per replay.
      const HeadKey key{in.tenant.Key(), in.series_id};
      if (!replay_held_.contains(key)) {
        absl::StatusOr<Labels> held = index_->SeriesLabels(key.tenant, key.sid);
        if (absl::IsNotFound(held.status())) {
          stats_.wal_replay_dropped_ref_rows++;
          continue;
        }
        if (!held.ok()) return held.status();
        replay_held_.insert(key);
      }
      Row row{in.tenant, in.series_id, {}, d.SamplesOf(in)};
      row.ref = true;
      rows.push_back(row);
      continue;
    }
    STRATA_ASSIGN_OR_RETURN(labels[i], LabelsFromEntries(in.labels));
    rows.push_back(Row{in.tenant, labels[i].Hash(), in.labels, d.SamplesOf(in), &labels[i]});
  }
  return Apply(rows);
}

}  // namespace strata::storage
