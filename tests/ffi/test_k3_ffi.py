"""tests/ffi/test_k3_ffi.py: k3 end to end from Python through ctypes (examples/python/k3.py).

Run by ctest as `ffi_python` with K3_LIB set to the built libk3.so; by hand:
    K3_LIB=build/libk3.so python3 tests/ffi/test_k3_ffi.py
"""

import os
import shutil
import sys
import tempfile
import unittest

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(_HERE)), "examples", "python"))

import k3  # noqa: E402


class K3FfiTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="k3-ffi-test.")
        self.path = os.path.join(self.dir, "data")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_version_and_methods(self):
        self.assertEqual(k3.version(), "0.2.0")
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
        with self.assertRaises(k3.K3Error) as cm:
            db.get_object("kb-close", "k")
        self.assertEqual(cm.exception.code_name, "INVALID_ARGUMENT")
        # Closed means unlocked.
        with k3.Db(self.path) as again:
            names = [b["name"] for b in again.call("StorageService.ListBuckets")["buckets"]]
            self.assertEqual(names, ["kb-close"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
