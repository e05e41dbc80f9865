/* tests/c/k3_c_test.c: exercises every function of k3.h from C99, error paths included
 * (NULL everywhere, unknown methods, invalid JSON, failing and stopping callbacks, double
 * close). Compiled with -std=c99 -Wall -Wextra -Werror -pedantic; runs clean under ASan+LSan.
 * Prints one line per failed check, then "N passed, M failed"; exits non-zero on failure. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k3/k3.h"

static int g_passed = 0;
static int g_failed = 0;
static char g_dir[256] = "";

/* The test's own assert: counts a pass, or prints the failure and the tally and exits 1. */
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      ++g_passed;                                                              \
    } else {                                                                   \
      ++g_failed;                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      finish();                                                                \
    }                                                                          \
  } while (0)

/* Checks that `expr` returns the status `want`, printing both names when it does not. */
#define CHECK_RC(expr, want)                                                         \
  do {                                                                               \
    int rc_ = (expr);                                                                \
    if (rc_ == (want)) {                                                             \
      ++g_passed;                                                                    \
    } else {                                                                         \
      ++g_failed;                                                                    \
      fprintf(stderr, "%s:%d: %s returned %s, want %s\n", __FILE__, __LINE__, #expr, \
              k3_status_str(rc_), k3_status_str(want));                              \
      finish();                                                                      \
    }                                                                                \
  } while (0)

static int remove_entry(const char* path, const struct stat* sb, int flag, struct FTW* ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void cleanup_dir(void) {
  if (g_dir[0] != '\0') nftw(g_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void finish(void) {
  printf("%d passed, %d failed\n", g_passed, g_failed);
  cleanup_dir();
  exit(g_failed == 0 ? 0 : 1);
}

/* Checks that an error message was set, then frees it. */
static void expect_errmsg(char** err) {
  CHECK(*err != NULL);
  if (*err != NULL) CHECK(strlen(*err) > 0);
  k3_free(*err);
  *err = NULL;
}

static int contains(const char* haystack, const char* needle) {
  return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* A marker that success must replace with NULL in *errmsg (it is never freed). */
static char g_sentinel[] = "sentinel";

/* ---- library ---------------------------------------------------------------------------- */

static void test_library(void) {
  int code;
  CHECK(strcmp(k3_version(), K3_VERSION_STRING) == 0);
  CHECK(strcmp(k3_version(), "0.2.0") == 0);
  CHECK(k3_version_number() == K3_VERSION_NUMBER);
  CHECK(k3_version_number() == 200);

  CHECK(strcmp(k3_status_str(K3_OK), "OK") == 0);
  CHECK(strcmp(k3_status_str(K3_CANCELLED), "CANCELLED") == 0);
  CHECK(strcmp(k3_status_str(K3_INVALID_ARGUMENT), "INVALID_ARGUMENT") == 0);
  CHECK(strcmp(k3_status_str(K3_NOT_FOUND), "NOT_FOUND") == 0);
  CHECK(strcmp(k3_status_str(K3_UNIMPLEMENTED), "UNIMPLEMENTED") == 0);
  CHECK(strcmp(k3_status_str(K3_UNAUTHENTICATED), "UNAUTHENTICATED") == 0);
  CHECK(strcmp(k3_status_str(K3_UNKNOWN), "UNKNOWN") == 0);
  CHECK(strcmp(k3_status_str(-1), "UNKNOWN") == 0);
  CHECK(strcmp(k3_status_str(17), "UNKNOWN") == 0);
  CHECK(strcmp(k3_status_str(1 << 30), "UNKNOWN") == 0);
  /* The codes are the gRPC ones. */
  CHECK(K3_OK == 0 && K3_INVALID_ARGUMENT == 3 && K3_NOT_FOUND == 5 && K3_ALREADY_EXISTS == 6);
  CHECK(K3_FAILED_PRECONDITION == 9 && K3_OUT_OF_RANGE == 11 && K3_UNIMPLEMENTED == 12);
  CHECK(K3_INTERNAL == 13 && K3_UNAUTHENTICATED == 16);
  for (code = K3_OK; code <= K3_UNAUTHENTICATED; ++code) {
    CHECK(k3_status_str(code) != NULL && strlen(k3_status_str(code)) > 0);
  }

  k3_free(NULL); /* a no-op */
  ++g_passed;
}

/* ---- options ---------------------------------------------------------------------------- */

struct log_counter {
  int calls;
  int bad;
};

static void count_log(void* user, int level, const char* msg, size_t len) {
  struct log_counter* c = (struct log_counter*)user;
  c->calls++;
  if (level < K3_LOG_DEBUG || level > K3_LOG_ERROR || msg == NULL || strlen(msg) != len) c->bad++;
}

static void test_options(void) {
  k3_options* opts = NULL;
  k3_options* null_opts = NULL;
  struct log_counter counter = {0, 0};

  CHECK_RC(k3_options_create(NULL), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_sync_writes(NULL, 1), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_block_cache_bytes(NULL, 1), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_worker_threads(NULL, 1), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_create_if_missing(NULL, 1), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_log_callback(NULL, count_log, &counter, K3_LOG_DEBUG),
           K3_INVALID_ARGUMENT);

  CHECK_RC(k3_options_create(&opts), K3_OK);
  CHECK(opts != NULL);
  CHECK_RC(k3_options_set_sync_writes(opts, 1), K3_OK);
  CHECK_RC(k3_options_set_sync_writes(opts, 0), K3_OK);
  CHECK_RC(k3_options_set_block_cache_bytes(opts, (uint64_t)8 << 20), K3_OK);
  CHECK_RC(k3_options_set_worker_threads(opts, 2), K3_OK);
  CHECK_RC(k3_options_set_worker_threads(opts, -1), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_create_if_missing(opts, 1), K3_OK);
  CHECK_RC(k3_options_set_log_callback(opts, count_log, &counter, -1), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_log_callback(opts, count_log, &counter, K3_LOG_ERROR + 1),
           K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_log_callback(opts, NULL, NULL, K3_LOG_WARNING), K3_OK);
  CHECK_RC(k3_options_set_log_callback(opts, count_log, &counter, K3_LOG_DEBUG), K3_OK);

  k3_options_destroy(&opts);
  CHECK(opts == NULL);
  k3_options_destroy(&opts); /* *opts == NULL: a no-op */
  k3_options_destroy(&null_opts);
  k3_options_destroy(NULL);
  CHECK(opts == NULL);
  CHECK(counter.calls == 0); /* never opened: never called */
}

/* ---- open / close ------------------------------------------------------------------------ */

static void test_open_errors(void) {
  k3_db* db = NULL;
  k3_options* opts = NULL;
  char* err = NULL;
  char missing[300];

  CHECK_RC(k3_open(NULL, NULL, &db, &err), K3_INVALID_ARGUMENT);
  CHECK(db == NULL);
  expect_errmsg(&err);
  CHECK_RC(k3_open(g_dir, NULL, NULL, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_open(NULL, NULL, NULL, NULL), K3_INVALID_ARGUMENT); /* errmsg is optional */

  /* create_if_missing off: a missing directory is NOT_FOUND. */
  snprintf(missing, sizeof missing, "%s/does-not-exist", g_dir);
  CHECK_RC(k3_options_create(&opts), K3_OK);
  CHECK_RC(k3_options_set_create_if_missing(opts, 0), K3_OK);
  db = (k3_db*)g_sentinel; /* must be reset to NULL on failure */
  CHECK_RC(k3_open(missing, opts, &db, &err), K3_NOT_FOUND);
  CHECK(db == NULL);
  expect_errmsg(&err);
  k3_options_destroy(&opts);

  /* close is NULL-safe. */
  k3_close(NULL);
  db = NULL;
  k3_close(&db);
  CHECK(db == NULL);
}

/* ---- control plane ----------------------------------------------------------------------- */

static void test_list_methods(void) {
  char* methods = NULL;
  char* err = g_sentinel;
  CHECK_RC(k3_list_methods(NULL, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  err = g_sentinel;
  CHECK_RC(k3_list_methods(&methods, &err), K3_OK);
  CHECK(err == NULL);
  CHECK(methods != NULL && methods[0] == '[' && methods[strlen(methods) - 1] == ']');
  CHECK(contains(methods, "\"StorageService.CreateBucket\""));
  CHECK(contains(methods, "\"StorageService.ListObjects\""));
  k3_free(methods);
  methods = NULL;
  CHECK_RC(k3_list_methods(&methods, NULL), K3_OK);
  CHECK(methods != NULL);
  k3_free(methods);
}

static void test_call(k3_db* db) {
  /* The request is a buffer that is not NUL-terminated where the request ends. */
  const char buffer[] = "{\"name\":\"c-test\"}TRAILING-GARBAGE";
  const size_t request_len = strlen("{\"name\":\"c-test\"}");
  const char* get_missing = "{\"name\":\"no-such-bucket\"}";
  char* resp = NULL;
  size_t resp_len = 99;
  char* err = NULL;

  /* NULL arguments. */
  CHECK_RC(k3_call(NULL, "StorageService.ListBuckets", "{}", 2, &resp, &resp_len, &err),
           K3_INVALID_ARGUMENT);
  CHECK(resp == NULL && resp_len == 0);
  expect_errmsg(&err);
  CHECK_RC(k3_call(db, NULL, "{}", 2, &resp, &resp_len, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_call(db, "StorageService.ListBuckets", NULL, 0, &resp, &resp_len, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_call(db, "StorageService.ListBuckets", "{}", 2, NULL, &resp_len, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_call(NULL, NULL, NULL, 0, NULL, NULL, NULL), K3_INVALID_ARGUMENT);

  /* Unknown method. */
  resp_len = 99;
  CHECK_RC(k3_call(db, "StorageService.NoSuchMethod", "{}", 2, &resp, &resp_len, &err),
           K3_UNIMPLEMENTED);
  CHECK(resp == NULL && resp_len == 0);
  CHECK(contains(err, "NoSuchMethod"));
  expect_errmsg(&err);
  CHECK_RC(k3_call(db, "", "{}", 2, &resp, &resp_len, &err), K3_UNIMPLEMENTED);
  expect_errmsg(&err);

  /* Invalid JSON, a non-object, an empty request, a wrong-typed field. */
  CHECK_RC(k3_call(db, "StorageService.CreateBucket", "{\"name\":", 8, &resp, &resp_len, &err),
           K3_INVALID_ARGUMENT);
  CHECK(resp == NULL);
  expect_errmsg(&err);
  CHECK_RC(k3_call(db, "StorageService.CreateBucket", "[1,2]", 5, &resp, &resp_len, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_call(db, "StorageService.CreateBucket", "", 0, &resp, &resp_len, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_call(db, "StorageService.CreateBucket", "{\"name\":5}", 10, &resp, &resp_len, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  /* The length cuts the request: only "{" is seen. */
  CHECK_RC(k3_call(db, "StorageService.CreateBucket", "{}", 1, &resp, &resp_len, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);

  /* Success, from a buffer that is not NUL-terminated at request_len. */
  err = g_sentinel;
  CHECK_RC(k3_call(db, "StorageService.CreateBucket", buffer, request_len, &resp, &resp_len, &err),
           K3_OK);
  CHECK(err == NULL);
  CHECK(resp != NULL && resp_len == strlen(resp));
  CHECK(contains(resp, "\"name\":\"c-test\""));
  k3_free(resp);
  resp = NULL;

  /* The service's own codes come through. */
  CHECK_RC(k3_call(db, "StorageService.CreateBucket", buffer, request_len, &resp, &resp_len, &err),
           K3_ALREADY_EXISTS);
  CHECK(resp == NULL && resp_len == 0);
  expect_errmsg(&err);
  CHECK_RC(k3_call(db, "StorageService.GetBucket", get_missing, strlen(get_missing), &resp,
                   &resp_len, &err),
           K3_NOT_FOUND);
  expect_errmsg(&err);

  /* out_response_len and errmsg are optional; the fully qualified name works too. */
  CHECK_RC(k3_call(db, "dodil.k3.storage.v1.StorageService.GetBucket", buffer, request_len, &resp,
                   NULL, NULL),
           K3_OK);
  CHECK(contains(resp, "c-test"));
  k3_free(resp);
  resp = NULL;
}

/* ---- data plane --------------------------------------------------------------------------- */

/* A deterministic byte pattern, so streamed objects can be checked without keeping them. */
static unsigned char pattern_byte(uint64_t i) { return (unsigned char)((i * 131u + 7u) % 251u); }

struct pattern_reader {
  uint64_t total;   /* bytes to produce */
  uint64_t offset;  /* bytes produced so far */
  uint64_t fail_at; /* return -1 once offset reaches this (0 = never) */
  int overflow;     /* return cap + 1 on the first call */
  int calls;
};

static int64_t read_pattern(void* user, void* buf, size_t cap) {
  struct pattern_reader* r = (struct pattern_reader*)user;
  unsigned char* out = (unsigned char*)buf;
  size_t n = 0;
  size_t step;
  r->calls++;
  if (r->overflow) return (int64_t)cap + 1;
  if (r->fail_at != 0 && r->offset >= r->fail_at) return -1;
  /* Odd-sized reads, smaller than cap, so chunk boundaries fall anywhere. */
  step = (size_t)(r->calls % 7 + 1) * 65537u;
  if (step > cap) step = cap;
  while (n < step && r->offset < r->total) out[n++] = pattern_byte(r->offset++);
  return (int64_t)n;
}

struct pattern_writer {
  uint64_t received;
  int mismatches;
  int calls;
  int stop_after; /* return 1 on this call (0 = never) */
};

static int write_pattern(void* user, const void* data, size_t len) {
  struct pattern_writer* w = (struct pattern_writer*)user;
  const unsigned char* in = (const unsigned char*)data;
  size_t i;
  w->calls++;
  for (i = 0; i < len; ++i) {
    if (in[i] != pattern_byte(w->received + i)) w->mismatches++;
  }
  w->received += len;
  return (w->stop_after != 0 && w->calls >= w->stop_after) ? 1 : 0;
}

static void test_put_get(k3_db* db) {
  const char* hello = "hello world";
  char* etag = NULL;
  char* err = NULL;
  void* data = NULL;
  size_t len = 0;

  /* NULL arguments. */
  CHECK_RC(k3_put_object(NULL, "c-test", "k", hello, 11, NULL, &etag, &err), K3_INVALID_ARGUMENT);
  CHECK(etag == NULL);
  expect_errmsg(&err);
  CHECK_RC(k3_put_object(db, NULL, "k", hello, 11, NULL, &etag, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_put_object(db, "c-test", NULL, hello, 11, NULL, &etag, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_put_object(db, "c-test", "k", NULL, 11, NULL, &etag, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_put_object(NULL, NULL, NULL, NULL, 1, NULL, NULL, NULL), K3_INVALID_ARGUMENT);
  /* Service errors: a missing bucket, an invalid key. */
  CHECK_RC(k3_put_object(db, "no-such-bucket", "k", hello, 11, NULL, &etag, &err), K3_NOT_FOUND);
  CHECK(etag == NULL);
  expect_errmsg(&err);
  CHECK_RC(k3_put_object(db, "c-test", "", hello, 11, NULL, &etag, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);

  /* Success. */
  err = g_sentinel;
  CHECK_RC(k3_put_object(db, "c-test", "docs/hello.txt", hello, strlen(hello), "text/plain", &etag,
                         &err),
           K3_OK);
  CHECK(err == NULL);
  CHECK(etag != NULL && strcmp(etag, "5eb63bbbe01eeed093cb22bb8f5acdc3") == 0);
  k3_free(etag);
  etag = NULL;
  /* An empty object from NULL data; out_etag and errmsg are optional. */
  CHECK_RC(k3_put_object(db, "c-test", "empty", NULL, 0, NULL, NULL, NULL), K3_OK);

  /* Whole gets. */
  CHECK_RC(k3_get_object(NULL, "c-test", "docs/hello.txt", &data, &len, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_get_object(db, NULL, "docs/hello.txt", &data, &len, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_get_object(db, "c-test", NULL, &data, &len, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_get_object(db, "c-test", "docs/hello.txt", NULL, &len, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_get_object(db, "c-test", "docs/hello.txt", &data, NULL, &err), K3_INVALID_ARGUMENT);
  CHECK(data == NULL);
  expect_errmsg(&err);
  len = 99;
  CHECK_RC(k3_get_object(db, "c-test", "missing", &data, &len, &err), K3_NOT_FOUND);
  CHECK(data == NULL && len == 0);
  expect_errmsg(&err);

  err = g_sentinel;
  CHECK_RC(k3_get_object(db, "c-test", "docs/hello.txt", &data, &len, &err), K3_OK);
  CHECK(err == NULL);
  CHECK(len == 11 && data != NULL && memcmp(data, hello, 11) == 0);
  CHECK(data != NULL && ((const char*)data)[len] == '\0');
  k3_free(data);
  data = NULL;
  CHECK_RC(k3_get_object(db, "c-test", "empty", &data, &len, NULL), K3_OK);
  CHECK(data != NULL && len == 0);
  k3_free(data);
  data = NULL;

  /* Ranges. */
  CHECK_RC(k3_get_object_range(db, "c-test", "docs/hello.txt", 0, 4, &data, &len, &err), K3_OK);
  CHECK(len == 5 && memcmp(data, "hello", 5) == 0);
  k3_free(data);
  data = NULL;
  CHECK_RC(k3_get_object_range(db, "c-test", "docs/hello.txt", 6, UINT64_MAX, &data, &len, &err),
           K3_OK);
  CHECK(len == 5 && memcmp(data, "world", 5) == 0);
  k3_free(data);
  data = NULL;
  CHECK_RC(k3_get_object_range(db, "c-test", "docs/hello.txt", 10, 10, &data, &len, NULL), K3_OK);
  CHECK(len == 1 && memcmp(data, "d", 1) == 0);
  k3_free(data);
  data = NULL;
  CHECK_RC(k3_get_object_range(db, "c-test", "docs/hello.txt", 11, 20, &data, &len, &err),
           K3_OUT_OF_RANGE);
  CHECK(data == NULL && len == 0);
  expect_errmsg(&err);
  CHECK_RC(k3_get_object_range(db, "c-test", "docs/hello.txt", 5, 2, &data, &len, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_get_object_range(db, "c-test", "missing", 0, 1, &data, &len, &err), K3_NOT_FOUND);
  expect_errmsg(&err);
  CHECK_RC(k3_get_object_range(NULL, "c-test", "docs/hello.txt", 0, 1, &data, &len, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_get_object_range(db, NULL, NULL, 0, 1, NULL, NULL, NULL), K3_INVALID_ARGUMENT);
}

static void test_streams(k3_db* db) {
  const uint64_t total = (uint64_t)3 * 1024 * 1024 + 12345; /* several 1 MiB chunks */
  struct pattern_reader reader;
  struct pattern_writer writer;
  char* etag = NULL;
  char* err = NULL;
  void* data = NULL;
  size_t len = 0;
  size_t i;
  int mismatches = 0;

  /* NULL arguments. */
  memset(&reader, 0, sizeof reader);
  CHECK_RC(k3_put_object_stream(NULL, "c-test", "big", read_pattern, &reader, NULL, &etag, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_put_object_stream(db, NULL, "big", read_pattern, &reader, NULL, &etag, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_put_object_stream(db, "c-test", NULL, read_pattern, &reader, NULL, &etag, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_put_object_stream(db, "c-test", "big", NULL, &reader, NULL, &etag, &err),
           K3_INVALID_ARGUMENT);
  CHECK(etag == NULL);
  expect_errmsg(&err);
  CHECK(reader.calls == 0);

  /* A streamed put of several chunks, read back whole, as a range and streamed. */
  memset(&reader, 0, sizeof reader);
  reader.total = total;
  err = g_sentinel;
  CHECK_RC(k3_put_object_stream(db, "c-test", "big", read_pattern, &reader,
                                "application/octet-stream", &etag, &err),
           K3_OK);
  CHECK(err == NULL);
  CHECK(etag != NULL && strlen(etag) == 32);
  CHECK(reader.offset == total);
  k3_free(etag);
  etag = NULL;

  CHECK_RC(k3_get_object(db, "c-test", "big", &data, &len, &err), K3_OK);
  CHECK(len == total);
  for (i = 0; i < len; ++i) {
    if (((const unsigned char*)data)[i] != pattern_byte(i)) mismatches++;
  }
  CHECK(mismatches == 0);
  k3_free(data);
  data = NULL;

  CHECK_RC(k3_get_object_range(db, "c-test", "big", 1048570, 1048590, &data, &len, &err), K3_OK);
  CHECK(len == 21);
  mismatches = 0;
  for (i = 0; i < len; ++i) {
    if (((const unsigned char*)data)[i] != pattern_byte(1048570 + i)) mismatches++;
  }
  CHECK(mismatches == 0);
  k3_free(data);
  data = NULL;

  memset(&writer, 0, sizeof writer);
  err = g_sentinel;
  CHECK_RC(k3_get_object_stream(db, "c-test", "big", write_pattern, &writer, &err), K3_OK);
  CHECK(err == NULL);
  CHECK(writer.received == total && writer.mismatches == 0 && writer.calls > 1);

  /* A write callback that stops: CANCELLED after exactly that call. */
  memset(&writer, 0, sizeof writer);
  writer.stop_after = 1;
  CHECK_RC(k3_get_object_stream(db, "c-test", "big", write_pattern, &writer, &err), K3_CANCELLED);
  CHECK(writer.calls == 1 && writer.received < total);
  expect_errmsg(&err);

  /* Stream errors. */
  memset(&writer, 0, sizeof writer);
  CHECK_RC(k3_get_object_stream(db, "c-test", "missing", write_pattern, &writer, &err),
           K3_NOT_FOUND);
  CHECK(writer.calls == 0);
  expect_errmsg(&err);
  CHECK_RC(k3_get_object_stream(db, "c-test", "big", NULL, &writer, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_get_object_stream(NULL, "c-test", "big", write_pattern, &writer, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_get_object_stream(db, NULL, NULL, NULL, NULL, NULL), K3_INVALID_ARGUMENT);

  /* A failing read callback: ABORTED, and nothing becomes visible. */
  memset(&reader, 0, sizeof reader);
  reader.total = total;
  reader.fail_at = 1500000; /* after the first chunk was full */
  CHECK_RC(k3_put_object_stream(db, "c-test", "failed", read_pattern, &reader, NULL, &etag, &err),
           K3_ABORTED);
  CHECK(etag == NULL);
  expect_errmsg(&err);
  CHECK_RC(k3_get_object(db, "c-test", "failed", &data, &len, NULL), K3_NOT_FOUND);
  CHECK(data == NULL);
  /* A read callback that claims more than cap: refused. */
  memset(&reader, 0, sizeof reader);
  reader.overflow = 1;
  CHECK_RC(k3_put_object_stream(db, "c-test", "failed", read_pattern, &reader, NULL, NULL, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  /* An empty stream makes an empty object. */
  memset(&reader, 0, sizeof reader);
  CHECK_RC(
      k3_put_object_stream(db, "c-test", "empty-stream", read_pattern, &reader, NULL, NULL, NULL),
      K3_OK);
  CHECK_RC(k3_get_object(db, "c-test", "empty-stream", &data, &len, NULL), K3_OK);
  CHECK(len == 0);
  k3_free(data);
  data = NULL;
}

static void test_list_and_delete(k3_db* db) {
  const char* list = "{\"bucket\":\"c-test\",\"prefix\":\"\"}";
  char* resp = NULL;
  size_t resp_len = 0;
  char* err = NULL;
  void* data = NULL;
  size_t len = 0;

  CHECK_RC(k3_call(db, "StorageService.ListObjects", list, strlen(list), &resp, &resp_len, &err),
           K3_OK);
  CHECK(contains(resp, "\"docs/hello.txt\""));
  CHECK(contains(resp, "\"big\""));
  CHECK(contains(resp, "\"empty\""));
  CHECK(!contains(resp, "\"failed\""));
  k3_free(resp);
  resp = NULL;

  CHECK_RC(k3_delete_object(NULL, "c-test", "empty", &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_delete_object(db, NULL, "empty", &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_delete_object(db, "c-test", NULL, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_delete_object(NULL, NULL, NULL, NULL), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_delete_object(db, "no-such-bucket", "empty", &err), K3_NOT_FOUND);
  expect_errmsg(&err);

  err = g_sentinel;
  CHECK_RC(k3_delete_object(db, "c-test", "empty", &err), K3_OK);
  CHECK(err == NULL);
  CHECK_RC(k3_get_object(db, "c-test", "empty", &data, &len, NULL), K3_NOT_FOUND);
  /* Idempotent. */
  CHECK_RC(k3_delete_object(db, "c-test", "empty", NULL), K3_OK);

  CHECK_RC(k3_call(db, "StorageService.ListObjects", list, strlen(list), &resp, NULL, NULL), K3_OK);
  CHECK(!contains(resp, "\"empty\""));
  k3_free(resp);
}

/* ---- the whole life of a handle ----------------------------------------------------------- */

static void test_lifecycle(void) {
  k3_db* db = NULL;
  k3_db* second = NULL;
  k3_options* opts = NULL;
  struct log_counter counter = {0, 0};
  char path[300];
  char* err = g_sentinel;
  void* data = NULL;
  size_t len = 0;

  snprintf(path, sizeof path, "%s/data", g_dir);
  CHECK_RC(k3_options_create(&opts), K3_OK);
  CHECK_RC(k3_options_set_block_cache_bytes(opts, (uint64_t)8 << 20), K3_OK);
  CHECK_RC(k3_options_set_worker_threads(opts, 2), K3_OK);
  CHECK_RC(k3_options_set_log_callback(opts, count_log, &counter, K3_LOG_DEBUG), K3_OK);
  CHECK_RC(k3_open(path, opts, &db, &err), K3_OK);
  CHECK(err == NULL);
  CHECK(db != NULL);
  k3_options_destroy(&opts); /* the options are not needed after open */

  /* The directory is locked while open. */
  CHECK_RC(k3_open(path, NULL, &second, &err), K3_FAILED_PRECONDITION);
  CHECK(second == NULL);
  expect_errmsg(&err);

  test_call(db);
  test_put_get(db);
  test_streams(db);
  test_list_and_delete(db);

  k3_close(&db);
  CHECK(db == NULL);
  k3_close(&db); /* double close is harmless */
  CHECK(db == NULL);

  /* Closed means unlocked, and the data is still there. */
  CHECK_RC(k3_open(path, NULL, &db, NULL), K3_OK);
  CHECK_RC(k3_get_object(db, "c-test", "docs/hello.txt", &data, &len, NULL), K3_OK);
  CHECK(len == 11 && memcmp(data, "hello world", 11) == 0);
  k3_free(data);
  k3_close(&db);
  CHECK(db == NULL);
  CHECK(counter.bad == 0);
}

int main(void) {
  char tmpl[] = "/tmp/k3-c-test.XXXXXX";
  if (mkdtemp(tmpl) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(g_dir, sizeof g_dir, "%s", tmpl);

  test_library();
  test_options();
  test_list_methods();
  test_open_errors();
  test_lifecycle();

  finish();
  return 0;
}
