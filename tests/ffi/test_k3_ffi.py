"""tests/ffi/test_k3_ffi.py: k3 end to end from Python through ctypes (examples/python/k3.py).

Run by ctest as `ffi_python` with K3_LIB set to the built libk3.so; by hand:
    K3_LIB=build/libk3.so python3 tests/ffi/test_k3_ffi.py
"""

import hashlib
import io
import os
import re
import shutil
import sys
import tempfile
import threading
import unittest
import zlib

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(_HERE)), "examples", "python"))

import k3  # noqa: E402

# How long a test waits for k3 (an ingest job, a gate) before it fails instead of hanging.
DEADLINE_MS = 60000


def bag_of_words(text, dims):
    """A deterministic embedding: each word's crc32 picks one of `dims` buckets."""
    v = [0.0] * dims
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        v[zlib.crc32(word.encode()) % dims] += 1.0
    if not any(v):
        v[0] = 1.0  # a zero vector has no cosine
    return v


class Embedder:
    """A Python embedder that counts its calls (from k3's threads, under a lock). With a gate,
    each call waits until the gate opens; `entered` is set once a call started."""

    def __init__(self, dims=64, gate=None, fail=None):
        self.dims, self.gate, self.fail = dims, gate, fail
        self.lock = threading.Lock()
        self.calls = 0
        self.texts = []
        self.threads = set()
        self.entered = threading.Event()

    def __call__(self, texts):
        with self.lock:
            self.calls += 1
            self.texts.extend(texts)
            self.threads.add(threading.get_ident())
        self.entered.set()
        if self.gate is not None and not self.gate.wait(DEADLINE_MS / 1000):
            raise TimeoutError("the test never opened the gate")
        if self.fail is not None:
            raise self.fail
        return [bag_of_words(t, self.dims) for t in texts]

    def count(self):
        with self.lock:
            return self.calls


class Boom(Exception):
    pass


class K3FfiTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="k3-ffi-test.")
        self.path = os.path.join(self.dir, "data")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_version_and_methods(self):
        self.assertEqual(k3.version(), "0.2.0")
        self.assertEqual(k3.version_number(), 200)
        self.assertEqual(k3.status_name(5), "NOT_FOUND")
        self.assertEqual(k3.status_name(99), "UNKNOWN")
        names = k3.methods()
        self.assertIn("StorageService.CreateBucket", names)
        self.assertIn("StorageService.ListObjects", names)
        self.assertEqual(names, sorted(names))
        self.assertEqual(k3.Db.methods(), names)

    def test_end_to_end(self):
        with k3.Db(self.path) as db:
            bucket = db.call("StorageService.CreateBucket", {"name": "kb-py"})
            self.assertEqual(bucket["name"], "kb-py")

            etag = db.put_object("kb-py", "docs/hello.txt", b"hello world",
                                 content_type="text/plain")
            self.assertEqual(etag, "5eb63bbbe01eeed093cb22bb8f5acdc3")
            db.put_object("kb-py", "docs/bin", bytes(range(256)) * 10)
            db.put_object("kb-py", "notes/empty", b"")

            self.assertEqual(db.get_object("kb-py", "docs/hello.txt"), b"hello world")
            self.assertEqual(db.get_object("kb-py", "docs/bin"), bytes(range(256)) * 10)
            self.assertEqual(db.get_object("kb-py", "notes/empty"), b"")
            self.assertEqual(db.get_object_range("kb-py", "docs/hello.txt", 0, 4), b"hello")
            self.assertEqual(db.get_object_range("kb-py", "docs/hello.txt", 6), b"world")

            listing = db.call("StorageService.ListObjects", {"bucket": "kb-py", "prefix": "docs/"})
            keys = [o["key"] for o in listing["objects"]]
            self.assertEqual(keys, ["docs/bin", "docs/hello.txt"])
            info = [o for o in listing["objects"] if o["key"] == "docs/hello.txt"][0]
            self.assertEqual(info["etag"], etag)
            self.assertEqual(info["contentType"], "text/plain")

            db.delete_object("kb-py", "docs/bin")
            db.delete_object("kb-py", "docs/bin")  # idempotent
            with self.assertRaises(k3.K3Error) as cm:
                db.get_object("kb-py", "docs/bin")
            self.assertEqual(cm.exception.code_name, "NOT_FOUND")

        # Reopening sees the same data.
        db = k3.Db(self.path)
        try:
            self.assertEqual(db.get_object("kb-py", "docs/hello.txt"), b"hello world")
        finally:
            db.close()

    def test_tables_through_k3_call(self):
        with k3.Db(self.path) as db:
            db.call("StorageService.CreateBucket", {"name": "kb-sql"})
            db.call("TableService.ConfigureEngine", {"bucket": "kb-sql"})
            db.call("TableService.CreateTable", {
                "bucket": "kb-sql", "name": "events",
                "columns": [{"name": "id", "type": "LONG", "nullable": False},
                            {"name": "kind", "type": "STRING"},
                            {"name": "payload", "type": "JSON"}],
                "merge_keys": ["id"]})
            written = db.call("TableService.InsertRows", {
                "bucket": "kb-sql", "tableName": "events",
                "rows": [{"id": 1, "kind": "click", "payload": {"tier": "pro"}},
                         '{"id": 2, "kind": "view", "payload": {"tier": "free"}}',
                         {"id": "9223372036854775807", "kind": "click"}]})
            self.assertEqual(written["rowsWritten"], "3")
            result = db.call("TableService.Query", {
                "bucket": "kb-sql", "tableName": "events",
                "sql": "SELECT kind, COUNT(*) AS cnt FROM {table} GROUP BY kind ORDER BY cnt DESC"})
            self.assertEqual(result["rows"], [{"kind": "click", "cnt": "2"},
                                              {"kind": "view", "cnt": "1"}])
            self.assertEqual([c["type"] for c in result["columns"]],
                             ["COLUMN_TYPE_STRING", "COLUMN_TYPE_LONG"])
            tiers = db.call("TableService.Query", {
                "bucket": "kb-sql",
                "sql": "SELECT json_extract_string(payload, '$.tier') AS tier FROM events "
                       "WHERE id = $1", "params": [{"int64": "2"}]})
            self.assertEqual(tiers["rows"], [{"tier": "free"}])
            with self.assertRaises(k3.K3Error) as cm:
                db.call("TableService.Query", {"bucket": "kb-sql", "sql": "DELETE FROM events"})
            self.assertEqual(cm.exception.code_name, "INVALID_ARGUMENT")
            count = db.call("TableService.Query", {"bucket": "kb-sql",
                                                   "sql": "SELECT COUNT(*) AS n FROM events"})
            self.assertEqual(count["rows"], [{"n": "3"}])

    def test_pipeline_and_text_search_through_k3_call(self):
        with k3.Db(self.path) as db:
            db.call("StorageService.CreateBucket", {"name": "kb-pipe"})
            pipe = db.call("PipelineService.CreatePipeline", {
                "bucket": "kb-pipe", "name": "embed", "scriptumTemplate": "text_embedding_index",
                "options": {"chunk_size": 200}, "storeEntityId": "docs"})
            self.assertEqual(pipe["storeEntityKind"], "vector")
            docs = {"refunds.txt": "You can return any kettle within 30 days for a refund.",
                    "shipping.txt": "Parcels ship from Lyon and arrive in three working days."}
            for key, text in docs.items():
                db.put_object("kb-pipe", key, text.encode(), content_type="text/plain")
                run = db.call("PipelineService.RunPipeline",
                              {"bucket": "kb-pipe", "pipelineId": pipe["pipelineId"], "key": key})
                self.assertEqual(run["chunksCreated"], "1")
            hits = db.call("VectorService.Search", {"bucket": "kb-pipe", "collectionName": "docs",
                                                    "text": "when will my parcel arrive",
                                                    "topK": 1})
            self.assertEqual(hits["hits"][0]["id"], "shipping.txt#0")
            with self.assertRaises(k3.K3Error) as cm:
                db.call("PipelineService.CreatePipeline", {
                    "bucket": "kb-pipe", "name": "bad", "templateId": "text_embedding_index",
                    "options": {"chunk_size": "huge"}})
            self.assertEqual(cm.exception.code_name, "INVALID_ARGUMENT")
            self.assertIn("chunk_size", str(cm.exception))

    def test_errors_are_k3_errors(self):
        with k3.Db(self.path) as db:
            db.call("StorageService.CreateBucket", {"name": "kb-err"})

            def code_of(fn, *args):
                with self.assertRaises(k3.K3Error) as cm:
                    fn(*args)
                self.assertTrue(cm.exception.message)
                self.assertEqual(cm.exception.code, getattr(k3, cm.exception.code_name))
                return cm.exception.code_name

            self.assertEqual(code_of(db.call, "StorageService.NoSuchMethod", {}), "UNIMPLEMENTED")
            self.assertEqual(code_of(db.call, "StorageService.CreateBucket", "{not json"),
                             "INVALID_ARGUMENT")
            self.assertEqual(code_of(db.call, "StorageService.CreateBucket", {"name": 5}),
                             "INVALID_ARGUMENT")
            self.assertEqual(code_of(db.call, "StorageService.CreateBucket", {"name": "kb-err"}),
                             "ALREADY_EXISTS")
            self.assertEqual(code_of(db.call, "StorageService.GetBucket", {"name": "nope-x"}),
                             "NOT_FOUND")
            self.assertEqual(code_of(db.get_object, "kb-err", "missing"), "NOT_FOUND")
            self.assertEqual(code_of(db.put_object, "nope-x", "k", b"x"), "NOT_FOUND")
            self.assertEqual(code_of(db.put_object, "kb-err", "", b"x"), "INVALID_ARGUMENT")
            db.put_object("kb-err", "k", b"abc")
            self.assertEqual(code_of(db.get_object_range, "kb-err", "k", 3, 9), "OUT_OF_RANGE")
            self.assertEqual(code_of(db.get_object_range, "kb-err", "k", 2, 1), "INVALID_ARGUMENT")

            # Python-side misuse is refused before k3 is called.
            with self.assertRaises(ValueError):
                db.put_object("kb-err", "a\0b", b"x")  # C strings end at NUL
            with self.assertRaises(TypeError):
                db.put_object("kb-err", "k", 5)
            with self.assertRaises(TypeError):
                db.get_object("kb-err", None)
            # Integers that do not fit the C parameter are refused, never wrapped around
            # (ctypes would pass top_k=2**32+5 as 5 and first=2**64 as 0).
            for bad in (2**31, 2**32 + 5, -2**31 - 1):
                with self.assertRaises(ValueError):
                    db.search_vector("kb-err", "c", [1.0, 0.0], top_k=bad)
            with self.assertRaises(ValueError):
                db.get_object_range("kb-err", "k", 2**64)
            with self.assertRaises(ValueError):
                db.get_object_range("kb-err", "k", -1)
            with self.assertRaises(ValueError):
                db.wait_idle("kb-err", timeout_ms=2**63)
            with self.assertRaises(ValueError):
                db.register_embedder("wide", 2**32 + 8, lambda texts: [])
            self.assertEqual(db.get_object("kb-err", "k"), b"abc")

            # A second open of the same directory is refused while this one is open.
            self.assertEqual(code_of(k3.Db, self.path), "FAILED_PRECONDITION")

    def test_missing_directory_without_create(self):
        with self.assertRaises(k3.K3Error) as cm:
            k3.Db(os.path.join(self.dir, "missing"), create_if_missing=False)
        self.assertEqual(cm.exception.code_name, "NOT_FOUND")
        self.assertEqual(cm.exception.code, k3.NOT_FOUND)

    def test_close_and_double_close(self):
        db = k3.Db(self.path, worker_threads=1, block_cache_bytes=8 << 20)
        self.assertFalse(db.closed)
        db.call("StorageService.CreateBucket", {"name": "kb-close"})
        db.close()
        self.assertTrue(db.closed)
        db.close()  # harmless
        self.assertTrue(db.closed)
        # A closed handle is NULL to the C API: INVALID_ARGUMENT, not a crash.
        with self.assertRaises(k3.K3Error) as cm:
            db.call("StorageService.ListBuckets", {})
        self.assertEqual(cm.exception.code_name, "INVALID_ARGUMENT")
        for fn, args in ((db.get_object, ("kb-close", "k")),
                         (db.put_object, ("kb-close", "k", b"x")),
                         (db.put_object_stream, ("kb-close", "k", [b"x"])),
                         (db.get_object_stream, ("kb-close", "k", print)),
                         (db.get_object_range, ("kb-close", "k", 0, 1)),
                         (db.delete_object, ("kb-close", "k")),
                         (db.upsert_vectors, ("kb-close", "c", ["a"], [[1.0]])),
                         (db.search_vector, ("kb-close", "c", [1.0])),
                         (db.search_text, ("kb-close", "c", "text")),
                         (db.query, ("kb-close", "SELECT 1")),
                         (db.query_all, ("kb-close", "SELECT 1")),
                         (db.register_embedder, ("e", 8, Embedder(8))),
                         (db.wait_job, ("kb-close", "job_x")),
                         (db.wait_idle, ("kb-close",))):
            with self.assertRaises(k3.K3Error) as cm:
                fn(*args)
            self.assertEqual(cm.exception.code_name, "INVALID_ARGUMENT", fn.__name__)
            self.assertIn("db is NULL", cm.exception.message)
        # Closed means unlocked.
        with k3.Db(self.path) as again:
            names = [b["name"] for b in again.call("StorageService.ListBuckets")["buckets"]]
            self.assertEqual(names, ["kb-close"])

    # ---- the typed data plane ----

    def jobs_of(self, db, bucket):
        """Every ingest job of the bucket, newest first (IngestService.ListIngestJobs)."""
        jobs, request = [], {"bucket": bucket, "pageSize": 100}
        while True:
            page = db.call("IngestService.ListIngestJobs", request)
            jobs.extend(page["jobs"])
            if not page["pagination"].get("nextPageToken"):
                return jobs
            request["pageToken"] = page["pagination"]["nextPageToken"]

    def set_up_ingest(self, db, bucket, embedder_name):
        """A text_embedding_index pipeline embedding with `embedder_name` into collection docs,
        fired by docs/**, and a csv_table pipeline into table scores, fired by tables/*.csv."""
        db.call("StorageService.CreateBucket", {"name": bucket})
        docs = db.call("PipelineService.CreatePipeline", {
            "bucket": bucket, "name": "embed-docs", "templateId": "text_embedding_index",
            "options": {"embedder": embedder_name, "chunk_size": 400}, "storeEntityId": "docs"})
        self.assertEqual(docs["storeEntityKind"], "vector")
        self.assertEqual(docs["options"]["embedder"], embedder_name)
        db.call("IngestService.CreateRule", {
            "bucket": bucket, "pipelineId": docs["pipelineId"], "name": "docs-rule",
            "includePatterns": ["docs/**"], "includeMimeTypes": ["text/*"]})
        csv = db.call("PipelineService.CreatePipeline", {
            "bucket": bucket, "name": "load-scores", "templateId": "csv_table",
            "storeEntityId": "scores"})
        db.call("IngestService.CreateRule", {
            "bucket": bucket, "pipelineId": csv["pipelineId"], "name": "csv-rule",
            "includePatterns": ["tables/*.csv"]})

    DOCS = {
        "docs/kettle.md": ("text/markdown", "You can return a kettle within 30 days for a refund."),
        "docs/care.txt": ("text/plain", "Kettle care: return the kettle to its base after use."),
        "docs/shipping.txt": ("text/plain",
                              "Parcels ship from Lyon and arrive in three working days."),
    }
    QUESTION = "how many days do I have to return a kettle for a refund"
    CSV = "id,score,name,ok,note\n1,1.5,ann,true,\n2,2.25,bob,false,late\n3,-0.5,cy,true,\n"

    def test_python_embedder_end_to_end(self):
        emb = Embedder(64)
        with k3.Db(self.path, worker_threads=2) as db:
            db.register_embedder("bow64", 64, emb)
            self.set_up_ingest(db, "kb-e2e", "bow64")
            for key, (content_type, text) in self.DOCS.items():
                db.put_object("kb-e2e", key, text, content_type=content_type)
            db.put_object("kb-e2e", "tables/scores.csv", self.CSV, content_type="text/csv")
            db.wait_idle("kb-e2e", DEADLINE_MS)

            jobs = self.jobs_of(db, "kb-e2e")
            self.assertEqual(sorted(j["object"]["key"] for j in jobs),
                             sorted(list(self.DOCS) + ["tables/scores.csv"]))
            for j in jobs:
                status, job = db.wait_job("kb-e2e", j["jobId"], DEADLINE_MS)
                self.assertEqual(status, "COMPLETED", job["errorMessage"])
                self.assertEqual(job["jobId"], j["jobId"])
                self.assertEqual(job["status"], "INGEST_STATUS_COMPLETED")
                if job["pipelineName"] == "embed-docs":
                    self.assertEqual(job["chunksCreated"], 1)
                else:
                    self.assertEqual(job["rowsWritten"], 3)
            # The documents went through the Python embedder, on k3's threads.
            self.assertEqual(sorted(emb.texts), sorted(text for _, text in self.DOCS.values()))
            self.assertNotIn(threading.get_ident(), emb.threads)
            calls = emb.count()

            hits = db.search_text("kb-e2e", "docs", self.QUESTION, top_k=3)
            self.assertEqual([h.object_key for h in hits],
                             ["docs/kettle.md", "docs/care.txt", "docs/shipping.txt"])
            best = hits[0]
            self.assertEqual(best.id, "docs/kettle.md#0")
            self.assertEqual(best.collection, "docs")
            self.assertEqual(best.text, self.DOCS["docs/kettle.md"][1])
            self.assertEqual(best.metadata["content_type"], "text/markdown")
            self.assertEqual(best.metadata["key"], "docs/kettle.md")
            self.assertGreater(best.score, hits[1].score)
            self.assertEqual(emb.count(), calls + 1)  # the question was embedded by it too
            # The filter leaves out the best document.
            hits = db.search_text("kb-e2e", "docs", self.QUESTION, top_k=3,
                                  filter={"field": "content_type", "op": "eq",
                                          "value": "text/plain"})
            self.assertEqual([h.object_key for h in hits], ["docs/care.txt", "docs/shipping.txt"])
            hits = db.search_text("kb-e2e", "docs", self.QUESTION,
                                  filter='{"field":"key","op":"prefix","value":"docs/ship"}')
            self.assertEqual([h.id for h in hits], ["docs/shipping.txt#0"])
            # The same vectors, searched by vector.
            hits = db.search_vector("kb-e2e", "docs", bag_of_words(self.QUESTION, 64), top_k=1)
            self.assertEqual([h.object_key for h in hits], ["docs/kettle.md"])
            # A pipeline-mode collection is written by its pipeline only.
            with self.assertRaises(k3.K3Error) as cm:
                db.upsert_vectors("kb-e2e", "docs", ["x"], [[1.0] * 64])
            self.assertEqual(cm.exception.code_name, "FAILED_PRECONDITION")

            # Searches from several Python threads at once, each embedding its question.
            calls = emb.count()
            results, errors = [], []

            def search():
                try:
                    for _ in range(5):
                        results.append(db.search_text("kb-e2e", "docs", self.QUESTION, 1)[0].id)
                except BaseException as e:  # noqa: B902 - reported below
                    errors.append(e)

            threads = [threading.Thread(target=search) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(DEADLINE_MS / 1000)
            self.assertEqual(errors, [])
            self.assertEqual(results, ["docs/kettle.md#0"] * 20)
            self.assertEqual(emb.count(), calls + 20)

            # The CSV, as typed rows, with parameters.
            with db.query("kb-e2e", "SELECT id, score, name, note, ok FROM scores "
                          "WHERE score > $1 AND name <> $2 ORDER BY id", [-1.0, "bob"]) as rows:
                self.assertEqual(rows.columns, ("id", "score", "name", "note", "ok"))
                self.assertEqual(rows.column_types, ("LONG", "DOUBLE", "STRING", "STRING",
                                                     "BOOLEAN"))
                got = list(rows)
            self.assertEqual(got, [(1, 1.5, "ann", None, True), (3, -0.5, "cy", None, True)])
            self.assertEqual([type(v) for v in got[0]], [int, float, str, type(None), bool])
            self.assertEqual(db.query_all("kb-e2e", "SELECT name, note FROM scores WHERE id = ?",
                                          [2]), [("bob", "late")])

        # Reopened, with the embedder registered before the directory opens.
        again = Embedder(64)
        with k3.Db(self.path, embedders={"bow64": (64, again)}) as db:
            hits = db.search_text("kb-e2e", "docs", self.QUESTION, top_k=1)
            self.assertEqual([h.object_key for h in hits], ["docs/kettle.md"])
            self.assertEqual(again.count(), 1)
            self.assertEqual(db.query_all("kb-e2e", "SELECT count(*), sum(score) FROM scores"),
                             [(3, 3.25)])
            self.assertEqual(db.get_object("kb-e2e", "docs/care.txt").decode(),
                             self.DOCS["docs/care.txt"][1])
            self.assertEqual(len(self.jobs_of(db, "kb-e2e")), 4)

    def test_pending_job_finds_the_embedder_registered_in_the_options(self):
        # The first session's embedder fails transiently (INTERNAL: the job is retried after
        # the backoff); the directory closes before the retry, with the job PENDING.
        flaky = Embedder(16, fail=RuntimeError("warming up"))
        with k3.Db(self.path, ingest_max_attempts=3, ingest_retry_backoff_ms=2000) as db:
            db.register_embedder("bow16", 16, flaky)
            self.set_up_ingest(db, "kb-pend", "bow16")
            db.put_object("kb-pend", "docs/a.txt", "a kettle", content_type="text/plain")
            self.assertTrue(flaky.entered.wait(DEADLINE_MS / 1000))
            [job] = self.jobs_of(db, "kb-pend")
            with self.assertRaises(k3.K3Error) as cm:
                db.wait_job("kb-pend", job["jobId"], 10)
            self.assertEqual(cm.exception.code_name, "DEADLINE_EXCEEDED")
        self.assertEqual(flaky.count(), 1)
        # Reopened with a working embedder of the same name, given as an option: the pending
        # job runs with it.
        good = Embedder(16)
        with k3.Db(self.path, embedders={"bow16": (16, good)}) as db:
            status, done = db.wait_job("kb-pend", job["jobId"], DEADLINE_MS)
            self.assertEqual(status, "COMPLETED", done["errorMessage"])
            self.assertEqual(done["attempts"], 2)
            self.assertEqual(good.texts, ["a kettle"])
            hits = db.search_text("kb-pend", "docs", "kettle", top_k=1)
            self.assertEqual([h.object_key for h in hits], ["docs/a.txt"])
        self.assertEqual(flaky.count(), 1)

    def test_wait_job_deadline_then_done(self):
        gate = threading.Event()
        emb = Embedder(8, gate=gate)
        with k3.Db(self.path) as db:
            db.register_embedder("gated", 8, emb)
            self.set_up_ingest(db, "kb-wait", "gated")
            db.put_object("kb-wait", "docs/held.txt", "held at the gate", content_type="text/plain")
            try:
                self.assertTrue(emb.entered.wait(DEADLINE_MS / 1000))
                [job] = self.jobs_of(db, "kb-wait")
                self.assertEqual(job["status"], "INGEST_STATUS_PROCESSING")
                with self.assertRaises(k3.K3Error) as cm:
                    db.wait_job("kb-wait", job["jobId"], 20)
                self.assertEqual(cm.exception.code_name, "DEADLINE_EXCEEDED")
                with self.assertRaises(k3.K3Error) as cm:
                    db.wait_idle("kb-wait", 0)
                self.assertEqual(cm.exception.code_name, "DEADLINE_EXCEEDED")
            finally:
                gate.set()
            status, done = db.wait_job("kb-wait", job["jobId"])
            self.assertEqual((status, done["chunksCreated"]), ("COMPLETED", 1))
            self.assertEqual(db.wait_job("kb-wait", job["jobId"], 0)[0], "COMPLETED")
            db.wait_idle("kb-wait")
            with self.assertRaises(k3.K3Error) as cm:
                db.wait_job("kb-wait", "job_nope", 0)
            self.assertEqual(cm.exception.code_name, "NOT_FOUND")
            with self.assertRaises(k3.K3Error) as cm:
                db.wait_idle("kb-nope", 0)
            self.assertEqual(cm.exception.code_name, "NOT_FOUND")

    def test_failing_embedders(self):
        raising = Embedder(8, fail=Boom("model offline"))
        with k3.Db(self.path, ingest_max_attempts=1) as db:
            db.register_embedder("raising", 8, raising)
            db.register_embedder("short", 8, lambda texts: [[1.0, 2.0] for _ in texts])
            db.register_embedder("few", 8, lambda texts: [])
            db.register_embedder("strings", 8, lambda texts: [["x"] * 8 for _ in texts])
            db.register_embedder("none", 8, lambda texts: None)
            self.set_up_ingest(db, "kb-fail", "raising")
            db.put_object("kb-fail", "docs/a.txt", "anything", content_type="text/plain")
            db.wait_idle("kb-fail", DEADLINE_MS)
            [job] = self.jobs_of(db, "kb-fail")
            status, job = db.wait_job("kb-fail", job["jobId"], 0)
            self.assertEqual(status, "FAILED")
            self.assertEqual(job["status"], "INGEST_STATUS_FAILED")
            self.assertIn("Boom: model offline", job["errorMessage"])
            self.assertEqual(job["attempts"], 1)

            db.call("VectorService.ConfigureEngine", {"bucket": "kb-fail"})
            expected = {"raising": ("INTERNAL", "Boom: model offline"),
                        "short": ("INVALID_ARGUMENT", "vector 0 has 2 floats, not 8"),
                        "few": ("INVALID_ARGUMENT", "returned 0 vectors for 1 texts"),
                        "strings": ("INVALID_ARGUMENT", "vector 0"),
                        "none": ("INVALID_ARGUMENT", "NoneType")}
            for name, (code, text) in expected.items():
                db.call("VectorService.CreateCollection", {
                    "bucket": "kb-fail", "name": "by-" + name, "dimensions": 8,
                    "embedModel": name})
                with self.assertRaises(k3.K3Error) as cm:
                    db.search_text("kb-fail", "by-" + name, "a question")
                self.assertEqual(cm.exception.code_name, code, name)
                self.assertIn(text, cm.exception.message)
                self.assertIn('embedder "%s" failed' % name, cm.exception.message)
            # Nothing was left broken.
            db.put_object("kb-fail", "k", b"still fine")
            self.assertEqual(db.get_object("kb-fail", "k"), b"still fine")

    def test_register_embedder_misuse(self):
        with k3.Db(self.path) as db:
            kept = len(k3._callbacks)
            for name, dims in (("hash", 8), ("", 8), ("bad-dims", 0), ("too-big", 9000)):
                with self.assertRaises(k3.K3Error) as cm:
                    db.register_embedder(name, dims, Embedder(8))
                self.assertEqual(cm.exception.code_name, "INVALID_ARGUMENT", name)
            # k3 released each refused embedder: nothing of them is kept.
            self.assertEqual(len(k3._callbacks), kept)
            with self.assertRaises(TypeError):
                db.register_embedder("e", "8", Embedder(8))
            with self.assertRaises(TypeError):
                db.register_embedder("e", 8, "not callable")
            with self.assertRaises(TypeError):
                db.register_embedder(7, 8, Embedder(8))
            db.register_embedder("e", 8, Embedder(8))
            db.register_embedder("e", 8, Embedder(8))  # replaces, and releases, the first
            self.assertEqual(len(k3._callbacks), kept + 1)
        self.assertEqual(len(k3._callbacks), kept)  # closing released the last one
        with self.assertRaises(k3.K3Error) as cm:
            k3.Db(os.path.join(self.dir, "other"), embedders={"hash": (8, Embedder(8))})
        self.assertEqual(cm.exception.code_name, "INVALID_ARGUMENT")
        with self.assertRaises(k3.K3Error) as cm:
            k3.Db(os.path.join(self.dir, "other"), embedders={"e": (0, Embedder(8))})
        self.assertEqual(cm.exception.code_name, "INVALID_ARGUMENT")
        self.assertEqual(len(k3._callbacks), kept)

    def test_object_streams(self):
        big = bytes(range(256)) * (12 << 10)  # 3 MiB: several reads and writes
        with k3.Db(self.path) as db:
            db.call("StorageService.CreateBucket", {"name": "kb-stream"})
            etag = db.put_object_stream("kb-stream", "big.bin", io.BytesIO(big),
                                        content_type="application/x-test")
            self.assertEqual(etag, hashlib.md5(big).hexdigest())
            chunks = []
            self.assertEqual(db.get_object_stream("kb-stream", "big.bin", chunks.append),
                             len(big))
            self.assertGreater(len(chunks), 1)
            self.assertEqual(b"".join(chunks), big)
            info = db.call("StorageService.HeadObject", {"bucket": "kb-stream", "key": "big.bin"})
            self.assertEqual(info["contentType"], "application/x-test")

            # An iterable of chunks of any size (empty ones are skipped, large ones split).
            parts = [b"ab", b"", bytearray(b"cd"), memoryview(b"ef"), big]
            db.put_object_stream("kb-stream", "parts", iter(parts))
            self.assertEqual(db.get_object("kb-stream", "parts"), b"abcdef" + big)
            db.put_object_stream("kb-stream", "empty", [])
            self.assertEqual(db.get_object("kb-stream", "empty"), b"")
            out = io.BytesIO()  # a file's write(), whose int result continues the read
            self.assertEqual(db.get_object_stream("kb-stream", "parts", out.write), 6 + len(big))
            self.assertEqual(out.getvalue(), b"abcdef" + big)

            # write returning False stops the read.
            seen = []
            with self.assertRaises(k3.K3Error) as cm:
                db.get_object_stream("kb-stream", "big.bin",
                                     lambda c: seen.append(len(c)) or False)
            self.assertEqual(cm.exception.code_name, "CANCELLED")
            self.assertEqual(len(seen), 1)

    def test_stream_callback_errors(self):
        def failing_reader():
            yield b"partial data"
            raise Boom("reader broke")

        with k3.Db(self.path) as db:
            db.call("StorageService.CreateBucket", {"name": "kb-stream"})
            with self.assertRaises(Boom) as cm:
                db.put_object_stream("kb-stream", "new", failing_reader())
            self.assertEqual(str(cm.exception), "reader broke")
            with self.assertRaises(k3.K3Error) as cm:
                db.get_object("kb-stream", "new")  # nothing was written
            self.assertEqual(cm.exception.code_name, "NOT_FOUND")
            db.put_object("kb-stream", "old", b"old bytes")
            with self.assertRaises(Boom):
                db.put_object_stream("kb-stream", "old", failing_reader())
            self.assertEqual(db.get_object("kb-stream", "old"), b"old bytes")

            class BrokenFile:
                def read(self, n):
                    raise OSError("disk gone")

            with self.assertRaises(OSError):
                db.put_object_stream("kb-stream", "new", BrokenFile())
            with self.assertRaises(TypeError):
                db.put_object_stream("kb-stream", "new", ["text, not bytes"])
            with self.assertRaises(TypeError):
                db.put_object_stream("kb-stream", "new", io.StringIO("text mode"))
            with self.assertRaises(TypeError):
                db.put_object_stream("kb-stream", "new", 42)
            self.assertEqual(self.keys(db, "kb-stream"), ["old"])

            def failing_writer(chunk):
                raise Boom("writer broke")

            with self.assertRaises(Boom):
                db.get_object_stream("kb-stream", "old", failing_writer)
            # The reader is not called for a bucket that does not exist.
            with self.assertRaises(k3.K3Error) as cm:
                db.put_object_stream("kb-nope", "k", failing_reader())
            self.assertEqual(cm.exception.code_name, "NOT_FOUND")
            with self.assertRaises(k3.K3Error) as cm:
                db.get_object_stream("kb-stream", "missing", failing_writer)
            self.assertEqual(cm.exception.code_name, "NOT_FOUND")

    def keys(self, db, bucket):
        listing = db.call("StorageService.ListObjects", {"bucket": bucket, "prefix": ""})
        return [o["key"] for o in listing["objects"]]

    def test_vectors(self):
        with k3.Db(self.path) as db:
            db.call("StorageService.CreateBucket", {"name": "kb-vec"})
            db.call("VectorService.ConfigureEngine", {"bucket": "kb-vec"})
            db.call("VectorService.CreateCollection", {"bucket": "kb-vec", "name": "faq",
                                                       "dimensions": 4})
            written = db.upsert_vectors(
                "kb-vec", "faq", ["a", "b", "c"],
                [[1, 0, 0, 0], (0.0, 1.0, 0.0, 0.0), [0.0, 0.0, 1.0, 0.1]],
                metadata=[{"lang": "en", "year": 2024}, None, '{"lang":"fr"}'],
                texts=["alpha", None, "gamma"])
            self.assertEqual(written, 3)
            self.assertEqual(db.upsert_vectors("kb-vec", "faq", [], []), 0)
            hits = db.search_vector("kb-vec", "faq", [0.9, 0.1, 0, 0], top_k=2)
            self.assertEqual([h.id for h in hits], ["a", "b"])
            a = hits[0]
            self.assertEqual((a.collection, a.text, a.object_key), ("faq", "alpha", ""))
            self.assertEqual(a.metadata, {"lang": "en", "year": 2024})
            self.assertAlmostEqual(a.score, 0.9 / (0.82 ** 0.5), places=5)
            self.assertEqual((hits[1].text, hits[1].metadata), (None, {}))
            hits = db.search_vector("kb-vec", None, [0.9, 0.1, 0, 0],
                                    filter={"field": "lang", "op": "eq", "value": "fr"})
            self.assertEqual([h.id for h in hits], ["c"])
            # Replacing by id.
            db.upsert_vectors("kb-vec", "faq", ["c"], [[1, 0, 0, 0]])
            self.assertEqual(len(db.search_vector("kb-vec", "faq", [1, 0, 0, 0], 3)), 3)
            self.assertEqual(db.call("VectorService.GetCollection", {
                "bucket": "kb-vec", "collectionName": "faq"})["vectorCount"], "3")

            def code_of(fn, *args, **kwargs):
                with self.assertRaises(k3.K3Error) as cm:
                    fn(*args, **kwargs)
                return cm.exception.code_name

            self.assertEqual(code_of(db.search_vector, "kb-vec", "faq", [1, 0, 0]),
                             "INVALID_ARGUMENT")
            self.assertEqual(code_of(db.search_vector, "kb-vec", "faq", [1, 0, 0, 0], 0),
                             "INVALID_ARGUMENT")
            self.assertEqual(code_of(db.search_vector, "kb-vec", "faq", [1, 0, 0, 0],
                                     filter={"field": "lang", "op": "nope"}), "INVALID_ARGUMENT")
            self.assertEqual(code_of(db.search_vector, "kb-vec", "nope", [1, 0, 0, 0]),
                             "NOT_FOUND")
            self.assertEqual(code_of(db.search_vector, "kb-nope", "faq", [1, 0, 0, 0]),
                             "NOT_FOUND")
            self.assertEqual(code_of(db.upsert_vectors, "kb-vec", "faq", ["d"], [[1, 2, 3]]),
                             "INVALID_ARGUMENT")
            self.assertEqual(code_of(db.upsert_vectors, "kb-vec", "faq", ["d"], [[1, 2, 3, 4]],
                                     metadata=["{not json"]), "INVALID_ARGUMENT")
            self.assertEqual(code_of(db.upsert_vectors, "kb-vec", "faq", ["d", "d"],
                                     [[1, 2, 3, 4], [1, 2, 3, 4]]), "INVALID_ARGUMENT")
            self.assertEqual(code_of(db.search_text, "kb-vec", "faq", "no embedder"),
                             "FAILED_PRECONDITION")
            # Python-side misuse, refused before k3 is called.
            with self.assertRaises(TypeError):
                db.search_vector("kb-vec", "faq", "1234")
            with self.assertRaises(TypeError):
                db.search_vector("kb-vec", "faq", [1, "0", 0, 0])
            with self.assertRaises(TypeError):
                db.search_vector("kb-vec", "faq", 5)
            with self.assertRaises(TypeError):
                db.search_vector("kb-vec", "faq", [1, 0, 0, 0], top_k="3")
            with self.assertRaises(ValueError):
                db.search_vector("kb-vec", "faq", [])
            with self.assertRaises(ValueError):
                db.upsert_vectors("kb-vec", "faq", ["d", "e"], [[1, 2, 3, 4]])
            with self.assertRaises(ValueError):
                db.upsert_vectors("kb-vec", "faq", ["d", "e"], [[1, 2, 3, 4], [1, 2, 3]])
            with self.assertRaises(ValueError):
                db.upsert_vectors("kb-vec", "faq", ["d"], [[1, 2, 3, 4]], texts=[])
            with self.assertRaises(TypeError):
                db.upsert_vectors("kb-vec", "faq", [4], [[1, 2, 3, 4]])
            self.assertEqual(len(db.search_vector("kb-vec", "faq", [1, 0, 0, 0], 10)), 3)

    def test_query_cursor(self):
        with k3.Db(self.path) as db:
            db.call("StorageService.CreateBucket", {"name": "kb-sql"})
            db.call("TableService.ConfigureEngine", {"bucket": "kb-sql"})
            db.call("TableService.CreateTable", {
                "bucket": "kb-sql", "name": "t",
                "columns": [{"name": "id", "type": "LONG", "nullable": False},
                            {"name": "x", "type": "DOUBLE"}, {"name": "s", "type": "STRING"},
                            {"name": "b", "type": "BOOLEAN"}, {"name": "raw", "type": "BINARY"},
                            {"name": "j", "type": "JSON"}, {"name": "at", "type": "TIMESTAMP"}],
                "merge_keys": ["id"]})
            db.call("TableService.InsertRows", {"bucket": "kb-sql", "tableName": "t", "rows": [
                {"id": i, "x": i / 4, "s": "row %d" % i, "b": i % 2 == 0,
                 "j": {"n": i}, "at": "2026-01-0%dT10:00:00Z" % i} for i in range(1, 6)]})

            with db.query("kb-sql", "SELECT * FROM t ORDER BY id") as rows:
                self.assertEqual(rows.columns, ("id", "x", "s", "b", "raw", "j", "at"))
                self.assertEqual(rows.column_types, ("LONG", "DOUBLE", "STRING", "BOOLEAN",
                                                     "BINARY", "JSON", "TIMESTAMP"))
                first = next(rows)
            self.assertTrue(rows.closed)  # left early: released
            self.assertEqual(first, (1, 0.25, "row 1", False, None, '{"n":1}',
                                     "2026-01-01T10:00:00Z"))
            self.assertEqual([type(v) for v in first],
                             [int, float, str, bool, type(None), str, str])
            self.assertEqual(list(rows), [])

            # Each Python type as a parameter, and each back as a value.
            row = db.query_all("kb-sql", "SELECT $1, $2, $3, $4, $5, $6, typeof($6)",
                               [None, True, 7, 2.5, "text", b"\x00\xffbytes"])
            self.assertEqual(row, [(None, 1, 7, 2.5, "text", b"\x00\xffbytes", "blob")])
            self.assertEqual([type(v) for v in row[0]],
                             [type(None), int, int, float, str, bytes, str])
            self.assertEqual(db.query_all("kb-sql", "SELECT count(*) FROM t WHERE b = $1",
                                          [True]), [(2,)])
            self.assertEqual(db.query_all("kb-sql", "SELECT $1 + 1", [2**62]), [(2**62 + 1,)])

            # Read to the end: released without a with block.
            rows = db.query("kb-sql", "SELECT id FROM t WHERE id > ? ORDER BY id", (2,))
            self.assertEqual([r for r in rows], [(3,), (4,), (5,)])
            self.assertTrue(rows.closed)
            # An expression column's type is known once a value shows it.
            rows = db.query("kb-sql", "SELECT CASE WHEN id > 1 THEN id * 1.5 END AS e FROM t "
                            "ORDER BY id")
            self.assertEqual(rows.column_types, ("STRING",))
            self.assertEqual(list(rows), [(None,), (3.0,), (4.5,), (6.0,), (7.5,)])
            self.assertEqual(rows.column_types, ("DOUBLE",))
            # Rows left open by a break are released when dropped.
            for _ in db.query("kb-sql", "SELECT id FROM t"):
                break
            # A query running when its Db closes ends with FAILED_PRECONDITION, no crash.
            open_rows = db.query("kb-sql", "SELECT id FROM t ORDER BY id")
            self.assertEqual(next(open_rows), (1,))

            def code_of(sql, params=None, bucket="kb-sql"):
                with self.assertRaises(k3.K3Error) as cm:
                    db.query_all(bucket, sql, params)
                self.assertTrue(cm.exception.message)
                return cm.exception.code_name

            self.assertEqual(code_of("SELEC nothing"), "INVALID_ARGUMENT")
            self.assertEqual(code_of("DELETE FROM t"), "INVALID_ARGUMENT")
            self.assertEqual(code_of("SELECT 1; SELECT 2"), "INVALID_ARGUMENT")
            self.assertEqual(code_of("SELECT nope FROM t"), "INVALID_ARGUMENT")
            self.assertEqual(code_of("SELECT $1, $2", [1]), "INVALID_ARGUMENT")
            self.assertEqual(code_of("SELECT * FROM missing"), "NOT_FOUND")
            self.assertEqual(code_of("SELECT 1", bucket="kb-nope"), "NOT_FOUND")
            self.assertEqual(code_of("SELECT * FROM sqlite_master"), "PERMISSION_DENIED")
            with self.assertRaises(TypeError):
                db.query("kb-sql", "SELECT $1", [object()])
            with self.assertRaises(TypeError):
                db.query("kb-sql", "SELECT $1", 1)
        with self.assertRaises(k3.K3Error) as cm:
            next(open_rows)
        self.assertEqual(cm.exception.code_name, "FAILED_PRECONDITION")
        self.assertTrue(open_rows.closed)
        self.assertEqual(open_rows.columns, ("id",))

    def test_options(self):
        key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
        lines = []
        kept = len(k3._callbacks)
        options = dict(sync_writes=True, block_cache_bytes=8 << 20, worker_threads=1,
                       write_buffer_bytes=4 << 20, ingest_max_attempts=2,
                       ingest_retry_backoff_ms=10, table_history_versions=0, master_key=key,
                       log_level="ERROR", log=lambda level, msg: lines.append((level, msg)))
        with k3.Db(self.path, **options) as db:
            self.assertEqual(len(k3._callbacks), kept + 1)  # the log sink, while open
            db.call("StorageService.CreateBucket", {"name": "kb-opt"})
        self.assertEqual(len(k3._callbacks), kept)
        self.assertEqual(lines, [])  # nothing at ERROR on a healthy run
        with k3.Db(self.path, master_key=key, log_level=0) as db:
            self.assertEqual(db.call("StorageService.GetBucket", {"name": "kb-opt"})["name"],
                             "kb-opt")

        def code_of(**kwargs):
            with self.assertRaises(k3.K3Error) as cm:
                k3.Db(os.path.join(self.dir, "other"), **kwargs)
            return cm.exception.code_name

        self.assertEqual(code_of(ingest_max_attempts=0), "INVALID_ARGUMENT")
        self.assertEqual(code_of(write_buffer_bytes=0), "INVALID_ARGUMENT")
        self.assertEqual(code_of(worker_threads=-1), "INVALID_ARGUMENT")
        self.assertEqual(code_of(ingest_retry_backoff_ms=-5), "INVALID_ARGUMENT")
        self.assertEqual(code_of(log_level=9), "INVALID_ARGUMENT")
        self.assertEqual(code_of(master_key="not a key"), "INVALID_ARGUMENT")
        self.assertEqual(code_of(log=print, log_level=-1), "INVALID_ARGUMENT")
        self.assertEqual(len(k3._callbacks), kept)  # a refused log sink is not kept
        with self.assertRaises(TypeError):
            k3.Db(self.path, worker_threads="2")
        with self.assertRaises(TypeError):
            k3.Db(self.path, log="stderr")
        with self.assertRaises(ValueError):
            k3.Db(self.path, log_level="LOUD")
        with self.assertRaises(ValueError):
            k3.Db(self.path, block_cache_bytes=-1)
        with self.assertRaises(ValueError):
            k3.Db(self.path, table_history_versions=2**32)
        with self.assertRaises(ValueError):
            k3.Db(self.path, worker_threads=2**32 + 2)
        with self.assertRaises(ValueError):
            k3.Db(self.path, ingest_retry_backoff_ms=2**64 + 5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
