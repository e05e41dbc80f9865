"""examples/python/quickstart.py: the k3 quickstart from Python, through ctypes.

    K3_LIB=build/libk3.so python3 examples/python/quickstart.py [DATA_DIR]

Opens ./k3-data (or DATA_DIR), creates the bucket "kb-demo-py" (reusing it when it exists),
puts a small object, reads it back and lists the bucket through the JSON control plane.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import k3  # noqa: E402


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "./k3-data"
    print("k3 %s, data directory %s" % (k3.version(), path))
    with k3.Db(path) as db:
        try:
            db.call("StorageService.CreateBucket", {"name": "kb-demo-py"})
        except k3.K3Error as e:
            if e.code != k3.ALREADY_EXISTS:
                raise
        etag = db.put_object("kb-demo-py", "hello.txt", b"Hello from Python!\n",
                             content_type="text/plain")
        print("put hello.txt (etag %s): %r" % (etag, db.get_object("kb-demo-py", "hello.txt")))
        listing = db.call("StorageService.ListObjects", {"bucket": "kb-demo-py", "prefix": ""})
        for obj in listing["objects"]:
            print("  %-30s %8s bytes  %s" % (obj["key"], obj["size"], obj["contentType"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
