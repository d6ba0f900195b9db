#include "libs/storage/key_format.h"

#include "libs/rpc/write_wire.h"

#include <cstdio>
#include <ctime>

namespace strata::storage {

uint32_t DayOf(int64_t t_ms) {
  int64_t d = t_ms / kDayMs;
  if (t_ms % kDayMs < 0) --d;
  // Clamp: kMinTime/kMaxTime ("all time") map to the first/last partition number.
  d += int64_t{1} << 31;
  if (d < 0) return 0;
  if (d > int64_t{UINT32_MAX}) return UINT32_MAX;
  return static_cast<uint32_t>(d);
}

int64_t DayStartMs(uint32_t day) { return (static_cast<int64_t>(day) - (int64_t{1} << 31)) * kDayMs; }

std::string DayName(uint32_t day) {
  time_t secs = static_cast<time_t>(DayStartMs(day) / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

void PutBig32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}
void PutBig64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}
uint32_t GetBig32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetBig64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void PutUvarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetUvarint(const char** p, const char* end, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    unsigned char c = static_cast<unsigned char>(*(*p)++);
    r |= uint64_t{c & 0x7fu} << shift;
    if (!(c & 0x80)) {
      *v = r;
      return true;
    }
  }
  return false;
}

void PutLengthPrefixed(std::string* out, std::string_view s) {
  PutUvarint(out, s.size());
  out->append(s);
}

bool GetLengthPrefixed(const char** p, const char* end, std::string_view* s) {
  uint64_t n;
  if (!GetUvarint(p, end, &n) || n > static_cast<uint64_t>(end - *p)) return false;
  *s = std::string_view(*p, n);
  *p += n;
  return true;
}

std::string SeriesKey(uint64_t tenant, uint64_t sid) {
  std::string k;
  PutBig64(&k, tenant);
  PutBig64(&k, sid);
  return k;
}

std::string PartitionPrefix(uint32_t day, uint64_t tenant) {
  std::string k;
  PutBig32(&k, day);
  PutBig64(&k, tenant);
  return k;
}

std::string NamePrefix(uint32_t day, uint64_t tenant, std::string_view name) {
  std::string k = PartitionPrefix(day, tenant);
  PutLengthPrefixed(&k, name);
  return k;
}

std::string PairPrefix(uint32_t day, uint64_t tenant, std::string_view name, std::string_view value) {
  std::string k = NamePrefix(day, tenant, name);
  PutLengthPrefixed(&k, value);
  return k;
}

std::string PostingKey(uint32_t day, uint64_t tenant, std::string_view name, std::string_view value, uint64_t sid) {
  std::string k = PairPrefix(day, tenant, name, value);
  PutBig64(&k, sid);
  return k;
}

std::string BlockPrefix(uint32_t day, uint64_t tenant, uint64_t sid) {
  std::string k = PartitionPrefix(day, tenant);
  PutBig64(&k, sid);
  return k;
}

std::string BlockKey(uint32_t day, uint64_t tenant, uint64_t sid, uint64_t seq) {
  std::string k = BlockPrefix(day, tenant, sid);
  PutBig64(&k, seq);
  return k;
}

bool ParsePairKey(std::string_view key, std::string_view* name, std::string_view* value, uint64_t* sid) {
  if (key.size() < 12) return false;
  const char* p = key.data() + 12;
  const char* end = key.data() + key.size();
  if (!GetLengthPrefixed(&p, end, name) || !GetLengthPrefixed(&p, end, value)) return false;
  if (sid != nullptr) {
    if (end - p != 8) return false;
    *sid = GetBig64(p);
  }
  return true;
}

void SeekForward(rocksdb::Iterator* it, const rocksdb::Slice& target, int max_steps) {
  if (it->Valid()) {
    for (int i = 0; i <= max_steps && it->Valid(); ++i) {
      if (it->key().compare(target) >= 0) return;
      if (i < max_steps) it->Next();
    }
    if (!it->status().ok()) return;
  }
  it->Seek(target);
}

std::string PrefixSuccessor(std::string p) {
  while (!p.empty()) {
    unsigned char c = static_cast<unsigned char>(p.back());
    if (c != 0xff) {
      p.back() = static_cast<char>(c + 1);
      return p;
    }
    p.pop_back();
  }
  return std::string(1, '\xff');  // unreachable for our non-empty prefixes
}

std::string EncodeLabels(const Labels& labels) {
  std::string out;
  PutUvarint(&out, labels.size());
  for (const Label& l : labels) {
    PutLengthPrefixed(&out, l.name);
    PutLengthPrefixed(&out, l.value);
  }
  return out;
}

absl::StatusOr<Labels> DecodeLabels(std::string_view data) {
  const char* p = data.data();
  const char* end = p + data.size();
  uint64_t n;
  if (!GetUvarint(&p, end, &n) || n > data.size()) return absl::DataLossError("corrupt series labels");
  std::vector<Label> out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view name, value;
    if (!GetLengthPrefixed(&p, end, &name) || !GetLengthPrefixed(&p, end, &value)) {
      return absl::DataLossError("corrupt series labels");
    }
    out.push_back(Label{std::string(name), std::string(value)});
  }
  return Labels::FromSortedUnchecked(std::move(out));
}

absl::Status EncodedLabelsToEntries(std::string_view data, std::string* out) {
  const char* p = data.data();
  const char* end = p + data.size();
  uint64_t n;
  if (!GetUvarint(&p, end, &n) || n > data.size()) return absl::DataLossError("corrupt series labels");
  LabelRef refs[64];
  std::vector<LabelRef> many;
  std::span<LabelRef> views = n <= 64 ? std::span<LabelRef>(refs, n) : (many.resize(n), std::span<LabelRef>(many));
  for (uint64_t i = 0; i < n; ++i) {
    if (!GetLengthPrefixed(&p, end, &views[i].name) || !GetLengthPrefixed(&p, end, &views[i].value)) {
      return absl::DataLossError("corrupt series labels");
    }
  }
  out->clear();
  AppendLabelEntries(out, views);
  return absl::OkStatus();
}

std::string EncodeBlockValue(int64_t min_t, int64_t max_t, uint32_t count, std::string_view data) {
  std::string v;
  v.reserve(20 + data.size());
  PutBig64(&v, static_cast<uint64_t>(min_t));
  PutBig64(&v, static_cast<uint64_t>(max_t));
  PutBig32(&v, count);
  v.append(data);
  return v;
}

bool DecodeBlockValue(std::string_view v, BlockValue* out) {
  if (v.size() < 20) return false;
  out->min_t = static_cast<int64_t>(GetBig64(v.data()));
  out->max_t = static_cast<int64_t>(GetBig64(v.data() + 8));
  out->count = GetBig32(v.data() + 16);
  out->data = v.substr(20);
  return true;
}

}  // namespace strata::storage
