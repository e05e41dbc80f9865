// The install consumer: opens a k3 database in the directory given as argv[1], creates a
// bucket, puts an object and reads it back through the installed public headers and library.
// Prints "OK ..." and exits 0 on success; prints what went wrong and exits 1 otherwise.
#include <k3/k3.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

static_assert(K3_VERSION_NUMBER ==
              K3_VERSION_MAJOR * 10000 + K3_VERSION_MINOR * 100 + K3_VERSION_PATCH);

namespace {

[[noreturn]] void Fail(const char* what, const k3::Status& status) {
  std::fprintf(stderr, "k3_consumer: %s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "k3_consumer: %s\n", what);
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
    return 2;
  }
  const std::string bucket = "consumer-test";
  const std::string key = "docs/hello.txt";
  const std::string body = "hello from an installed k3\n";

  auto db = k3::Db::open(argv[1]);
  if (!db.ok()) Fail("open", db.status());

  auto created = db->storage().create_bucket({.name = bucket});
  if (!created.ok()) Fail("create_bucket", created.status());
  if (created->name != bucket) Fail("create_bucket returned another name");

  auto put = db->storage().put_object(bucket, key, body, {.content_type = "text/plain"});
  if (!put.ok()) Fail("put_object", put.status());
  if (put->size != body.size()) Fail("put_object reported a wrong size");

  auto got = db->storage().get_object(bucket, key);
  if (!got.ok()) Fail("get_object", got.status());
  if (got->body != body) Fail("get_object returned other bytes than were put");
  if (got->info.etag != put->etag) Fail("get_object returned another etag than put_object");
  if (got->info.content_type != "text/plain") Fail("get_object lost the content type");

  auto missing = db->storage().get_object(bucket, "no/such/key");
  if (missing.ok() || missing.status().code() != k3::StatusCode::kNotFound) {
    Fail("get_object of a missing key is not NOT_FOUND");
  }

  std::printf("OK k3 %s: %s/%s = %zu bytes, etag %s\n", K3_VERSION_STRING, bucket.c_str(),
              key.c_str(), got->body.size(), got->info.etag.c_str());
  return 0;
}
