// JSON in exactly the shape and spelling Prometheus 2.42's HTTP API writes it:
// Go's string escaping (HTML characters as \u003c..., invalid UTF-8 as \ufffd),
// timestamps as seconds with up to 3 decimals, sample values as strings
// ("+Inf", "NaN", shortest round trip).
//
//   std::string out;
//   AppendJsonString(&out, "a<b");           // "a\u003cb"
//   AppendResultData(&out, result);          // {"resultType":"vector","result":[...]}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "libs/model/labels.h"
#include "libs/promql/engine/value.h"

namespace strata {

void AppendJsonString(std::string* out, std::string_view s);
// {"__name__":"up","job":"x"} (labels in sorted order).
void AppendLabelsJson(std::string* out, const Labels& labels);
// 1435781451.781 — t_ms / 1000 with the fraction as Prometheus prints it.
void AppendTimestamp(std::string* out, int64_t t_ms);
// [1435781451.781,"1"]
void AppendPoint(std::string* out, int64_t t_ms, double v);
// {"resultType":"...","result":...}
void AppendResultData(std::string* out, const promql::Result& result);

// {"status":"success","data":<data>[,"warnings":[...]][,"isPartial":true]}
std::string SuccessJson(std::string_view data, const std::vector<std::string>& warnings = {}, bool partial = false);
// {"status":"error","errorType":"<type>","error":"<msg>"}
std::string ErrorJson(std::string_view type, std::string_view message);

}  // namespace strata
