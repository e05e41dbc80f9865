/* tests/c/k3_c_test.c: exercises every function of k3.h from C99, error paths included
 * (NULL everywhere, unknown methods, invalid JSON, wrong dimensions, unknown collections and
 * tables, failing, stopping and blocking callbacks, double close, a cursor left open at close).
 * Compiled with -std=c99 -Wall -Wextra -Werror -pedantic; runs clean under ASan+LSan.
 * Prints one line per failed check, then "N passed, M failed"; exits non-zero on failure. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_test_support.h"
#include "k3/k3.h"

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

/* A well-formed master key: 64 hex characters. */
static const char g_master_key[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

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

/* ---- embedders ------------------------------------------------------------------------------ */

#define LETTER_DIMS 8

/* The "letters" embedding: byte counts folded into LETTER_DIMS buckets, plus a constant so that
 * no vector is zero. Deterministic, so the test can compute what k3 will store. */
static void letters_vector(const char* text, size_t len, float* out) {
  size_t i;
  for (i = 0; i < LETTER_DIMS; ++i) out[i] = 0.0f;
  for (i = 0; i < len; ++i) out[(unsigned char)text[i] % LETTER_DIMS] += 1.0f;
  out[LETTER_DIMS - 1] += 0.5f;
}

/* The user data of a test embedder: call counters, how it fails, and a gate that holds every
 * call until it opens. */
struct embedder_state {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int calls;
  int texts;
  int destroyed;
  int bad;                  /* calls that broke the k3_embed_fn contract */
  int gate_closed;          /* calls wait while non-zero */
  int waiting;              /* calls waiting at the gate */
  int fail_code;            /* returned when non-zero */
  const char* fail_message; /* handed over with k3_malloc when non-NULL */
};

static void state_init(struct embedder_state* s) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
}

static void state_free(struct embedder_state* s) {
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
}

static int state_get(struct embedder_state* s, const int* field) {
  int v;
  pthread_mutex_lock(&s->mu);
  v = *field;
  pthread_mutex_unlock(&s->mu);
  return v;
}

static int embed_letters(void* user, const char* const* texts, const size_t* lens, size_t count,
                         float* out, char** errmsg_out) {
  struct embedder_state* s = (struct embedder_state*)user;
  size_t i;
  pthread_mutex_lock(&s->mu);
  s->calls++;
  s->texts += (int)count;
  if (errmsg_out == NULL || *errmsg_out != NULL || count == 0) s->bad++;
  for (i = 0; i < count; ++i) {
    if (texts[i] == NULL || texts[i][lens[i]] != '\0') s->bad++;
  }
  for (i = 0; i < count * LETTER_DIMS; ++i) {
    if (out[i] != 0.0f) s->bad++; /* k3 zeroes the output */
  }
  s->waiting++;
  pthread_cond_broadcast(&s->cv);
  while (s->gate_closed) pthread_cond_wait(&s->cv, &s->mu);
  s->waiting--;
  pthread_mutex_unlock(&s->mu);
  if (s->fail_code != 0) {
    if (s->fail_message != NULL) {
      *errmsg_out = (char*)k3_malloc(strlen(s->fail_message) + 1);
      if (*errmsg_out != NULL) strcpy(*errmsg_out, s->fail_message);
    }
    return s->fail_code;
  }
  for (i = 0; i < count; ++i) letters_vector(texts[i], lens[i], out + i * LETTER_DIMS);
  return 0;
}

static void destroy_state(void* user) {
  struct embedder_state* s = (struct embedder_state*)user;
  pthread_mutex_lock(&s->mu);
  s->destroyed++;
  pthread_mutex_unlock(&s->mu);
}

/* Closes (1) or opens (0) the gate of `s`. */
static void set_gate(struct embedder_state* s, int closed) {
  pthread_mutex_lock(&s->mu);
  s->gate_closed = closed;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* Blocks until a call waits at the gate of `s`. */
static void await_caller(struct embedder_state* s) {
  pthread_mutex_lock(&s->mu);
  while (s->waiting == 0) pthread_cond_wait(&s->cv, &s->mu);
  pthread_mutex_unlock(&s->mu);
}

static struct embedder_state g_letters;  /* "letters": works */
static struct embedder_state g_broken;   /* "broken": UNAVAILABLE with a message */
static struct embedder_state g_weird;    /* "weird": returns 77, no message */
static struct embedder_state g_gated;    /* "gated": works once its gate opens */
static struct embedder_state g_replaced; /* registered as "letters" first, then replaced */
static struct embedder_state g_refused;  /* registrations that fail */
static struct embedder_state g_optioned; /* "optioned": registered through the options */

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

  /* The setters of 0.2.0. */
  CHECK_RC(k3_options_set_log_level(NULL, K3_LOG_INFO), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_log_level(opts, -1), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_log_level(opts, K3_LOG_ERROR + 1), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_log_level(opts, K3_LOG_INFO), K3_OK);
  CHECK_RC(k3_options_set_write_buffer_bytes(NULL, (uint64_t)4 << 20), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_write_buffer_bytes(opts, 0), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_write_buffer_bytes(opts, (uint64_t)4 << 20), K3_OK);
  CHECK_RC(k3_options_set_ingest_max_attempts(NULL, 2), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_ingest_max_attempts(opts, 0), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_ingest_max_attempts(opts, -3), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_ingest_max_attempts(opts, 2), K3_OK);
  CHECK_RC(k3_options_set_ingest_retry_backoff_ms(NULL, 10), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_ingest_retry_backoff_ms(opts, -1), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_ingest_retry_backoff_ms(opts, 0), K3_OK);
  CHECK_RC(k3_options_set_ingest_retry_backoff_ms(opts, INT64_MAX), K3_OK);
  CHECK_RC(k3_options_set_table_history_versions(NULL, 5), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_table_history_versions(opts, 0), K3_OK);
  CHECK_RC(k3_options_set_table_history_versions(opts, UINT32_MAX), K3_OK);
  CHECK_RC(k3_options_set_master_key(NULL, "x"), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_set_master_key(opts, "not checked until k3_open"), K3_OK);
  CHECK_RC(k3_options_set_master_key(opts, NULL), K3_OK);
  CHECK_RC(k3_options_set_master_key(opts, ""), K3_OK);
  CHECK_RC(k3_options_set_master_key(opts, g_master_key), K3_OK); /* wiped by destroy */

  /* Embedders in options: failures release the user data at once; a replaced one is released
   * when replaced; the rest when the options go (nothing was opened with them). */
  CHECK_RC(k3_options_register_embedder(NULL, "e", 4, embed_letters, &g_refused, destroy_state),
           K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_register_embedder(opts, NULL, 4, embed_letters, &g_refused, destroy_state),
           K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_register_embedder(opts, "e", 4, NULL, &g_refused, destroy_state),
           K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_register_embedder(opts, "e", 0, embed_letters, &g_refused, destroy_state),
           K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_register_embedder(opts, "e", 8193, embed_letters, &g_refused, destroy_state),
           K3_INVALID_ARGUMENT);
  CHECK_RC(k3_options_register_embedder(NULL, NULL, 0, NULL, NULL, NULL), K3_INVALID_ARGUMENT);
  CHECK(state_get(&g_refused, &g_refused.destroyed) == 5);
  CHECK_RC(k3_options_register_embedder(opts, "e", 4, embed_letters, &g_refused, destroy_state),
           K3_OK);
  CHECK_RC(k3_options_register_embedder(opts, "e", 4, embed_letters, &g_refused, destroy_state),
           K3_OK);
  CHECK(state_get(&g_refused, &g_refused.destroyed) == 6);

  k3_options_destroy(&opts);
  CHECK(state_get(&g_refused, &g_refused.destroyed) == 7);
  CHECK(state_get(&g_refused, &g_refused.calls) == 0);
  state_free(&g_refused);
  state_init(&g_refused);
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

  /* The master key is checked by k3_open: a malformed one fails, a well-formed one opens. */
  snprintf(missing, sizeof missing, "%s/keyed", g_dir);
  CHECK_RC(k3_options_create(&opts), K3_OK);
  CHECK_RC(k3_options_set_master_key(opts, "not-a-key"), K3_OK);
  CHECK_RC(k3_open(missing, opts, &db, &err), K3_INVALID_ARGUMENT);
  CHECK(db == NULL);
  expect_errmsg(&err);
  CHECK_RC(k3_options_set_master_key(opts, g_master_key), K3_OK);
  CHECK_RC(k3_open(missing, opts, &db, &err), K3_OK);
  CHECK(db != NULL);
  k3_close(&db);
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

/* ---- helpers for the typed data plane ------------------------------------------------------ */

/* Runs k3_call on a NUL-terminated request and checks its code; returns the response (to be
 * freed with k3_free) or NULL. */
static char* call_ok(k3_db* db, const char* method, const char* request) {
  char* resp = NULL;
  char* err = NULL;
  int rc = k3_call(db, method, request, strlen(request), &resp, NULL, &err);
  if (rc != K3_OK) {
    fprintf(stderr, "%s(%s): %s: %s\n", method, request, k3_status_str(rc), err ? err : "");
  }
  CHECK_RC(rc, K3_OK);
  k3_free(err);
  return resp;
}

/* As call_ok, for calls whose response is not needed. */
static void call_void(k3_db* db, const char* method, const char* request) {
  k3_free(call_ok(db, method, request));
}

/* Copies the string value of the first "name":"..." in `json` (no escapes in it) into out;
 * returns 1 when found. */
static int json_string(const char* json, const char* name, char* out, size_t cap) {
  char pattern[128];
  const char* start;
  const char* end;
  snprintf(pattern, sizeof pattern, "\"%s\":\"", name);
  start = json != NULL ? strstr(json, pattern) : NULL;
  if (start == NULL) return 0;
  start += strlen(pattern);
  end = strchr(start, '"');
  if (end == NULL || (size_t)(end - start) >= cap) return 0;
  memcpy(out, start, (size_t)(end - start));
  out[end - start] = '\0';
  return 1;
}

static void test_register_embedders(k3_db* db) {
  char* err = NULL;

  /* Failures: destroy(user_data) runs before the call returns, exactly once each. */
  CHECK_RC(
      k3_register_embedder(NULL, "x", LETTER_DIMS, embed_letters, &g_refused, destroy_state, &err),
      K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK(state_get(&g_refused, &g_refused.destroyed) == 1);
  CHECK_RC(
      k3_register_embedder(db, NULL, LETTER_DIMS, embed_letters, &g_refused, destroy_state, &err),
      K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_register_embedder(db, "x", LETTER_DIMS, NULL, &g_refused, destroy_state, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_register_embedder(db, "x", 0, embed_letters, &g_refused, destroy_state, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_register_embedder(db, "x", 8193, embed_letters, &g_refused, destroy_state, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(
      k3_register_embedder(db, "", LETTER_DIMS, embed_letters, &g_refused, destroy_state, &err),
      K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(
      k3_register_embedder(db, "hash", LETTER_DIMS, embed_letters, &g_refused, destroy_state, &err),
      K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK(state_get(&g_refused, &g_refused.destroyed) == 7);
  CHECK(state_get(&g_refused, &g_refused.calls) == 0);
  /* destroy may be NULL; errmsg is optional. */
  CHECK_RC(k3_register_embedder(NULL, NULL, 0, NULL, NULL, NULL, NULL), K3_INVALID_ARGUMENT);

  /* Registering a name again replaces (and releases) the earlier embedder. */
  err = g_sentinel;
  CHECK_RC(k3_register_embedder(db, "letters", LETTER_DIMS, embed_letters, &g_replaced,
                                destroy_state, &err),
           K3_OK);
  CHECK(err == NULL);
  CHECK(state_get(&g_replaced, &g_replaced.destroyed) == 0);
  CHECK_RC(k3_register_embedder(db, "letters", LETTER_DIMS, embed_letters, &g_letters,
                                destroy_state, NULL),
           K3_OK);
  CHECK(state_get(&g_replaced, &g_replaced.destroyed) == 1);

  g_broken.fail_code = K3_UNAVAILABLE;
  g_broken.fail_message = "model offline";
  g_weird.fail_code = 77;
  CHECK_RC(k3_register_embedder(db, "broken", LETTER_DIMS, embed_letters, &g_broken, destroy_state,
                                NULL),
           K3_OK);
  CHECK_RC(
      k3_register_embedder(db, "weird", LETTER_DIMS, embed_letters, &g_weird, destroy_state, NULL),
      K3_OK);
  CHECK_RC(
      k3_register_embedder(db, "gated", LETTER_DIMS, embed_letters, &g_gated, destroy_state, NULL),
      K3_OK);
  CHECK(state_get(&g_letters, &g_letters.calls) == 0);
}

/* ---- vectors ---------------------------------------------------------------------------- */

static void test_vectors(k3_db* db) {
  const char* ids[4] = {"x", "y", "z", "far"};
  const float values[12] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 10, 10, 10};
  const char* metadata[4] = {"{\"lang\":\"en\",\"object_key\":\"docs/x.txt\",\"year\":2024}",
                             "{\"lang\":\"fr\",\"tags\":[\"a\",\"b\"]}", NULL, ""};
  const char* texts[4] = {"the x chunk", NULL, "the z chunk", NULL};
  const float query[3] = {1, 0, 0};
  const float near_y[3] = {0.1f, 0.9f, 0};
  const float nan_values[3] = {0, NAN, 0};
  const char* dup_ids[2] = {"d", "d"};
  const char* null_id[2] = {"ok", NULL};
  const char* bad_metadata[2] = {"{\"lang\":\"en\"}", "{\"lang\":"};
  const char* nested_metadata[1] = {"{\"a\":{\"b\":1}}"};
  const char* words[4] = {"kettle", "parcel", "refund", "lyon"};
  float word_values[4 * LETTER_DIMS];
  k3_hits* hits = NULL;
  uint64_t written = 99;
  char* err = NULL;
  const char* s = NULL;
  size_t len = 99;
  float score = -1;
  size_t i;

  call_void(db, "StorageService.CreateBucket", "{\"name\":\"c-vec\"}");
  call_void(db, "VectorService.ConfigureEngine", "{\"bucket\":\"c-vec\",\"mode\":\"auto\"}");
  call_void(db, "VectorService.CreateCollection",
            "{\"bucket\":\"c-vec\",\"name\":\"pts\",\"dimensions\":3,\"metric\":\"L2\","
            "\"indexType\":\"FLAT\"}");
  call_void(db, "VectorService.CreateCollection",
            "{\"bucket\":\"c-vec\",\"name\":\"words\",\"dimensions\":8,\"metric\":\"COSINE\","
            "\"indexType\":\"FLAT\",\"embedModel\":\"letters\"}");
  call_void(db, "VectorService.CreateCollection",
            "{\"bucket\":\"c-vec\",\"name\":\"broken-words\",\"dimensions\":8,"
            "\"indexType\":\"FLAT\",\"embedModel\":\"broken\"}");
  call_void(db, "VectorService.CreateCollection",
            "{\"bucket\":\"c-vec\",\"name\":\"weird-words\",\"dimensions\":8,"
            "\"indexType\":\"FLAT\",\"embedModel\":\"weird\"}");
  call_void(db, "VectorService.CreateCollection",
            "{\"bucket\":\"c-vec\",\"name\":\"no-embedder\",\"dimensions\":8,"
            "\"indexType\":\"FLAT\",\"embedModel\":\"nobody\"}");

  /* Upsert: NULL arguments. */
  CHECK_RC(
      k3_upsert_vectors(NULL, "c-vec", "pts", 4, ids, values, 3, metadata, texts, &written, &err),
      K3_INVALID_ARGUMENT);
  CHECK(written == 0);
  expect_errmsg(&err);
  CHECK_RC(k3_upsert_vectors(db, NULL, "pts", 4, ids, values, 3, metadata, texts, &written, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_upsert_vectors(db, "c-vec", NULL, 4, ids, values, 3, metadata, texts, &written, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(
      k3_upsert_vectors(db, "c-vec", "pts", 4, NULL, values, 3, metadata, texts, &written, &err),
      K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_upsert_vectors(db, "c-vec", "pts", 4, ids, NULL, 3, metadata, texts, &written, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_upsert_vectors(db, "c-vec", "pts", 2, null_id, values, 3, NULL, NULL, NULL, &err),
           K3_INVALID_ARGUMENT);
  CHECK(contains(err, "ids[1]"));
  expect_errmsg(&err);
  CHECK_RC(k3_upsert_vectors(NULL, NULL, NULL, 1, NULL, NULL, 0, NULL, NULL, NULL, NULL),
           K3_INVALID_ARGUMENT);
  /* Wrong dims, bad values, bad metadata, duplicate ids, unknown targets. */
  CHECK_RC(k3_upsert_vectors(db, "c-vec", "pts", 1, ids, values, 0, NULL, NULL, NULL, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_upsert_vectors(db, "c-vec", "pts", 2, ids, values, 2, NULL, NULL, NULL, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_upsert_vectors(db, "c-vec", "pts", 1, ids, nan_values, 3, NULL, NULL, NULL, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_upsert_vectors(db, "c-vec", "pts", 2, ids, values, 3, bad_metadata, NULL, NULL, &err),
           K3_INVALID_ARGUMENT);
  CHECK(contains(err, "vectors[1]"));
  expect_errmsg(&err);
  CHECK_RC(
      k3_upsert_vectors(db, "c-vec", "pts", 1, ids, values, 3, nested_metadata, NULL, NULL, &err),
      K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_upsert_vectors(db, "c-vec", "pts", 2, dup_ids, values, 3, NULL, NULL, NULL, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_upsert_vectors(db, "c-vec", "nope", 1, ids, values, 3, NULL, NULL, NULL, &err),
           K3_NOT_FOUND);
  expect_errmsg(&err);
  CHECK_RC(
      k3_upsert_vectors(db, "no-such-bucket", "pts", 1, ids, values, 3, NULL, NULL, NULL, &err),
      K3_NOT_FOUND);
  expect_errmsg(&err);
  /* Nothing of the failed batches was written: a search finds nothing yet. */
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", query, 3, 10, NULL, &hits, NULL), K3_OK);
  CHECK(k3_hits_count(hits) == 0);
  k3_hits_destroy(&hits);

  /* An empty batch. */
  written = 99;
  CHECK_RC(k3_upsert_vectors(db, "c-vec", "pts", 0, NULL, NULL, 0, NULL, NULL, &written, NULL),
           K3_OK);
  CHECK(written == 0);

  /* Success. */
  err = g_sentinel;
  CHECK_RC(
      k3_upsert_vectors(db, "c-vec", "pts", 4, ids, values, 3, metadata, texts, &written, &err),
      K3_OK);
  CHECK(err == NULL);
  CHECK(written == 4);

  /* Search by vector: NULL arguments. */
  hits = (k3_hits*)g_sentinel;
  CHECK_RC(k3_search_vector(NULL, "c-vec", "pts", query, 3, 2, NULL, &hits, &err),
           K3_INVALID_ARGUMENT);
  CHECK(hits == NULL);
  expect_errmsg(&err);
  CHECK_RC(k3_search_vector(db, NULL, "pts", query, 3, 2, NULL, &hits, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", NULL, 3, 2, NULL, &hits, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", query, 3, 2, NULL, NULL, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_vector(NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL), K3_INVALID_ARGUMENT);
  /* Bad queries. */
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", query, 0, 2, NULL, &hits, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", query, 2, 2, NULL, &hits, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", nan_values, 3, 2, NULL, &hits, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", query, 3, 0, NULL, &hits, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", query, 3, 1025, NULL, &hits, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", query, 3, 2, "{\"field\":", &hits, &err),
           K3_INVALID_ARGUMENT);
  CHECK(hits == NULL);
  expect_errmsg(&err);
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", query, 3, 2, "{\"field\":\"lang\",\"op\":\"zz\"}",
                            &hits, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", query, 3, 2, "[1]", &hits, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_vector(db, "c-vec", "nope", query, 3, 2, NULL, &hits, &err), K3_NOT_FOUND);
  expect_errmsg(&err);
  CHECK_RC(k3_search_vector(db, "no-such-bucket", "pts", query, 3, 2, NULL, &hits, &err),
           K3_NOT_FOUND);
  expect_errmsg(&err);

  /* Exact hits, best first, with every accessor. L2 scores are 1 / (1 + d^2). */
  err = g_sentinel;
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", query, 3, 3, NULL, &hits, &err), K3_OK);
  CHECK(err == NULL);
  CHECK(k3_hits_count(hits) == 3);
  CHECK_RC(k3_hits_id(hits, 0, &s, &len), K3_OK);
  CHECK(strcmp(s, "x") == 0 && len == 1);
  CHECK_RC(k3_hits_score(hits, 0, &score), K3_OK);
  CHECK(score > 0.9999f && score <= 1.0f);
  CHECK_RC(k3_hits_score(hits, 1, &score), K3_OK);
  CHECK(score > 0.33f && score < 0.34f); /* d^2 = 2 */
  CHECK_RC(k3_hits_collection(hits, 0, &s, &len), K3_OK);
  CHECK(strcmp(s, "pts") == 0 && len == 3);
  CHECK_RC(k3_hits_object_key(hits, 0, &s, &len), K3_OK);
  CHECK(strcmp(s, "docs/x.txt") == 0 && len == 10);
  CHECK_RC(k3_hits_text(hits, 0, &s, &len), K3_OK);
  CHECK(s != NULL && strcmp(s, "the x chunk") == 0 && len == 11);
  CHECK_RC(k3_hits_metadata_json(hits, 0, &s, &len), K3_OK);
  CHECK(s != NULL &&
        strcmp(s, "{\"lang\":\"en\",\"object_key\":\"docs/x.txt\",\"year\":2024}") == 0);
  CHECK(len == strlen(s));
  /* y and z tie at d^2 = 2; each accessor works on both, and out_len is optional. */
  for (i = 1; i < 3; ++i) {
    CHECK_RC(k3_hits_id(hits, i, &s, NULL), K3_OK);
    if (strcmp(s, "y") == 0) {
      CHECK_RC(k3_hits_text(hits, i, &s, &len), K3_OK);
      CHECK(s == NULL && len == 0); /* y has no text */
      CHECK_RC(k3_hits_metadata_json(hits, i, &s, NULL), K3_OK);
      CHECK(strcmp(s, "{\"lang\":\"fr\",\"tags\":[\"a\",\"b\"]}") == 0);
      CHECK_RC(k3_hits_object_key(hits, i, &s, &len), K3_OK);
      CHECK(strcmp(s, "") == 0 && len == 0);
    } else {
      CHECK(strcmp(s, "z") == 0);
      CHECK_RC(k3_hits_metadata_json(hits, i, &s, &len), K3_OK);
      CHECK(strcmp(s, "{}") == 0 && len == 2);
      CHECK_RC(k3_hits_text(hits, i, &s, NULL), K3_OK);
      CHECK(s != NULL && strcmp(s, "the z chunk") == 0);
    }
  }
  /* Accessor errors. */
  s = g_sentinel;
  len = 99;
  CHECK_RC(k3_hits_id(hits, 3, &s, &len), K3_OUT_OF_RANGE);
  CHECK(s == NULL && len == 0);
  CHECK_RC(k3_hits_collection(hits, 3, &s, &len), K3_OUT_OF_RANGE);
  CHECK_RC(k3_hits_object_key(hits, 3, &s, &len), K3_OUT_OF_RANGE);
  CHECK_RC(k3_hits_text(hits, 3, &s, &len), K3_OUT_OF_RANGE);
  CHECK_RC(k3_hits_metadata_json(hits, (size_t)-1, &s, &len), K3_OUT_OF_RANGE);
  CHECK_RC(k3_hits_score(hits, 3, &score), K3_OUT_OF_RANGE);
  CHECK(score == 0);
  CHECK_RC(k3_hits_id(NULL, 0, &s, &len), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_hits_id(hits, 0, NULL, &len), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_hits_collection(NULL, 0, &s, NULL), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_hits_object_key(NULL, 0, &s, NULL), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_hits_text(hits, 0, NULL, NULL), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_hits_metadata_json(NULL, 0, NULL, NULL), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_hits_score(NULL, 0, &score), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_hits_score(hits, 0, NULL), K3_INVALID_ARGUMENT);
  CHECK(k3_hits_count(NULL) == 0);
  k3_hits_destroy(&hits);
  CHECK(hits == NULL);
  k3_hits_destroy(&hits);
  k3_hits_destroy(NULL);

  /* A filter; and every collection of the bucket with the query's dimensions (collection NULL
   * or ""). */
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", near_y, 3, 4,
                            "{\"field\":\"lang\",\"op\":\"eq\",\"value\":\"fr\"}", &hits, NULL),
           K3_OK);
  CHECK(k3_hits_count(hits) == 1);
  CHECK_RC(k3_hits_id(hits, 0, &s, NULL), K3_OK);
  CHECK(strcmp(s, "y") == 0);
  k3_hits_destroy(&hits);
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", query, 3, 4,
                            "{\"not\":{\"field\":\"lang\",\"op\":\"exists\"}}", &hits, NULL),
           K3_OK);
  CHECK(k3_hits_count(hits) == 2); /* z and far */
  k3_hits_destroy(&hits);
  CHECK_RC(k3_search_vector(db, "c-vec", NULL, query, 3, 1, NULL, &hits, NULL), K3_OK);
  CHECK(k3_hits_count(hits) == 1);
  CHECK_RC(k3_hits_id(hits, 0, &s, NULL), K3_OK);
  CHECK(strcmp(s, "x") == 0);
  k3_hits_destroy(&hits);
  CHECK_RC(k3_search_vector(db, "c-vec", "", query, 3, 1, NULL, &hits, NULL), K3_OK);
  CHECK(k3_hits_count(hits) == 1);
  k3_hits_destroy(&hits);
  /* Upserting an id again replaces it. */
  CHECK_RC(k3_upsert_vectors(db, "c-vec", "pts", 1, ids + 3, values, 3, NULL, NULL, &written, NULL),
           K3_OK);
  CHECK_RC(k3_search_vector(db, "c-vec", "pts", query, 3, 2, NULL, &hits, NULL), K3_OK);
  CHECK(k3_hits_count(hits) == 2);
  CHECK_RC(k3_hits_score(hits, 1, &score), K3_OK);
  CHECK(score > 0.9999f && score <= 1.0f); /* "far" now sits on x */
  k3_hits_destroy(&hits);

  /* Text search through the C embedder "letters". */
  for (i = 0; i < 4; ++i) letters_vector(words[i], strlen(words[i]), word_values + i * LETTER_DIMS);
  CHECK_RC(k3_upsert_vectors(db, "c-vec", "words", 4, words, word_values, LETTER_DIMS, NULL, words,
                             &written, NULL),
           K3_OK);
  CHECK(written == 4);
  CHECK_RC(k3_search_text(NULL, "c-vec", "words", "kettle", 6, 1, NULL, &hits, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_text(db, NULL, "words", "kettle", 6, 1, NULL, &hits, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_text(db, "c-vec", "words", NULL, 6, 1, NULL, &hits, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_text(db, "c-vec", "words", "kettle", 6, 1, NULL, NULL, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_search_text(NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_search_text(db, "c-vec", "pts", "kettle", 6, 1, NULL, &hits, &err),
           K3_FAILED_PRECONDITION); /* no embed_model */
  expect_errmsg(&err);
  CHECK_RC(k3_search_text(db, "c-vec", "words", "kettle", 6, 1, "{", &hits, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  /* The text is the first text_len bytes: "kettleparcel" cut at 6 is "kettle". */
  CHECK_RC(k3_search_text(db, "c-vec", "words", "kettleparcel", 6, 2, NULL, &hits, &err), K3_OK);
  CHECK(k3_hits_count(hits) == 2);
  CHECK_RC(k3_hits_id(hits, 0, &s, NULL), K3_OK);
  CHECK(strcmp(s, "kettle") == 0);
  CHECK_RC(k3_hits_score(hits, 0, &score), K3_OK);
  CHECK(score > 0.999f && score < 1.001f);
  CHECK_RC(k3_hits_text(hits, 0, &s, &len), K3_OK);
  CHECK(s != NULL && strcmp(s, "kettle") == 0 && len == 6);
  k3_hits_destroy(&hits);
  CHECK_RC(k3_search_text(db, "c-vec", "words", "parcel", 6, 1, NULL, &hits, NULL), K3_OK);
  CHECK_RC(k3_hits_id(hits, 0, &s, NULL), K3_OK);
  CHECK(strcmp(s, "parcel") == 0);
  k3_hits_destroy(&hits);
  CHECK(state_get(&g_letters, &g_letters.calls) == 2);
  CHECK(state_get(&g_letters, &g_letters.texts) == 2);
  /* The embedder's failure code and message come through. */
  CHECK_RC(k3_search_text(db, "c-vec", "broken-words", "kettle", 6, 1, NULL, &hits, &err),
           K3_UNAVAILABLE);
  CHECK(hits == NULL);
  CHECK(contains(err, "model offline"));
  expect_errmsg(&err);
  CHECK_RC(k3_search_text(db, "c-vec", "weird-words", "kettle", 6, 1, NULL, &hits, &err),
           K3_UNKNOWN);
  CHECK(contains(err, "77"));
  expect_errmsg(&err);
  CHECK_RC(k3_search_text(db, "c-vec", "no-embedder", "kettle", 6, 1, NULL, &hits, &err),
           K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK(state_get(&g_letters, &g_letters.bad) == 0);
  CHECK(state_get(&g_broken, &g_broken.bad) == 0);
}

/* ---- SQL ---------------------------------------------------------------------------------- */

/* Reads the next row and checks there is one (want_row 1) or none (0). */
static void next_row(k3_cursor* cursor, int want_row) {
  int has_row = -1;
  char* err = g_sentinel;
  CHECK_RC(k3_cursor_next(cursor, &has_row, &err), K3_OK);
  CHECK(err == NULL);
  CHECK(has_row == want_row);
}

static void test_sql(k3_db* db) {
  const char* rows =
      "{\"bucket\":\"c-sql\",\"tableName\":\"events\",\"rows\":["
      "{\"id\":1,\"kind\":\"click\",\"score\":1.5,\"ok\":true,\"payload\":\"AAEC\","
      "\"meta\":{\"tier\":\"pro\"},\"day\":\"2026-05-14\"},"
      "{\"id\":2,\"kind\":\"view\",\"score\":-2,\"ok\":false,\"payload\":\"\"},"
      "{\"id\":\"9223372036854775807\",\"kind\":\"a\\u0000b\"}]}";
  k3_cursor* cursor = NULL;
  char* err = NULL;
  const char* name = NULL;
  const char* text = NULL;
  const void* blob = NULL;
  size_t len = 0;
  int type = -1;
  int is_null = -1;
  int has_row = -1;
  int64_t i64 = -1;
  double d = -1;

  call_void(db, "StorageService.CreateBucket", "{\"name\":\"c-sql\"}");
  call_void(db, "StorageService.CreateBucket", "{\"name\":\"c-sql-bare\"}");
  call_void(db, "TableService.ConfigureEngine", "{\"bucket\":\"c-sql\"}");
  call_void(db, "TableService.CreateTable",
            "{\"bucket\":\"c-sql\",\"name\":\"events\",\"columns\":["
            "{\"name\":\"id\",\"type\":\"LONG\",\"nullable\":false},"
            "{\"name\":\"kind\",\"type\":\"STRING\"},{\"name\":\"score\",\"type\":\"DOUBLE\"},"
            "{\"name\":\"ok\",\"type\":\"BOOLEAN\"},{\"name\":\"payload\",\"type\":\"BINARY\"},"
            "{\"name\":\"meta\",\"type\":\"JSON\"},{\"name\":\"day\",\"type\":\"DATE\"}],"
            "\"mergeKeys\":[\"id\"]}");
  call_void(db, "TableService.InsertRows", rows);

  /* NULL arguments. */
  cursor = (k3_cursor*)g_sentinel;
  CHECK_RC(k3_query(NULL, "c-sql", "SELECT 1", NULL, &cursor, &err), K3_INVALID_ARGUMENT);
  CHECK(cursor == NULL);
  expect_errmsg(&err);
  CHECK_RC(k3_query(db, NULL, "SELECT 1", NULL, &cursor, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_query(db, "c-sql", NULL, NULL, &cursor, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_query(db, "c-sql", "SELECT 1", NULL, NULL, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_query(NULL, NULL, NULL, NULL, NULL, NULL), K3_INVALID_ARGUMENT);
  /* Unknown bucket, no table engine, unknown table, writes, internals, bad parameters. */
  CHECK_RC(k3_query(db, "no-such-bucket", "SELECT 1", NULL, &cursor, &err), K3_NOT_FOUND);
  expect_errmsg(&err);
  CHECK_RC(k3_query(db, "c-sql-bare", "SELECT 1", NULL, &cursor, &err), K3_NOT_FOUND);
  expect_errmsg(&err);
  CHECK_RC(k3_query(db, "c-sql", "SELECT * FROM nope", NULL, &cursor, &err), K3_NOT_FOUND);
  CHECK(contains(err, "nope"));
  expect_errmsg(&err);
  CHECK_RC(k3_query(db, "c-sql", "SELECT nope FROM events", NULL, &cursor, &err),
           K3_INVALID_ARGUMENT);
  CHECK(contains(err, "nope"));
  expect_errmsg(&err);
  CHECK_RC(k3_query(db, "c-sql", "SELEC 1", NULL, &cursor, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_query(db, "c-sql", "DELETE FROM events", NULL, &cursor, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_query(db, "c-sql", "SELECT 1; SELECT 2", NULL, &cursor, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_query(db, "c-sql", "SELECT * FROM sqlite_master", NULL, &cursor, &err),
           K3_PERMISSION_DENIED);
  expect_errmsg(&err);
  CHECK_RC(k3_query(db, "c-sql", "SELECT $1", "[1", &cursor, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_query(db, "c-sql", "SELECT $1", "{\"a\":1}", &cursor, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_query(db, "c-sql", "SELECT $1", "[{\"int64\":\"x\"}]", &cursor, &err),
           K3_INVALID_ARGUMENT);
  CHECK(contains(err, "params[0]"));
  expect_errmsg(&err);
  CHECK(cursor == NULL);

  /* Every column type and cell kind. */
  err = g_sentinel;
  CHECK_RC(k3_query(db, "c-sql",
                    "SELECT id, kind, score, ok, payload, meta, day FROM events "
                    "ORDER BY id",
                    NULL, &cursor, &err),
           K3_OK);
  CHECK(err == NULL && cursor != NULL);
  CHECK(k3_cursor_column_count(cursor) == 7);
  CHECK_RC(k3_cursor_column_name(cursor, 0, &name), K3_OK);
  CHECK(strcmp(name, "id") == 0);
  CHECK_RC(k3_cursor_column_name(cursor, 6, &name), K3_OK);
  CHECK(strcmp(name, "day") == 0);
  CHECK_RC(k3_cursor_column_name(cursor, 7, &name), K3_OUT_OF_RANGE);
  CHECK(name == NULL);
  CHECK_RC(k3_cursor_column_name(NULL, 0, &name), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_column_name(cursor, 0, NULL), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_column_type(cursor, 0, &type), K3_OK);
  CHECK(type == K3_COLUMN_LONG);
  CHECK_RC(k3_cursor_column_type(cursor, 1, &type), K3_OK);
  CHECK(type == K3_COLUMN_STRING);
  CHECK_RC(k3_cursor_column_type(cursor, 2, &type), K3_OK);
  CHECK(type == K3_COLUMN_DOUBLE);
  CHECK_RC(k3_cursor_column_type(cursor, 3, &type), K3_OK);
  CHECK(type == K3_COLUMN_BOOLEAN);
  CHECK_RC(k3_cursor_column_type(cursor, 4, &type), K3_OK);
  CHECK(type == K3_COLUMN_BINARY);
  CHECK_RC(k3_cursor_column_type(cursor, 5, &type), K3_OK);
  CHECK(type == K3_COLUMN_JSON);
  CHECK_RC(k3_cursor_column_type(cursor, 6, &type), K3_OK);
  CHECK(type == K3_COLUMN_DATE);
  CHECK_RC(k3_cursor_column_type(cursor, 7, &type), K3_OUT_OF_RANGE);
  CHECK(type == 0);
  CHECK_RC(k3_cursor_column_type(NULL, 0, &type), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_column_type(cursor, 0, NULL), K3_INVALID_ARGUMENT);
  /* Before the first row nothing can be read. */
  CHECK_RC(k3_cursor_get_int64(cursor, 0, &i64), K3_FAILED_PRECONDITION);
  CHECK_RC(k3_cursor_is_null(cursor, 0, &is_null), K3_FAILED_PRECONDITION);

  /* Row 1. */
  next_row(cursor, 1);
  CHECK_RC(k3_cursor_value_type(cursor, 0, &type), K3_OK);
  CHECK(type == K3_VALUE_INT64);
  CHECK_RC(k3_cursor_get_int64(cursor, 0, &i64), K3_OK);
  CHECK(i64 == 1);
  CHECK_RC(k3_cursor_get_double(cursor, 0, &d), K3_OK);
  CHECK(d == 1.0);
  CHECK_RC(k3_cursor_get_text(cursor, 0, &text, &len), K3_FAILED_PRECONDITION); /* no conversion */
  CHECK(text == NULL && len == 0);
  CHECK_RC(k3_cursor_get_text(cursor, 1, &text, &len), K3_OK);
  CHECK(strcmp(text, "click") == 0 && len == 5);
  CHECK_RC(k3_cursor_get_blob(cursor, 1, &blob, &len), K3_OK); /* a text's bytes */
  CHECK(len == 5 && memcmp(blob, "click", 5) == 0);
  CHECK_RC(k3_cursor_get_int64(cursor, 1, &i64), K3_FAILED_PRECONDITION);
  CHECK(i64 == 0);
  CHECK_RC(k3_cursor_value_type(cursor, 2, &type), K3_OK);
  CHECK(type == K3_VALUE_DOUBLE);
  CHECK_RC(k3_cursor_get_double(cursor, 2, &d), K3_OK);
  CHECK(d == 1.5);
  CHECK_RC(k3_cursor_get_int64(cursor, 2, &i64), K3_FAILED_PRECONDITION);
  CHECK_RC(k3_cursor_value_type(cursor, 3, &type), K3_OK);
  CHECK(type == K3_VALUE_BOOL);
  CHECK_RC(k3_cursor_get_int64(cursor, 3, &i64), K3_OK);
  CHECK(i64 == 1);
  CHECK_RC(k3_cursor_value_type(cursor, 4, &type), K3_OK);
  CHECK(type == K3_VALUE_BLOB);
  CHECK_RC(k3_cursor_get_blob(cursor, 4, &blob, &len), K3_OK);
  CHECK(len == 3 && memcmp(blob, "\0\1\2", 3) == 0);
  CHECK_RC(k3_cursor_get_text(cursor, 4, &text, NULL), K3_FAILED_PRECONDITION);
  CHECK_RC(k3_cursor_get_blob(cursor, 4, &blob, NULL), K3_INVALID_ARGUMENT);
  CHECK(blob == NULL);                                         /* outputs are NULL on failure */
  CHECK_RC(k3_cursor_get_text(cursor, 5, &text, NULL), K3_OK); /* out_len is optional */
  CHECK(strcmp(text, "{\"tier\":\"pro\"}") == 0);
  CHECK_RC(k3_cursor_get_text(cursor, 6, &text, &len), K3_OK);
  CHECK(strcmp(text, "2026-05-14") == 0 && len == 10);
  CHECK_RC(k3_cursor_is_null(cursor, 6, &is_null), K3_OK);
  CHECK(is_null == 0);
  /* Getter errors. */
  CHECK_RC(k3_cursor_get_int64(cursor, 7, &i64), K3_OUT_OF_RANGE);
  CHECK_RC(k3_cursor_get_double(cursor, 7, &d), K3_OUT_OF_RANGE);
  CHECK_RC(k3_cursor_get_text(cursor, 7, &text, &len), K3_OUT_OF_RANGE);
  CHECK_RC(k3_cursor_get_blob(cursor, 7, &blob, &len), K3_OUT_OF_RANGE);
  CHECK_RC(k3_cursor_is_null(cursor, 7, &is_null), K3_OUT_OF_RANGE);
  CHECK_RC(k3_cursor_value_type(cursor, 7, &type), K3_OUT_OF_RANGE);
  CHECK_RC(k3_cursor_get_int64(NULL, 0, &i64), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_get_int64(cursor, 0, NULL), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_get_double(NULL, 0, &d), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_get_double(cursor, 0, NULL), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_get_text(NULL, 0, &text, &len), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_get_text(cursor, 1, NULL, &len), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_get_blob(NULL, 0, &blob, &len), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_get_blob(cursor, 4, NULL, &len), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_is_null(NULL, 0, &is_null), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_is_null(cursor, 0, NULL), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_value_type(NULL, 0, &type), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_cursor_value_type(cursor, 0, NULL), K3_INVALID_ARGUMENT);

  /* Row 2: a negative double, false, an empty blob, NULLs. */
  next_row(cursor, 1);
  CHECK_RC(k3_cursor_get_double(cursor, 2, &d), K3_OK);
  CHECK(d == -2.0);
  CHECK_RC(k3_cursor_get_int64(cursor, 3, &i64), K3_OK);
  CHECK(i64 == 0);
  CHECK_RC(k3_cursor_get_double(cursor, 3, &d), K3_OK);
  CHECK(d == 0.0);
  blob = NULL;
  CHECK_RC(k3_cursor_get_blob(cursor, 4, &blob, &len), K3_OK);
  CHECK(blob != NULL && len == 0);
  CHECK_RC(k3_cursor_is_null(cursor, 5, &is_null), K3_OK);
  CHECK(is_null == 1);
  CHECK_RC(k3_cursor_value_type(cursor, 5, &type), K3_OK);
  CHECK(type == K3_VALUE_NULL);
  CHECK_RC(k3_cursor_get_text(cursor, 5, &text, &len), K3_FAILED_PRECONDITION);
  CHECK_RC(k3_cursor_get_int64(cursor, 5, &i64), K3_FAILED_PRECONDITION);
  CHECK_RC(k3_cursor_get_double(cursor, 5, &d), K3_FAILED_PRECONDITION);
  CHECK_RC(k3_cursor_get_blob(cursor, 5, &blob, &len), K3_FAILED_PRECONDITION);

  /* Row 3: INT64_MAX exactly, and a text holding a NUL (its length says so). */
  next_row(cursor, 1);
  CHECK_RC(k3_cursor_get_int64(cursor, 0, &i64), K3_OK);
  CHECK(i64 == INT64_MAX);
  CHECK_RC(k3_cursor_get_text(cursor, 1, &text, &len), K3_OK);
  CHECK(len == 3 && memcmp(text, "a\0b", 4) == 0);
  CHECK_RC(k3_cursor_is_null(cursor, 2, &is_null), K3_OK);
  CHECK(is_null == 1);

  /* The end, and after it. */
  next_row(cursor, 0);
  next_row(cursor, 0);
  CHECK_RC(k3_cursor_get_int64(cursor, 0, &i64), K3_FAILED_PRECONDITION);
  CHECK_RC(k3_cursor_next(NULL, &has_row, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_cursor_next(cursor, NULL, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK(k3_cursor_column_count(cursor) == 7); /* still known */
  k3_cursor_destroy(&cursor);
  CHECK(cursor == NULL);
  k3_cursor_destroy(&cursor);
  k3_cursor_destroy(NULL);
  CHECK(k3_cursor_column_count(NULL) == 0);

  /* Parameters (plain and typed), expressions, and an empty result. */
  CHECK_RC(k3_query(db, "c-sql", "SELECT kind FROM events WHERE id = $1", "[2]", &cursor, NULL),
           K3_OK);
  next_row(cursor, 1);
  CHECK_RC(k3_cursor_get_text(cursor, 0, &text, NULL), K3_OK);
  CHECK(strcmp(text, "view") == 0);
  next_row(cursor, 0);
  k3_cursor_destroy(&cursor);
  CHECK_RC(k3_query(db, "c-sql",
                    "SELECT COUNT(*) AS n, SUM(score) AS total, ? AS p, ? AS q "
                    "FROM events WHERE id < ?",
                    "[{\"text\":\"t\"},{\"null\":true},{\"int64\":\"100\"}]", &cursor, NULL),
           K3_OK);
  CHECK_RC(k3_cursor_column_name(cursor, 1, &name), K3_OK);
  CHECK(strcmp(name, "total") == 0);
  CHECK_RC(k3_cursor_column_type(cursor, 0, &type), K3_OK);
  CHECK(type == K3_COLUMN_LONG);
  CHECK_RC(k3_cursor_column_type(cursor, 1, &type), K3_OK);
  CHECK(type == K3_COLUMN_DOUBLE);
  next_row(cursor, 1);
  CHECK_RC(k3_cursor_get_int64(cursor, 0, &i64), K3_OK);
  CHECK(i64 == 2);
  CHECK_RC(k3_cursor_get_double(cursor, 1, &d), K3_OK);
  CHECK(d == -0.5);
  CHECK_RC(k3_cursor_get_text(cursor, 2, &text, NULL), K3_OK);
  CHECK(strcmp(text, "t") == 0);
  CHECK_RC(k3_cursor_is_null(cursor, 3, &is_null), K3_OK);
  CHECK(is_null == 1);
  next_row(cursor, 0);
  k3_cursor_destroy(&cursor);
  /* JSON null is not an array of parameters (NULL is the way to pass none); [] is. */
  CHECK_RC(k3_query(db, "c-sql", "SELECT id FROM events WHERE id < 0", "null", &cursor, NULL),
           K3_INVALID_ARGUMENT);
  CHECK(cursor == NULL);
  CHECK_RC(k3_query(db, "c-sql", "SELECT id FROM events WHERE id < 0", "[]", &cursor, NULL), K3_OK);
  CHECK(k3_cursor_column_count(cursor) == 1);
  next_row(cursor, 0);
  k3_cursor_destroy(&cursor);
}

/* ---- ingest ------------------------------------------------------------------------------- */

/* Creates a text_embedding_index pipeline on bucket "c-ingest" that embeds with `embedder`
 * into `collection`; its id goes to out. */
static void create_pipeline(k3_db* db, const char* name, const char* embedder,
                            const char* collection, char* out, size_t cap) {
  char request[512];
  char* resp;
  snprintf(request, sizeof request,
           "{\"bucket\":\"c-ingest\",\"name\":\"%s\",\"templateId\":\"text_embedding_index\","
           "\"options\":{\"chunk_size\":200,\"embedder\":\"%s\"},\"storeEntityId\":\"%s\"}",
           name, embedder, collection);
  resp = call_ok(db, "PipelineService.CreatePipeline", request);
  CHECK(json_string(resp, "pipelineId", out, cap));
  k3_free(resp);
}

/* Puts `text` at c-ingest/key and triggers `pipeline_id` on it; the job id goes to out. */
static void trigger(k3_db* db, const char* key, const char* text, const char* pipeline_id,
                    char* out, size_t cap) {
  char request[512];
  char* resp;
  CHECK_RC(k3_put_object(db, "c-ingest", key, text, strlen(text), "text/plain", NULL, NULL), K3_OK);
  snprintf(request, sizeof request,
           "{\"object\":{\"bucket\":\"c-ingest\",\"key\":\"%s\"},\"pipelineId\":\"%s\"}", key,
           pipeline_id);
  resp = call_ok(db, "IngestService.TriggerIngest", request);
  CHECK(json_string(resp, "jobId", out, cap));
  k3_free(resp);
}

static void test_ingest(k3_db* db) {
  const char* rule_text = "Parcels ship from Lyon and arrive in three working days.";
  char letters_pipe[128];
  char broken_pipe[128];
  char gated_pipe[128];
  char job[128];
  char request[512];
  char found[128];
  char* json = NULL;
  char* err = NULL;
  k3_hits* hits = NULL;
  const char* s = NULL;
  size_t len = 0;
  int status = -1;
  const float v[LETTER_DIMS] = {1, 1, 1, 1, 1, 1, 1, 1};
  const char* id = "manual";

  call_void(db, "StorageService.CreateBucket", "{\"name\":\"c-ingest\"}");
  create_pipeline(db, "letters-pipe", "letters", "docs", letters_pipe, sizeof letters_pipe);
  create_pipeline(db, "broken-pipe", "broken", "broken-docs", broken_pipe, sizeof broken_pipe);
  create_pipeline(db, "gated-pipe", "gated", "gated-docs", gated_pipe, sizeof gated_pipe);

  /* NULL arguments and unknown names. */
  CHECK_RC(k3_wait_job(NULL, "c-ingest", "job_x", 0, &status, &json, &err), K3_INVALID_ARGUMENT);
  CHECK(status == 0 && json == NULL);
  expect_errmsg(&err);
  CHECK_RC(k3_wait_job(db, NULL, "job_x", 0, &status, &json, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_wait_job(db, "c-ingest", NULL, 0, &status, &json, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_wait_job(NULL, NULL, NULL, 0, NULL, NULL, NULL), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_wait_job(db, "c-ingest", "job_nope", 0, &status, &json, &err), K3_NOT_FOUND);
  CHECK(status == 0 && json == NULL);
  expect_errmsg(&err);
  CHECK_RC(k3_wait_job(db, "no-such-bucket", "job_nope", -1, &status, &json, &err), K3_NOT_FOUND);
  expect_errmsg(&err);
  CHECK_RC(k3_wait_idle(NULL, "c-ingest", 0, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_wait_idle(db, NULL, 0, &err), K3_INVALID_ARGUMENT);
  expect_errmsg(&err);
  CHECK_RC(k3_wait_idle(NULL, NULL, 0, NULL), K3_INVALID_ARGUMENT);
  CHECK_RC(k3_wait_idle(db, "no-such-bucket", -1, &err), K3_NOT_FOUND);
  expect_errmsg(&err);

  /* A job run by the C embedder. */
  trigger(db, "manual/a.txt", "You can return any kettle within 30 days.", letters_pipe, job,
          sizeof job);
  err = g_sentinel;
  CHECK_RC(k3_wait_job(db, "c-ingest", job, -1, &status, &json, &err), K3_OK);
  CHECK(err == NULL);
  CHECK(status == K3_JOB_COMPLETED);
  CHECK(contains(json, "\"status\":\"INGEST_STATUS_COMPLETED\""));
  CHECK(json_string(json, "jobId", found, sizeof found) && strcmp(found, job) == 0);
  CHECK(contains(json, "\"chunksCreated\":1"));
  k3_free(json);
  json = NULL;
  /* A finished job answers at once, also with a zero timeout; the outputs are optional. */
  CHECK_RC(k3_wait_job(db, "c-ingest", job, 0, NULL, NULL, NULL), K3_OK);
  CHECK_RC(k3_wait_job(db, "c-ingest", job, 0, &status, NULL, NULL), K3_OK);
  CHECK(status == K3_JOB_COMPLETED);

  /* A rule fires the pipeline on a put; wait_idle waits for it. */
  snprintf(request, sizeof request,
           "{\"bucket\":\"c-ingest\",\"pipelineId\":\"%s\",\"name\":\"txt\","
           "\"includePatterns\":[\"rules/*.txt\"]}",
           letters_pipe);
  call_void(db, "IngestService.CreateRule", request);
  CHECK_RC(k3_put_object(db, "c-ingest", "rules/b.txt", rule_text, strlen(rule_text), "text/plain",
                         NULL, NULL),
           K3_OK);
  err = g_sentinel;
  CHECK_RC(k3_wait_idle(db, "c-ingest", -1, &err), K3_OK);
  CHECK(err == NULL);
  CHECK_RC(
      k3_search_text(db, "c-ingest", "docs", rule_text, strlen(rule_text), 2, NULL, &hits, &err),
      K3_OK);
  CHECK(k3_hits_count(hits) == 2);
  CHECK_RC(k3_hits_id(hits, 0, &s, NULL), K3_OK);
  CHECK(strcmp(s, "rules/b.txt#0") == 0);
  CHECK_RC(k3_hits_object_key(hits, 0, &s, NULL), K3_OK);
  CHECK(strcmp(s, "rules/b.txt") == 0);
  CHECK_RC(k3_hits_text(hits, 0, &s, &len), K3_OK);
  CHECK(s != NULL && strcmp(s, rule_text) == 0 && len == strlen(rule_text));
  k3_hits_destroy(&hits);
  /* The search, filtered on the chunk's metadata. */
  CHECK_RC(
      k3_search_text(db, "c-ingest", "docs", rule_text, strlen(rule_text), 2,
                     "{\"field\":\"key\",\"op\":\"prefix\",\"value\":\"manual/\"}", &hits, NULL),
      K3_OK);
  CHECK(k3_hits_count(hits) == 1);
  CHECK_RC(k3_hits_object_key(hits, 0, &s, NULL), K3_OK);
  CHECK(strcmp(s, "manual/a.txt") == 0);
  k3_hits_destroy(&hits);
  /* A pipeline-mode collection is written by its pipeline only. */
  CHECK_RC(
      k3_upsert_vectors(db, "c-ingest", "docs", 1, &id, v, LETTER_DIMS, NULL, NULL, NULL, &err),
      K3_FAILED_PRECONDITION);
  expect_errmsg(&err);

  /* A failing embedder fails the job with its code's message (one attempt: the options). */
  trigger(db, "manual/broken.txt", "anything", broken_pipe, job, sizeof job);
  CHECK_RC(k3_wait_job(db, "c-ingest", job, -1, &status, &json, NULL), K3_OK);
  CHECK(status == K3_JOB_FAILED);
  CHECK(contains(json, "\"status\":\"INGEST_STATUS_FAILED\""));
  CHECK(contains(json, "model offline"));
  CHECK(contains(json, "\"attempts\":1"));
  k3_free(json);
  json = NULL;

  /* A job held by the gated embedder: the waits time out, then succeed once it opens. */
  set_gate(&g_gated, 1);
  trigger(db, "manual/gated.txt", "held at the gate", gated_pipe, job, sizeof job);
  await_caller(&g_gated); /* the job is PROCESSING, inside the embedder */
  status = -1;
  CHECK_RC(k3_wait_job(db, "c-ingest", job, 20, &status, &json, &err), K3_DEADLINE_EXCEEDED);
  CHECK(status == K3_JOB_PROCESSING);
  CHECK(json == NULL);
  expect_errmsg(&err);
  CHECK_RC(k3_wait_job(db, "c-ingest", job, 0, &status, NULL, NULL), K3_DEADLINE_EXCEEDED);
  CHECK_RC(k3_wait_idle(db, "c-ingest", 20, &err), K3_DEADLINE_EXCEEDED);
  expect_errmsg(&err);
  set_gate(&g_gated, 0);
  /* INT64_MAX is "forever" too, not a deadline that overflowed into the past. */
  CHECK_RC(k3_wait_job(db, "c-ingest", job, INT64_MAX, &status, NULL, NULL), K3_OK);
  CHECK(status == K3_JOB_COMPLETED);
  CHECK_RC(k3_wait_idle(db, "c-ingest", INT64_MAX, NULL), K3_OK);
  CHECK_RC(k3_wait_idle(db, "c-ingest", -1, NULL), K3_OK);
  CHECK(state_get(&g_letters, &g_letters.bad) == 0);
  CHECK(state_get(&g_gated, &g_gated.bad) == 0);
}

/* ---- the whole life of a handle ----------------------------------------------------------- */

static void test_lifecycle(void) {
  k3_db* db = NULL;
  k3_db* second = NULL;
  k3_options* opts = NULL;
  k3_cursor* cursor = NULL;
  k3_hits* hits = NULL;
  struct log_counter counter = {0, 0};
  char path[300];
  char* err = g_sentinel;
  void* data = NULL;
  size_t len = 0;
  int has_row = -1;
  int64_t i64 = -1;
  const char* column_name = NULL;

  snprintf(path, sizeof path, "%s/data", g_dir);
  CHECK_RC(k3_options_create(&opts), K3_OK);
  CHECK_RC(k3_options_set_block_cache_bytes(opts, (uint64_t)8 << 20), K3_OK);
  CHECK_RC(k3_options_set_worker_threads(opts, 2), K3_OK);
  CHECK_RC(k3_options_set_log_callback(opts, count_log, &counter, K3_LOG_DEBUG), K3_OK);
  CHECK_RC(k3_options_set_write_buffer_bytes(opts, (uint64_t)4 << 20), K3_OK);
  CHECK_RC(k3_options_set_ingest_max_attempts(opts, 1), K3_OK);
  CHECK_RC(k3_options_set_ingest_retry_backoff_ms(opts, 0), K3_OK);
  CHECK_RC(k3_options_set_table_history_versions(opts, 10), K3_OK);
  CHECK_RC(k3_options_register_embedder(opts, "optioned", LETTER_DIMS, embed_letters, &g_optioned,
                                        destroy_state),
           K3_OK);
  CHECK_RC(k3_open(path, opts, &db, &err), K3_OK);
  CHECK(err == NULL);
  CHECK(db != NULL);
  k3_options_destroy(&opts); /* the options are not needed after open */
  CHECK(state_get(&g_optioned, &g_optioned.destroyed) == 0); /* the k3_db holds it */

  /* The directory is locked while open. */
  CHECK_RC(k3_open(path, NULL, &second, &err), K3_FAILED_PRECONDITION);
  CHECK(second == NULL);
  expect_errmsg(&err);

  test_call(db);
  test_put_get(db);
  test_streams(db);
  test_list_and_delete(db);
  test_register_embedders(db);
  test_vectors(db);
  test_sql(db);
  test_ingest(db);

  /* The embedder registered through the options works from the first moment. */
  call_void(db, "VectorService.CreateCollection",
            "{\"bucket\":\"c-vec\",\"name\":\"optioned-words\",\"dimensions\":8,"
            "\"indexType\":\"FLAT\",\"embedModel\":\"optioned\"}");
  CHECK_RC(k3_search_text(db, "c-vec", "optioned-words", "x", 1, 1, NULL, &hits, NULL), K3_OK);
  CHECK(k3_hits_count(hits) == 0);
  k3_hits_destroy(&hits);
  CHECK(state_get(&g_optioned, &g_optioned.calls) == 1);

  /* A cursor left open (on its first row) when the k3_db closes: k3_close finishes it, and it
   * answers FAILED_PRECONDITION until it is destroyed. Hits outlive their k3_db. */
  CHECK_RC(k3_query(db, "c-sql", "SELECT id FROM events ORDER BY id", NULL, &cursor, NULL), K3_OK);
  next_row(cursor, 1);
  CHECK_RC(k3_cursor_column_name(cursor, 0, &column_name), K3_OK);
  CHECK_RC(k3_search_text(db, "c-vec", "words", "kettle", 6, 1, NULL, &hits, NULL), K3_OK);

  k3_close(&db);
  CHECK(db == NULL);
  k3_close(&db); /* double close is harmless */
  CHECK(db == NULL);

  CHECK_RC(k3_cursor_get_int64(cursor, 0, &i64), K3_FAILED_PRECONDITION);
  /* A column name read before the close is still valid, and still readable. */
  CHECK(strcmp(column_name, "id") == 0);
  CHECK_RC(k3_cursor_column_name(cursor, 0, &column_name), K3_OK);
  CHECK(strcmp(column_name, "id") == 0);
  CHECK_RC(k3_cursor_next(cursor, &has_row, &err), K3_FAILED_PRECONDITION);
  CHECK(has_row == 0);
  expect_errmsg(&err);
  CHECK(k3_cursor_column_count(cursor) == 1);
  k3_cursor_destroy(&cursor);
  CHECK(cursor == NULL);
  CHECK(k3_hits_count(hits) == 1);
  k3_hits_destroy(&hits);

  /* Closing released every embedder exactly once. */
  CHECK(state_get(&g_letters, &g_letters.destroyed) == 1);
  CHECK(state_get(&g_broken, &g_broken.destroyed) == 1);
  CHECK(state_get(&g_weird, &g_weird.destroyed) == 1);
  CHECK(state_get(&g_gated, &g_gated.destroyed) == 1);
  CHECK(state_get(&g_replaced, &g_replaced.destroyed) == 1);
  CHECK(state_get(&g_optioned, &g_optioned.destroyed) == 1);
  CHECK(state_get(&g_refused, &g_refused.destroyed) == 7);

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
  make_test_dir("k3-c-test");
  state_init(&g_letters);
  state_init(&g_broken);
  state_init(&g_weird);
  state_init(&g_gated);
  state_init(&g_replaced);
  state_init(&g_refused);
  state_init(&g_optioned);

  test_library();
  test_options();
  test_list_methods();
  test_open_errors();
  test_lifecycle();

  finish();
  return 0;
}
