#include "services/select/remote_read.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"

namespace strata {
namespace {

constexpr int kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5;

// Minimal protobuf wire reader over one message; every read is bounds-checked.
class Wire {
 public:
  explicit Wire(std::string_view msg) : p_(msg.data()), end_(msg.data() + msg.size()) {}
  bool Done() const { return p_ >= end_; }

  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      uint8_t b = static_cast<uint8_t>(*p_++);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool Tag(uint32_t* field, int* wt) {
    uint64_t t = 0;
    if (!Varint(&t) || (t >> 3) == 0 || (t >> 3) > UINT32_MAX) return false;
    *field = static_cast<uint32_t>(t >> 3);
    *wt = static_cast<int>(t & 7);
    return true;
  }
  bool Len(std::string_view* out) {
    uint64_t n = 0;
    if (!Varint(&n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool Fixed64(uint64_t* v) {
    if (end_ - p_ < 8) return false;
    std::memcpy(v, p_, 8);  // little-endian hosts only, as the rest of the codebase
    p_ += 8;
    return true;
  }
  bool Skip(int wt) {
    uint64_t v = 0;
    std::string_view s;
    switch (wt) {
      case kVarint: return Varint(&v);
      case kFixed64: return Fixed64(&v);
      case kLen: return Len(&s);
      case kFixed32:
        if (end_ - p_ < 4) return false;
        p_ += 4;
        return true;
      default: return false;
    }
  }

 private:
  const char* p_;
  const char* end_;
};

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void PutTag(std::string* out, uint32_t field, int wt) { PutVarint(out, (uint64_t{field} << 3) | uint64_t(wt)); }
void PutBytes(std::string* out, uint32_t field, std::string_view b) {
  PutTag(out, field, kLen);
  PutVarint(out, b.size());
  out->append(b);
}
void PutFixed64(std::string* out, uint32_t field, uint64_t v) {
  PutTag(out, field, kFixed64);
  char buf[8];
  std::memcpy(buf, &v, 8);
  out->append(buf, 8);
}

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed remote_read ", Sv(what)));
}

absl::StatusOr<Matcher> DecodeMatcher(std::string_view msg) {
  Wire w(msg);
  uint64_t type = 0;
  std::string_view name, value;
  while (!w.Done()) {
    uint32_t f = 0;
    int wt = 0;
    if (!w.Tag(&f, &wt)) return Malformed("label matcher");
    bool ok = true;
    if (f == 1 && wt == kVarint) {
      ok = w.Varint(&type);
    } else if (f == 2 && wt == kLen) {
      ok = w.Len(&name);
    } else if (f == 3 && wt == kLen) {
      ok = w.Len(&value);
    } else {
      ok = w.Skip(wt);
    }
    if (!ok) return Malformed("label matcher");
  }
  static constexpr MatchType kTypes[] = {MatchType::kEqual, MatchType::kNotEqual, MatchType::kRegexMatch,
                                         MatchType::kRegexNoMatch};
  if (type > 3) return absl::InvalidArgumentError(absl::StrCat("unknown label matcher type ", type));
  return Matcher::Make(kTypes[type], std::string(name), std::string(value));
}

absl::StatusOr<ReadQuery> DecodeQuery(std::string_view msg) {
  Wire w(msg);
  ReadQuery q;
  while (!w.Done()) {
    uint32_t f = 0;
    int wt = 0;
    if (!w.Tag(&f, &wt)) return Malformed("query");
    uint64_t v = 0;
    std::string_view sub;
    if ((f == 1 || f == 2) && wt == kVarint) {
      if (!w.Varint(&v)) return Malformed("query");
      (f == 1 ? q.start_ms : q.end_ms) = static_cast<int64_t>(v);
    } else if (f == 3 && wt == kLen) {
      if (!w.Len(&sub)) return Malformed("query");
      absl::StatusOr<Matcher> m = DecodeMatcher(sub);
      if (!m.ok()) return m.status();
      q.matchers.push_back(*std::move(m));
    } else if (!w.Skip(wt)) {  // hints (4) are advisory
      return Malformed("query");
    }
  }
  return q;
}

absl::StatusOr<std::pair<Labels, std::vector<Sample>>> DecodeSeries(std::string_view msg) {
  Wire w(msg);
  std::vector<Label> labels;
  std::vector<Sample> samples;
  while (!w.Done()) {
    uint32_t f = 0;
    int wt = 0;
    std::string_view sub;
    if (!w.Tag(&f, &wt)) return Malformed("time series");
    if ((f == 1 || f == 2) && wt == kLen) {
      if (!w.Len(&sub)) return Malformed("time series");
      Wire in(sub);
      Label l;
      Sample s;
      while (!in.Done()) {
        uint32_t g = 0;
        int gwt = 0;
        std::string_view str;
        uint64_t v = 0;
        if (!in.Tag(&g, &gwt)) return Malformed("time series");
        bool ok = true;
        if (f == 1 && (g == 1 || g == 2) && gwt == kLen) {
          ok = in.Len(&str);
          (g == 1 ? l.name : l.value) = std::string(str);
        } else if (f == 2 && g == 1 && gwt == kFixed64) {
          ok = in.Fixed64(&v);
          s.v = std::bit_cast<double>(v);
        } else if (f == 2 && g == 2 && gwt == kVarint) {
          ok = in.Varint(&v);
          s.t = static_cast<int64_t>(v);
        } else {
          ok = in.Skip(gwt);
        }
        if (!ok) return Malformed("time series");
      }
      if (f == 1) {
        labels.push_back(std::move(l));
      } else {
        samples.push_back(s);
      }
    } else if (!w.Skip(wt)) {
      return Malformed("time series");
    }
  }
  absl::StatusOr<Labels> ls = Labels::FromPairs(std::move(labels));
  if (!ls.ok()) return ls.status();
  return std::make_pair(*std::move(ls), std::move(samples));
}

}  // namespace

absl::StatusOr<std::vector<ReadQuery>> DecodeReadRequest(std::string_view proto) {
  Wire w(proto);
  std::vector<ReadQuery> out;
  while (!w.Done()) {
    uint32_t f = 0;
    int wt = 0;
    std::string_view sub;
    if (!w.Tag(&f, &wt)) return Malformed("request");
    if (f == 1 && wt == kLen) {
      if (!w.Len(&sub)) return Malformed("request");
      absl::StatusOr<ReadQuery> q = DecodeQuery(sub);
      if (!q.ok()) return q.status();
      out.push_back(*std::move(q));
    } else if (!w.Skip(wt)) {  // accepted_response_types: SAMPLES is always understood
      return Malformed("request");
    }
  }
  return out;
}

std::string EncodeReadRequest(const std::vector<ReadQuery>& queries) {
  std::string out;
  for (const ReadQuery& q : queries) {
    std::string qm;
    PutTag(&qm, 1, kVarint);
    PutVarint(&qm, static_cast<uint64_t>(q.start_ms));
    PutTag(&qm, 2, kVarint);
    PutVarint(&qm, static_cast<uint64_t>(q.end_ms));
    for (const Matcher& m : q.matchers) {
      std::string mm;
      PutTag(&mm, 1, kVarint);
      PutVarint(&mm, static_cast<uint64_t>(m.type()));
      PutBytes(&mm, 2, m.name());
      PutBytes(&mm, 3, m.value());
      PutBytes(&qm, 3, mm);
    }
    PutBytes(&out, 1, qm);
  }
  PutTag(&out, 2, kVarint);  // accepted_response_types: [SAMPLES]
  PutVarint(&out, 0);
  return out;
}

void ReadResponseEncoder::FlushResult() {
  if (!open_) return;
  PutBytes(&out_, 1, result_);
  result_.clear();
  open_ = false;
}

void ReadResponseEncoder::BeginResult() {
  FlushResult();
  open_ = true;
}

void ReadResponseEncoder::AddSeries(const Labels& labels, const std::vector<Sample>& samples) {
  std::string ts, tmp;
  for (const Label& l : labels) {
    tmp.clear();
    PutBytes(&tmp, 1, l.name);
    PutBytes(&tmp, 2, l.value);
    PutBytes(&ts, 1, tmp);
  }
  for (const Sample& s : samples) {
    tmp.clear();
    PutFixed64(&tmp, 1, std::bit_cast<uint64_t>(s.v));
    PutTag(&tmp, 2, kVarint);
    PutVarint(&tmp, static_cast<uint64_t>(s.t));
    PutBytes(&ts, 2, tmp);
  }
  PutBytes(&result_, 1, ts);
}

std::string ReadResponseEncoder::Finish() {
  FlushResult();
  return std::exchange(out_, {});
}

absl::StatusOr<std::vector<ReadResult>> DecodeReadResponse(std::string_view proto) {
  Wire w(proto);
  std::vector<ReadResult> out;
  while (!w.Done()) {
    uint32_t f = 0;
    int wt = 0;
    std::string_view sub;
    if (!w.Tag(&f, &wt)) return Malformed("response");
    if (f == 1 && wt == kLen) {
      if (!w.Len(&sub)) return Malformed("response");
      ReadResult r;
      Wire in(sub);
      while (!in.Done()) {
        uint32_t g = 0;
        int gwt = 0;
        std::string_view ts;
        if (!in.Tag(&g, &gwt)) return Malformed("response");
        if (g == 1 && gwt == kLen) {
          if (!in.Len(&ts)) return Malformed("response");
          auto s = DecodeSeries(ts);
          if (!s.ok()) return s.status();
          r.push_back(*std::move(s));
        } else if (!in.Skip(gwt)) {
          return Malformed("response");
        }
      }
      out.push_back(std::move(r));
    } else if (!w.Skip(wt)) {
      return Malformed("response");
    }
  }
  return out;
}

}  // namespace strata
