#include "libs/storage/wal/fault_injection_env.h"

#include <catch2/catch.hpp>

#include "libs/storage/wal/wal_test_util.h"

namespace strata {
namespace {

using wal::testing::TempDir;

std::string ReadAll(Env* env, const std::string& path) {
  auto f = env->NewSequentialFile(path);
  REQUIRE(f.ok());
  std::string out(1 << 16, '\0');
  auto n = (*f)->Read(out.size(), out.data());
  REQUIRE(n.ok());
  out.resize(*n);
  return out;
}

TEST_CASE("crash drops unsynced bytes and keeps synced ones", "[wal][env]") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  const std::string path = dir.path() + "/f";
  auto f = env.NewWritableFile(path);
  REQUIRE(f.ok());
  REQUIRE(env.SyncDir(dir.path()).ok());
  REQUIRE((*f)->Append("synced").ok());
  REQUIRE((*f)->Sync().ok());
  REQUIRE((*f)->Append("-lost").ok());
  CHECK(ReadAll(&env, path) == "synced-lost");
  env.SetActive(false);
  CHECK(absl::IsUnavailable((*f)->Append("x")));
  CHECK(absl::IsUnavailable((*f)->Sync()));
  REQUIRE(env.DropUnsyncedData().ok());
  CHECK(ReadAll(&env, path) == "synced");
  CHECK(env.sync_count() == 1);
}

TEST_CASE("crash deletes a file whose directory was never synced", "[wal][env]") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  const std::string path = dir.path() + "/new";
  auto f = env.NewWritableFile(path);
  REQUIRE(f.ok());
  REQUIRE((*f)->Append("data").ok());
  REQUIRE((*f)->Sync().ok());
  REQUIRE(env.DropUnsyncedData().ok());
  CHECK(absl::IsNotFound(env.FileSize(path).status()));
}

TEST_CASE("injected write and sync errors", "[wal][env]") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  const std::string path = dir.path() + "/f";
  auto f = env.NewWritableFile(path);
  REQUIRE(f.ok());
  env.SetWriteError(absl::InternalError("EIO"), /*partial=*/true);
  absl::Status s = (*f)->Append("abcdef");
  CHECK(absl::IsInternal(s));
  CHECK(ReadAll(&env, path) == "abc");
  env.SetWriteError(absl::OkStatus());
  env.SetSyncError(absl::InternalError("sync EIO"));
  CHECK(absl::IsInternal((*f)->Sync()));
  env.SetSyncError(absl::OkStatus());
  CHECK((*f)->Sync().ok());
}

TEST_CASE("posix env basics", "[wal][env]") {
  TempDir dir;
  Env* env = Env::Default();
  const std::string sub = dir.path() + "/a/b";
  REQUIRE(env->CreateDir(sub).ok());
  REQUIRE(env->CreateDir(sub).ok());
  auto f = env->NewWritableFile(sub + "/x");
  REQUIRE(f.ok());
  REQUIRE((*f)->Append("0123456789").ok());
  REQUIRE((*f)->Close().ok());
  CHECK(env->FileSize(sub + "/x").value() == 10);
  REQUIRE(env->Truncate(sub + "/x", 4).ok());
  CHECK(ReadAll(env, sub + "/x") == "0123");
  auto children = env->GetChildren(sub);
  REQUIRE(children.ok());
  CHECK(*children == std::vector<std::string>{"x"});
  auto seq = env->NewSequentialFile(sub + "/x");
  REQUIRE(seq.ok());
  REQUIRE((*seq)->Skip(2).ok());
  char buf[8];
  CHECK((*seq)->Read(8, buf).value() == 2);
  CHECK(std::string(buf, 2) == "23");
  REQUIRE(env->DeleteFile(sub + "/x").ok());
  CHECK(absl::IsNotFound(env->DeleteFile(sub + "/x")));
  CHECK(absl::IsNotFound(env->NewSequentialFile(sub + "/x").status()));
}

}  // namespace
}  // namespace strata
