/* tests/c/k3_c_bad_input_test.c: hostile input through the C ABI, from C99. A data directory
 * holding an object, two vectors and a table row is fed malformed, oversized and unterminated
 * input on every entry point that takes text: huge requests and names, deeply nested JSON,
 * invalid UTF-8, NULs inside lengths, wrong-typed fields, unknown methods, NULL handles and
 * handles destroyed twice. Every call must answer its documented code with a message of
 * bounded size (never an echo of megabytes of input), nothing may crash or leak (the
 * sanitizer pass runs this with LeakSanitizer), and after each round and after a reopen the
 * data is exactly what it was. Prints "N passed, M failed"; exits non-zero on failure. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_test_support.h"
#include "k3/k3.h"

/* Largest error message a call may return, whatever the size of its input. */
enum { kMaxErrorBytes = 4096 };

/* Checks that a failed call returned `want` and a non-empty message of bounded size, and
 * frees the message. */
static void expect_failure(int rc, int want, char** err, int line) {
  if (rc != want) {
    ++g_failed;
    fprintf(stderr, "%s:%d: returned %s, want %s (%s)\n", __FILE__, line, k3_status_str(rc),
            k3_status_str(want), *err != NULL ? *err : "no message");
    finish();
  }
  ++g_passed;
  CHECK(*err != NULL && strlen(*err) > 0);
  if (*err != NULL && strlen(*err) > kMaxErrorBytes) {
    fprintf(stderr, "%s:%d: a %zu-byte error message\n", __FILE__, line, strlen(*err));
    CHECK(strlen(*err) <= kMaxErrorBytes);
  }
  k3_free(*err);
  *err = NULL;
}
#define EXPECT_FAILURE(expr, want, err) expect_failure((expr), (want), (err), __LINE__)

/* A malloc'ed buffer of `len` copies of `c`, NUL-terminated. */
static char* filled(size_t len, char c) {
  char* s = (char*)malloc(len + 1);
  if (s == NULL) {
    perror("malloc");
    finish();
  }
  memset(s, c, len);
  s[len] = '\0';
  return s;
}

/* Calls `method` with the `len` bytes at `request`; the response (if any) is freed. */
static int call(k3_db* db, const char* method, const char* request, size_t len, char** err) {
  char* resp = NULL;
  size_t resp_len = 0;
  int rc = k3_call(db, method, request, len, &resp, &resp_len, err);
  if (rc != K3_OK) CHECK(resp == NULL && resp_len == 0);
  k3_free(resp);
  return rc;
}

static int call_str(k3_db* db, const char* method, const char* request, char** err) {
  return call(db, method, request, strlen(request), err);
}

/* The data every round must leave untouched. */
static const char kBucket[] = "keep";
static const char kBody[] = "the object that must survive";

static void create_data(k3_db* db) {
  const char* ids[2] = {"v1", "v2"};
  const float values[2 * 4] = {1, 0, 0, 0, 0, 1, 0, 0};
  uint64_t written = 0;
  char* err = NULL;
  CHECK(call_str(db, "StorageService.CreateBucket", "{\"name\":\"keep\"}", &err) == K3_OK);
  CHECK(k3_put_object(db, kBucket, "doc.txt", kBody, strlen(kBody), "text/plain", NULL, &err) ==
        K3_OK);
  CHECK(call_str(db, "VectorService.ConfigureEngine", "{\"bucket\":\"keep\"}", &err) == K3_OK);
  CHECK(call_str(db, "VectorService.CreateCollection",
                 "{\"bucket\":\"keep\",\"name\":\"c\",\"dimensions\":4,\"metric\":\"L2\"}",
                 &err) == K3_OK);
  CHECK(k3_upsert_vectors(db, kBucket, "c", 2, ids, values, 4, NULL, NULL, &written, &err) ==
        K3_OK);
  CHECK(written == 2);
  CHECK(call_str(db, "TableService.ConfigureEngine", "{\"bucket\":\"keep\"}", &err) == K3_OK);
  CHECK(call_str(db, "TableService.CreateTable",
                 "{\"bucket\":\"keep\",\"name\":\"t\",\"columns\":[{\"name\":\"n\",\"type\":"
                 "\"COLUMN_TYPE_LONG\"}]}",
                 &err) == K3_OK);
  CHECK(call_str(db, "TableService.InsertRows",
                 "{\"bucket\":\"keep\",\"tableName\":\"t\",\"rows\":[{\"n\":42}]}", &err) == K3_OK);
  CHECK(err == NULL);
}

/* Checks that the bucket holds exactly one object, two vectors and one table row. */
static void check_data(k3_db* db, int line) {
  const float query[4] = {1, 0, 0, 0};
  void* data = NULL;
  size_t len = 0;
  char* resp = NULL;
  char* err = NULL;
  k3_hits* hits = NULL;
  k3_cursor* cursor = NULL;
  int has_row = 0;
  int64_t n = 0;
  const char* list = "{\"bucket\":\"keep\",\"prefix\":\"\"}";
  const char* buckets = "{}";

  fprintf(stderr, "checking the data (line %d)\n", line);
  CHECK(k3_get_object(db, kBucket, "doc.txt", &data, &len, &err) == K3_OK);
  CHECK(len == strlen(kBody) && memcmp(data, kBody, len) == 0);
  k3_free(data);
  CHECK(k3_call(db, "StorageService.ListObjects", list, strlen(list), &resp, NULL, &err) == K3_OK);
  CHECK(strstr(resp, "\"doc.txt\"") != NULL && strstr(resp, "\"keyCount\":1") != NULL);
  k3_free(resp);
  CHECK(k3_call(db, "StorageService.ListBuckets", buckets, 2, &resp, NULL, &err) == K3_OK);
  /* Only "keep": no bucket was created by any of the bad requests. */
  CHECK(strstr(resp, "\"name\":\"keep\"") != NULL);
  CHECK(strstr(strstr(resp, "\"name\":\"keep\"") + 1, "\"name\":") == NULL);
  k3_free(resp);
  CHECK(k3_search_vector(db, kBucket, "c", query, 4, 10, NULL, &hits, &err) == K3_OK);
  CHECK(k3_hits_count(hits) == 2);
  k3_hits_destroy(&hits);
  CHECK(k3_query(db, kBucket, "SELECT n FROM t", NULL, &cursor, &err) == K3_OK);
  CHECK(k3_cursor_next(cursor, &has_row, &err) == K3_OK && has_row == 1);
  CHECK(k3_cursor_get_int64(cursor, 0, &n) == K3_OK && n == 42);
  CHECK(k3_cursor_next(cursor, &has_row, &err) == K3_OK && has_row == 0);
  k3_cursor_destroy(&cursor);
  CHECK(err == NULL);
}

/* Requests of the control plane that are not what k3_call accepts. */
static void bad_requests(k3_db* db) {
  const size_t kHuge = (size_t)64 << 20; /* 64 MiB */
  const size_t kDeep = 1000000;
  char* err = NULL;
  char* s;
  size_t i;

  /* 64 MiB of whitespace before the request, then 64 MiB of a bucket name. */
  s = filled(kHuge, ' ');
  memcpy(s + kHuge - 2, "{}", 2);
  EXPECT_FAILURE(call(db, "StorageService.CreateBucket", s, kHuge, &err), K3_INVALID_ARGUMENT,
                 &err);
  memcpy(s, "{\"name\":\"", 9);
  memset(s + 9, 'a', kHuge - 11);
  memcpy(s + kHuge - 2, "\"}", 2);
  EXPECT_FAILURE(call(db, "StorageService.CreateBucket", s, kHuge, &err), K3_INVALID_ARGUMENT,
                 &err);
  /* The same request cut short: an unterminated string. */
  EXPECT_FAILURE(call(db, "StorageService.CreateBucket", s, kHuge - 2, &err), K3_INVALID_ARGUMENT,
                 &err);
  free(s);

  /* A million nested arrays, and a million nested objects under a field. */
  s = filled(kDeep, '[');
  EXPECT_FAILURE(call(db, "StorageService.CreateBucket", s, kDeep, &err), K3_INVALID_ARGUMENT,
                 &err);
  free(s);
  s = filled(kDeep * 6 + 32, ' ');
  memcpy(s, "{\"name\":", 8);
  for (i = 0; i < kDeep; ++i) memcpy(s + 8 + i * 5, "{\"a\":", 5);
  s[8 + kDeep * 5] = '1';
  for (i = 0; i < kDeep; ++i) s[9 + kDeep * 5 + i] = '}';
  s[9 + kDeep * 6] = '}';
  EXPECT_FAILURE(call(db, "StorageService.CreateBucket", s, 10 + kDeep * 6, &err),
                 K3_INVALID_ARGUMENT, &err);
  free(s);

  /* Invalid UTF-8, a NUL inside the length, a lone surrogate escape, trailing garbage. */
  EXPECT_FAILURE(call_str(db, "StorageService.CreateBucket", "{\"name\":\"ab\xff\xfe\"}", &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(call(db, "StorageService.CreateBucket", "{\"name\":\"a\0b\"}", 14, &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(call(db, "StorageService.CreateBucket", "{\"name\":\"nul\"}\0{}", 17, &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(call_str(db, "StorageService.CreateBucket", "{\"name\":\"\\ud800\"}", &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(call_str(db, "StorageService.CreateBucket", "{\"name\":\"x1\"} {}", &err),
                 K3_INVALID_ARGUMENT, &err);

  /* Wrong-typed fields, on each service. */
  EXPECT_FAILURE(call_str(db, "StorageService.CreateBucket", "{\"name\":[\"keep2\"]}", &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(
      call_str(db, "StorageService.ListObjects", "{\"bucket\":\"keep\",\"maxKeys\":\"x\"}", &err),
      K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(call_str(db, "VectorService.CreateCollection",
                          "{\"bucket\":\"keep\",\"name\":\"d\",\"dimensions\":\"four\"}", &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(call_str(db, "VectorService.DeleteCollection",
                          "{\"bucket\":\"keep\",\"name\":{\"c\":1}}", &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(
      call_str(db, "TableService.DeleteTable", "{\"bucket\":\"keep\",\"tableName\":true}", &err),
      K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(call_str(db, "TableService.InsertRows",
                          "{\"bucket\":\"keep\",\"tableName\":\"t\",\"rows\":{\"n\":1}}", &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(call_str(db, "PipelineService.CreatePipeline",
                          "{\"bucket\":\"keep\",\"name\":7,\"templateId\":\"csv_table\"}", &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(
      call_str(db, "IngestService.CreateRule",
               "{\"bucket\":\"keep\",\"pipelineId\":\"p\",\"includePatterns\":\"**\"}", &err),
      K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(
      call_str(db, "SourceService.DeleteSource", "{\"bucket\":\"keep\",\"sourceId\":1.5}", &err),
      K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(
      call_str(db, "StorageService.DeleteBucket", "{\"name\":null,\"force\":\"yes\"}", &err),
      K3_INVALID_ARGUMENT, &err);

  /* Unknown methods, among them a 1 MiB name and names near real ones. */
  s = filled((size_t)1 << 20, 'M');
  EXPECT_FAILURE(call_str(db, s, "{}", &err), K3_UNIMPLEMENTED, &err);
  free(s);
  EXPECT_FAILURE(call_str(db, "StorageService.", "{}", &err), K3_UNIMPLEMENTED, &err);
  EXPECT_FAILURE(call_str(db, ".CreateBucket", "{}", &err), K3_UNIMPLEMENTED, &err);
  EXPECT_FAILURE(call_str(db, "storageservice.createbucket", "{}", &err), K3_UNIMPLEMENTED, &err);
  EXPECT_FAILURE(call_str(db, "StorageService.CreateBucket\n", "{}", &err), K3_UNIMPLEMENTED, &err);
}

/* An embedder that is never called (its registration is refused), and its destroy count. */
static int g_destroyed = 0;
static int embed_nothing(void* user, const char* const* texts, const size_t* lens, size_t count,
                         float* out, char** errmsg_out) {
  (void)user;
  (void)texts;
  (void)lens;
  (void)count;
  (void)out;
  (void)errmsg_out;
  return K3_INTERNAL;
}
static void count_destroy(void* user) { ++*(int*)user; }

/* Oversized and malformed arguments of the typed calls. */
static void bad_typed_arguments(k3_db* db) {
  const size_t kHugeName = (size_t)4 << 20; /* 4 MiB */
  const float query[4] = {1, 0, 0, 0};
  char* err = NULL;
  char* etag = NULL;
  k3_hits* hits = NULL;
  k3_cursor* cursor = NULL;
  char* big = filled(kHugeName, 'k');

  /* Keys and bucket names of megabytes; a key with invalid UTF-8. */
  EXPECT_FAILURE(k3_put_object(db, kBucket, big, "x", 1, NULL, &etag, &err), K3_INVALID_ARGUMENT,
                 &err);
  CHECK(etag == NULL);
  EXPECT_FAILURE(k3_put_object(db, big, "k", "x", 1, NULL, &etag, &err), K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(k3_put_object(db, kBucket, "bad\xc3(utf8", "x", 1, NULL, &etag, &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(k3_delete_object(db, kBucket, big, &err), K3_INVALID_ARGUMENT, &err);

  /* Search: a 4 MiB collection name, filters that are not JSON or nest a million deep, a
   * text with NULs and invalid UTF-8 passed by length. */
  EXPECT_FAILURE(k3_search_vector(db, kBucket, big, query, 4, 10, NULL, &hits, &err), K3_NOT_FOUND,
                 &err);
  EXPECT_FAILURE(k3_search_vector(db, kBucket, "c", query, 4, 10, "{\"field\":", &hits, &err),
                 K3_INVALID_ARGUMENT, &err);
  memset(big, '[', kHugeName - 1);
  EXPECT_FAILURE(k3_search_vector(db, kBucket, "c", query, 4, 10, big, &hits, &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(k3_search_vector(db, kBucket, "c", query, 4, 10,
                                  "{\"field\":\"lang\",\"op\":\"eq\",\"value\":[1]}", &hits, &err),
                 K3_INVALID_ARGUMENT, &err);
  CHECK(hits == NULL);
  /* The collection has no embedder: the text is refused before it is read. */
  EXPECT_FAILURE(k3_search_text(db, kBucket, "c", "a\0b\xff", 4, 10, NULL, &hits, &err),
                 K3_FAILED_PRECONDITION, &err);

  /* SQL: 4 MiB of it, a NUL-free statement that never ends, parameters that are not JSON. */
  memset(big, ' ', kHugeName - 1);
  memcpy(big, "SELECT", 6);
  EXPECT_FAILURE(k3_query(db, kBucket, big, NULL, &cursor, &err), K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(k3_query(db, kBucket, "SELECT 'unterminated FROM t", NULL, &cursor, &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(k3_query(db, kBucket, "SELECT n FROM t WHERE n = $1", "[1,", &cursor, &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(k3_query(db, kBucket, "SELECT n FROM t WHERE n = $1", "{\"a\":1}", &cursor, &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(k3_query(db, kBucket, "SELECT n FROM t WHERE n = $1", "null", &cursor, &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(k3_query(db, kBucket, "SELECT n FROM t WHERE n = $1", "", &cursor, &err),
                 K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(
      k3_query(db, kBucket, "SELECT n FROM t WHERE n = $1", "[{\"int64\":\"x\"}]", &cursor, &err),
      K3_INVALID_ARGUMENT, &err);
  EXPECT_FAILURE(k3_query(db, kBucket, "DELETE FROM t", NULL, &cursor, &err), K3_INVALID_ARGUMENT,
                 &err);
  CHECK(cursor == NULL);

  /* Embedders: a 4 MiB name is refused, and its user data released at once. */
  memset(big, 'e', kHugeName - 1);
  EXPECT_FAILURE(k3_register_embedder(db, big, 4, embed_nothing, &g_destroyed, count_destroy, &err),
                 K3_INVALID_ARGUMENT, &err);
  CHECK(g_destroyed == 1);
  free(big);
}

/* NULL handles everywhere and handles destroyed twice. */
static void null_and_double_frees(k3_db* db) {
  k3_hits* hits = NULL;
  k3_cursor* cursor = NULL;
  k3_options* opts = NULL;
  const float query[4] = {1, 0, 0, 0};
  char* err = NULL;
  int has_row = 0;

  k3_hits_destroy(NULL);
  k3_hits_destroy(&hits);
  k3_cursor_destroy(NULL);
  k3_cursor_destroy(&cursor);
  k3_options_destroy(NULL);
  k3_options_destroy(&opts);
  k3_close(NULL);
  k3_free(NULL);

  CHECK(k3_search_vector(db, kBucket, "c", query, 4, 10, NULL, &hits, &err) == K3_OK);
  k3_hits_destroy(&hits);
  CHECK(hits == NULL);
  k3_hits_destroy(&hits);
  CHECK(k3_query(db, kBucket, "SELECT n FROM t", NULL, &cursor, &err) == K3_OK);
  k3_cursor_destroy(&cursor);
  CHECK(cursor == NULL);
  k3_cursor_destroy(&cursor);
  EXPECT_FAILURE(k3_cursor_next(cursor, &has_row, &err), K3_INVALID_ARGUMENT, &err);
  CHECK(k3_options_create(&opts) == K3_OK);
  k3_options_destroy(&opts);
  CHECK(opts == NULL);
  k3_options_destroy(&opts);
}

int main(void) {
  char path[300];
  k3_db* db = NULL;
  char* err = NULL;

  make_test_dir("k3-c-bad-input");
  snprintf(path, sizeof path, "%s/data", g_dir);

  CHECK(k3_open(path, NULL, &db, &err) == K3_OK);
  create_data(db);
  check_data(db, __LINE__);
  bad_requests(db);
  check_data(db, __LINE__);
  bad_typed_arguments(db);
  check_data(db, __LINE__);
  null_and_double_frees(db);
  check_data(db, __LINE__);

  k3_close(&db);
  CHECK(db == NULL);
  k3_close(&db);
  EXPECT_FAILURE(call_str(db, "StorageService.ListBuckets", "{}", &err), K3_INVALID_ARGUMENT, &err);

  /* Reopened, everything is still there. */
  CHECK(k3_open(path, NULL, &db, &err) == K3_OK);
  check_data(db, __LINE__);
  k3_close(&db);
  finish();
  return 0;
}
