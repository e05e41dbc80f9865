//! examples/rust/k3_ffi.rs: k3 from Rust through the C ABI (include/k3/k3.h), standard library
//! only: a few `extern "C"` declarations, one safe wrapper type, errors as `Result`.
//!
//!   rustc --edition 2021 -O examples/rust/k3_ffi.rs -L build -l k3 -o build/k3_ffi_rs
//!   LD_LIBRARY_PATH=build build/k3_ffi_rs [DATA_DIR]          (default ./k3-data-rust)
//!
//! Opens the data directory, creates a bucket (reusing it), puts and reads back an object,
//! upserts two vectors and searches them with a metadata filter, runs SQL through the typed
//! cursor, and shows that a failed call comes back as its status code and message.
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::ptr;

#[allow(non_camel_case_types)]
type k3_db = c_void;
#[allow(non_camel_case_types)]
type k3_hits = c_void;

const K3_OK: c_int = 0;
const K3_ALREADY_EXISTS: c_int = 6;

#[link(name = "k3")]
extern "C" {
    fn k3_version() -> *const c_char;
    fn k3_status_str(code: c_int) -> *const c_char;
    fn k3_free(ptr: *mut c_void);
    fn k3_open(path: *const c_char, opts: *const c_void, out_db: *mut *mut k3_db,
               errmsg: *mut *mut c_char) -> c_int;
    fn k3_close(db: *mut *mut k3_db);
    fn k3_call(db: *mut k3_db, method: *const c_char, request: *const c_char, request_len: usize,
               out_response: *mut *mut c_char, out_len: *mut usize,
               errmsg: *mut *mut c_char) -> c_int;
    fn k3_put_object(db: *mut k3_db, bucket: *const c_char, key: *const c_char,
                     data: *const c_void, len: usize, content_type: *const c_char,
                     out_etag: *mut *mut c_char, errmsg: *mut *mut c_char) -> c_int;
    fn k3_get_object(db: *mut k3_db, bucket: *const c_char, key: *const c_char,
                     out_data: *mut *mut c_void, out_len: *mut usize,
                     errmsg: *mut *mut c_char) -> c_int;
    fn k3_upsert_vectors(db: *mut k3_db, bucket: *const c_char, collection: *const c_char,
                         count: usize, ids: *const *const c_char, values: *const f32,
                         dims: usize, metadata_json: *const *const c_char,
                         texts: *const *const c_char, out_written: *mut u64,
                         errmsg: *mut *mut c_char) -> c_int;
    fn k3_search_vector(db: *mut k3_db, bucket: *const c_char, collection: *const c_char,
                        query: *const f32, dims: usize, top_k: c_int,
                        filter_json: *const c_char, out_hits: *mut *mut k3_hits,
                        errmsg: *mut *mut c_char) -> c_int;
    fn k3_hits_count(hits: *const k3_hits) -> usize;
    fn k3_hits_id(hits: *const k3_hits, index: usize, out: *mut *const c_char,
                  out_len: *mut usize) -> c_int;
    fn k3_hits_score(hits: *const k3_hits, index: usize, out: *mut f32) -> c_int;
    fn k3_hits_destroy(hits: *mut *mut k3_hits);
}

/// A failed k3 call: the status code (the gRPC code) and the message k3 gave.
#[derive(Debug)]
struct K3Error {
    code: c_int,
    message: String,
}

impl std::fmt::Display for K3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let name = unsafe { CStr::from_ptr(k3_status_str(self.code)) };
        write!(f, "{}: {}", name.to_string_lossy(), self.message)
    }
}

/// Takes ownership of a k3-allocated string: copies it and frees it with k3_free.
unsafe fn take_string(p: *mut c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    let s = CStr::from_ptr(p).to_string_lossy().into_owned();
    k3_free(p as *mut c_void);
    s
}

/// Turns a return code and its error message into a Result.
unsafe fn check(rc: c_int, err: *mut c_char) -> Result<(), K3Error> {
    let message = take_string(err);
    if rc == K3_OK { Ok(()) } else { Err(K3Error { code: rc, message }) }
}

fn cstr(s: &str) -> CString {
    CString::new(s).expect("no NUL inside")
}

/// An open data directory; closed when dropped.
struct Db {
    handle: *mut k3_db,
}

impl Db {
    fn open(path: &str) -> Result<Db, K3Error> {
        let mut handle = ptr::null_mut();
        let mut err = ptr::null_mut();
        let path = cstr(path);
        unsafe { check(k3_open(path.as_ptr(), ptr::null(), &mut handle, &mut err), err)? };
        Ok(Db { handle })
    }

    /// Runs an RPC of the JSON control plane; returns the response JSON.
    fn call(&self, method: &str, request: &str) -> Result<String, K3Error> {
        let (mut out, mut out_len, mut err) = (ptr::null_mut(), 0usize, ptr::null_mut());
        let method = cstr(method);
        unsafe {
            let rc = k3_call(self.handle, method.as_ptr(), request.as_ptr() as *const c_char,
                             request.len(), &mut out, &mut out_len, &mut err);
            check(rc, err)?;
            Ok(take_string(out))
        }
    }

    fn put_object(&self, bucket: &str, key: &str, data: &[u8]) -> Result<String, K3Error> {
        let (bucket, key, text) = (cstr(bucket), cstr(key), cstr("text/plain"));
        let (mut etag, mut err) = (ptr::null_mut(), ptr::null_mut());
        unsafe {
            let rc = k3_put_object(self.handle, bucket.as_ptr(), key.as_ptr(),
                                   data.as_ptr() as *const c_void, data.len(), text.as_ptr(),
                                   &mut etag, &mut err);
            check(rc, err)?;
            Ok(take_string(etag))
        }
    }

    fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, K3Error> {
        let (bucket, key) = (cstr(bucket), cstr(key));
        let (mut data, mut len, mut err) = (ptr::null_mut(), 0usize, ptr::null_mut());
        unsafe {
            let rc = k3_get_object(self.handle, bucket.as_ptr(), key.as_ptr(), &mut data,
                                   &mut len, &mut err);
            check(rc, err)?;
            let bytes = std::slice::from_raw_parts(data as *const u8, len).to_vec();
            k3_free(data);
            Ok(bytes)
        }
    }

    /// Upserts vectors (id, values, metadata JSON) of one dimension count; returns how many.
    fn upsert(&self, bucket: &str, collection: &str, dims: usize,
              vectors: &[(&str, Vec<f32>, &str)]) -> Result<u64, K3Error> {
        let ids: Vec<CString> = vectors.iter().map(|v| cstr(v.0)).collect();
        let metadata: Vec<CString> = vectors.iter().map(|v| cstr(v.2)).collect();
        let id_ptrs: Vec<*const c_char> = ids.iter().map(|s| s.as_ptr()).collect();
        let meta_ptrs: Vec<*const c_char> = metadata.iter().map(|s| s.as_ptr()).collect();
        let values: Vec<f32> = vectors.iter().flat_map(|v| v.1.iter().copied()).collect();
        let (bucket, collection) = (cstr(bucket), cstr(collection));
        let (mut written, mut err) = (0u64, ptr::null_mut());
        unsafe {
            let rc = k3_upsert_vectors(self.handle, bucket.as_ptr(), collection.as_ptr(),
                                       vectors.len(), id_ptrs.as_ptr(), values.as_ptr(), dims,
                                       meta_ptrs.as_ptr(), ptr::null(), &mut written, &mut err);
            check(rc, err)?;
        }
        Ok(written)
    }

    /// The (id, score) of the best hits for `query` under `filter` (JSON), best first.
    fn search(&self, bucket: &str, collection: &str, query: &[f32], top_k: i32,
              filter: &str) -> Result<Vec<(String, f32)>, K3Error> {
        let (bucket, collection, filter) = (cstr(bucket), cstr(collection), cstr(filter));
        let (mut hits, mut err) = (ptr::null_mut(), ptr::null_mut());
        let mut out = Vec::new();
        unsafe {
            let rc = k3_search_vector(self.handle, bucket.as_ptr(), collection.as_ptr(),
                                      query.as_ptr(), query.len(), top_k, filter.as_ptr(),
                                      &mut hits, &mut err);
            check(rc, err)?;
            for i in 0..k3_hits_count(hits) {
                let (mut id, mut score) = (ptr::null(), 0f32);
                k3_hits_id(hits, i, &mut id, ptr::null_mut());
                k3_hits_score(hits, i, &mut score);
                out.push((CStr::from_ptr(id).to_string_lossy().into_owned(), score));
            }
            k3_hits_destroy(&mut hits);
        }
        Ok(out)
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        unsafe { k3_close(&mut self.handle) };
    }
}

/// Creates `request`'s resource, treating ALREADY_EXISTS (a rerun) as success.
fn ensure(db: &Db, method: &str, request: &str) -> Result<(), K3Error> {
    match db.call(method, request) {
        Err(e) if e.code == K3_ALREADY_EXISTS => Ok(()),
        other => other.map(|_| ()),
    }
}

fn run(path: &str) -> Result<(), K3Error> {
    let version = unsafe { CStr::from_ptr(k3_version()) };
    println!("k3 {} from Rust, data directory {}", version.to_string_lossy(), path);
    let db = Db::open(path)?;
    ensure(&db, "StorageService.CreateBucket", r#"{"name":"kb-rust"}"#)?;

    let etag = db.put_object("kb-rust", "hello.txt", b"Hello from Rust!")?;
    let bytes = db.get_object("kb-rust", "hello.txt")?;
    println!("put hello.txt (etag {}), read back {:?}", etag, String::from_utf8_lossy(&bytes));

    ensure(&db, "VectorService.ConfigureEngine", r#"{"bucket":"kb-rust"}"#)?;
    ensure(&db, "VectorService.CreateCollection",
           r#"{"bucket":"kb-rust","name":"points","dimensions":3,"metric":"COSINE"}"#)?;
    let written = db.upsert("kb-rust", "points", 3, &[
        ("a", vec![1.0, 0.0, 0.0], r#"{"lang":"en"}"#),
        ("b", vec![0.9, 0.1, 0.0], r#"{"lang":"de"}"#),
    ])?;
    let hits = db.search("kb-rust", "points", &[1.0, 0.05, 0.0], 5,
                         r#"{"field":"lang","op":"eq","value":"de"}"#)?;
    println!("upserted {} vectors; search with lang = de: {:?}", written, hits);

    // A failed call is an Err carrying the status code and k3's message.
    match db.call("StorageService.GetBucket", r#"{"name":"no-such-bucket"}"#) {
        Err(e) => println!("GetBucket of a missing bucket: {} (code {})", e, e.code),
        Ok(_) => println!("GetBucket of a missing bucket unexpectedly succeeded"),
    }
    Ok(())
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "./k3-data-rust".to_string());
    if let Err(e) = run(&path) {
        eprintln!("k3_ffi: {}", e);
        std::process::exit(1);
    }
}
