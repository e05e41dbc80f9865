/* tests/c/k3_c_stress_test.c: the C ABI from 4 threads at once on one k3_db. Each thread, round
 * after round, puts and gets an object, inserts a row through k3_call, upserts a vector and
 * finds it again by vector, counts its rows through a cursor, and runs a text search through a
 * C embedder; afterwards the main thread checks that every object, row and vector is there
 * exactly, and that the embedder ran once per text search. Compiled as C99 with
 * -Wall -Wextra -Werror -pedantic; run under ASan+UBSan by the sanitizer pass.
 * Prints the first failures and "N checks failed" or "ok"; exits non-zero on failure. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k3/k3.h"

#define THREADS 4
#define ROUNDS 40
#define DIMS 4
#define WORD_DIMS 8

static char g_dir[256] = "";
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_failed = 0;

/* Records a failed check (thread-safe); prints the first few. */
static void fail(int thread, int line, const char* what) {
  pthread_mutex_lock(&g_mu);
  if (g_failed < 20) fprintf(stderr, "thread %d, line %d: check failed: %s\n", thread, line, what);
  g_failed++;
  pthread_mutex_unlock(&g_mu);
}

#define EXPECT(thread, cond)                      \
  do {                                            \
    if (!(cond)) fail((thread), __LINE__, #cond); \
  } while (0)

/* Expects `expr` to return K3_OK, else records the code and message in `err`. */
#define EXPECT_OK(thread, expr, err)                                        \
  do {                                                                      \
    int rc_ = (expr);                                                       \
    if (rc_ != K3_OK) {                                                     \
      char what_[512];                                                      \
      snprintf(what_, sizeof what_, "%s: %s %s", #expr, k3_status_str(rc_), \
               (err) != NULL ? (err) : "");                                 \
      fail((thread), __LINE__, what_);                                      \
    }                                                                       \
    k3_free(err);                                                           \
    (err) = NULL;                                                           \
  } while (0)

/* ---- the C embedder --------------------------------------------------------------------- */

struct counter {
  pthread_mutex_t mu;
  int calls;
  int texts;
};

static struct counter g_embeds = {PTHREAD_MUTEX_INITIALIZER, 0, 0};

static void letters_vector(const char* text, size_t len, float* out) {
  size_t i;
  for (i = 0; i < WORD_DIMS; ++i) out[i] = 0.0f;
  for (i = 0; i < len; ++i) out[(unsigned char)text[i] % WORD_DIMS] += 1.0f;
  out[WORD_DIMS - 1] += 0.5f;
}

static int embed_letters(void* user, const char* const* texts, const size_t* lens, size_t count,
                         float* out, char** errmsg_out) {
  struct counter* c = (struct counter*)user;
  size_t i;
  (void)errmsg_out;
  pthread_mutex_lock(&c->mu);
  c->calls++;
  c->texts += (int)count;
  pthread_mutex_unlock(&c->mu);
  for (i = 0; i < count; ++i) letters_vector(texts[i], lens[i], out + i * WORD_DIMS);
  return 0;
}

/* ---- the workers ---------------------------------------------------------------------------- */

struct worker {
  k3_db* db;
  int index;
};

/* Vector (t, i) of the test: distinct for every thread and round. */
static void own_vector(int t, int i, float* out) {
  out[0] = (float)(t + 1);
  out[1] = (float)(i + 1);
  out[2] = 1.0f;
  out[3] = (float)((t * 7 + i) % 5);
}

static void* work(void* arg) {
  struct worker* w = (struct worker*)arg;
  const int t = w->index;
  char* err = NULL;
  int i;
  char name[64];

  /* Registrations race with each other and with the searches of other threads. */
  snprintf(name, sizeof name, "e%d", t);
  EXPECT_OK(t, k3_register_embedder(w->db, name, WORD_DIMS, embed_letters, &g_embeds, NULL, &err),
            err);

  for (i = 0; i < ROUNDS; ++i) {
    char key[64];
    char body[64];
    char request[256];
    char id[64];
    const char* ids[1];
    float v[DIMS];
    void* data = NULL;
    size_t len = 0;
    char* resp = NULL;
    k3_hits* hits = NULL;
    k3_cursor* cursor = NULL;
    const char* hit_id = NULL;
    float score = 0;
    int has_row = 0;
    int64_t count = -1;
    int64_t sum = -1;

    /* Object bytes. */
    snprintf(key, sizeof key, "t%d/o%d", t, i);
    snprintf(body, sizeof body, "thread %d round %d", t, i);
    EXPECT_OK(t, k3_put_object(w->db, "stress", key, body, strlen(body), "text/plain", NULL, &err),
              err);
    EXPECT_OK(t, k3_get_object(w->db, "stress", key, &data, &len, &err), err);
    EXPECT(t, len == strlen(body) && data != NULL && memcmp(data, body, len) == 0);
    k3_free(data);

    /* A row through the control plane. */
    snprintf(request, sizeof request,
             "{\"bucket\":\"stress\",\"tableName\":\"t\",\"rows\":[{\"id\":%d,\"thread\":%d,"
             "\"round\":%d}]}",
             t * 1000 + i, t, i);
    EXPECT_OK(
        t, k3_call(w->db, "TableService.InsertRows", request, strlen(request), &resp, NULL, &err),
        err);
    EXPECT(t, resp != NULL && strstr(resp, "\"rowsWritten\":\"1\"") != NULL);
    k3_free(resp);

    /* A vector, found again exactly (L2 on a flat index: score 1 at distance 0). */
    snprintf(id, sizeof id, "t%d-%d", t, i);
    ids[0] = id;
    own_vector(t, i, v);
    EXPECT_OK(t, k3_upsert_vectors(w->db, "stress", "v", 1, ids, v, DIMS, NULL, NULL, NULL, &err),
              err);
    EXPECT_OK(t, k3_search_vector(w->db, "stress", "v", v, DIMS, 1, NULL, &hits, &err), err);
    EXPECT(t, k3_hits_count(hits) == 1);
    EXPECT(t, k3_hits_id(hits, 0, &hit_id, NULL) == K3_OK && strcmp(hit_id, id) == 0);
    EXPECT(t, k3_hits_score(hits, 0, &score) == K3_OK && score > 0.9999f);
    k3_hits_destroy(&hits);

    /* This thread's rows so far, through a cursor. */
    snprintf(request, sizeof request, "[%d]", t);
    EXPECT_OK(t,
              k3_query(w->db, "stress", "SELECT COUNT(*), SUM(round) FROM t WHERE thread = $1",
                       request, &cursor, &err),
              err);
    EXPECT_OK(t, k3_cursor_next(cursor, &has_row, &err), err);
    EXPECT(t, has_row == 1);
    EXPECT(t, k3_cursor_get_int64(cursor, 0, &count) == K3_OK && count == i + 1);
    EXPECT(t, k3_cursor_get_int64(cursor, 1, &sum) == K3_OK && sum == (int64_t)i * (i + 1) / 2);
    EXPECT_OK(t, k3_cursor_next(cursor, &has_row, &err), err);
    EXPECT(t, has_row == 0);
    k3_cursor_destroy(&cursor);

    /* A text search through the C embedder. */
    EXPECT_OK(t, k3_search_text(w->db, "stress", "w", body, strlen(body), 1, NULL, &hits, &err),
              err);
    EXPECT(t, k3_hits_count(hits) == 1);
    k3_hits_destroy(&hits);
  }
  return NULL;
}

/* ---- setup and the final checks ------------------------------------------------------------ */

static int remove_entry(const char* path, const struct stat* sb, int flag, struct FTW* ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void call(k3_db* db, const char* method, const char* request, char** out) {
  char* err = NULL;
  char* resp = NULL;
  EXPECT_OK(-1, k3_call(db, method, request, strlen(request), &resp, NULL, &err), err);
  if (out != NULL) {
    *out = resp;
  } else {
    k3_free(resp);
  }
}

int main(void) {
  char tmpl[] = "/tmp/k3-c-stress.XXXXXX";
  char path[300];
  k3_db* db = NULL;
  k3_options* opts = NULL;
  k3_cursor* cursor = NULL;
  k3_hits* hits = NULL;
  pthread_t threads[THREADS];
  struct worker workers[THREADS];
  char* err = NULL;
  char* resp = NULL;
  const char* words[1] = {"kettle"};
  float word[WORD_DIMS];
  int64_t count = -1;
  int64_t sum = -1;
  int has_row = 0;
  int t;
  int i;

  if (mkdtemp(tmpl) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(g_dir, sizeof g_dir, "%s", tmpl);
  snprintf(path, sizeof path, "%s/data", g_dir);

  EXPECT_OK(-1, k3_options_create(&opts), err);
  EXPECT_OK(-1, k3_options_set_worker_threads(opts, 2), err);
  EXPECT_OK(
      -1, k3_options_register_embedder(opts, "letters", WORD_DIMS, embed_letters, &g_embeds, NULL),
      err);
  EXPECT_OK(-1, k3_open(path, opts, &db, &err), err);
  k3_options_destroy(&opts);
  if (db == NULL) return 1;

  call(db, "StorageService.CreateBucket", "{\"name\":\"stress\"}", NULL);
  call(db, "VectorService.ConfigureEngine", "{\"bucket\":\"stress\",\"mode\":\"auto\"}", NULL);
  call(db, "VectorService.CreateCollection",
       "{\"bucket\":\"stress\",\"name\":\"v\",\"dimensions\":4,\"metric\":\"L2\","
       "\"indexType\":\"FLAT\"}",
       NULL);
  call(db, "VectorService.CreateCollection",
       "{\"bucket\":\"stress\",\"name\":\"w\",\"dimensions\":8,\"indexType\":\"FLAT\","
       "\"embedModel\":\"letters\"}",
       NULL);
  letters_vector(words[0], strlen(words[0]), word);
  EXPECT_OK(-1,
            k3_upsert_vectors(db, "stress", "w", 1, words, word, WORD_DIMS, NULL, NULL, NULL, &err),
            err);
  call(db, "TableService.ConfigureEngine", "{\"bucket\":\"stress\"}", NULL);
  call(db, "TableService.CreateTable",
       "{\"bucket\":\"stress\",\"name\":\"t\",\"columns\":[{\"name\":\"id\",\"type\":\"LONG\","
       "\"nullable\":false},{\"name\":\"thread\",\"type\":\"LONG\"},{\"name\":\"round\","
       "\"type\":\"LONG\"}],\"mergeKeys\":[\"id\"]}",
       NULL);

  for (t = 0; t < THREADS; ++t) {
    workers[t].db = db;
    workers[t].index = t;
    if (pthread_create(&threads[t], NULL, work, &workers[t]) != 0) {
      fail(t, __LINE__, "pthread_create");
      return 1;
    }
  }
  for (t = 0; t < THREADS; ++t) pthread_join(threads[t], NULL);

  /* Every object, exactly. */
  for (t = 0; t < THREADS; ++t) {
    for (i = 0; i < ROUNDS; ++i) {
      char key[64];
      char body[64];
      void* data = NULL;
      size_t len = 0;
      snprintf(key, sizeof key, "t%d/o%d", t, i);
      snprintf(body, sizeof body, "thread %d round %d", t, i);
      EXPECT_OK(-1, k3_get_object(db, "stress", key, &data, &len, &err), err);
      EXPECT(-1, len == strlen(body) && data != NULL && memcmp(data, body, len) == 0);
      k3_free(data);
    }
  }
  call(db, "StorageService.ListObjects", "{\"bucket\":\"stress\",\"maxKeys\":1000}", &resp);
  {
    int keys = 0;
    const char* p = resp;
    while (p != NULL && (p = strstr(p, "\"key\":\"t")) != NULL) {
      keys++;
      p++;
    }
    EXPECT(-1, keys == THREADS * ROUNDS);
  }
  k3_free(resp);

  /* Every row, exactly. */
  EXPECT_OK(-1, k3_query(db, "stress", "SELECT COUNT(*), SUM(id) FROM t", NULL, &cursor, &err),
            err);
  EXPECT_OK(-1, k3_cursor_next(cursor, &has_row, &err), err);
  EXPECT(-1, has_row == 1);
  EXPECT(-1, k3_cursor_get_int64(cursor, 0, &count) == K3_OK && count == THREADS * ROUNDS);
  EXPECT(-1, k3_cursor_get_int64(cursor, 1, &sum) == K3_OK &&
                 sum == (int64_t)1000 * ROUNDS * (THREADS * (THREADS - 1) / 2) +
                            (int64_t)THREADS * ROUNDS * (ROUNDS - 1) / 2);
  k3_cursor_destroy(&cursor);

  /* Every vector, exactly. */
  call(db, "VectorService.GetCollection", "{\"bucket\":\"stress\",\"collectionName\":\"v\"}",
       &resp);
  {
    char want[64];
    snprintf(want, sizeof want, "\"vectorCount\":\"%d\"", THREADS * ROUNDS);
    EXPECT(-1, resp != NULL && strstr(resp, want) != NULL);
  }
  k3_free(resp);
  for (t = 0; t < THREADS; ++t) {
    for (i = 0; i < ROUNDS; ++i) {
      char id[64];
      const char* hit_id = NULL;
      float v[DIMS];
      snprintf(id, sizeof id, "t%d-%d", t, i);
      own_vector(t, i, v);
      EXPECT_OK(-1, k3_search_vector(db, "stress", "v", v, DIMS, 1, NULL, &hits, &err), err);
      EXPECT(-1, k3_hits_id(hits, 0, &hit_id, NULL) == K3_OK && strcmp(hit_id, id) == 0);
      k3_hits_destroy(&hits);
    }
  }

  /* The embedder ran once per text search, one text each. */
  EXPECT(-1, g_embeds.calls == THREADS * ROUNDS && g_embeds.texts == THREADS * ROUNDS);

  k3_close(&db);
  nftw(g_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  if (g_failed != 0) {
    printf("%d checks failed\n", g_failed);
    return 1;
  }
  printf("ok: %d threads x %d rounds\n", THREADS, ROUNDS);
  return 0;
}
