"""k3.py: a small ctypes binding of k3's C ABI (include/k3/k3.h), standard library only.

    import k3
    with k3.Db("./k3-data") as db:
        db.call("StorageService.CreateBucket", {"name": "kb-py"})
        db.put_object("kb-py", "hello.txt", b"hello", content_type="text/plain")
        print(db.get_object("kb-py", "hello.txt"))

Every failure is raised as K3Error, whose .code is the C status code (the gRPC code) and
.code_name its name ("NOT_FOUND"). The library is found through the K3_LIB environment
variable (the path of libk3.so), else next to this file's repository in build/, else on the
system's library path.

Thread-safety: a Db may be used from several threads at once, as the C handle may; close()
must not run while other calls on the same Db are running.
"""

import ctypes
import ctypes.util
import json
import os

__all__ = ["K3Error", "Db", "methods", "version", "status_name", "load_library"]

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

_c_char_pp = ctypes.POINTER(ctypes.c_char_p)
_c_void_pp = ctypes.POINTER(ctypes.c_void_p)
_c_size_p = ctypes.POINTER(ctypes.c_size_t)


class K3Error(Exception):
    """A k3 call failed. .code is the status code, .code_name its name, .message the text."""

    def __init__(self, code, message):
        self.code = code
        self.code_name = status_name(code)
        self.message = message
        super().__init__("%s: %s" % (self.code_name, message))


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
    """Loads libk3 (once) and declares the C functions' signatures; returns the CDLL."""
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
    fn("k3_version", ctypes.c_char_p)
    fn("k3_version_number", ctypes.c_int)
    fn("k3_status_str", ctypes.c_char_p, ctypes.c_int)
    fn("k3_free", None, ctypes.c_void_p)
    fn("k3_options_create", ctypes.c_int, _c_void_pp)
    fn("k3_options_destroy", None, _c_void_pp)
    fn("k3_options_set_sync_writes", ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
    fn("k3_options_set_block_cache_bytes", ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64)
    fn("k3_options_set_worker_threads", ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
    fn("k3_options_set_create_if_missing", ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
    fn("k3_open", ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, _c_void_pp, _c_void_pp)
    fn("k3_close", None, _c_void_pp)
    fn("k3_call", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
       ctypes.c_size_t, _c_void_pp, _c_size_p, _c_void_pp)
    fn("k3_list_methods", ctypes.c_int, _c_void_pp, _c_void_pp)
    fn("k3_put_object", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
       ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, _c_void_pp, _c_void_pp)
    fn("k3_get_object", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
       _c_void_pp, _c_size_p, _c_void_pp)
    fn("k3_get_object_range", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
       ctypes.c_uint64, ctypes.c_uint64, _c_void_pp, _c_size_p, _c_void_pp)
    fn("k3_delete_object", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
       _c_void_pp)
    _lib = lib
    return lib


def status_name(code):
    """"NOT_FOUND" for 5; "UNKNOWN" for a value that is not a status code."""
    return load_library().k3_status_str(code).decode()


def version():
    """The loaded library's version string, e.g. "0.1.0"."""
    return load_library().k3_version().decode()


def _take_bytes(ptr, length=None):
    """Copies a k3-allocated buffer into bytes and frees it; b"" for NULL."""
    if not ptr.value:
        return b""
    try:
        if length is None:
            return ctypes.string_at(ptr.value)
        return ctypes.string_at(ptr.value, length)
    finally:
        load_library().k3_free(ptr.value)
        ptr.value = None


def _check(rc, err):
    """Raises K3Error for a non-OK code, with the (freed) message of err."""
    message = _take_bytes(err).decode("utf-8", "replace")
    if rc != OK:
        raise K3Error(rc, message or status_name(rc))


def _text(s, what):
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode("utf-8")
    raise TypeError("%s must be str or bytes, not %s" % (what, type(s).__name__))


def methods():
    """Every method name Db.call accepts, sorted."""
    lib = load_library()
    out, err = ctypes.c_void_p(), ctypes.c_void_p()
    rc = lib.k3_list_methods(ctypes.byref(out), ctypes.byref(err))
    _check(rc, err)
    return json.loads(_take_bytes(out).decode("utf-8"))


class Db:
    """An open k3 data directory (k3_db*). Use as a context manager, or call close()."""

    def __init__(self, path, *, create_if_missing=True, sync_writes=False,
                 block_cache_bytes=None, worker_threads=None):
        lib = load_library()
        self._lib = lib
        self._handle = ctypes.c_void_p()
        opts = ctypes.c_void_p()
        rc = lib.k3_options_create(ctypes.byref(opts))
        if rc != OK:
            raise K3Error(rc, "k3_options_create failed")
        try:
            for rc in (
                lib.k3_options_set_create_if_missing(opts, 1 if create_if_missing else 0),
                lib.k3_options_set_sync_writes(opts, 1 if sync_writes else 0),
                (lib.k3_options_set_block_cache_bytes(opts, block_cache_bytes)
                 if block_cache_bytes is not None else OK),
                (lib.k3_options_set_worker_threads(opts, worker_threads)
                 if worker_threads is not None else OK),
            ):
                if rc != OK:
                    raise K3Error(rc, "invalid option")
            err = ctypes.c_void_p()
            rc = lib.k3_open(os.fsencode(path), opts, ctypes.byref(self._handle),
                             ctypes.byref(err))
            _check(rc, err)
        finally:
            lib.k3_options_destroy(ctypes.byref(opts))

    # ---- lifecycle ----

    def close(self):
        """Closes the directory. Closing twice is harmless."""
        self._lib.k3_close(ctypes.byref(self._handle))

    @property
    def closed(self):
        return not self._handle.value

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

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
        str/bytes of JSON) and returns the response as a dict."""
        if request is None:
            request = {}
        if isinstance(request, (dict, list)):
            body = json.dumps(request).encode("utf-8")
        else:
            body = _text(request, "request")
        out, out_len, err = ctypes.c_void_p(), ctypes.c_size_t(), ctypes.c_void_p()
        rc = self._lib.k3_call(self._db(), _text(method, "method"), body, len(body),
                               ctypes.byref(out), ctypes.byref(out_len), ctypes.byref(err))
        _check(rc, err)
        return json.loads(_take_bytes(out, out_len.value).decode("utf-8"))

    @staticmethod
    def methods():
        """Every method name call() accepts, sorted."""
        return methods()

    # ---- data plane ----

    def put_object(self, bucket, key, data, content_type=None):
        """Writes the object; returns its ETag (MD5 hex)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        data = bytes(data)
        etag, err = ctypes.c_void_p(), ctypes.c_void_p()
        rc = self._lib.k3_put_object(self._db(), _text(bucket, "bucket"), _text(key, "key"),
                                     data, len(data), _text(content_type, "content_type"),
                                     ctypes.byref(etag), ctypes.byref(err))
        _check(rc, err)
        return _take_bytes(etag).decode("ascii")

    def get_object(self, bucket, key):
        """The object's bytes."""
        out, out_len, err = ctypes.c_void_p(), ctypes.c_size_t(), ctypes.c_void_p()
        rc = self._lib.k3_get_object(self._db(), _text(bucket, "bucket"), _text(key, "key"),
                                     ctypes.byref(out), ctypes.byref(out_len),
                                     ctypes.byref(err))
        _check(rc, err)
        return _take_bytes(out, out_len.value)

    def get_object_range(self, bucket, key, first, last=None):
        """Bytes first..last (inclusive; None = to the end) of the object."""
        if last is None:
            last = 2**64 - 1
        out, out_len, err = ctypes.c_void_p(), ctypes.c_size_t(), ctypes.c_void_p()
        rc = self._lib.k3_get_object_range(self._db(), _text(bucket, "bucket"),
                                           _text(key, "key"), first, last, ctypes.byref(out),
                                           ctypes.byref(out_len), ctypes.byref(err))
        _check(rc, err)
        return _take_bytes(out, out_len.value)

    def delete_object(self, bucket, key):
        """Deletes the object (deleting a missing key is not an error)."""
        err = ctypes.c_void_p()
        rc = self._lib.k3_delete_object(self._db(), _text(bucket, "bucket"), _text(key, "key"),
                                        ctypes.byref(err))
        _check(rc, err)
