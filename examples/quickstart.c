/* examples/quickstart.c: the k3 quickstart tour in C99, through the stable C ABI (k3/k3.h).
 *
 *   build/examples/k3_quickstart_c [DATA_DIR] [CORPUS_DIR]   (defaults ./k3-data, ./examples/data)
 *
 * The same tour as quickstart.cpp's ingest part, on the bucket "kb-demo": opens the data
 * directory, gets or creates the bucket, two pipelines (embed-docs: documents into the vector
 * collection "docs"; load-events: CSV files into the table "events_csv") and the two rules
 * that fire them; puts every file of CORPUS_DIR (but tools/) as "docs/<path>", which fires the
 * rules; waits for the ingest jobs with progress, lists this run's jobs, checks what they
 * wrote, searches the collection by text with a metadata filter, and queries the table with
 * K3's SQL cheat sheet. Rerunning on the same data directory reuses what exists.
 *
 * What it shows of the C ABI: the typed data plane (k3_put_object, k3_wait_idle,
 * k3_search_text and the k3_hits accessors, k3_query and the cursor's typed getters) and the
 * control plane (k3_call: any RPC by name, JSON in and out; examples/json_scan.h reads the
 * responses). Every k3 buffer and handle is freed; errors print the code's name
 * (k3_status_str) and k3's message, and the program exits non-zero. */
#define _XOPEN_SOURCE 700 /* POSIX.1-2008: opendir, lstat, clock_gettime */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "json_scan.h"
#include "k3/k3.h"

#define BUCKET "kb-demo"

/* ---- Errors ---------------------------------------------------------------------------- */

/* Reports the failed k3 call `what` (its code's name and message), frees err; returns 1. */
static int fail(const char* what, int rc, char* err) {
  fprintf(stderr, "quickstart: %s: %s: %s\n", what, k3_status_str(rc),
          err != NULL ? err : "(no message)");
  k3_free(err);
  return 1;
}

/* Reports a failure that has no k3 status; returns 1. */
static int fail_msg(const char* what, const char* msg) {
  fprintf(stderr, "quickstart: %s: %s\n", what, msg);
  return 1;
}

/* Reports the failed system call `what` on `path` with errno's text; returns 1. */
static int fail_errno(const char* what, const char* path) {
  fprintf(stderr, "quickstart: %s %s: %s\n", what, path, strerror(errno));
  return 1;
}

/* Reports that the response of `method` lacks what the tour reads; returns 1. */
static int malformed(const char* method) {
  return fail_msg(method, "unexpected response (a field is missing or malformed)");
}

/* snprintf into buf: 1, or 0 when the text does not fit. */
static int format(char* buf, size_t cap, const char* fmt, ...) {
  va_list args;
  int n;
  va_start(args, fmt);
  n = vsnprintf(buf, cap, fmt, args);
  va_end(args);
  return n >= 0 && (size_t)n < cap;
}

/* ---- Time ------------------------------------------------------------------------------- */

/* The time on `clock` in milliseconds into *out (CLOCK_REALTIME: since the epoch, k3's time
 * base; CLOCK_MONOTONIC: for deadlines). */
static int now_ms(clockid_t clock, int64_t* out) {
  struct timespec ts;
  *out = 0;
  if (clock_gettime(clock, &ts) != 0) return fail_msg("clock_gettime", strerror(errno));
  *out = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  return 0;
}

/* ---- The control plane: k3_call and its JSON ---------------------------------------------- */

/* Runs the RPC `method` on `request`: 0 with *out = the response (free with k3_free) and
 * *body its span, or 1 (reported) with *out NULL. */
static int call(k3_db* db, const char* method, const char* request, char** out, json_span* body) {
  char* err = NULL;
  size_t len = 0;
  const int rc = k3_call(db, method, request, strlen(request), out, &len, &err);
  *body = json_span_of(*out, len);
  return rc == K3_OK ? 0 : fail(method, rc, err);
}

/* The integer member `key` of obj (a number or, for 64-bit ones, a string): 1, or 0. */
static int get_int(json_span obj, const char* key, int64_t* out) {
  json_span v;
  *out = 0;
  return json_get(obj, key, &v) && json_int64(v, out);
}

/* The string member `key` of obj, unescaped into buf: 1 when it is a string that fit, or 0. */
static int get_text(json_span obj, const char* key, char* buf, size_t cap) {
  json_span v;
  buf[0] = '\0';
  return json_get(obj, key, &v) && json_string(v, buf, cap);
}

/* Copies the string member `key` of obj as JSON text (quotes and escapes kept, ready to go
 * back into a request) into buf: 1, or 0 when it is no string or does not fit. */
static int get_raw_string(json_span obj, const char* key, char* buf, size_t cap) {
  json_span v;
  if (!json_get(obj, key, &v) || v.n < 2 || v.p[0] != '"' || v.n >= cap) return 0;
  memcpy(buf, v.p, v.n);
  buf[v.n] = '\0';
  return 1;
}

/* What a visit_fn returns: go on, stop the listing, or it failed (and reported it). */
enum { VISIT_NEXT = 0, VISIT_STOP = 1, VISIT_FAILED = -1 };
typedef int (*visit_fn)(void* ctx, json_span item);

/* As malformed, for a visit_fn: reports and returns VISIT_FAILED. */
static int visit_malformed(const char* method) {
  (void)malformed(method);
  return VISIT_FAILED;
}

/* Visits the elements of the array `items` of one page: 0 (and *stopped when a visit
 * stopped), or 1 on a failure (reported). */
static int visit_page(const char* method, json_span page, const char* items, visit_fn visit,
                      void* ctx, int* stopped) {
  json_span array, item;
  json_iter it;
  int more;
  if (!json_get(page, items, &array) || !json_iter_begin(array, &it)) return malformed(method);
  while ((more = json_iter_next(&it, &item)) == 1) {
    const int v = visit(ctx, item);
    if (v == VISIT_FAILED) return 1;
    if (v == VISIT_STOP) {
      *stopped = 1;
      return 0;
    }
  }
  return more < 0 ? malformed(method) : 0;
}

/* The next page's token of a page, as JSON text for the next request; "" after the last. */
static int next_page_token(const char* method, json_span page, char* token, size_t cap) {
  json_span pagination;
  token[0] = '\0';
  if (!json_get(page, "pagination", &pagination) ||
      !get_raw_string(pagination, "nextPageToken", token, cap)) {
    return malformed(method);
  }
  if (strcmp(token, "\"\"") == 0) token[0] = '\0';
  return 0;
}

/* Lists with `method` on {"bucket":"kb-demo","pageSize":1000<filter>} page by page and calls
 * visit(ctx, item) for each element of each page's array `items`, until a visit stops or the
 * pages end. filter is "" or more members, each after a comma. Returns 0, or 1 on a failure
 * (reported here or by the visit). */
static int list_each(k3_db* db, const char* method, const char* filter, const char* items,
                     visit_fn visit, void* ctx) {
  char request[1024];
  char token[512] = "";
  char* response = NULL;
  json_span page;
  int stopped = 0;
  int rc = 0;
  do {
    if (!format(request, sizeof(request), "{\"bucket\":\"" BUCKET "\",\"pageSize\":1000%s%s%s}",
                filter, token[0] != '\0' ? ",\"pageToken\":" : "", token)) {
      rc = fail_msg(method, "request too long");
    }
    if (rc == 0) rc = call(db, method, request, &response, &page);
    if (rc == 0) rc = visit_page(method, page, items, visit, ctx, &stopped);
    if (rc == 0 && !stopped) rc = next_page_token(method, page, token, sizeof(token));
    k3_free(response);
    response = NULL;
  } while (rc == 0 && !stopped && token[0] != '\0');
  return rc;
}

/* ---- 1. The bucket ------------------------------------------------------------------------- */

/* Gets the bucket kb-demo, or creates it. */
static int ensure_bucket(k3_db* db) {
  static const char kGet[] = "{\"name\":\"" BUCKET "\"}";
  static const char kCreate[] =
      "{\"name\":\"" BUCKET "\",\"description\":\"the quickstart's corpus\"}";
  char* response = NULL;
  char* err = NULL;
  char name[128], source[128];
  json_span bucket;
  int rc = k3_call(db, "StorageService.GetBucket", kGet, strlen(kGet), &response, NULL, &err);
  k3_free(response);
  if (rc == K3_OK) return 0;
  if (rc != K3_NOT_FOUND) return fail("StorageService.GetBucket", rc, err);
  k3_free(err);
  rc = call(db, "StorageService.CreateBucket", kCreate, &response, &bucket);
  if (rc == 0 && !(get_text(bucket, "name", name, sizeof(name)) &&
                   get_text(bucket, "internalSourceId", source, sizeof(source)))) {
    rc = malformed("StorageService.CreateBucket");
  }
  if (rc == 0) printf("created bucket %s (internal source %s)\n", name, source);
  k3_free(response);
  return rc;
}

/* ---- 2. Pipelines and rules ------------------------------------------------------------- */

/* A pipeline of the tour. The strings go into JSON as they are (no quotes or backslashes). */
typedef struct pipeline_spec {
  const char* name;
  const char* template_id;
  const char* options; /* a JSON object of strings */
  const char* destination;
} pipeline_spec;

/* A rule of the tour; the lists are JSON arrays of strings. */
typedef struct rule_spec {
  const char* name;
  const char* include_patterns;
  const char* include_mime_types;
  const char* exclude_mime_types;
} rule_spec;

static const pipeline_spec kEmbedDocs = {"embed-docs", "text_embedding_index",
                                         "{\"chunker\":\"markdown\",\"chunk_size\":\"600\"}",
                                         "docs"};
static const pipeline_spec kLoadEvents = {"load-events", "csv_table", "{}", "events_csv"};
static const rule_spec kDocsRule = {"docs-to-vectors", "[\"docs/**\"]", "[\"text/*\"]",
                                    "[\"text/csv\"]"};
static const rule_spec kCsvRule = {"csv-to-table", "[\"docs/**/*.csv\"]", "[\"text/csv\"]", "[]"};

/* A search by name in a listing (pipelines or rules). */
typedef struct find_by_name {
  const char* method; /* for messages */
  const char* name;
  char id[160]; /* pipelines: the found one's pipelineId, as JSON text */
  int found;
} find_by_name;

/* Prints a rule as "rule NAME: PATTERNS -> pipeline PIPELINE (DESTINATION)". */
static int print_rule(const char* method, json_span rule) {
  char name[128], pipeline[128], destination[128], pattern[256], patterns[1024] = "";
  json_span binding, list, item;
  json_iter it;
  int more;
  if (!get_text(rule, "name", name, sizeof(name)) || !json_get(rule, "binding", &binding) ||
      !get_text(binding, "pipelineName", pipeline, sizeof(pipeline)) ||
      !get_text(binding, "destination", destination, sizeof(destination)) ||
      !json_get(rule, "includePatterns", &list) || !json_iter_begin(list, &it)) {
    return malformed(method);
  }
  while ((more = json_iter_next(&it, &item)) == 1) {
    const size_t used = strlen(patterns);
    if (!json_string(item, pattern, sizeof(pattern)) ||
        !format(patterns + used, sizeof(patterns) - used, "%s%s", used > 0 ? ", " : "", pattern)) {
      return malformed(method);
    }
  }
  if (more < 0) return malformed(method);
  printf("rule %s: %s -> pipeline %s (%s)\n", name, patterns, pipeline, destination);
  return 0;
}

/* Visits a pipeline: stops at the one named f->name, keeping its id. */
static int visit_pipeline(void* ctx, json_span pipeline) {
  find_by_name* f = (find_by_name*)ctx;
  json_span name;
  if (!json_get(pipeline, "name", &name)) return visit_malformed(f->method);
  if (!json_string_is(name, f->name)) return VISIT_NEXT;
  if (!get_raw_string(pipeline, "pipelineId", f->id, sizeof(f->id))) {
    return visit_malformed(f->method);
  }
  f->found = 1;
  return VISIT_STOP;
}

/* Visits a rule: stops at the one named f->name, printing it. */
static int visit_rule(void* ctx, json_span rule) {
  find_by_name* f = (find_by_name*)ctx;
  json_span name;
  if (!json_get(rule, "name", &name)) return visit_malformed(f->method);
  if (!json_string_is(name, f->name)) return VISIT_NEXT;
  f->found = 1;
  return print_rule(f->method, rule) == 0 ? VISIT_STOP : VISIT_FAILED;
}

/* Finds the pipeline spec->name of the bucket or creates it; its id (JSON text) into id. */
static int ensure_pipeline(k3_db* db, const pipeline_spec* spec, char* id, size_t cap) {
  static const char kCreate[] = "PipelineService.CreatePipeline";
  find_by_name f = {"PipelineService.ListPipelines", NULL, "", 0};
  char request[1024];
  char* response = NULL;
  json_span pipeline;
  int rc;
  f.name = spec->name;
  rc = list_each(db, f.method, "", "pipelines", visit_pipeline, &f);
  if (rc == 0 && !f.found) {
    if (!format(request, sizeof(request),
                "{\"bucket\":\"" BUCKET "\",\"name\":\"%s\",\"templateId\":\"%s\","
                "\"options\":%s,\"storeEntityId\":\"%s\"}",
                spec->name, spec->template_id, spec->options, spec->destination)) {
      rc = fail_msg(kCreate, "request too long");
    }
    if (rc == 0) rc = call(db, kCreate, request, &response, &pipeline);
    if (rc == 0 && !get_raw_string(pipeline, "pipelineId", f.id, sizeof(f.id))) {
      rc = malformed(kCreate);
    }
  }
  if (rc == 0 && !format(id, cap, "%s", f.id)) rc = fail_msg(spec->name, "pipeline id too long");
  k3_free(response);
  return rc;
}

/* Finds the rule spec->name of the pipeline pipeline_id (JSON text) or creates it, and prints
 * it. */
static int ensure_rule(k3_db* db, const rule_spec* spec, const char* pipeline_id) {
  static const char kCreate[] = "IngestService.CreateRule";
  find_by_name f = {"IngestService.ListRules", NULL, "", 0};
  char filter[256], request[1024];
  char* response = NULL;
  json_span body, rule;
  int rc = 0;
  f.name = spec->name;
  if (!format(filter, sizeof(filter), ",\"pipelineId\":%s", pipeline_id)) {
    rc = fail_msg(f.method, "request too long");
  }
  if (rc == 0) rc = list_each(db, f.method, filter, "rules", visit_rule, &f);
  if (rc == 0 && !f.found) {
    if (!format(request, sizeof(request),
                "{\"bucket\":\"" BUCKET "\",\"pipelineId\":%s,\"name\":\"%s\","
                "\"includePatterns\":%s,\"includeMimeTypes\":%s,\"excludeMimeTypes\":%s}",
                pipeline_id, spec->name, spec->include_patterns, spec->include_mime_types,
                spec->exclude_mime_types)) {
      rc = fail_msg(kCreate, "request too long");
    }
    if (rc == 0) rc = call(db, kCreate, request, &response, &body);
    if (rc == 0 && !json_get(body, "rule", &rule)) rc = malformed(kCreate);
    if (rc == 0) rc = print_rule(kCreate, rule);
  }
  k3_free(response);
  return rc;
}

/* The pipelines of the tour and the rules that fire them (reused when they exist): every
 * document under docs/ into collection docs, every CSV under docs/ into table events_csv. */
static int set_up_ingest(k3_db* db) {
  char docs_id[160], csv_id[160];
  if (ensure_pipeline(db, &kEmbedDocs, docs_id, sizeof(docs_id)) != 0) return 1;
  if (ensure_pipeline(db, &kLoadEvents, csv_id, sizeof(csv_id)) != 0) return 1;
  if (ensure_rule(db, &kDocsRule, docs_id) != 0) return 1;
  return ensure_rule(db, &kCsvRule, csv_id);
}

/* ---- 3. The corpus ------------------------------------------------------------------------- */

/* The content type of a file, by its extension. */
static const char* content_type_for(const char* path) {
  static const struct {
    const char* ext;
    const char* type;
  } kTypes[] = {{".md", "text/markdown"},
                {".html", "text/html"},
                {".htm", "text/html"},
                {".csv", "text/csv"},
                {".jsonl", "application/x-ndjson"},
                {".json", "application/json"},
                {".txt", "text/plain"}};
  const char* base = strrchr(path, '/');
  const char* dot;
  size_t i;
  base = base != NULL ? base + 1 : path;
  dot = strrchr(base, '.');
  if (dot == NULL || dot == base) return "application/octet-stream"; /* none, or ".name" */
  for (i = 0; i < sizeof(kTypes) / sizeof(kTypes[0]); ++i) {
    if (strcmp(dot, kTypes[i].ext) == 0) return kTypes[i].type;
  }
  return "application/octet-stream";
}

/* Reads the whole file at path into *out (malloc'ed, free with free) and *out_len. */
static int read_file(const char* path, char** out, size_t* out_len) {
  FILE* file = fopen(path, "rb");
  char* buf = NULL;
  size_t len = 0, cap = 0;
  int rc = 1;
  if (file == NULL) return fail_errno("open", path);
  for (;;) {
    size_t got;
    if (len == cap) {
      char* bigger = (char*)realloc(buf, cap == 0 ? 16384 : cap * 2);
      if (bigger == NULL) {
        (void)fail_msg(path, "out of memory");
        break;
      }
      buf = bigger;
      cap = cap == 0 ? 16384 : cap * 2;
    }
    got = fread(buf + len, 1, cap - len, file);
    len += got;
    if (got == 0) {
      if (ferror(file)) {
        (void)fail_errno("read", path);
      } else {
        rc = 0;
      }
      break;
    }
  }
  fclose(file);
  if (rc != 0) {
    free(buf);
    buf = NULL;
    len = 0;
  }
  *out = buf;
  *out_len = len;
  return rc;
}

/* Puts the file at path as the object "docs/<rel>". */
static int put_file(k3_db* db, const char* path, const char* rel) {
  char key[4096];
  char* data = NULL;
  char* err = NULL;
  size_t len = 0;
  int rc;
  if (!format(key, sizeof(key), "docs/%s", rel)) return fail_msg(path, "path too long");
  if (read_file(path, &data, &len) != 0) return 1;
  rc = k3_put_object(db, BUCKET, key, data, len, content_type_for(path), NULL, &err);
  free(data);
  return rc == K3_OK ? 0 : fail(key, rc, err);
}

static int put_tree(k3_db* db, const char* dir, const char* rel, int* count);

/* Puts the directory entry `name` of dir (whose path under the corpus is rel): a regular file
 * as an object, a directory recursively; skips the top-level tools/ (the corpus generator,
 * not the corpus) and anything else (symbolic links are not followed). */
static int put_entry(k3_db* db, const char* dir, const char* rel, const char* name, int* count) {
  char path[4096], sub[4096];
  struct stat st;
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return 0;
  if (rel[0] == '\0' && strcmp(name, "tools") == 0) return 0;
  if (!format(path, sizeof(path), "%s/%s", dir, name) ||
      !format(sub, sizeof(sub), "%s%s%s", rel, rel[0] != '\0' ? "/" : "", name)) {
    return fail_msg(dir, "path too long");
  }
  if (lstat(path, &st) != 0) return fail_errno("stat", path);
  if (S_ISDIR(st.st_mode)) return put_tree(db, path, sub, count);
  if (!S_ISREG(st.st_mode)) return 0;
  if (put_file(db, path, sub) != 0) return 1;
  ++*count;
  return 0;
}

/* Puts every regular file under dir (rel: its path under the corpus, "" at the top), adding
 * their number to *count. */
static int put_tree(k3_db* db, const char* dir, const char* rel, int* count) {
  DIR* d = opendir(dir);
  int rc = 0;
  if (d == NULL) return fail_errno("open directory", dir);
  for (;;) {
    struct dirent* entry;
    errno = 0;
    entry = readdir(d);
    if (entry == NULL) {
      if (errno != 0) rc = fail_errno("read directory", dir);
      break;
    }
    rc = put_entry(db, dir, rel, entry->d_name, count);
    if (rc != 0) break;
  }
  closedir(d);
  return rc;
}

/* ---- 4. Waiting for the ingest -------------------------------------------------------------- */

/* The progress line: "ingest: D/C jobs done, P processing, Q pending[, N events to dispatch]"
 * from the ingest metrics (counted since the Db opened, so this run's jobs) and the bucket's
 * activity. */
static int ingest_line(k3_db* db, char* line, size_t cap) {
  static const char kMetrics[] = "IngestService.GetIngestMetrics";
  static const char kActivity[] = "IngestService.GetIngestActivity";
  char* metrics = NULL;
  char* activity = NULL;
  json_span m, a;
  int64_t created, completed, failed, cancelled, processing, pending, undispatched;
  char events[64] = "";
  int rc = call(db, kMetrics, "{}", &metrics, &m);
  if (rc == 0) rc = call(db, kActivity, "{\"bucket\":\"" BUCKET "\"}", &activity, &a);
  if (rc == 0 && !(get_int(m, "jobsCreated", &created) && get_int(m, "jobsCompleted", &completed) &&
                   get_int(m, "jobsFailed", &failed) && get_int(m, "jobsCancelled", &cancelled))) {
    rc = malformed(kMetrics);
  }
  if (rc == 0 && !(get_int(a, "processing", &processing) && get_int(a, "pending", &pending) &&
                   get_int(a, "undispatchedEvents", &undispatched))) {
    rc = malformed(kActivity);
  }
  if (rc == 0 && undispatched > 0) {
    (void)format(events, sizeof(events), ", %" PRId64 " events to dispatch", undispatched);
  }
  if (rc == 0 && !format(line, cap,
                         "ingest: %" PRId64 "/%" PRId64 " jobs done, %" PRId64
                         " processing, %" PRId64 " pending%s",
                         completed + failed + cancelled, created, processing, pending, events)) {
    rc = fail_msg("ingest", "progress line too long");
  }
  k3_free(metrics);
  k3_free(activity);
  return rc;
}

/* Waits until the bucket's ingest is idle, printing the progress line when it changes; gives
 * up after 120 s. */
static int wait_for_ingest(k3_db* db) {
  int64_t start_ms, now;
  char line[256], last[256] = "";
  if (now_ms(CLOCK_MONOTONIC, &start_ms) != 0) return 1;
  for (;;) {
    char* err = NULL;
    const int idle = k3_wait_idle(db, BUCKET, 200, &err);
    if (idle != K3_OK && idle != K3_DEADLINE_EXCEEDED) return fail("k3_wait_idle", idle, err);
    k3_free(err);
    if (ingest_line(db, line, sizeof(line)) != 0) return 1;
    if (strcmp(line, last) != 0) {
      printf("%s\n", line);
      fflush(stdout);
      memcpy(last, line, sizeof(last));
    }
    if (idle == K3_OK) return 0;
    if (now_ms(CLOCK_MONOTONIC, &now) != 0) return 1;
    if (now - start_ms > 120000) {
      return fail_msg("wait for ingest", "ingest did not finish in 120 s");
    }
  }
}

/* ---- 5. This run's jobs ---------------------------------------------------------------------- */

/* One ingest job, as listed. */
typedef struct job_row {
  char status[16]; /* "COMPLETED", the end of "INGEST_STATUS_COMPLETED" */
  char pipeline[128];
  char key[1100];
  int rows;        /* a warehouse (table) job: output counts rows, else chunks */
  int64_t output;  /* rowsWritten or chunksCreated */
  char error[512]; /* errorMessage, truncated when longer */
} job_row;

/* The jobs created since since_ms, newest first (as ListIngestJobs gives them). */
typedef struct job_list {
  int64_t since_ms;
  job_row* rows;
  size_t count, cap;
} job_list;

/* What this run's completed jobs wrote. */
typedef struct ingest_summary {
  int64_t documents; /* objects embed-docs processed */
  int64_t chunks;
  int64_t rows; /* rows load-events wrote */
} ingest_summary;

/* Reads a job into row. */
static int read_job(json_span job, job_row* row) {
  char status[64], kind[32];
  const char* suffix;
  json_span object, error;
  int64_t rows = 0, chunks = 0;
  if (!get_text(job, "status", status, sizeof(status)) ||
      !get_text(job, "pipelineName", row->pipeline, sizeof(row->pipeline)) ||
      !get_text(job, "pipelineKind", kind, sizeof(kind)) || !json_get(job, "object", &object) ||
      !get_text(object, "key", row->key, sizeof(row->key)) || !get_int(job, "rowsWritten", &rows) ||
      !get_int(job, "chunksCreated", &chunks) || !json_get(job, "errorMessage", &error)) {
    return 1;
  }
  suffix = strrchr(status, '_');
  if (!format(row->status, sizeof(row->status), "%s", suffix != NULL ? suffix + 1 : status)) {
    return 1;
  }
  row->rows = strcmp(kind, "warehouse") == 0;
  row->output = row->rows ? rows : chunks;
  (void)json_string(error, row->error, sizeof(row->error)); /* shown truncated if too long */
  return 0;
}

/* Visits a job (newest first): keeps it, or stops at the first one older than the run. */
static int visit_job(void* ctx, json_span job) {
  static const char kList[] = "IngestService.ListIngestJobs";
  job_list* list = (job_list*)ctx;
  int64_t created_at;
  if (!get_int(job, "createdAt", &created_at)) return visit_malformed(kList);
  if (created_at < list->since_ms) return VISIT_STOP;
  if (list->count == list->cap) {
    const size_t cap = list->cap == 0 ? 16 : list->cap * 2;
    job_row* bigger = (job_row*)realloc(list->rows, cap * sizeof(job_row));
    if (bigger == NULL) {
      (void)fail_msg(kList, "out of memory");
      return VISIT_FAILED;
    }
    list->rows = bigger;
    list->cap = cap;
  }
  if (read_job(job, &list->rows[list->count]) != 0) return visit_malformed(kList);
  ++list->count;
  return VISIT_NEXT;
}

/* Prints the jobs oldest first with the counts by status, and adds what the completed ones
 * wrote to run. Fails when not every job completed. */
static int report_jobs(const job_list* list, ingest_summary* run) {
  size_t i, completed = 0, failed = 0, cancelled = 0;
  printf("\njobs of this run, oldest first:\n");
  for (i = list->count; i-- > 0;) {
    const job_row* j = &list->rows[i];
    printf("  %-10s %-12s %-34s %" PRId64 " %s%s%s\n", j->status, j->pipeline, j->key, j->output,
           j->rows ? "rows" : "chunks", j->error[0] != '\0' ? "  " : "", j->error);
    if (strcmp(j->status, "COMPLETED") == 0) {
      ++completed;
      if (strcmp(j->pipeline, kEmbedDocs.name) == 0) {
        ++run->documents;
        run->chunks += j->output;
      } else if (strcmp(j->pipeline, kLoadEvents.name) == 0) {
        run->rows += j->output;
      }
    } else if (strcmp(j->status, "FAILED") == 0) {
      ++failed;
    } else if (strcmp(j->status, "CANCELLED") == 0) {
      ++cancelled;
    }
  }
  printf("jobs of this run: %zu in all, %zu completed, %zu failed, %zu cancelled\n", list->count,
         completed, failed, cancelled);
  if (completed != list->count) return fail_msg("ingest", "not every job of this run completed");
  return 0;
}

/* Lists this run's jobs (created since since_ms) and what they wrote into run. */
static int list_jobs(k3_db* db, int64_t since_ms, ingest_summary* run) {
  job_list list = {0, NULL, 0, 0};
  int rc;
  list.since_ms = since_ms;
  rc = list_each(db, "IngestService.ListIngestJobs", "", "jobs", visit_job, &list);
  if (rc == 0) rc = report_jobs(&list, run);
  free(list.rows);
  return rc;
}

/* ---- SQL ------------------------------------------------------------------------------------ */

/* Prints the cell `column` of the cursor's row, padded to width. */
static int print_cell(const k3_cursor* cursor, size_t column, int width) {
  char buf[64];
  const char* text = buf;
  const void* blob = NULL;
  size_t len = 0;
  int64_t i = 0;
  double d = 0;
  int type = 0;
  int rc = k3_cursor_value_type(cursor, column, &type);
  if (rc == K3_OK) {
    switch (type) {
      case K3_VALUE_NULL:
        text = "NULL";
        break;
      case K3_VALUE_INT64:
        rc = k3_cursor_get_int64(cursor, column, &i);
        (void)format(buf, sizeof(buf), "%" PRId64, i);
        break;
      case K3_VALUE_BOOL:
        rc = k3_cursor_get_int64(cursor, column, &i);
        text = i != 0 ? "true" : "false";
        break;
      case K3_VALUE_DOUBLE:
        rc = k3_cursor_get_double(cursor, column, &d);
        (void)format(buf, sizeof(buf), "%.6g", d);
        break;
      case K3_VALUE_TEXT:
        rc = k3_cursor_get_text(cursor, column, &text, NULL);
        break;
      default: /* K3_VALUE_BLOB */
        rc = k3_cursor_get_blob(cursor, column, &blob, &len);
        (void)format(buf, sizeof(buf), "<%zu bytes>", len);
        break;
    }
  }
  if (rc != K3_OK) return fail("read a SQL cell", rc, NULL);
  printf("%-*s", width, text);
  return 0;
}

/* Prints the cursor's row: two spaces, then each cell padded to width. */
static int print_row(const k3_cursor* cursor, int width) {
  const size_t columns = k3_cursor_column_count(cursor);
  size_t c;
  printf("  ");
  for (c = 0; c < columns; ++c) {
    if (print_cell(cursor, c, width) != 0) return 1;
  }
  printf("\n");
  return 0;
}

/* Prints the column names: two spaces, then each name padded to width. */
static int print_columns(const k3_cursor* cursor, int width) {
  const size_t columns = k3_cursor_column_count(cursor);
  size_t c;
  printf("  ");
  for (c = 0; c < columns; ++c) {
    const char* name = NULL;
    const int rc = k3_cursor_column_name(cursor, c, &name);
    if (rc != K3_OK) return fail("k3_cursor_column_name", rc, NULL);
    printf("%-*s", width, name);
  }
  printf("\n");
  return 0;
}

/* Runs sql on the bucket's tables and prints it, the column names (with_names), and the
 * first `shown` rows, each cell padded to width; then "... N rows in all" when there were
 * more. */
static int print_query(k3_db* db, const char* sql, int width, int with_names, size_t shown) {
  k3_cursor* cursor = NULL;
  char* err = NULL;
  size_t rows = 0;
  int has_row = 0;
  int rc = k3_query(db, BUCKET, sql, NULL, &cursor, &err);
  if (rc != K3_OK) return fail(sql, rc, err);
  printf("\n%s\n", sql);
  if (with_names) rc = print_columns(cursor, width);
  while (rc == 0) {
    const int next = k3_cursor_next(cursor, &has_row, &err);
    if (next != K3_OK) {
      rc = fail(sql, next, err);
    } else if (!has_row) {
      break;
    } else if (rows++ < shown) {
      rc = print_row(cursor, width);
    }
  }
  if (rc == 0 && rows > shown) printf("  ... %zu rows in all\n", rows);
  k3_cursor_destroy(&cursor);
  return rc;
}

/* Runs sql, whose result is one integer, into *out. */
static int query_int(k3_db* db, const char* sql, int64_t* out) {
  k3_cursor* cursor = NULL;
  char* err = NULL;
  int has_row = 0;
  int rc = k3_query(db, BUCKET, sql, NULL, &cursor, &err);
  if (rc == K3_OK) rc = k3_cursor_next(cursor, &has_row, &err);
  if (rc == K3_OK && has_row) rc = k3_cursor_get_int64(cursor, 0, out);
  k3_cursor_destroy(&cursor);
  if (rc != K3_OK) return fail(sql, rc, err);
  return has_row ? 0 : fail_msg(sql, "no row");
}

/* ---- 6-8. What the pipelines wrote ----------------------------------------------------------- */

/* The pipeline summary lines: this run's jobs against their destinations, which
 * re-ingesting replaces rather than appends to, so they must agree. */
static int print_outputs(k3_db* db, const ingest_summary* run) {
  static const char kGet[] = "VectorService.GetCollection";
  char* response = NULL;
  json_span collection;
  int64_t vectors = 0, table_rows = 0;
  int rc =
      call(db, kGet, "{\"bucket\":\"" BUCKET "\",\"collection\":\"docs\"}", &response, &collection);
  if (rc == 0 && !get_int(collection, "vectorCount", &vectors)) rc = malformed(kGet);
  k3_free(response);
  if (rc == 0) rc = query_int(db, "SELECT count(*) FROM events_csv", &table_rows);
  if (rc != 0) return rc;
  printf("\npipeline embed-docs: %" PRId64 " documents -> %" PRId64
         " chunks in collection docs (%" PRId64 " vectors)\n",
         run->documents, run->chunks, vectors);
  printf("pipeline load-events: events.csv -> %" PRId64 " rows in table events_csv (%" PRId64
         " rows)\n",
         run->rows, table_rows);
  if (vectors != run->chunks || table_rows != run->rows) {
    return fail_msg("pipeline output", "the destinations do not hold what this run's jobs wrote");
  }
  return 0;
}

/* Prints hit i: score, object key and the start of its text (newlines as spaces). */
static int print_hit(const k3_hits* hits, size_t i) {
  const char* key = NULL;
  const char* text = NULL;
  char snippet[71];
  size_t len = 0, k;
  float score = 0;
  int rc = k3_hits_score(hits, i, &score);
  if (rc == K3_OK) rc = k3_hits_object_key(hits, i, &key, NULL);
  if (rc == K3_OK) rc = k3_hits_text(hits, i, &text, &len);
  if (rc != K3_OK) return fail("read a hit", rc, NULL);
  if (len > sizeof(snippet) - 1) len = sizeof(snippet) - 1;
  for (k = 0; k < len; ++k) snippet[k] = text[k] == '\n' ? ' ' : text[k];
  snippet[len] = '\0';
  printf("  %.4f  %-32s %s...\n", score, key, snippet);
  return 0;
}

/* Searches collection docs by text, restricted to Markdown documents by a metadata filter. */
static int text_search(k3_db* db) {
  static const char kQuestion[] = "how many days do I have to return a kettle?";
  static const char kFilter[] =
      "{\"field\":\"content_type\",\"op\":\"eq\",\"value\":\"text/markdown\"}";
  k3_hits* hits = NULL;
  char* err = NULL;
  size_t i;
  int rc =
      k3_search_text(db, BUCKET, "docs", kQuestion, strlen(kQuestion), 3, kFilter, &hits, &err);
  if (rc != K3_OK) return fail("k3_search_text", rc, err);
  printf("\ntext search \"%s\" where content_type = text/markdown:\n", kQuestion);
  rc = 0;
  for (i = 0; i < k3_hits_count(hits) && rc == 0; ++i) rc = print_hit(hits, i);
  k3_hits_destroy(&hits);
  return rc;
}

/* Replaces every "{table}" of tmpl by table, into out. */
static int expand_table(const char* tmpl, const char* table, char* out, size_t cap) {
  static const char kPlaceholder[] = "{table}";
  size_t used = 0;
  const char* at;
  while ((at = strstr(tmpl, kPlaceholder)) != NULL) {
    if (!format(out + used, cap - used, "%.*s%s", (int)(at - tmpl), tmpl, table)) return 0;
    used += strlen(out + used);
    tmpl = at + sizeof(kPlaceholder) - 1;
  }
  return format(out + used, cap - used, "%s", tmpl);
}

/* K3's "DuckDB SQL Cheat Sheet" queries (quickstart.cpp's kCheatSheet), the ones that run on
 * the CSV table events_csv. */
static const char* const kCheatSheet[] = {
    "SELECT kind, COUNT(*) AS cnt FROM {table} GROUP BY kind ORDER BY cnt DESC;",
    "SELECT date_trunc('hour', created_at) AS hour_bucket, COUNT(*) FROM {table} GROUP BY 1 "
    "ORDER BY 1;",
    "SELECT id, kind, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY created_at DESC) AS rn FROM "
    "{table};",
    "SELECT json_extract_string(payload, '$.customer_tier') AS tier, COUNT(*) FROM {table} "
    "GROUP BY tier;",
    "SELECT quantile_cont(duration_ms, 0.95) AS p95_ms FROM {table};",
};

/* Runs the cheat sheet on events_csv, then the summary by kind. */
static int sql_tour(k3_db* db) {
  char sql[512];
  size_t i;
  for (i = 0; i < sizeof(kCheatSheet) / sizeof(kCheatSheet[0]); ++i) {
    if (!expand_table(kCheatSheet[i], "events_csv", sql, sizeof(sql))) {
      return fail_msg(kCheatSheet[i], "query too long");
    }
    if (print_query(db, sql, 26, 1, 6) != 0) return 1;
  }
  return print_query(db,
                     "SELECT kind, count(*) AS events, round(avg(duration_ms), 1) AS avg_ms "
                     "FROM events_csv GROUP BY kind ORDER BY events DESC LIMIT 4",
                     16, 0, SIZE_MAX);
}

/* ---- The tour ----------------------------------------------------------------------------------
 */

static int tour(k3_db* db, const char* corpus) {
  ingest_summary run = {0, 0, 0};
  int64_t put_start_ms;
  int put = 0;
  /* The rules first: the puts fire them. */
  if (ensure_bucket(db) != 0 || set_up_ingest(db) != 0) return 1;
  if (now_ms(CLOCK_REALTIME, &put_start_ms) != 0) return 1;
  if (put_tree(db, corpus, "", &put) != 0) return 1;
  printf("put %d objects\n", put);
  if (wait_for_ingest(db) != 0 || list_jobs(db, put_start_ms, &run) != 0) return 1;
  if (print_outputs(db, &run) != 0 || text_search(db) != 0) return 1;
  return sql_tour(db);
}

int main(int argc, char** argv) {
  const char* data_dir = argc > 1 ? argv[1] : "./k3-data";
  const char* corpus = argc > 2 ? argv[2] : "./examples/data";
  k3_db* db = NULL;
  char* err = NULL;
  int rc = k3_open(data_dir, NULL, &db, &err);
  if (rc != K3_OK) return fail("k3_open", rc, err);
  printf("k3 %s: opened %s\n", k3_version(), data_dir);
  rc = tour(db, corpus);
  k3_close(&db);
  return rc;
}
