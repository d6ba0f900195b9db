#include "libs/promql/memory_storage.h"

#include <catch2/catch.hpp>

#include "libs/promql/engine/evaluator.h"

namespace strata::promql {
namespace {

Labels L(std::vector<Label> pairs) { return *Labels::FromPairs(std::move(pairs)); }

// Hides SeriesIterator::Contiguous, so WindowCursor reads sample by sample.
class Streamed : public SeriesIterator {
 public:
  explicit Streamed(std::unique_ptr<SeriesIterator> in) : in_(std::move(in)) {}
  bool Next() override { return in_->Next(); }
  bool Seek(int64_t t) override { return in_->Seek(t); }
  Sample At() const override { return in_->At(); }

 private:
  std::unique_ptr<SeriesIterator> in_;
};

// The cursor's two ways of reading: the whole array up front, or sample by sample.
std::unique_ptr<SeriesIterator> Samples(std::vector<Sample> s, bool streamed) {
  auto it = MakeVectorIterator(std::move(s));
  if (streamed) return std::make_unique<Streamed>(std::move(it));
  return it;
}

TEST_CASE("memory storage: select by matchers and time, sorted, replace on same t") {
  MemoryStorage st;
  st.Append(L({{"__name__", "m"}, {"a", "2"}}), {{0, 1}, {10, 2}, {20, 3}});
  st.Append(L({{"__name__", "m"}, {"a", "1"}}), {{5, 1}});
  st.Append(L({{"__name__", "m"}, {"a", "1"}}), {{5, 7}});  // replaces
  auto q = *st.NewQuerier(0, 100);
  Matchers ms = {*Matcher::Make(MatchType::kEqual, "__name__", "m")};
  SelectHints h;
  h.start = 6;
  h.end = 20;
  auto set = q->Select(true, nullptr, ms);
  REQUIRE(set->Next());
  CHECK(set->At().labels().Get("a") == "1");
  auto it = set->At().Iterator();
  REQUIRE(it->Next());
  CHECK(it->At().v == 7);
  CHECK(!it->Next());
  REQUIRE(set->Next());
  CHECK(!set->Next());
  // Time bounds drop a series with no samples in range.
  auto set2 = q->Select(true, &h, ms);
  REQUIRE(set2->Next());
  CHECK(set2->At().labels().Get("a") == "2");
  auto it2 = set2->At().Iterator();
  REQUIRE(it2->Seek(15));
  CHECK(it2->At().t == 20);
  CHECK(!set2->Next());
  CHECK(*q->LabelValues("a", {}) == std::vector<std::string>{"1", "2"});
  CHECK(*q->LabelNames({}) == std::vector<std::string>{"__name__", "a"});
}

TEST_CASE("window cursor: slides without re-reading and drops stale markers") {
  const bool streamed = GENERATE(false, true);
  auto it = Samples({{0, 1}, {10, StaleNaN()}, {20, 3}, {30, 4}, {40, 5}}, streamed);
  WindowCursor wc(it.get());
  auto w = wc.Advance(0, 20);
  REQUIRE(w.size() == 2);
  CHECK(w[0].v == 1);
  CHECK(w[1].v == 3);
  w = wc.Advance(15, 30);
  REQUIRE(w.size() == 2);
  CHECK(w[0].t == 20);
  w = wc.Advance(35, 35);
  CHECK(w.empty());
  w = wc.Advance(40, 100);
  REQUIRE(w.size() == 1);
  CHECK(w[0].v == 5);
}

TEST_CASE("window cursor: counts drops inside the window only") {
  // 5 -> 2 is a drop between t=10 and t=20; the stale marker is skipped, so 2 -> 1
  // (t=20 -> t=40) is one too.
  std::vector<Sample> s = {{0, 1}, {10, 5}, {20, 2}, {30, StaleNaN()}, {40, 1}, {50, 4}};
  for (int i = 0; i < 600; ++i) s.push_back({60 + i * 10, static_cast<double>(i)});  // forces compaction
  const bool streamed = GENERATE(false, true);
  auto it = Samples(s, streamed);
  WindowCursor wc(it.get(), /*track_drops=*/true);
  CHECK_FALSE(wc.Advance(0, 10).empty());
  CHECK_FALSE(wc.WindowHasDrop());
  wc.Advance(0, 20);
  CHECK(wc.WindowHasDrop());
  wc.Advance(20, 40);  // {20:2, 40:1}
  CHECK(wc.WindowHasDrop());
  wc.Advance(40, 60);  // {40:1, 50:4, 60:0}
  CHECK(wc.WindowHasDrop());
  wc.Advance(50, 3000);  // {50:4, 60:0, ...}: the drop 4 -> 0 is inside
  CHECK(wc.WindowHasDrop());
  wc.Advance(60, 4000);  // 0, 1, 2, ... rising
  CHECK_FALSE(wc.WindowHasDrop());
  wc.Advance(5000, 6000);
  CHECK_FALSE(wc.WindowHasDrop());
  wc.Advance(6000, 6040);
  CHECK_FALSE(wc.WindowHasDrop());
}

}  // namespace
}  // namespace strata::promql
