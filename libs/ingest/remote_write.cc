#include "libs/ingest/remote_write.h"

#include <bit>
#include <cstring>
#include <vector>

#include <snappy.h>

#include "absl/strings/str_cat.h"

namespace strata::ingest {
namespace {

// Decoded bodies up to this size reuse a per-thread buffer (see ParseRemoteWrite).
constexpr size_t kReusedBufferBytes = 8 << 20;

// Protobuf wire types.
constexpr int kVarint = 0;
constexpr int kFixed64 = 1;
constexpr int kLen = 2;
constexpr int kStartGroup = 3;
constexpr int kEndGroup = 4;
constexpr int kFixed32 = 5;
constexpr int kMaxGroupDepth = 32;

const char* WireTypeName(int wt) {
  switch (wt) {
    case kVarint: return "varint";
    case kFixed64: return "fixed64";
    case kLen: return "length-delimited";
    case kStartGroup: return "start-group";
    case kEndGroup: return "end-group";
    case kFixed32: return "fixed32";
    default: return "invalid";
  }
}

// A decoded row: where its labels and samples are in DecoderScratch.
struct PendingRow {
  size_t first_label, labels, first_sample, samples;
  std::string_view raw_labels;
};

// The decoder's vectors, kept per thread between requests: fresh ones grew from
// empty on every request, and their stores were half of the decoder's time.
struct DecoderScratch {
  std::vector<PendingRow> rows;
  std::vector<LabelView> labels;
  std::vector<Sample> samples;
  std::vector<RowView> views;  // the rows as delivered (RowSink::OnRows)

  void Clear() {
    rows.clear();
    labels.clear();
    samples.clear();
    views.clear();
  }
  // After a message too big to hold, the memory goes back.
  void Trim() {
    constexpr size_t kKeptEntries = 1 << 20;
    if (labels.capacity() + samples.capacity() > kKeptEntries) *this = {};
  }
};

// Decodes a WriteRequest in one pass into views of its rows, and delivers them
// only once the whole message decoded, so that a message that is malformed
// anywhere delivers nothing. Past max_buffered views it stops collecting, checks the
// rest, and then decodes again delivering row by row.
class WriteRequestDecoder {
 public:
  WriteRequestDecoder(std::string_view msg, RowSink* sink, ParseResult* result, size_t max_buffered,
                      DecoderScratch* scratch)
      : base_(msg.data()),
        end_(msg.data() + msg.size()),
        sink_(sink),
        result_(result),
        rows_(scratch->rows),
        labels_(scratch->labels),
        samples_(scratch->samples),
        views_(scratch->views),
        max_buffered_(max_buffered) {}

  absl::Status Run() {
    if (absl::Status st = Decode(); !st.ok()) return st;
    if (mode_ == Mode::kCheck) {
      // Too big to hold: the message is valid, so decode it again delivering rows.
      mode_ = Mode::kDeliver;
      ts_index_ = 0;
      exemplars_ = histograms_ = metadata_ = 0;
      if (absl::Status st = Decode(); !st.ok()) return st;
    }
    if (!rows_.empty()) sink_->Expect(rows_.size(), static_cast<size_t>(end_ - base_));
    views_.clear();
    for (const PendingRow& r : rows_) {
      views_.push_back(RowView{std::span<const LabelView>(labels_.data() + r.first_label, r.labels),
                              std::span<const Sample>(samples_.data() + r.first_sample, r.samples), r.raw_labels});
      ++result_->rows;
      result_->samples += r.samples;
    }
    sink_->OnRows(views_);
    result_->skipped_exemplars += exemplars_;
    result_->unsupported_histograms += histograms_;
    result_->skipped_metadata += metadata_;
    return absl::OkStatus();
  }

 private:
  absl::Status Decode() {
    const char* p = base_;
    while (p < end_) {
      uint32_t field = 0;
      int wt = 0;
      if (!ReadTag(p, end_, &field, &wt)) return Error();
      if (field == 1 || field == 3) {
        in_ts_ = field == 1;
        sub_kind_ = nullptr;
        std::string_view sub;
        if (!ExpectWire(p, field, wt, kLen, field == 1 ? "timeseries" : "metadata") ||
            !ReadLen(p, end_, &sub)) {
          return Error();
        }
        if (field == 1) {
          if (!DecodeTimeSeries(sub)) return Error();
          ++ts_index_;
          in_ts_ = false;
          if (mode_ == Mode::kCollect && labels_.size() + samples_.size() > max_buffered_) {
            mode_ = Mode::kCheck;
            rows_.clear();
            labels_.clear();
            samples_.clear();
          }
        } else {
          ++metadata_;
        }
      } else if (!Skip(p, end_, field, wt, 0)) {
        return Error();
      }
    }
    return absl::OkStatus();
  }

  bool DecodeTimeSeries(std::string_view ts) {
    const char* p = ts.data();
    const char* end = ts.data() + ts.size();
    const size_t first_label = labels_.size(), first_sample = samples_.size();
    sub_index_ = 0;
    sub_kind_ = nullptr;
    size_t n_labels = 0, n_samples = 0;
    uint64_t exemplars = 0, histograms = 0;
    // Where the labels fields begin and end, while they are back to back.
    const char* raw_begin = nullptr;
    const char* raw_end = nullptr;
    bool raw_contiguous = true;
    while (p < end) {
      uint32_t field = 0;
      int wt = 0;
      sub_kind_ = nullptr;
      const char* tag = p;
      if (!ReadTag(p, end, &field, &wt)) return false;
      std::string_view sub;
      switch (field) {
        case 1: {
          sub_kind_ = "labels";
          sub_index_ = n_labels++;
          if (!ExpectWire(p, field, wt, kLen, "labels") || !ReadLen(p, end, &sub)) return false;
          // Decoded in place: a LabelView built on the stack and copied in was
          // stored as four words and loaded as two, which stalled store forwarding.
          if (!DecodeLabel(sub, &labels_.emplace_back())) return false;
          if (raw_begin == nullptr) {
            raw_begin = tag;
          } else if (raw_end != tag) {
            raw_contiguous = false;
          }
          raw_end = p;
          break;
        }
        case 2: {
          sub_kind_ = "samples";
          sub_index_ = n_samples++;
          if (!ExpectWire(p, field, wt, kLen, "samples") || !ReadLen(p, end, &sub)) return false;
          if (!DecodeSample(sub, &samples_.emplace_back())) return false;  // in place, as labels
          break;
        }
        case 3:
        case 4:
          // Exemplars and native histograms are not stored, only counted; their
          // content is not decoded beyond the framing.
          if (!ExpectWire(p, field, wt, kLen, field == 3 ? "exemplars" : "histograms") ||
              !ReadLen(p, end, &sub)) {
            return false;
          }
          (field == 3 ? exemplars : histograms)++;
          break;
        default:
          if (!Skip(p, end, field, wt, 0)) return false;
      }
    }
    sub_kind_ = nullptr;
    exemplars_ += exemplars;
    histograms_ += histograms;
    const size_t n_label_views = labels_.size() - first_label, n_sample_views = samples_.size() - first_sample;
    const std::string_view raw_labels =
        raw_begin != nullptr && raw_contiguous ? std::string_view(raw_begin, raw_end - raw_begin) : std::string_view();
    if (mode_ == Mode::kCollect) {
      if (n_sample_views > 0) {
        rows_.push_back(PendingRow{first_label, n_label_views, first_sample, n_sample_views, raw_labels});
      } else {
        labels_.resize(first_label);  // a series without samples delivers nothing
      }
      return true;
    }
    if (mode_ == Mode::kDeliver && n_sample_views > 0) {
      sink_->OnRow(RowView{labels_, samples_, raw_labels});
      ++result_->rows;
      result_->samples += n_sample_views;
    }
    labels_.clear();
    samples_.clear();
    return true;
  }

  // The form every client writes: name (field 1) then value (field 2), each shorter
  // than 128 bytes, nothing else. Anything else takes the general loop.
  bool DecodeLabel(std::string_view msg, LabelView* out) {
    const auto* b = reinterpret_cast<const uint8_t*>(msg.data());
    const size_t n = msg.size();
    if (n >= 4 && b[0] == 0x0a && b[1] < 0x80) [[likely]] {
      const size_t name_len = b[1];
      if (name_len + 4 <= n && b[name_len + 2] == 0x12 && b[name_len + 3] < 0x80 &&
          name_len + 4 + b[name_len + 3] == n) [[likely]] {
        out->name = msg.substr(2, name_len);
        out->value = msg.substr(name_len + 4);
        return true;
      }
    }
    return DecodeLabelFields(msg, out);
  }

  bool DecodeLabelFields(std::string_view msg, LabelView* out) {
    const char* p = msg.data();
    const char* end = msg.data() + msg.size();
    *out = {};
    while (p < end) {
      uint32_t field = 0;
      int wt = 0;
      if (!ReadTag(p, end, &field, &wt)) return false;
      if (field == 1 || field == 2) {
        if (!ExpectWire(p, field, wt, kLen, field == 1 ? "name" : "value")) return false;
        if (!ReadLen(p, end, field == 1 ? &out->name : &out->value)) return false;
      } else if (!Skip(p, end, field, wt, 0)) {
        return false;
      }
    }
    return true;
  }

  // Fast path for value (fixed64, field 1) then timestamp (varint, field 2).
  bool DecodeSample(std::string_view msg, Sample* out) {
    const char* p = msg.data();
    const char* end = msg.data() + msg.size();
    if (msg.size() >= 11 && static_cast<uint8_t>(p[0]) == 0x09 && static_cast<uint8_t>(p[9]) == 0x10) [[likely]] {
      uint64_t bits = 0, t = 0;
      std::memcpy(&bits, p + 1, 8);
      if constexpr (std::endian::native == std::endian::big) bits = __builtin_bswap64(bits);
      const char* q = p + 10;
      if (ReadVarint(q, end, &t) && q == end) {
        out->v = std::bit_cast<double>(bits);
        out->t = static_cast<int64_t>(t);
        return true;
      }
      error_.clear();
    }
    return DecodeSampleFields(msg, out);
  }

  bool DecodeSampleFields(std::string_view msg, Sample* out) {
    const char* p = msg.data();
    const char* end = msg.data() + msg.size();
    *out = {};
    while (p < end) {
      uint32_t field = 0;
      int wt = 0;
      if (!ReadTag(p, end, &field, &wt)) return false;
      if (field == 1) {
        uint64_t bits = 0;
        if (!ExpectWire(p, field, wt, kFixed64, "value") || !ReadFixed64(p, end, &bits)) {
          return false;
        }
        out->v = std::bit_cast<double>(bits);
      } else if (field == 2) {
        uint64_t v = 0;
        if (!ExpectWire(p, field, wt, kVarint, "timestamp") || !ReadVarint(p, end, &v)) {
          return false;
        }
        out->t = static_cast<int64_t>(v);
      } else if (!Skip(p, end, field, wt, 0)) {
        return false;
      }
    }
    return true;
  }

  [[gnu::always_inline]] bool ReadVarint(const char*& p, const char* end, uint64_t* out) {
    if (p < end && static_cast<uint8_t>(*p) < 0x80) [[likely]] {  // tags and short lengths: one byte
      *out = static_cast<uint8_t>(*p++);
      return true;
    }
    return ReadVarintSlow(p, end, out);
  }

  [[gnu::noinline]] bool ReadVarintSlow(const char*& p, const char* end, uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) return Fail(p, "truncated varint");
      auto b = static_cast<uint8_t>(*p++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return Fail(p, "varint longer than 10 bytes");
  }

  [[gnu::always_inline]] bool ReadTag(const char*& p, const char* end, uint32_t* field, int* wt) {
    const char* start = p;
    uint64_t key = 0;
    if (!ReadVarint(p, end, &key)) return false;
    *wt = static_cast<int>(key & 7);
    uint64_t f = key >> 3;
    if (f == 0 || f > 0x1fffffff) [[unlikely]] return BadField(start, f);
    *field = static_cast<uint32_t>(f);
    return true;
  }

  [[gnu::always_inline]] bool ReadLen(const char*& p, const char* end, std::string_view* out) {
    const char* start = p;
    uint64_t n = 0;
    if (!ReadVarint(p, end, &n)) return false;
    if (n > static_cast<uint64_t>(end - p)) [[unlikely]] return LengthPastEnd(start, n, end - p);
    *out = std::string_view(p, n);
    p += n;
    return true;
  }

  bool ReadFixed64(const char*& p, const char* end, uint64_t* out) {
    if (end - p < 8) return Fail(p, "truncated fixed64");
    uint64_t v = 0;
    std::memcpy(&v, p, 8);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    *out = v;
    p += 8;
    return true;
  }

  // Skips the value of an unknown field whose tag was just read.
  bool Skip(const char*& p, const char* end, uint32_t field, int wt, int depth) {
    switch (wt) {
      case kVarint: {
        uint64_t v = 0;
        return ReadVarint(p, end, &v);
      }
      case kFixed64:
        if (end - p < 8) return Fail(p, "truncated fixed64");
        p += 8;
        return true;
      case kLen: {
        std::string_view v;
        return ReadLen(p, end, &v);
      }
      case kFixed32:
        if (end - p < 4) return Fail(p, "truncated fixed32");
        p += 4;
        return true;
      case kStartGroup: {
        if (depth >= kMaxGroupDepth) return Fail(p, "groups nested too deeply");
        while (true) {
          if (p >= end) return Fail(p, absl::StrCat("unterminated group ", field));
          uint32_t f = 0;
          int w = 0;
          const char* tag = p;
          if (!ReadTag(p, end, &f, &w)) return false;
          if (w == kEndGroup) {
            if (f != field) {
              return Fail(tag, absl::StrCat("end of group ", f, " inside group ", field));
            }
            return true;
          }
          if (!Skip(p, end, f, w, depth + 1)) return false;
        }
      }
      case kEndGroup:
        return Fail(p, absl::StrCat("unexpected end of group ", field));
      default:
        return Fail(p, absl::StrCat("field ", field, " has invalid wire type ", wt));
    }
  }

  [[gnu::always_inline]] bool ExpectWire(const char* p, uint32_t field, int wt, int want, const char* name) {
    if (wt == want) [[likely]] return true;
    return WrongWire(p, field, wt, want, name);
  }

  // Failures: out of line, so the paths above stay small enough to inline.
  [[gnu::noinline, gnu::cold]] bool WrongWire(const char* p, uint32_t field, int wt, int want, const char* name) {
    return Fail(p, absl::StrCat("field ", field, " (", name, ") has wire type ", WireTypeName(wt), ", want ",
                                WireTypeName(want)));
  }
  [[gnu::noinline, gnu::cold]] bool BadField(const char* p, uint64_t f) {
    return Fail(p, absl::StrCat("invalid field number ", f));
  }
  [[gnu::noinline, gnu::cold]] bool LengthPastEnd(const char* p, uint64_t n, ptrdiff_t left) {
    return Fail(p, absl::StrCat("length ", n, " runs past the end of the message (", left, " bytes left)"));
  }

  [[gnu::noinline, gnu::cold]] bool Fail(const char* p, std::string what) {
    std::string where;
    if (in_ts_) {
      where = absl::StrCat("timeseries[", ts_index_, "]");
      if (sub_kind_ != nullptr) absl::StrAppend(&where, ".", sub_kind_, "[", sub_index_, "]");
      where += ": ";
    }
    error_ = absl::StrCat(where, what, " at offset ", p - base_);
    return false;
  }

  absl::Status Error() const {
    return absl::InvalidArgumentError(absl::StrCat("malformed remote_write request: ", error_));
  }

  const char* base_;
  const char* end_;
  RowSink* sink_;
  ParseResult* result_;
  // Every row's labels and samples, row after row (views into the message).
  std::vector<PendingRow>& rows_;
  std::vector<LabelView>& labels_;
  std::vector<Sample>& samples_;
  std::vector<RowView>& views_;
  uint64_t exemplars_ = 0, histograms_ = 0, metadata_ = 0;
  // kCollect: hold every row; kCheck: only validate (too big to hold); kDeliver:
  // hand each row over as it is decoded (second pass of a checked message).
  enum class Mode { kCollect, kCheck, kDeliver };
  Mode mode_ = Mode::kCollect;
  size_t max_buffered_;
  int64_t ts_index_ = 0;
  const char* sub_kind_ = nullptr;
  size_t sub_index_ = 0;
  bool in_ts_ = false;  // error messages name the timeseries being decoded
  std::string error_;
};

}  // namespace

absl::StatusOr<std::string> SnappyDecompress(std::string_view compressed,
                                             size_t max_decoded_bytes) {
  size_t n = 0;
  if (!snappy::GetUncompressedLength(compressed.data(), compressed.size(), &n)) {
    return absl::InvalidArgumentError("malformed snappy block: bad length header");
  }
  if (n > max_decoded_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("snappy block decodes to ", n,
                                                     " bytes, more than the limit of ",
                                                     max_decoded_bytes));
  }
  std::string out(n, '\0');
  if (!snappy::RawUncompress(compressed.data(), compressed.size(), out.data())) {
    return absl::InvalidArgumentError("malformed snappy block: corrupt data");
  }
  return out;
}

absl::Status ParseRemoteWriteProto(std::string_view proto, RowSink& sink, ParseResult* result,
                                   const RemoteWriteOptions& opts) {
  thread_local DecoderScratch kept;
  thread_local bool kept_in_use = false;
  if (kept_in_use) {
    // A sink parsing another message from inside OnRow: not with the same vectors.
    DecoderScratch own;
    return WriteRequestDecoder(proto, &sink, result, opts.max_buffered_entries, &own).Run();
  }
  kept_in_use = true;
  kept.Clear();
  absl::Status st = WriteRequestDecoder(proto, &sink, result, opts.max_buffered_entries, &kept).Run();
  kept.Trim();
  kept_in_use = false;
  return st;
}

absl::Status ParseRemoteWrite(std::string_view body, const RemoteWriteOptions& opts,
                              RowSink& sink, ParseResult* result) {
  size_t n = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &n) || n > kReusedBufferBytes) {
    absl::StatusOr<std::string> proto = SnappyDecompress(body, opts.max_decoded_bytes);
    if (!proto.ok()) return proto.status();
    return ParseRemoteWriteProto(*proto, sink, result, opts);
  }
  if (n > opts.max_decoded_bytes) return SnappyDecompress(body, opts.max_decoded_bytes).status();
  // Bodies of the usual size decode into this thread's buffer, kept between
  // requests: a fresh string per request was zero-filled and page-faulted in first.
  // The rows are delivered before this returns, so nothing outlives the buffer's use.
  thread_local std::string buffer;
  thread_local bool buffer_in_use = false;
  if (buffer_in_use) {  // a sink parsing another body from inside OnRow
    absl::StatusOr<std::string> proto = SnappyDecompress(body, opts.max_decoded_bytes);
    if (!proto.ok()) return proto.status();
    return ParseRemoteWriteProto(*proto, sink, result, opts);
  }
  if (buffer.size() < n) buffer.resize(n);
  if (!snappy::RawUncompress(body.data(), body.size(), buffer.data())) {
    return absl::InvalidArgumentError("malformed snappy block: corrupt data");
  }
  buffer_in_use = true;
  absl::Status st = ParseRemoteWriteProto(std::string_view(buffer.data(), n), sink, result, opts);
  buffer_in_use = false;
  return st;
}

}  // namespace strata::ingest
