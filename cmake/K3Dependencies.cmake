# Every dependency is a Debian package found here; k3 links them privately.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(ROCKSDB REQUIRED IMPORTED_TARGET rocksdb)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(fmt REQUIRED)
find_package(SQLite3 REQUIRED)
# Debian's FAISS 1.7.3 ships only a static, position-independent libfaiss.a whose imported
# target names OpenMP::OpenMP_CXX (and BLAS/LAPACK), so OpenMP must be found first.
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(faiss REQUIRED)
# Pipelines: HTML parsing (libxml2), PDF text (poppler-cpp), the http embedder (libcurl).
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)
pkg_check_modules(POPPLER_CPP REQUIRED IMPORTED_TARGET poppler-cpp)
find_package(CURL REQUIRED)

set(K3_PRIVATE_DEPS
  PkgConfig::ROCKSDB
  OpenSSL::Crypto
  nlohmann_json::nlohmann_json
  fmt::fmt
  SQLite::SQLite3
  faiss
  OpenMP::OpenMP_CXX
  PkgConfig::LIBXML2
  PkgConfig::POPPLER_CPP
  CURL::libcurl
  Threads::Threads)
