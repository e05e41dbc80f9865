#!/usr/bin/env bash
# tests/c/check_exports.sh LIB HEADER [NM]: checks what the shared library LIB exports, as the
# ctest `c_api_exports`. Allowed: the k3_* C functions (and every one declared K3_C_API in
# HEADER must be there, as a function, with no k3_* export the header does not declare), the
# k3:: C++ API with its typeinfo and vtables, and the linker's own _init/_fini/_edata/_end/
# __bss_start. Anything else — a dependency's symbol (RocksDB, FAISS, SQLite, libcurl, libxml2,
# OpenSSL, fmt, nlohmann, ...) or standard-library code instantiated inside k3 — fails the
# test, as does a k3:: symbol whose signature names a dependency's type.
set -euo pipefail

lib=$1
header=$2
nm=${3:-nm}
[[ -n $nm ]] || nm=nm

# "<type> <name>" per defined dynamic symbol, names demangled; the address is dropped.
exports=$("$nm" -D --defined-only -C "$lib" | sed -E 's/^[0-9a-fA-F]+ //')
[[ -n $exports ]] || { echo "no exported symbols read from $lib" >&2; exit 1; }

bad=0
report() {
  echo "$1" >&2
  bad=1
}

c_functions=()
while IFS= read -r line; do
  type=${line%% *}
  name=${line#* }
  name=${name%%@*}  # a symbol version, if any
  case $name in
    _init | _fini | _edata | _end | __bss_start) continue ;;
  esac
  if [[ $name =~ ^k3_[a-z0-9_]+$ ]]; then
    [[ $type == T ]] || report "C symbol $name is not a function (nm type $type)"
    c_functions+=("$name")
    continue
  fi
  if [[ $name =~ ^((typeinfo|typeinfo\ name|vtable)\ for\ )?k3:: ]]; then
    if [[ $name =~ (rocksdb|faiss|sqlite3|curl|xml|nlohmann|fmt::|poppler|EVP_|SSL|omp_) ]]; then
      report "k3:: export names a dependency: $name"
    fi
    continue
  fi
  report "unexpected export: $type $name"
done <<<"$exports"

# The C functions exported are exactly those k3.h declares.
declared=$(grep -E '^K3_C_API ' "$header" | sed -E 's/^.*[ *](k3_[a-z0-9_]+)\(.*$/\1/' | sort -u)
exported=$(printf '%s\n' "${c_functions[@]}" | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
[[ -z $missing ]] || report "declared in k3.h but not exported: $(echo $missing)"
[[ -z $extra ]] || report "exported but not declared in k3.h: $(echo $extra)"

n_c=$(echo "$exported" | wc -l)
n_all=$(echo "$exports" | wc -l)
if ((bad)); then
  echo "FAILED: $lib exports symbols it must not (see above)" >&2
  exit 1
fi
echo "ok: $n_all exports, $n_c of them the C functions of k3.h; the rest k3:: C++ API"
