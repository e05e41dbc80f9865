/* k3/k3.h: the stable C ABI of k3 — valid C99, and C++ through extern "C".
 *
 * Everything the C++ API offers is reachable from C through this header: the lifecycle
 * (options, open, close), the control plane (k3_call: every RPC by name, with a JSON request
 * and a JSON response in K3's wire form) and the typed data plane (object bytes, vector
 * upserts and searches with float arrays, SQL rows through a cursor, embedders implemented as
 * C callbacks, waits for ingest jobs).
 *
 * Conventions shared by every function:
 * - Handles are opaque (k3_db, k3_options, k3_hits, k3_cursor); no struct layout is public.
 * - Functions that can fail return an int status code, one of the K3_* codes below; they are
 *   the gRPC canonical codes and never change value.
 * - NULL handles or NULL required arguments are K3_INVALID_ARGUMENT, never a crash.
 * - `char** errmsg` is always optional (NULL = not wanted). When it is non-NULL, *errmsg is set
 *   to NULL on success and, on failure, to a NUL-terminated, k3-allocated message (without the
 *   code name; use k3_status_str for that) that the caller frees with k3_free. A previous
 *   value of *errmsg is overwritten, not freed. If even the message cannot be allocated,
 *   *errmsg is NULL and the code is still returned.
 * - Every buffer or string that k3 returns through an out-parameter is owned by the caller
 *   and freed with k3_free (never with free(): k3 may use another allocator). On failure such
 *   out-parameters are set to NULL (and lengths to 0), so freeing them is always safe.
 * - Strings passed in are NUL-terminated UTF-8 unless a length is given with them; k3 does not
 *   keep any pointer passed in after the call returns, except where stated (callbacks and
 *   their user data).
 * - No C++ exception crosses this boundary: an unexpected one becomes K3_INTERNAL.
 * - Destroy functions take a pointer to the handle, accept NULL (and a pointer to NULL), and
 *   set the handle to NULL.
 *
 * Thread-safety: a k3_db may be used from any number of threads at once (every function that
 * takes a k3_db is thread-safe), except that k3_close must not run while other calls on the
 * same handle are still running. A k3_options is a plain value: do not modify one from two
 * threads at once. Functions that take no handle are thread-safe.
 *
 * Stability: a released function never changes its signature or meaning; a change of
 * behaviour gets a new function (`_v2`). Each function states the version it appeared in.
 */
#ifndef K3_K3_H_
#define K3_K3_H_

#include <stddef.h>
#include <stdint.h>

#include "k3/version.h"

/* K3_C_API marks the functions of this header as exported from the shared library. */
#if defined(K3_STATIC_DEFINE)
#define K3_C_API
#elif defined(_WIN32)
#if defined(K3_BUILDING_LIBRARY)
#define K3_C_API __declspec(dllexport)
#else
#define K3_C_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define K3_C_API __attribute__((visibility("default")))
#else
#define K3_C_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status codes ---------------------------------------------------------------------- */

/* The status codes every fallible function returns: the gRPC canonical codes, same values.
 * Since 0.1.0. */
enum k3_status_code {
  K3_OK = 0,
  K3_CANCELLED = 1,
  K3_UNKNOWN = 2,
  K3_INVALID_ARGUMENT = 3,
  K3_DEADLINE_EXCEEDED = 4,
  K3_NOT_FOUND = 5,
  K3_ALREADY_EXISTS = 6,
  K3_PERMISSION_DENIED = 7,
  K3_RESOURCE_EXHAUSTED = 8,
  K3_FAILED_PRECONDITION = 9,
  K3_ABORTED = 10,
  K3_OUT_OF_RANGE = 11,
  K3_UNIMPLEMENTED = 12,
  K3_INTERNAL = 13,
  K3_UNAVAILABLE = 14,
  K3_DATA_LOSS = 15,
  K3_UNAUTHENTICATED = 16
};

/* Log levels of the log callback (k3_options_set_log_callback). Since 0.1.0. */
enum k3_log_level { K3_LOG_DEBUG = 0, K3_LOG_INFO = 1, K3_LOG_WARNING = 2, K3_LOG_ERROR = 3 };

/* The K3 type of a SQL result column (k3_cursor_column_type): the catalog type of a table
 * column, else derived from SQLite's declared type, else (an expression) from the first
 * non-NULL value. The values are those of the wire's COLUMN_TYPE_* and never change.
 * Since 0.2.0. */
enum k3_column_type {
  K3_COLUMN_STRING = 1,
  K3_COLUMN_INT = 2,
  K3_COLUMN_LONG = 3,
  K3_COLUMN_SHORT = 4,
  K3_COLUMN_FLOAT = 5,
  K3_COLUMN_DOUBLE = 6,
  K3_COLUMN_BOOLEAN = 7,
  K3_COLUMN_DATE = 8,      /* "YYYY-MM-DD" text */
  K3_COLUMN_TIMESTAMP = 9, /* ISO-8601 text */
  K3_COLUMN_BINARY = 10,
  K3_COLUMN_JSON = 11 /* JSON text */
};

/* How one cell of a SQL row is held (k3_cursor_value_type), which decides the getters that
 * read it: INT64 and BOOL (0 or 1) through k3_cursor_get_int64 and k3_cursor_get_double;
 * DOUBLE through k3_cursor_get_double; TEXT through k3_cursor_get_text and
 * k3_cursor_get_blob; BLOB through k3_cursor_get_blob. Since 0.2.0. */
enum k3_value_type {
  K3_VALUE_NULL = 0,
  K3_VALUE_INT64 = 1,
  K3_VALUE_DOUBLE = 2,
  K3_VALUE_TEXT = 3,
  K3_VALUE_BLOB = 4,
  K3_VALUE_BOOL = 5
};

/* The state of an ingest job (k3_wait_job), the wire's INGEST_STATUS_* values. Since 0.2.0. */
enum k3_job_status {
  K3_JOB_UNSPECIFIED = 0,
  K3_JOB_PENDING = 1,
  K3_JOB_PROCESSING = 2,
  K3_JOB_COMPLETED = 3,
  K3_JOB_FAILED = 4,
  K3_JOB_CANCELLED = 5
};

/* ---- Opaque handles -------------------------------------------------------------------- */

/* An open data directory. Created by k3_open, destroyed by k3_close. Since 0.1.0. */
typedef struct k3_db k3_db;
/* Options for k3_open. Created by k3_options_create, destroyed by k3_options_destroy.
 * Since 0.1.0. */
typedef struct k3_options k3_options;
/* The hits of one vector search, best first. Created by k3_search_vector or k3_search_text,
 * destroyed by k3_hits_destroy. Immutable: it may be read from several threads at once, and
 * it does not depend on its k3_db (it may outlive it). Since 0.2.0. */
typedef struct k3_hits k3_hits;
/* The rows of one SQL query, read one at a time. Created by k3_query, destroyed by
 * k3_cursor_destroy. Use it from one thread at a time. Since 0.2.0. */
typedef struct k3_cursor k3_cursor;

/* ---- Library ----------------------------------------------------------------------------- */

/* The version of the library that is loaded, e.g. "0.1.0" (compare with K3_VERSION_STRING,
 * the version of the header compiled against). The string is static: do not free it.
 * Thread-safe. Since 0.1.0. */
K3_C_API const char* k3_version(void);

/* The loaded library's version as MAJOR * 10000 + MINOR * 100 + PATCH (0.1.0 -> 100),
 * comparable with K3_VERSION_NUMBER. Thread-safe. Since 0.1.0. */
K3_C_API int k3_version_number(void);

/* The name of a status code: "OK", "NOT_FOUND", ...; "UNKNOWN" for a value that is not a
 * K3_* code. The string is static: do not free it. Thread-safe. Since 0.1.0. */
K3_C_API const char* k3_status_str(int code);

/* Frees a buffer or string that k3 returned (response JSON, error messages, object bytes,
 * etags). NULL is a no-op. Thread-safe. Since 0.1.0. */
K3_C_API void k3_free(void* ptr);

/* Allocates `size` bytes (at least 1) that k3 may later free with k3_free: the way a callback
 * hands k3 a string that k3 takes ownership of (see k3_embed_fn). Returns NULL when out of
 * memory. Thread-safe. Since 0.2.0. */
K3_C_API void* k3_malloc(size_t size);

/* ---- Options ------------------------------------------------------------------------------ */

/* Creates an options handle holding the defaults (see include/k3/options.h): sync_writes off,
 * block cache 64 MiB, worker_threads 0 (= cores), create_if_missing on, log to stderr from
 * K3_LOG_WARNING. *out receives the handle, owned by the caller (free it with
 * k3_options_destroy); it may be destroyed right after k3_open.
 * Returns K3_OK; K3_INVALID_ARGUMENT when out is NULL; K3_RESOURCE_EXHAUSTED when out of
 * memory (*out is NULL on failure). Thread-safe. Since 0.1.0. */
K3_C_API int k3_options_create(k3_options** out);

/* Destroys *opts and sets *opts to NULL. opts == NULL and *opts == NULL are no-ops.
 * Thread-safe for distinct handles. Since 0.1.0. */
K3_C_API void k3_options_destroy(k3_options** opts);

/* Durability of acknowledged writes. 0 (default): every write is in the write-ahead log
 * before it is acknowledged, so it survives a crash of the process. Non-zero: the log is
 * fsync'ed before acknowledging, so writes survive power loss too (one fsync per write).
 * Returns K3_OK; K3_INVALID_ARGUMENT when opts is NULL. Not thread-safe for one handle.
 * Since 0.1.0. */
K3_C_API int k3_options_set_sync_writes(k3_options* opts, int sync_writes);

/* Memory budget of the block cache, in bytes (default 64 MiB).
 * Returns K3_OK; K3_INVALID_ARGUMENT when opts is NULL. Not thread-safe for one handle.
 * Since 0.1.0. */
K3_C_API int k3_options_set_block_cache_bytes(k3_options* opts, uint64_t bytes);

/* Background worker threads; 0 (default) = number of cores.
 * Returns K3_OK; K3_INVALID_ARGUMENT when opts is NULL or threads is negative.
 * Not thread-safe for one handle. Since 0.1.0. */
K3_C_API int k3_options_set_worker_threads(k3_options* opts, int threads);

/* Whether k3_open creates a missing data directory: non-zero (default) yes, 0 no (then a
 * missing directory is K3_NOT_FOUND).
 * Returns K3_OK; K3_INVALID_ARGUMENT when opts is NULL. Not thread-safe for one handle.
 * Since 0.1.0. */
K3_C_API int k3_options_set_create_if_missing(k3_options* opts, int create_if_missing);

/* Where k3's log messages go. k3 calls cb(user, level, msg, len) for every message at or
 * above min_level (a K3_LOG_* value); msg is NUL-terminated, len excludes the NUL, and both
 * are valid only during the call. cb is called from any k3 thread (also during k3_open and
 * k3_close), possibly from several at once, so it must be thread-safe; it must not call back
 * into k3 for the same k3_db. `user` is passed through untouched and must stay valid until
 * the k3_db opened with these options is closed. cb == NULL restores the default (messages
 * from min_level to stderr). k3 never prints by itself other than through this sink.
 * Returns K3_OK; K3_INVALID_ARGUMENT when opts is NULL or min_level is not a K3_LOG_* value.
 * Not thread-safe for one handle. Since 0.1.0. */
K3_C_API int k3_options_set_log_callback(k3_options* opts,
                                         void (*cb)(void* user, int level, const char* msg,
                                                    size_t len),
                                         void* user, int min_level);

/* The lowest level logged (a K3_LOG_* value; default K3_LOG_WARNING), keeping the sink that
 * k3_options_set_log_callback chose (stderr by default).
 * Returns K3_OK; K3_INVALID_ARGUMENT when opts is NULL or level is not a K3_LOG_* value.
 * Not thread-safe for one handle. Since 0.2.0. */
K3_C_API int k3_options_set_log_level(k3_options* opts, int level);

/* Size of one memtable before it is flushed, in bytes (default 32 MiB).
 * Returns K3_OK; K3_INVALID_ARGUMENT when opts is NULL or bytes is 0.
 * Not thread-safe for one handle. Since 0.2.0. */
K3_C_API int k3_options_set_write_buffer_bytes(k3_options* opts, uint64_t bytes);

/* Runs an ingest job may take before it is FAILED, when its errors may be transient
 * (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, INTERNAL, UNKNOWN). Default 3.
 * Returns K3_OK; K3_INVALID_ARGUMENT when opts is NULL or attempts < 1.
 * Not thread-safe for one handle. Since 0.2.0. */
K3_C_API int k3_options_set_ingest_max_attempts(k3_options* opts, int attempts);

/* Backoff before the second run of a failed ingest job, in milliseconds (default 500); it
 * doubles for each further run, and k3 caps it at 60000.
 * Returns K3_OK; K3_INVALID_ARGUMENT when opts is NULL or ms is negative.
 * Not thread-safe for one handle. Since 0.2.0. */
K3_C_API int k3_options_set_ingest_retry_backoff_ms(k3_options* opts, int64_t ms);

/* How many versions of history each table keeps for restores (TableService.RestoreTable);
 * older entries are pruned on write. Default 1000; 0 keeps no history.
 * Returns K3_OK; K3_INVALID_ARGUMENT when opts is NULL.
 * Not thread-safe for one handle. Since 0.2.0. */
K3_C_API int k3_options_set_table_history_versions(k3_options* opts, uint32_t versions);

/* The master key that encrypts credential secrets at rest (AES-256-GCM): 64 hex characters or
 * the standard base64 of 32 bytes, NUL-terminated; k3 copies it (and wipes its copy when the
 * options are destroyed). NULL or "" restores the default: the K3_MASTER_KEY environment
 * variable, else the key file <path>/master.key, created (mode 0600) on first open. The key
 * is checked by k3_open, which fails with K3_INVALID_ARGUMENT for a malformed one; opening with
 * another key than the secrets were sealed with succeeds, and using such a secret is then
 * K3_FAILED_PRECONDITION.
 * Returns K3_OK; K3_INVALID_ARGUMENT when opts is NULL; K3_RESOURCE_EXHAUSTED when out of
 * memory. Not thread-safe for one handle. Since 0.2.0. */
K3_C_API int k3_options_set_master_key(k3_options* opts, const char* key);

/* ---- Lifecycle -------------------------------------------------------------------------- */

/* Opens the data directory at `path` (NUL-terminated), creating it when missing unless
 * create_if_missing is off. `opts` may be NULL (defaults); it is only read during the call.
 * On success *out_db receives the handle, owned by the caller, to be closed with k3_close;
 * on failure *out_db is NULL.
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL path or out_db; K3_FAILED_PRECONDITION when
 * the directory is open elsewhere (this or another process), is not a k3 data directory, or
 * has an incompatible format version; K3_NOT_FOUND when missing and create_if_missing is off;
 * K3_INTERNAL or K3_DATA_LOSS for I/O failures or corruption.
 * Thread-safe. Since 0.1.0. */
K3_C_API int k3_open(const char* path, const k3_options* opts, k3_db** out_db, char** errmsg);

/* Closes the data directory and frees the handle, then sets *db to NULL. db == NULL and
 * *db == NULL are no-ops, so closing twice is harmless. No call on the handle may be running
 * (or start) during k3_close. Since 0.1.0. */
K3_C_API void k3_close(k3_db** db);

/* ---- Control plane ------------------------------------------------------------------------ */

/* Runs the RPC `method` (NUL-terminated, e.g. "StorageService.CreateBucket"; the fully
 * qualified "dodil.k3.storage.v1.StorageService.CreateBucket" is accepted too) on a request
 * in K3's JSON wire form: request_json holds request_len bytes and need not be
 * NUL-terminated (an empty request is "{}", not NULL). On success *out_response_json
 * receives the JSON response, NUL-terminated and k3-allocated (free with k3_free), and
 * *out_response_len (when out_response_len is non-NULL) its length without the NUL. On
 * failure *out_response_json is NULL and *out_response_len 0.
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL db, method, request_json or
 * out_response_json, for malformed JSON, a request that is not an object, or wrong-typed
 * fields; K3_UNIMPLEMENTED for an unknown method; otherwise the method's own code.
 * Thread-safe. Since 0.1.0. */
K3_C_API int k3_call(k3_db* db, const char* method, const char* request_json, size_t request_len,
                     char** out_response_json, size_t* out_response_len, char** errmsg);

/* Lists every method k3_call accepts: *out_json_array receives a JSON array of their names,
 * sorted, NUL-terminated and k3-allocated (free with k3_free); NULL on failure.
 * Returns K3_OK; K3_INVALID_ARGUMENT when out_json_array is NULL.
 * Thread-safe. Since 0.1.0. */
K3_C_API int k3_list_methods(char** out_json_array, char** errmsg);

/* ---- Data plane: objects ---------------------------------------------------------------- */

/* Supplies object bytes for k3_put_object_stream: writes up to `cap` bytes into `buf` and
 * returns how many (1..cap), 0 at the end of the data, or a negative value on error (which
 * aborts the write). Since 0.1.0. */
typedef int64_t (*k3_read_fn)(void* user, void* buf, size_t cap);

/* Receives object bytes from k3_get_object_stream, in order: `data` holds `len` bytes, valid
 * only during the call. Returns 0 to continue, anything else to stop the read. Since 0.1.0. */
typedef int (*k3_write_fn)(void* user, const void* data, size_t len);

/* Writes the object bucket/key (NUL-terminated) with the `len` bytes at `data`, replacing
 * any current object atomically. `data` may be NULL only when len is 0 (an empty object).
 * content_type may be NULL (application/octet-stream). When out_etag is non-NULL it receives
 * the new object's ETag (MD5 hex), NUL-terminated and k3-allocated (free with k3_free), or
 * NULL on failure.
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL db, bucket or key, NULL data with len > 0, or
 * an invalid key; K3_NOT_FOUND when the bucket does not exist; K3_RESOURCE_EXHAUSTED when it
 * would exceed the bucket's quota (nothing is written).
 * Thread-safe. Since 0.1.0. */
K3_C_API int k3_put_object(k3_db* db, const char* bucket, const char* key, const void* data,
                           size_t len, const char* content_type, char** out_etag, char** errmsg);

/* As k3_put_object, but the bytes come from read(user, buf, cap), called repeatedly on the
 * calling thread until it returns 0; memory stays bounded, so objects larger than memory
 * work. Nothing becomes visible until the reader reports the end. `user` is passed through
 * untouched and not kept after the call.
 * Returns as k3_put_object, plus: K3_INVALID_ARGUMENT for a NULL read or when read returns
 * more than cap; K3_ABORTED when read returns a negative value (nothing is written).
 * Thread-safe. Since 0.1.0. */
K3_C_API int k3_put_object_stream(k3_db* db, const char* bucket, const char* key, k3_read_fn read,
                                  void* user, const char* content_type, char** out_etag,
                                  char** errmsg);

/* Reads the whole object bucket/key. On success *out_data receives its bytes in a
 * k3-allocated buffer (free with k3_free; never NULL, even for an empty object, and followed
 * by one NUL byte that *out_len does not count) and *out_len their number. On failure
 * *out_data is NULL and *out_len 0. For large objects prefer k3_get_object_stream.
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL db, bucket, key, out_data or out_len;
 * K3_NOT_FOUND when the bucket or the object does not exist.
 * Thread-safe. Since 0.1.0. */
K3_C_API int k3_get_object(k3_db* db, const char* bucket, const char* key, void** out_data,
                           size_t* out_len, char** errmsg);

/* As k3_get_object, but only bytes first..last_inclusive (HTTP's "bytes=first-last"); a last
 * byte past the end is clamped to the end.
 * Returns as k3_get_object, plus: K3_INVALID_ARGUMENT when first > last_inclusive;
 * K3_OUT_OF_RANGE when first is at or past the end of the object.
 * Thread-safe. Since 0.1.0. */
K3_C_API int k3_get_object_range(k3_db* db, const char* bucket, const char* key, uint64_t first,
                                 uint64_t last_inclusive, void** out_data, size_t* out_len,
                                 char** errmsg);

/* Reads the object bucket/key and passes its bytes to write(user, data, len) chunk by chunk,
 * in order, on the calling thread; memory stays bounded. `user` is passed through untouched
 * and not kept after the call. The callback must not close the k3_db.
 * Returns K3_OK when every byte was delivered; K3_INVALID_ARGUMENT for a NULL db, bucket,
 * key or write; K3_NOT_FOUND when the bucket or the object does not exist; K3_CANCELLED when
 * write returned non-zero (the read stops there).
 * Thread-safe. Since 0.1.0. */
K3_C_API int k3_get_object_stream(k3_db* db, const char* bucket, const char* key, k3_write_fn write,
                                  void* user, char** errmsg);

/* Deletes the object bucket/key. Idempotent: deleting a missing key is K3_OK.
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL db, bucket or key, or an invalid key;
 * K3_NOT_FOUND when the bucket does not exist.
 * Thread-safe. Since 0.1.0. */
K3_C_API int k3_delete_object(k3_db* db, const char* bucket, const char* key, char** errmsg);

/* ---- Data plane: vectors ------------------------------------------------------------------ */

/* Writes `count` vectors into the collection bucket/collection (a name or a collection id; an
 * external-mode collection), replacing those whose ids exist, in one atomic batch: every
 * vector is checked before anything is written, and one bad vector fails the whole batch.
 * - ids: count NUL-terminated ids (1..512 bytes each, distinct within the batch).
 * - values: count * dims floats, vector i at values[i * dims]; dims must be the collection's
 *   dimensions and the values finite.
 * - metadata_json: NULL (no metadata for any vector), or count entries, each NULL (none) or a
 *   NUL-terminated flat JSON object whose values are strings, numbers, bools or arrays of
 *   strings ({"lang":"en","year":2024}); "" is the empty object.
 * - texts: NULL (no text for any vector), or count entries, each NULL (none) or the
 *   NUL-terminated text the vector stands for (returned by searches as k3_hits_text).
 * Nothing passed in is kept after the call. When out_written is non-NULL it receives the
 * number of vectors written (count on success, 0 on failure). count == 0 writes nothing and
 * returns K3_OK (ids and values may then be NULL).
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL db, bucket or collection, NULL ids or values
 * with count > 0, a NULL id, dims of 0 or other than the collection's, a non-finite value,
 * malformed metadata JSON (the message names the vector, "vectors[2]", and the field), or a
 * duplicate id; K3_NOT_FOUND when the bucket, its vector engine or the collection does not
 * exist; K3_FAILED_PRECONDITION for a pipeline-mode collection (written by its pipeline only).
 * Thread-safe. Since 0.2.0. */
K3_C_API int k3_upsert_vectors(k3_db* db, const char* bucket, const char* collection, size_t count,
                               const char* const* ids, const float* values, size_t dims,
                               const char* const* metadata_json, const char* const* texts,
                               uint64_t* out_written, char** errmsg);

/* Searches for the top_k (1..1024) vectors nearest to `query` (dims floats, finite) in
 * bucket/collection, or, when collection is NULL or "", in every collection of the bucket
 * with dims dimensions, merged by score. filter_json is NULL (no filter) or a NUL-terminated
 * metadata filter in K3's JSON form: {"field":"lang","op":"eq","value":"en"} (op: eq ne lt lte
 * gt gte in nin prefix exists; in/nin take "values":[...]), {"and":[...]}, {"or":[...]} or
 * {"not":{...}}. Scores are higher-is-better (COSINE: the cosine; IP: the inner product; L2:
 * 1 / (1 + squared distance)).
 * On success *out_hits receives the hits, best first (possibly none), owned by the caller
 * (free with k3_hits_destroy); on failure *out_hits is NULL.
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL db, bucket, query or out_hits, dims of 0 or
 * other than the collection's, a non-finite value, a zero query under COSINE, top_k outside
 * 1..1024, or a malformed filter; K3_NOT_FOUND when the bucket, engine or collection does not
 * exist (or, without a collection, when no collection has dims dimensions).
 * Thread-safe. Since 0.2.0. */
K3_C_API int k3_search_vector(k3_db* db, const char* bucket, const char* collection,
                              const float* query, size_t dims, int top_k, const char* filter_json,
                              k3_hits** out_hits, char** errmsg);

/* As k3_search_vector, but the query is the text_len bytes of UTF-8 at `text` (need not be
 * NUL-terminated; may hold NULs), embedded by each collection searched with its own embedder:
 * a pipeline-mode collection's pipeline's, an external-mode collection's embed_model (an
 * embedder's name: "hash" or one registered with k3_register_embedder). Without a collection,
 * collections that have no embedder are skipped.
 * Returns as k3_search_vector, plus: K3_INVALID_ARGUMENT for a NULL text (an empty text is
 * "", not NULL); K3_FAILED_PRECONDITION when the collection has no embedder or its
 * embedder's dimensions differ from the collection's; an embedder's own failure code (for a
 * k3_embed_fn, the code it returned).
 * Thread-safe (the embedder may run on the calling thread). Since 0.2.0. */
K3_C_API int k3_search_text(k3_db* db, const char* bucket, const char* collection, const char* text,
                            size_t text_len, int top_k, const char* filter_json, k3_hits** out_hits,
                            char** errmsg);

/* The number of hits; 0 for a NULL handle. Thread-safe. Since 0.2.0. */
K3_C_API size_t k3_hits_count(const k3_hits* hits);

/* The accessors of hit `index` (0 = best). Each string is NUL-terminated and owned by the
 * hits: valid until k3_hits_destroy, never to be freed; when out_len is non-NULL it receives
 * the string's length without the NUL. On failure *out is NULL (0 for the score) and
 * *out_len 0.
 * - k3_hits_id: the vector's id.
 * - k3_hits_collection: the name of the collection it was found in.
 * - k3_hits_score: its score (higher is better).
 * - k3_hits_object_key: the object it came from (its metadata's "object_key", else "key"
 *   string), "" when it has none.
 * - k3_hits_text: the text (chunk) the vector stands for; *out is NULL (and K3_OK returned)
 *   when the vector has none.
 * - k3_hits_metadata_json: its metadata as a compact JSON object ("{}" when it has none).
 * Each returns K3_OK; K3_INVALID_ARGUMENT for a NULL hits or out; K3_OUT_OF_RANGE when
 * index >= k3_hits_count(hits). Thread-safe. Since 0.2.0. */
K3_C_API int k3_hits_id(const k3_hits* hits, size_t index, const char** out, size_t* out_len);
K3_C_API int k3_hits_collection(const k3_hits* hits, size_t index, const char** out,
                                size_t* out_len);
K3_C_API int k3_hits_score(const k3_hits* hits, size_t index, float* out);
K3_C_API int k3_hits_object_key(const k3_hits* hits, size_t index, const char** out,
                                size_t* out_len);
K3_C_API int k3_hits_text(const k3_hits* hits, size_t index, const char** out, size_t* out_len);
K3_C_API int k3_hits_metadata_json(const k3_hits* hits, size_t index, const char** out,
                                   size_t* out_len);

/* Destroys *hits and sets *hits to NULL. hits == NULL and *hits == NULL are no-ops. Every
 * string read from the hits is invalid afterwards. Thread-safe for distinct handles.
 * Since 0.2.0. */
K3_C_API void k3_hits_destroy(k3_hits** hits);

/* ---- Data plane: SQL ------------------------------------------------------------------------ */

/* Runs the read-only SQL query `sql` (NUL-terminated, exactly one statement, K3's SQL dialect:
 * see TableService.Query) on the tables of `bucket`. params_json is NULL (no parameters) or a
 * NUL-terminated JSON array of the values for $1.. / ?, each a JSON scalar (null, true/false,
 * an integer -> int64, a fraction -> double, a string -> text) or a typed object with exactly
 * one key: {"int64":1 | "1"}, {"double":1.5}, {"text":"..."}, {"blob":"<base64>"},
 * {"bool":true}, {"null":true}. There is no row limit.
 * On success *out_cursor receives a cursor positioned before the first row, owned by the
 * caller (free with k3_cursor_destroy); on failure it is NULL. The cursor reads a snapshot of
 * the tables (the rows as they were when the query started) and holds one of the bucket's
 * read connections until destroyed. Destroy cursors before k3_close: k3_close finishes any
 * still open (see k3_cursor_destroy).
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL db, bucket, sql or out_cursor, malformed
 * params JSON (or not an array), SQL that does not parse, writes, or is not one statement,
 * an unknown column; K3_NOT_FOUND when the bucket, its table engine or a table does not
 * exist; K3_PERMISSION_DENIED for SQL that touches what user SQL may not (k3's internal
 * tables, ATTACH, most PRAGMAs, ...).
 * Thread-safe. Since 0.2.0. */
K3_C_API int k3_query(k3_db* db, const char* bucket, const char* sql, const char* params_json,
                      k3_cursor** out_cursor, char** errmsg);

/* Advances the cursor to its next row: *out_has_row is 1 when there is one, 0 at the end
 * (and on every later call, and on failure). Strings and blobs read from the previous row
 * become invalid.
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL cursor or out_has_row; K3_FAILED_PRECONDITION
 * when its k3_db was closed; an error the query meets while running (the cursor is then at
 * its end). Not thread-safe for one cursor. Since 0.2.0. */
K3_C_API int k3_cursor_next(k3_cursor* cursor, int* out_has_row, char** errmsg);

/* The number of result columns; 0 for a NULL cursor. Known before the first row.
 * Not thread-safe for one cursor. Since 0.2.0. */
K3_C_API size_t k3_cursor_column_count(const k3_cursor* cursor);

/* The name of result column `column` (0-based): NUL-terminated, owned by the cursor, valid
 * until k3_cursor_destroy (also after k3_close of its k3_db); *out_name is NULL on failure.
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL cursor or out_name; K3_OUT_OF_RANGE for a
 * column >= k3_cursor_column_count. Not thread-safe for one cursor. Since 0.2.0. */
K3_C_API int k3_cursor_column_name(const k3_cursor* cursor, size_t column, const char** out_name);

/* The K3 type of result column `column` (a K3_COLUMN_* value) into *out_type (0 on failure).
 * The type of an expression column that was NULL in every row so far is K3_COLUMN_STRING
 * until a non-NULL value shows its type.
 * Returns as k3_cursor_column_name. Not thread-safe for one cursor. Since 0.2.0. */
K3_C_API int k3_cursor_column_type(const k3_cursor* cursor, size_t column, int* out_type);

/* The getters of the current row's cell in `column` (valid after k3_cursor_next gave a row):
 * - k3_cursor_value_type: how the cell is held, a K3_VALUE_* value.
 * - k3_cursor_is_null: 1 when it is NULL, else 0.
 * - k3_cursor_get_int64: an INT64 cell, or a BOOL one as 0/1.
 * - k3_cursor_get_double: a DOUBLE cell, or an INT64 or BOOL one converted.
 * - k3_cursor_get_text: a TEXT cell (STRING, DATE, TIMESTAMP and JSON columns): *out points
 *   to its bytes, NUL-terminated, *out_len (when non-NULL) receives their number without the
 *   NUL.
 * - k3_cursor_get_blob: a BLOB cell, or a TEXT one's bytes: *out points to *out_len bytes
 *   (never NULL, also for an empty blob); out_len is required.
 * Text and blob pointers are owned by the cursor and valid until the next k3_cursor_next,
 * k3_cursor_destroy, or k3_close of its k3_db (which finishes the query). On failure the
 * outputs are 0 / NULL.
 * Each returns K3_OK; K3_INVALID_ARGUMENT for a NULL cursor or output; K3_FAILED_PRECONDITION
 * when the cursor is not on a row (before the first k3_cursor_next, at the end, or after its
 * k3_db was closed), or when the cell is NULL or of a type the getter does not read (the
 * getters never convert text to numbers); K3_OUT_OF_RANGE for a column >=
 * k3_cursor_column_count. Not thread-safe for one cursor. Since 0.2.0. */
K3_C_API int k3_cursor_value_type(const k3_cursor* cursor, size_t column, int* out_type);
K3_C_API int k3_cursor_is_null(const k3_cursor* cursor, size_t column, int* out_is_null);
K3_C_API int k3_cursor_get_int64(const k3_cursor* cursor, size_t column, int64_t* out);
K3_C_API int k3_cursor_get_double(const k3_cursor* cursor, size_t column, double* out);
K3_C_API int k3_cursor_get_text(const k3_cursor* cursor, size_t column, const char** out,
                                size_t* out_len);
K3_C_API int k3_cursor_get_blob(const k3_cursor* cursor, size_t column, const void** out,
                                size_t* out_len);

/* Destroys *cursor (releasing its read connection) and sets *cursor to NULL. cursor == NULL
 * and *cursor == NULL are no-ops. A cursor whose k3_db was closed first must still be
 * destroyed: k3_close finished its query, and this only frees it. Thread-safe for distinct
 * handles (not concurrently with k3_close of its k3_db). Since 0.2.0. */
K3_C_API void k3_cursor_destroy(k3_cursor** cursor);

/* ---- Embedders ---------------------------------------------------------------------------- */

/* An embedder implemented by the host: embeds `count` texts (texts[i] holds lens[i] bytes of
 * UTF-8, also NUL-terminated; lens[i] counts without the NUL, and texts may hold NULs) into
 * `out`, count * dims floats, text i's vector at out[i * dims] (k3 zeroes out first). All
 * pointers are valid only during the call. Returns 0 on success, or else a K3_* code, which
 * becomes the code of the failed operation (a value that is not a K3_* code becomes
 * K3_UNKNOWN; K3_UNAVAILABLE, K3_DEADLINE_EXCEEDED, K3_ABORTED, K3_INTERNAL and K3_UNKNOWN make
 * an ingest job retry). On failure it may set *errmsg_out (NULL on entry) to a NUL-terminated
 * message allocated with k3_malloc, which k3 takes over and frees. k3 calls it from any of its
 * threads, several at once: it must be thread-safe. It must not call back into k3 for the same
 * k3_db. Since 0.2.0. */
typedef int (*k3_embed_fn)(void* user_data, const char* const* texts, const size_t* lens,
                           size_t count, float* out, char** errmsg_out);

/* Releases an embedder's user_data (see k3_register_embedder). Since 0.2.0. */
typedef void (*k3_destroy_fn)(void* user_data);

/* Makes the embedder `name` (NUL-terminated) available, as long as the k3_db stays open, to
 * pipelines (option "embedder": name) and to text searches of collections whose embed_model
 * is `name`; every vector it makes has `dims` (1..8192) floats. k3 keeps `embed` and
 * `user_data` until the embedder is dropped: when a later registration of the same name
 * replaces it and no run still uses it, or when the k3_db closes. Then, when destroy is
 * non-NULL, it calls destroy(user_data) exactly once, from any thread (at the latest during
 * k3_close). When the registration fails, destroy(user_data) is called before
 * k3_register_embedder returns, so the caller never releases user_data itself once it
 * passed it. Ingest jobs pending from an earlier session start as soon as the data
 * directory opens: register their embedders with k3_options_register_embedder instead.
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL db, name or embed, a name that is empty or
 * longer than 128 bytes, "hash" or "http" (built in), dims outside 1..8192. Thread-safe.
 * Since 0.2.0. */
K3_C_API int k3_register_embedder(k3_db* db, const char* name, int dims, k3_embed_fn embed,
                                  void* user_data, k3_destroy_fn destroy, char** errmsg);

/* As k3_register_embedder, but into the options, so that the embedder exists from the moment
 * k3_open opens the directory (before any pending ingest job runs). Registering a name again
 * in the same options replaces the earlier one. The embedder is shared by the options and
 * every k3_db opened with them: destroy(user_data) is called once the options are destroyed
 * and every such k3_db is closed (or right away when this call fails). The name's rules are
 * checked by k3_open (K3_INVALID_ARGUMENT for an empty name, "hash" or "http").
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL opts, name or embed, or dims outside 1..8192;
 * K3_RESOURCE_EXHAUSTED when out of memory. Not thread-safe for one handle. Since 0.2.0. */
K3_C_API int k3_options_register_embedder(k3_options* opts, const char* name, int dims,
                                          k3_embed_fn embed, void* user_data,
                                          k3_destroy_fn destroy);

/* ---- Ingest -------------------------------------------------------------------------------- */

/* Blocks until the ingest job bucket/job_id (NUL-terminated) is COMPLETED, FAILED or
 * CANCELLED. timeout_ms < 0 (or above 2^41, about 70 years) waits without a deadline; 0 only
 * looks. When out_job_status is non-NULL it receives the job's status (a K3_JOB_* value; on
 * K3_DEADLINE_EXCEEDED the status read just after the deadline; 0 on other failures). When
 * out_job_json is non-NULL it receives the job as a NUL-terminated, k3-allocated JSON object
 * in K3's wire form (free with k3_free; NULL on failure): {"jobId","status":
 * "INGEST_STATUS_FAILED",...,"errorMessage","attempts",...}, the "job" of
 * IngestService.GetIngestStatus. A FAILED or CANCELLED job is K3_OK: waiting succeeded; look
 * at the status.
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL db, bucket or job_id; K3_NOT_FOUND for an
 * unknown bucket or job; K3_DEADLINE_EXCEEDED when the job is still PENDING or PROCESSING at
 * the deadline. Thread-safe (it blocks only the calling thread). Since 0.2.0. */
K3_C_API int k3_wait_job(k3_db* db, const char* bucket, const char* job_id, int64_t timeout_ms,
                         int* out_job_status, char** out_job_json, char** errmsg);

/* Blocks until the bucket's ingest is idle: every object event committed before the call has
 * been dispatched to the bucket's rules and no job of the bucket is PENDING or PROCESSING
 * (retries waiting out their backoff count as PENDING). timeout_ms < 0 (or above 2^41) waits
 * without a deadline.
 * Returns K3_OK; K3_INVALID_ARGUMENT for a NULL db or bucket; K3_NOT_FOUND for an unknown
 * bucket; K3_DEADLINE_EXCEEDED at the deadline. Thread-safe. Since 0.2.0. */
K3_C_API int k3_wait_idle(k3_db* db, const char* bucket, int64_t timeout_ms, char** errmsg);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* K3_K3_H_ */
