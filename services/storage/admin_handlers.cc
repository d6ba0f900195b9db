#include "services/storage/admin_handlers.h"

#include "absl/strings/str_cat.h"
#include "libs/common/status_util.h"
#include "libs/model/string_escape.h"

namespace strata {
namespace {

void Fail(http::HttpResponse& resp, const absl::Status& s) {
  resp.SetJson(absl::StrCat(R"({"status":"error","msg":)", GoQuote(std::string(s.message())), "}"),
               HttpStatusFromCode(s.code()));
}

}  // namespace

void RegisterAdminHandlers(http::HttpServer* server, const std::atomic<storage::StorageEngine*>* engine_ptr) {
  server->Handle("/internal/force_flush", [engine_ptr](const http::HttpRequest&, http::HttpResponse& resp) {
    storage::StorageEngine* engine = engine_ptr->load();
    if (engine == nullptr) return Fail(resp, absl::UnavailableError("storage is still opening"));
    absl::Status s = engine->Persist();
    if (!s.ok()) return Fail(resp, s);
    resp.SetText("OK\n");
  });
  server->Handle("/snapshot/create", [engine_ptr](const http::HttpRequest&, http::HttpResponse& resp) {
    storage::StorageEngine* engine = engine_ptr->load();
    if (engine == nullptr) return Fail(resp, absl::UnavailableError("storage is still opening"));
    absl::StatusOr<std::string> name = engine->CreateSnapshot();
    if (!name.ok()) return Fail(resp, name.status());
    resp.SetJson(absl::StrCat(R"({"status":"ok","snapshot":")", *name, "\"}"));
  });
  server->Handle("/snapshot/list", [engine_ptr](const http::HttpRequest&, http::HttpResponse& resp) {
    storage::StorageEngine* engine = engine_ptr->load();
    if (engine == nullptr) return Fail(resp, absl::UnavailableError("storage is still opening"));
    absl::StatusOr<std::vector<std::string>> names = engine->ListSnapshots();
    if (!names.ok()) return Fail(resp, names.status());
    std::string out = R"({"status":"ok","snapshots":[)";
    for (size_t i = 0; i < names->size(); ++i) absl::StrAppend(&out, i ? "," : "", "\"", (*names)[i], "\"");
    resp.SetJson(out + "]}");
  });
  server->Handle("/snapshot/delete", [engine_ptr](const http::HttpRequest& req, http::HttpResponse& resp) {
    storage::StorageEngine* engine = engine_ptr->load();
    if (engine == nullptr) return Fail(resp, absl::UnavailableError("storage is still opening"));
    std::string name(req.Param("snapshot"));
    if (name.empty()) return Fail(resp, absl::InvalidArgumentError("missing parameter snapshot"));
    absl::Status s = engine->DeleteSnapshot(name);
    if (!s.ok()) return Fail(resp, s);
    resp.SetJson(R"({"status":"ok"})");
  });
}

}  // namespace strata
