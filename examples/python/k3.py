"""k3.py: a small ctypes binding of k3's C ABI (include/k3/k3.h), standard library only.

    import k3
    with k3.Db("./k3-data") as db:
        db.call("StorageService.CreateBucket", {"name": "kb-py"})
        db.put_object("kb-py", "hello.txt", b"hello", content_type="text/plain")
        print(db.get_object("kb-py", "hello.txt"))
        for row in db.query_all("kb-py", "SELECT kind, count(*) FROM events GROUP BY kind"):
            print(row)

Every failure of k3 is raised as K3Error, whose .code is the C status code (the gRPC code),
.code_name its name ("NOT_FOUND") and .message k3's text. Misuse on the Python side (a str
where numbers are needed, lists of different lengths) is TypeError or ValueError, raised
before k3 is called. An exception raised by a Python callback (a stream's reader or writer)
stops the transfer and is re-raised by the call that started it. k3's buffers, handles and
callbacks are owned here: nothing needs freeing by the caller.

The library is found through the K3_LIB environment variable (the path of libk3.so), else in
build/ of the repository holding this file, else on the system's library path.

Thread-safety: a Db may be used from several threads at once, as the C handle may; close()
must not run while other calls on the same Db are running. Rows (a query's cursor) is for one
thread at a time. Embedders and log callbacks are called from k3's threads, several at once.
"""

import atexit
import base64
import ctypes
import ctypes.util
import itertools
import json
import os
import weakref
from typing import NamedTuple, Optional

__all__ = ["K3Error", "Db", "Hit", "Rows", "methods", "version", "version_number",
           "status_name", "load_library"]

# Status codes: the gRPC canonical codes (k3.h's K3_*).
OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16

# k3.h's K3_LOG_*, K3_JOB_* and K3_COLUMN_* values, by name.
LOG_LEVELS = {"DEBUG": 0, "INFO": 1, "WARNING": 2, "ERROR": 3}
_LOG_NAMES = {v: k for k, v in LOG_LEVELS.items()}
JOB_STATUSES = ("UNSPECIFIED", "PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED")
COLUMN_TYPES = {1: "STRING", 2: "INT", 3: "LONG", 4: "SHORT", 5: "FLOAT", 6: "DOUBLE",
                7: "BOOLEAN", 8: "DATE", 9: "TIMESTAMP", 10: "BINARY", 11: "JSON"}
_VALUE_NULL, _VALUE_INT64, _VALUE_DOUBLE, _VALUE_TEXT, _VALUE_BLOB, _VALUE_BOOL = range(6)

_c_void_pp = ctypes.POINTER(ctypes.c_void_p)
_c_size_p = ctypes.POINTER(ctypes.c_size_t)
_c_int_p = ctypes.POINTER(ctypes.c_int)

# The callback types of k3.h (k3_read_fn, k3_write_fn, k3_embed_fn, k3_destroy_fn, log).
_READ_FN = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_WRITE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_EMBED_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, _c_void_pp, _c_size_p,
                             ctypes.c_size_t, ctypes.c_void_p, _c_void_pp)
_DESTROY_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t)


class K3Error(Exception):
    """A k3 call failed. .code is the status code, .code_name its name, .message the text."""

    def __init__(self, code, message):
        self.code = code
        self.code_name = status_name(code)
        self.message = message
        super().__init__("%s: %s" % (self.code_name, message))


class Hit(NamedTuple):
    """One search hit: metadata is a dict, text None when the vector has none."""
    id: str
    collection: str
    score: float
    object_key: str
    text: Optional[str]
    metadata: dict


def _candidate_paths():
    env = os.environ.get("K3_LIB")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    for build in ("build", "build-capi"):
        yield os.path.join(repo, build, "libk3.so")
    found = ctypes.util.find_library("k3")
    if found:
        yield found


_lib = None


def load_library():
    """Loads libk3 (once) and declares the C functions' signatures; returns the CDLL.
    Raises OSError when no libk3 can be loaded."""
    global _lib
    if _lib is not None:
        return _lib
    errors = []
    lib = None
    for path in _candidate_paths():
        try:
            lib = ctypes.CDLL(path)
            break
        except OSError as e:
            errors.append("%s: %s" % (path, e))
    if lib is None:
        raise OSError("cannot load libk3 (set K3_LIB to the path of libk3.so): " +
                      "; ".join(errors or ["no candidate found"]))

    def fn(name, restype, *argtypes):
        f = getattr(lib, name)
        f.restype = restype
        f.argtypes = list(argtypes)

    # Out-strings are declared as void* so that k3 keeps ownership until k3_free.
    p, i, u64, i64, sz = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_int64, \
        ctypes.c_size_t
    s, pp = ctypes.c_char_p, _c_void_pp
    fn("k3_version", s)
    fn("k3_version_number", i)
    fn("k3_status_str", s, i)
    fn("k3_free", None, p)
    fn("k3_malloc", p, sz)
    fn("k3_options_create", i, pp)
    fn("k3_options_destroy", None, pp)
    fn("k3_options_set_sync_writes", i, p, i)
    fn("k3_options_set_block_cache_bytes", i, p, u64)
    fn("k3_options_set_worker_threads", i, p, i)
    fn("k3_options_set_create_if_missing", i, p, i)
    fn("k3_options_set_log_callback", i, p, _LOG_FN, p, i)
    fn("k3_options_set_log_level", i, p, i)
    fn("k3_options_set_write_buffer_bytes", i, p, u64)
    fn("k3_options_set_ingest_max_attempts", i, p, i)
    fn("k3_options_set_ingest_retry_backoff_ms", i, p, i64)
    fn("k3_options_set_table_history_versions", i, p, ctypes.c_uint32)
    fn("k3_options_set_master_key", i, p, s)
    fn("k3_options_register_embedder", i, p, s, i, _EMBED_FN, p, _DESTROY_FN)
    fn("k3_open", i, s, p, pp, pp)
    fn("k3_close", None, pp)
    fn("k3_call", i, p, s, s, sz, pp, _c_size_p, pp)
    fn("k3_list_methods", i, pp, pp)
    fn("k3_put_object", i, p, s, s, s, sz, s, pp, pp)
    fn("k3_put_object_stream", i, p, s, s, _READ_FN, p, s, pp, pp)
    fn("k3_get_object", i, p, s, s, pp, _c_size_p, pp)
    fn("k3_get_object_range", i, p, s, s, u64, u64, pp, _c_size_p, pp)
    fn("k3_get_object_stream", i, p, s, s, _WRITE_FN, p, pp)
    fn("k3_delete_object", i, p, s, s, pp)
    fn("k3_upsert_vectors", i, p, s, s, sz, ctypes.POINTER(s), ctypes.POINTER(ctypes.c_float),
       sz, ctypes.POINTER(s), ctypes.POINTER(s), ctypes.POINTER(u64), pp)
    fn("k3_search_vector", i, p, s, s, ctypes.POINTER(ctypes.c_float), sz, i, s, pp, pp)
    fn("k3_search_text", i, p, s, s, s, sz, i, s, pp, pp)
    fn("k3_hits_count", sz, p)
    for name in ("id", "collection", "object_key", "text", "metadata_json"):
        fn("k3_hits_" + name, i, p, sz, pp, _c_size_p)
    fn("k3_hits_score", i, p, sz, ctypes.POINTER(ctypes.c_float))
    fn("k3_hits_destroy", None, pp)
    fn("k3_query", i, p, s, s, s, pp, pp)
    fn("k3_cursor_next", i, p, _c_int_p, pp)
    fn("k3_cursor_column_count", sz, p)
    fn("k3_cursor_column_name", i, p, sz, pp)
    fn("k3_cursor_column_type", i, p, sz, _c_int_p)
    fn("k3_cursor_value_type", i, p, sz, _c_int_p)
    fn("k3_cursor_get_int64", i, p, sz, ctypes.POINTER(i64))
    fn("k3_cursor_get_double", i, p, sz, ctypes.POINTER(ctypes.c_double))
    fn("k3_cursor_get_text", i, p, sz, pp, _c_size_p)
    fn("k3_cursor_get_blob", i, p, sz, pp, _c_size_p)
    fn("k3_cursor_destroy", None, pp)
    fn("k3_register_embedder", i, p, s, i, _EMBED_FN, p, _DESTROY_FN, pp)
    fn("k3_wait_job", i, p, s, s, i64, _c_int_p, pp, pp)
    fn("k3_wait_idle", i, p, s, i64, pp)
    _lib = lib
    return lib


def status_name(code):
    """"NOT_FOUND" for 5; "UNKNOWN" for a value that is not a status code."""
    return load_library().k3_status_str(code).decode()


def version():
    """The loaded library's version string, e.g. "0.2.0"."""
    return load_library().k3_version().decode()


def version_number():
    """The loaded library's version as MAJOR * 10000 + MINOR * 100 + PATCH."""
    return load_library().k3_version_number()


# ---- helpers: argument conversion and the one way C is called --------------------------------

class _Trap:
    """The first exception a Python callback raised, re-raised once the C call returns."""
    __slots__ = ("error",)

    def __init__(self):
        self.error = None


def _invoke(fn, *args, out=None, trap=None):
    """Calls fn(*args, [&out, [&len,]] &err) and frees what k3 allocated. out: None (no output),
    "str" (a NUL-terminated string) or "bytes" (a buffer and its length); returns its bytes.
    Raises the exception `trap` caught, else K3Error for a non-OK code."""
    lib = load_library()
    ptr, size, err = ctypes.c_void_p(), ctypes.c_size_t(), ctypes.c_void_p()
    outs = {None: (), "str": (ctypes.byref(ptr),),
            "bytes": (ctypes.byref(ptr), ctypes.byref(size))}[out]
    try:
        rc = fn(*args, *outs, ctypes.byref(err))
        if trap is not None and trap.error is not None:
            raise trap.error
        if rc != OK:
            message = ctypes.string_at(err.value).decode("utf-8", "replace") if err.value else ""
            raise K3Error(rc, message or status_name(rc))
        if out is None:
            return None
        if not ptr.value:
            return b""
        return ctypes.string_at(ptr.value, size.value if out == "bytes" else -1)
    finally:
        lib.k3_free(ptr.value)
        lib.k3_free(err.value)


def _ok(rc, what):
    """Raises K3Error(rc, what) for a function that has no message of its own."""
    if rc != OK:
        raise K3Error(rc, what)


def _bytes(s, what):
    """str (as UTF-8) or bytes -> bytes; TypeError for anything else."""
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode("utf-8")
    raise TypeError("%s must be str or bytes, not %s" % (what, type(s).__name__))


def _text(s, what, optional=False):
    """A C string argument: UTF-8 bytes without NUL (ValueError); None stays None when
    optional."""
    if s is None and optional:
        return None
    data = _bytes(s, what)
    if b"\0" in data:
        raise ValueError("%s must not contain NUL characters" % what)
    return data


# The C integer types of k3.h: (low, high) inclusive. ctypes would silently wrap a value
# outside them (top_k=2**32+5 would search with 5), so _int refuses it first.
INT32 = (-2**31, 2**31 - 1)
INT64 = (-2**63, 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)


def _int(v, what, c_range=INT32):
    """v as an argument of a C integer type: TypeError for a non-int (or a bool), ValueError
    outside c_range."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError("%s must be an int, not %s" % (what, type(v).__name__))
    if not c_range[0] <= v <= c_range[1]:
        raise ValueError("%s=%d is out of range (%d..%d)" % (what, v, c_range[0], c_range[1]))
    return v


def _floats(values, what):
    """A sequence of numbers -> a ctypes float array; TypeError for anything else."""
    if isinstance(values, (str, bytes, bytearray, dict)):
        raise TypeError("%s must be a sequence of numbers, not %s" % (what, type(values).__name__))
    try:
        seq = list(values)
        return (ctypes.c_float * len(seq))(*seq)
    except TypeError as e:
        raise TypeError("%s must be a sequence of numbers: %s" % (what, e)) from None


def _json_arg(v, what):
    """None -> NULL; a dict or list -> its JSON; str/bytes -> as they are (JSON text)."""
    if v is None:
        return None
    if isinstance(v, (dict, list)):
        return json.dumps(v).encode("utf-8")
    return _text(v, what)


def _param(v):
    """A Python value as one of k3_query's typed JSON parameters."""
    if v is None:
        return {"null": True}
    if isinstance(v, bool):
        return {"bool": v}
    if isinstance(v, int):
        return {"int64": str(v)}
    if isinstance(v, float):
        return {"double": v}
    if isinstance(v, str):
        return {"text": v}
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"blob": base64.b64encode(bytes(v)).decode("ascii")}
    raise TypeError("SQL parameter of type %s: use None, bool, int, float, str or bytes"
                    % type(v).__name__)


# ---- callbacks k3 keeps: embedders and log sinks ----------------------------------------------

# user_data token -> the Python object behind a callback k3 holds; dropped by _destroy_entry
# (embedders) or when the Db closes (log sinks). The trampolines below live as long as the module.
_callbacks = {}
_tokens = itertools.count(1)


def _keep(obj):
    token = next(_tokens)
    _callbacks[token] = obj
    return token


class _Embedder:
    __slots__ = ("name", "dims", "fn")

    def __init__(self, name, dims, fn):
        if not callable(fn):
            raise TypeError("embedder %r: fn must be callable" % (name,))
        self.name, self.dims, self.fn = name, _int(dims, "dims"), fn


def _embed_failure(errmsg_out, code, message):
    data = message.encode("utf-8", "replace")
    p = load_library().k3_malloc(len(data) + 1)
    if p:
        ctypes.memmove(p, data, len(data))
        ctypes.memset(p + len(data), 0, 1)
        errmsg_out[0] = p
    return code


def _embed_entry(user, texts, lens, count, out, errmsg_out):
    # Runs on k3's threads: no exception may leave it (ctypes would print it and return 0,
    # which k3 would take for success).
    try:
        return _embed_checked(user, texts, lens, count, out, errmsg_out)
    except BaseException:  # noqa: B902 - even describing the failure failed
        return INTERNAL


def _describe(e):
    try:
        return "%s: %s" % (type(e).__name__, e)
    except BaseException:  # noqa: B902 - an exception whose str() raises
        return type(e).__name__


def _embed_checked(user, texts, lens, count, out, errmsg_out):
    try:
        emb = _callbacks[user]
        batch = [ctypes.string_at(texts[i], lens[i]).decode("utf-8", "replace")
                 for i in range(count)]
        try:
            vectors = emb.fn(batch)
        except BaseException as e:  # noqa: B902 - reported to k3, never lost in C
            return _embed_failure(errmsg_out, INTERNAL, _describe(e))
        try:
            vectors = list(vectors)
            if len(vectors) != count:
                raise ValueError("returned %d vectors for %d texts" % (len(vectors), count))
            dest = (ctypes.c_float * (count * emb.dims)).from_address(out)
            for i, v in enumerate(vectors):
                v = _floats(v, "vector %d" % i)
                if len(v) != emb.dims:
                    raise ValueError("vector %d has %d floats, not %d" % (i, len(v), emb.dims))
                dest[i * emb.dims:(i + 1) * emb.dims] = v
        except (TypeError, ValueError) as e:
            return _embed_failure(errmsg_out, INVALID_ARGUMENT, str(e))
        return OK
    except BaseException as e:  # noqa: B902
        return _embed_failure(errmsg_out, INTERNAL, _describe(e))


def _destroy_entry(user):
    _callbacks.pop(user, None)


def _log_entry(user, level, msg, length):
    try:
        _callbacks[user](_LOG_NAMES.get(level, str(level)), msg[:length].decode("utf-8", "replace"))
    except BaseException:  # noqa: B902 - a log line that cannot be delivered is dropped
        pass


_EMBED_TRAMPOLINE = _EMBED_FN(_embed_entry)
_DESTROY_TRAMPOLINE = _DESTROY_FN(_destroy_entry)
_LOG_TRAMPOLINE = _LOG_FN(_log_entry)

_open_dbs = weakref.WeakSet()


@atexit.register
def _close_open_dbs():
    # k3 may call Python (embedders, log) while closing: do it while the interpreter still runs.
    for db in list(_open_dbs):
        db.close()


def methods():
    """Every method name Db.call accepts, sorted."""
    return json.loads(_invoke(load_library().k3_list_methods, out="str").decode("utf-8"))


# ---- the handle ---------------------------------------------------------------------------------

class _Closable:
    """A context manager that calls close() on exit (close() must be harmless twice)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Db(_Closable):
    """An open k3 data directory (k3_db*). Use as a context manager, or call close().

    Options (keyword only; None keeps k3's default): create_if_missing, sync_writes,
    block_cache_bytes, worker_threads, write_buffer_bytes, ingest_max_attempts,
    ingest_retry_backoff_ms, table_history_versions, master_key (64 hex characters or the
    base64 of 32 bytes), log_level ("DEBUG".."ERROR" or 0..3), log (fn(level_name, message),
    called from k3's threads; default: stderr) and embedders ({name: (dims, fn)}, see
    register_embedder; registered before the directory opens, so that ingest jobs pending from
    an earlier session find them). Raises K3Error (INVALID_ARGUMENT for a value k3 refuses,
    FAILED_PRECONDITION when the directory is open elsewhere, NOT_FOUND when it is missing and
    create_if_missing is False), TypeError for a value of the wrong type."""

    def __init__(self, path, *, create_if_missing=True, sync_writes=False,
                 block_cache_bytes=None, worker_threads=None, write_buffer_bytes=None,
                 ingest_max_attempts=None, ingest_retry_backoff_ms=None,
                 table_history_versions=None, master_key=None, log_level=None, log=None,
                 embedders=None):
        lib = load_library()
        self._lib = lib
        self._handle = ctypes.c_void_p()
        self._log_token = None
        if isinstance(log_level, str):
            if log_level.upper() not in LOG_LEVELS:
                raise ValueError("log_level must be one of %s" % ", ".join(LOG_LEVELS))
            log_level = LOG_LEVELS[log_level.upper()]
        if log is not None and not callable(log):
            raise TypeError("log must be callable")
        settings = [
            ("create_if_missing", lib.k3_options_set_create_if_missing,
             int(bool(create_if_missing))),
            ("sync_writes", lib.k3_options_set_sync_writes, int(bool(sync_writes))),
            ("block_cache_bytes", lib.k3_options_set_block_cache_bytes, block_cache_bytes),
            ("worker_threads", lib.k3_options_set_worker_threads, worker_threads),
            ("write_buffer_bytes", lib.k3_options_set_write_buffer_bytes, write_buffer_bytes),
            ("ingest_max_attempts", lib.k3_options_set_ingest_max_attempts, ingest_max_attempts),
            ("ingest_retry_backoff_ms", lib.k3_options_set_ingest_retry_backoff_ms,
             ingest_retry_backoff_ms),
            ("table_history_versions", lib.k3_options_set_table_history_versions,
             table_history_versions),
            ("log_level", lib.k3_options_set_log_level, log_level),
        ]
        c_ranges = {"block_cache_bytes": UINT64, "write_buffer_bytes": UINT64,
                    "table_history_versions": UINT32, "ingest_retry_backoff_ms": INT64}
        for name, _, value in settings:
            if value is not None:
                _int(value, name, c_ranges.get(name, INT32))
        checked = [(name, dims, _Embedder(name, dims, fn))
                   for name, (dims, fn) in (embedders or {}).items()]
        opts = ctypes.c_void_p()
        _ok(lib.k3_options_create(ctypes.byref(opts)), "k3_options_create failed")
        try:
            for name, setter, value in settings:
                if value is not None:
                    _ok(setter(opts, value), "invalid option %s=%r" % (name, value))
            if master_key is not None:
                _ok(lib.k3_options_set_master_key(opts, _text(master_key, "master_key")),
                    "invalid option master_key")
            if log is not None:
                self._log_token = _keep(log)
                level = LOG_LEVELS["WARNING"] if log_level is None else log_level
                _ok(lib.k3_options_set_log_callback(opts, _LOG_TRAMPOLINE, self._log_token,
                                                    level), "invalid option log")
            for name, dims, emb in checked:
                # On failure k3 calls _destroy_entry itself, which drops the token.
                _ok(lib.k3_options_register_embedder(opts, _text(name, "embedder name"), dims,
                                                     _EMBED_TRAMPOLINE, _keep(emb),
                                                     _DESTROY_TRAMPOLINE),
                    "cannot register embedder %r with %r dims" % (name, dims))
            _invoke(lib.k3_open, os.fsencode(path), opts, ctypes.byref(self._handle))
        except BaseException:
            self._release_log()
            raise
        finally:
            lib.k3_options_destroy(ctypes.byref(opts))
        _open_dbs.add(self)

    # ---- lifecycle ----

    def close(self):
        """Closes the directory (finishing any open Rows). Closing twice is harmless."""
        self._lib.k3_close(ctypes.byref(self._handle))
        self._release_log()
        _open_dbs.discard(self)

    def _release_log(self):
        if self._log_token is not None:
            _callbacks.pop(self._log_token, None)
            self._log_token = None

    @property
    def closed(self):
        return not self._handle.value

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            self.close()

    def _db(self):
        # A closed Db is passed as NULL: k3 answers INVALID_ARGUMENT, never a crash.
        return self._handle

    # ---- control plane ----

    def call(self, method, request=None):
        """Runs the RPC `method` ("StorageService.CreateBucket") on `request` (a dict, or a
        str/bytes of JSON) and returns the response as a dict. Raises K3Error
        (UNIMPLEMENTED for an unknown method, INVALID_ARGUMENT for a malformed request)."""
        request = {} if request is None else request
        body = (json.dumps(request).encode("utf-8") if isinstance(request, (dict, list))
                else _bytes(request, "request"))  # passed with its length
        return json.loads(_invoke(self._lib.k3_call, self._db(), _text(method, "method"), body,
                                  len(body), out="bytes").decode("utf-8"))

    @staticmethod
    def methods():
        """Every method name call() accepts, sorted."""
        return methods()

    # ---- objects ----

    def put_object(self, bucket, key, data, content_type=None):
        """Writes the object (bytes-like, or str as UTF-8); returns its ETag (MD5 hex)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        elif not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("data must be bytes-like or str, not %s" % type(data).__name__)
        data = bytes(data)
        return _invoke(self._lib.k3_put_object, self._db(), _text(bucket, "bucket"),
                       _text(key, "key"), data, len(data),
                       _text(content_type, "content_type", True), out="str").decode("ascii")

    def put_object_stream(self, bucket, key, source, content_type=None):
        """Writes the object from `source`, a binary file object (read(n)) or an iterable of
        bytes-like chunks, read on this thread with bounded memory; returns its ETag. Nothing
        is written when `source` raises (the exception is re-raised) or yields a non-bytes
        chunk (TypeError)."""
        trap = _Trap()
        reader = _READ_FN(_stream_reader(source, trap))
        return _invoke(self._lib.k3_put_object_stream, self._db(), _text(bucket, "bucket"),
                       _text(key, "key"), reader, None, _text(content_type, "content_type", True),
                       out="str", trap=trap).decode("ascii")

    def get_object(self, bucket, key):
        """The object's bytes."""
        return _invoke(self._lib.k3_get_object, self._db(), _text(bucket, "bucket"),
                       _text(key, "key"), out="bytes")

    def get_object_range(self, bucket, key, first, last=None):
        """Bytes first..last (inclusive; None = to the end) of the object."""
        last = 2**64 - 1 if last is None else _int(last, "last", UINT64)
        return _invoke(self._lib.k3_get_object_range, self._db(), _text(bucket, "bucket"),
                       _text(key, "key"), _int(first, "first", UINT64), last, out="bytes")

    def get_object_stream(self, bucket, key, write):
        """Passes the object's bytes to write(chunk) in order, on this thread; returns the
        number of bytes delivered. write's return value is ignored except False, which stops
        the read (K3Error CANCELLED); an exception raised by write stops it and is re-raised."""
        trap, delivered = _Trap(), [0]

        def on_chunk(_user, data, length):
            try:
                if write(ctypes.string_at(data, length)) is False:
                    return 1
                delivered[0] += length
                return 0
            except BaseException as e:  # noqa: B902 - re-raised by _invoke
                trap.error = e
                return 1

        _invoke(self._lib.k3_get_object_stream, self._db(), _text(bucket, "bucket"),
                _text(key, "key"), _WRITE_FN(on_chunk), None, trap=trap)
        return delivered[0]

    def delete_object(self, bucket, key):
        """Deletes the object (deleting a missing key is not an error)."""
        _invoke(self._lib.k3_delete_object, self._db(), _text(bucket, "bucket"),
                _text(key, "key"))

    # ---- vectors ----

    def upsert_vectors(self, bucket, collection, ids, vectors, metadata=None, texts=None):
        """Writes vectors into an external-mode collection in one atomic batch, replacing
        those whose ids exist: ids[i] (str) gets vectors[i] (numbers, the collection's
        dimensions), metadata[i] (a flat dict, or None) and texts[i] (str or None). Returns
        the number written. ValueError when the lists' lengths or the vectors' sizes differ."""
        ids = list(ids)
        vectors = [_floats(v, "vectors[%d]" % i) for i, v in enumerate(vectors)]
        n = len(ids)
        if len(vectors) != n:
            raise ValueError("%d ids but %d vectors" % (n, len(vectors)))
        dims = len(vectors[0]) if vectors else 0
        if any(len(v) != dims for v in vectors):
            raise ValueError("vectors of different sizes in one batch")

        def column(values, what, convert):
            if values is None:
                return None
            values = list(values)
            if len(values) != n:
                raise ValueError("%d ids but %d %s" % (n, len(values), what))
            return (ctypes.c_char_p * max(n, 1))(*[None if v is None else convert(v)
                                                   for v in values])

        flat = (ctypes.c_float * (n * dims))()
        for i, v in enumerate(vectors):
            flat[i * dims:(i + 1) * dims] = v
        written = ctypes.c_uint64()
        _invoke(self._lib.k3_upsert_vectors, self._db(), _text(bucket, "bucket"),
                _text(collection, "collection"), n,
                (ctypes.c_char_p * max(n, 1))(*[_text(i, "id") for i in ids]), flat, dims,
                column(metadata, "metadata", lambda m: _json_arg(m, "metadata")),
                column(texts, "texts", lambda t: _text(t, "text")), ctypes.byref(written))
        return written.value

    def search_vector(self, bucket, collection, query, top_k=10, filter=None):
        """The top_k hits nearest to `query` (numbers) in `collection` (None: every collection
        of the bucket with that many dimensions), best first, as a list of Hit. `filter` is a
        metadata filter as a dict ({"field": "lang", "op": "eq", "value": "en"}) or JSON text."""
        q = _floats(query, "query")
        if not len(q):
            raise ValueError("query must hold at least one number")
        return self._search(self._lib.k3_search_vector, _text(bucket, "bucket"),
                            _text(collection, "collection", True), q, len(q),
                            _int(top_k, "top_k"), _json_arg(filter, "filter"))

    def search_text(self, bucket, collection, text, top_k=10, filter=None):
        """As search_vector, but the query is `text`, embedded by each collection's embedder.
        Raises K3Error with the embedder's code when it fails (INTERNAL for a Python embedder
        that raised)."""
        t = _bytes(text, "text")  # passed with its length: may hold NULs
        return self._search(self._lib.k3_search_text, _text(bucket, "bucket"),
                            _text(collection, "collection", True), t, len(t),
                            _int(top_k, "top_k"), _json_arg(filter, "filter"))

    def _search(self, fn, *args):
        lib, hits = self._lib, ctypes.c_void_p()
        try:
            _invoke(fn, self._db(), *args, ctypes.byref(hits))
            out = []
            for i in range(lib.k3_hits_count(hits)):
                score = ctypes.c_float()
                _ok(lib.k3_hits_score(hits, i, ctypes.byref(score)), "k3_hits_score")
                meta = _hit_string(lib.k3_hits_metadata_json, hits, i)
                out.append(Hit(_hit_string(lib.k3_hits_id, hits, i),
                               _hit_string(lib.k3_hits_collection, hits, i), score.value,
                               _hit_string(lib.k3_hits_object_key, hits, i),
                               _hit_string(lib.k3_hits_text, hits, i),
                               json.loads(meta) if meta else {}))
            return out
        finally:
            lib.k3_hits_destroy(ctypes.byref(hits))

    # ---- SQL ----

    def query(self, bucket, sql, params=None):
        """Runs the read-only SQL query on the bucket's tables; returns Rows (iterate for
        tuples; a context manager). params: a list of values for $1.. / ? (None, bool, int,
        float, str, bytes). Raises K3Error: INVALID_ARGUMENT for bad SQL or a write,
        NOT_FOUND for a missing bucket or table, PERMISSION_DENIED for k3's internal tables."""
        if params is not None:
            if not isinstance(params, (list, tuple)):
                raise TypeError("params must be a list or tuple, not %s" % type(params).__name__)
            params = json.dumps([_param(v) for v in params]).encode("utf-8")
        cursor = ctypes.c_void_p()
        _invoke(self._lib.k3_query, self._db(), _text(bucket, "bucket"), _text(sql, "sql"),
                params, ctypes.byref(cursor))
        return Rows(self, cursor)

    def query_all(self, bucket, sql, params=None):
        """query(), read to the end: a list of row tuples."""
        with self.query(bucket, sql, params) as rows:
            return list(rows)

    # ---- embedders and ingest ----

    def register_embedder(self, name, dims, fn):
        """Makes the embedder `name` available to pipelines (option "embedder": name) and to
        text searches while this Db is open (a later registration of the name replaces it).
        fn(list of str) returns one sequence of `dims` numbers per text; k3 calls it from its
        own threads, several at once. When fn raises, the operation fails with INTERNAL and
        the exception's text; a result of the wrong shape fails with INVALID_ARGUMENT."""
        emb = _Embedder(name, dims, fn)
        # k3 holds the token until it calls _destroy_entry (also when registering fails).
        _invoke(self._lib.k3_register_embedder, self._db(), _text(name, "name"), emb.dims,
                _EMBED_TRAMPOLINE, _keep(emb), _DESTROY_TRAMPOLINE)

    def wait_job(self, bucket, job_id, timeout_ms=-1):
        """Waits until the ingest job is done (timeout_ms < 0: no deadline); returns
        (status, job): "COMPLETED", "FAILED" or "CANCELLED", and the job as a dict in K3's
        wire form. Raises K3Error DEADLINE_EXCEEDED at the deadline, NOT_FOUND for an unknown
        bucket or job."""
        status = ctypes.c_int()
        job = _invoke(self._lib.k3_wait_job, self._db(), _text(bucket, "bucket"),
                      _text(job_id, "job_id"), _int(timeout_ms, "timeout_ms", INT64),
                      ctypes.byref(status), out="str")
        name = JOB_STATUSES[status.value] if 0 <= status.value < len(JOB_STATUSES) else \
            str(status.value)
        return name, json.loads(job.decode("utf-8"))

    def wait_idle(self, bucket, timeout_ms=-1):
        """Waits until the bucket's ingest is idle (timeout_ms < 0: no deadline). Raises
        K3Error DEADLINE_EXCEEDED at the deadline, NOT_FOUND for an unknown bucket."""
        _invoke(self._lib.k3_wait_idle, self._db(), _text(bucket, "bucket"),
                _int(timeout_ms, "timeout_ms", INT64))


def _hit_string(fn, hits, i):
    ptr, n = ctypes.c_void_p(), ctypes.c_size_t()
    _ok(fn(hits, i, ctypes.byref(ptr), ctypes.byref(n)), fn.__name__)
    return ctypes.string_at(ptr.value, n.value).decode("utf-8", "replace") if ptr.value else None


def _stream_reader(source, trap):
    """A k3_read_fn body over a binary file object or an iterable of bytes-like chunks."""
    if hasattr(source, "read"):
        pull = source.read
    else:
        chunks = iter(source)  # TypeError here, before k3 is called, for a non-iterable

        def pull(_cap):
            for chunk in chunks:
                if not isinstance(chunk, (bytes, bytearray, memoryview)) or len(chunk):
                    return chunk
            return b""
    rest = [b""]

    def read(_user, buf, cap):
        try:
            if not rest[0]:
                chunk = pull(cap)
                if not isinstance(chunk, (bytes, bytearray, memoryview)):
                    raise TypeError("a stream chunk must be bytes-like, not %s"
                                    % type(chunk).__name__)
                rest[0] = bytes(chunk)
                if not rest[0]:
                    return 0
            n = min(cap, len(rest[0]))
            ctypes.memmove(buf, rest[0], n)
            rest[0] = rest[0][n:]
            return n
        except BaseException as e:  # noqa: B902 - re-raised by _invoke
            trap.error = e
            return -1

    return read


class Rows(_Closable):
    """The rows of one query (Db.query), read through a k3 cursor: iterate for tuples of
    Python values (None, int, float, str, bytes, bool). .columns are the column names,
    .column_types their K3 types ("LONG", "STRING", ...). The cursor is released when the
    rows are read to the end, on close() or leaving a `with` block, or when the Rows is
    garbage-collected. Iterating raises K3Error when the query fails while running."""

    def __init__(self, db, cursor):
        self._db = db  # keeps the Db (and so the cursor's connection) open while in use
        self._lib = db._lib
        self._cursor = cursor
        self.columns, self._types = (), ()
        try:
            names = []
            for i in range(self._lib.k3_cursor_column_count(cursor)):
                name = ctypes.c_void_p()
                _ok(self._lib.k3_cursor_column_name(cursor, i, ctypes.byref(name)),
                    "k3_cursor_column_name")
                names.append(ctypes.string_at(name.value).decode("utf-8", "replace"))
            self.columns = tuple(names)
            self._read_types()
        except BaseException:
            self.close()
            raise

    def _read_types(self):
        types = []
        for i in range(len(self.columns)):
            t = ctypes.c_int()
            _ok(self._lib.k3_cursor_column_type(self._cursor, i, ctypes.byref(t)),
                "k3_cursor_column_type")
            types.append(COLUMN_TYPES.get(t.value, str(t.value)))
        self._types = tuple(types)

    @property
    def column_types(self):
        """The columns' K3 types; an expression column's type is known once a non-NULL value
        of it was read (STRING until then)."""
        if self._cursor.value:
            self._read_types()
        return self._types

    @property
    def closed(self):
        return not self._cursor.value

    def close(self):
        """Releases the cursor; harmless when already released."""
        if self._cursor.value:
            try:
                self._read_types()  # keeps column_types readable after close
            except K3Error:
                pass
            finally:
                self._lib.k3_cursor_destroy(ctypes.byref(self._cursor))

    def __del__(self):
        if getattr(self, "_cursor", None) is not None:
            self.close()

    def __iter__(self):
        return self

    def __next__(self):
        if not self._cursor.value:
            raise StopIteration
        has_row = ctypes.c_int()
        try:
            _invoke(self._lib.k3_cursor_next, self._cursor, ctypes.byref(has_row))
            if has_row.value:
                return tuple(self._cell(i) for i in range(len(self.columns)))
        except BaseException:
            self.close()
            raise
        self.close()
        raise StopIteration

    def _cell(self, i):
        lib, c = self._lib, self._cursor
        t = ctypes.c_int()
        _ok(lib.k3_cursor_value_type(c, i, ctypes.byref(t)), "k3_cursor_value_type")
        if t.value == _VALUE_NULL:
            return None
        if t.value in (_VALUE_INT64, _VALUE_BOOL):
            v = ctypes.c_int64()
            _ok(lib.k3_cursor_get_int64(c, i, ctypes.byref(v)), "k3_cursor_get_int64")
            return bool(v.value) if t.value == _VALUE_BOOL else v.value
        if t.value == _VALUE_DOUBLE:
            v = ctypes.c_double()
            _ok(lib.k3_cursor_get_double(c, i, ctypes.byref(v)), "k3_cursor_get_double")
            return v.value
        ptr, n = ctypes.c_void_p(), ctypes.c_size_t()
        getter = lib.k3_cursor_get_text if t.value == _VALUE_TEXT else lib.k3_cursor_get_blob
        _ok(getter(c, i, ctypes.byref(ptr), ctypes.byref(n)), getter.__name__)
        data = ctypes.string_at(ptr.value, n.value) if n.value else b""
        return data.decode("utf-8", "replace") if t.value == _VALUE_TEXT else data
