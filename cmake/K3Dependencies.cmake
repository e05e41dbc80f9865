# Every dependency is a Debian package found here; k3 links them privately.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(ROCKSDB REQUIRED IMPORTED_TARGET rocksdb)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(fmt REQUIRED)
find_package(SQLite3 REQUIRED)

set(K3_PRIVATE_DEPS
  PkgConfig::ROCKSDB
  OpenSSL::Crypto
  nlohmann_json::nlohmann_json
  fmt::fmt
  SQLite::SQLite3
  Threads::Threads)
