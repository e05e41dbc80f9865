#!/usr/bin/env bash
# build.sh: the one entry point for building, testing and benchmarking k3.
#
#   ./build.sh deps            install the Debian packages k3 needs (when missing)
#   ./build.sh demo [LANG] [DIR]  build build/ and run the quickstart tour on DIR (./k3-data);
#                              LANG: cpp (default, the C++ API), c (the C ABI) or python
#   ./build.sh test            build build/ and run every test; then an ASan+UBSan build in
#                              build-asan/ runs the unit tests (CI runs this via .ci/run)
#   ./build.sh bench [ARGS]    build build/ and run every build/bench/*_bench (ARGS go to each)
#
# Every command first installs what is missing, so it works on a fresh Debian machine.
# Environment:
#   K3_BUILD_TYPE=...   CMake build type of build/ (default RelWithDebInfo)
#   K3_JOBS=N           parallel compile jobs (default: nproc)
#   K3_SKIP_ASAN=1      skip the sanitizer pass of `test` (local speed only; ignored when CI is set)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$(pwd)

# Every Debian package a k3 build, test or benchmark needs. Add new dependencies here.
K3_DEBIAN_PACKAGES=(
  build-essential
  cmake
  pkg-config
  librocksdb-dev
  libzstd-dev
  libfmt-dev
  nlohmann-json3-dev
  libssl-dev
  libcurl4-openssl-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libcpp-httplib-dev
  libfaiss-dev
  libopenblas0-pthread
  libhnswlib-dev
  libsqlite3-dev
  libxml2-dev
  libpoppler-cpp-dev
  python3
  clang-format
)

BUILD_TYPE=${K3_BUILD_TYPE:-RelWithDebInfo}
JOBS=${K3_JOBS:-$(nproc)}
START_SECONDS=$SECONDS
PHASE_NAME=""
PHASE_START=0

# Banners: one line when a phase starts, one when it ends, with elapsed seconds.
phase() {
  end_phase
  PHASE_NAME=$1
  PHASE_START=$SECONDS
  printf '\n==== [k3] %s (t=%ss)\n' "$PHASE_NAME" "$((SECONDS - START_SECONDS))"
}
end_phase() {
  if [[ -n $PHASE_NAME ]]; then
    printf '==== [k3] done: %s in %ss\n' "$PHASE_NAME" "$((SECONDS - PHASE_START))"
    PHASE_NAME=""
  fi
}
on_exit() {
  local rc=$?
  if ((rc != 0)); then
    printf '\n==== [k3] FAILED%s (exit %d, after %ss)\n' "${PHASE_NAME:+ in: $PHASE_NAME}" \
      "$rc" "$((SECONDS - START_SECONDS))" >&2
  fi
}
trap on_exit EXIT

die() {
  printf 'build.sh: %s\n' "$*" >&2
  exit 1
}

# Installs the packages of K3_DEBIAN_PACKAGES that are not installed yet.
deps() {
  phase "deps: checking ${#K3_DEBIAN_PACKAGES[@]} Debian packages"
  local missing=() pkg status
  for pkg in "${K3_DEBIAN_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ $status != "install ok installed" ]]; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    echo "all packages present"
    end_phase
    return 0
  fi
  echo "missing: ${missing[*]}"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "not root and no sudo: install ${missing[*]} by hand"
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
  end_phase
}

# configure DIR [cmake args...]: configures DIR from the repo root (idempotent).
configure() {
  local dir=$1
  shift
  phase "configure $dir"
  cmake -S "$ROOT" -B "$dir" "$@"
}

# build DIR [targets...]: builds the targets (all when none) with JOBS jobs.
build() {
  local dir=$1
  shift
  local targets=()
  local t
  for t in "$@"; do targets+=(--target "$t"); done
  phase "build $dir${*:+ ($*)}"
  cmake --build "$dir" -j"$JOBS" "${targets[@]}"
}

configure_main() {
  configure build -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
}

# demo [cpp|c|python] [DATA_DIR]: the quickstart tour through the C++ API (default), the C ABI
# (examples/quickstart.c) or Python over the C ABI (examples/python/quickstart.py), on
# DATA_DIR (default ./k3-data). All three make the same tour of the same corpus.
cmd_demo() {
  local lang=${1:-cpp}
  local data_dir=${2:-./k3-data}
  local run=()
  deps
  configure_main
  case $lang in
    cpp)
      build build k3_quickstart
      run=(./build/examples/k3_quickstart)
      ;;
    c)
      build build k3_quickstart_c
      run=(./build/examples/k3_quickstart_c)
      ;;
    python)
      build build k3
      run=(env K3_LIB="$ROOT/build/libk3.so" python3 examples/python/quickstart.py)
      ;;
    *) die "demo: unknown language '$lang' (cpp, c or python)" ;;
  esac
  phase "run the $lang quickstart on $data_dir"
  "${run[@]}" "$data_dir" ./examples/data
  end_phase
}

cmd_test() {
  deps
  configure_main
  build build
  phase "ctest build/ (all tests)"
  ctest --test-dir build --output-on-failure -j2 --timeout 900 --no-tests=error

  local skip_asan=${K3_SKIP_ASAN:-0}
  if [[ $skip_asan == 1 && -n ${CI:-} ]]; then
    echo "K3_SKIP_ASAN=1 is ignored under CI: the sanitizer pass always runs there" >&2
    skip_asan=0
  fi
  if [[ $skip_asan == 1 ]]; then
    phase "sanitizer pass skipped (K3_SKIP_ASAN=1)"
  else
    configure build-asan \
      -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_CXX_FLAGS=-O1 \
      -DCMAKE_C_FLAGS=-O1 \
      -DK3_SANITIZE=address,undefined \
      -DK3_BUILD_BENCH=OFF \
      -DK3_BUILD_EXAMPLES=OFF
    # The options apply to the build too: gtest_discover_tests runs the test binary to list
    # its tests.
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    build build-asan
    phase "ctest build-asan/ (unit tests under ASan+UBSan)"
    ctest --test-dir build-asan --output-on-failure -j2 -L unit --timeout 1800 --no-tests=error
  fi
  end_phase
  printf '\n==== [k3] test: all passed in %ss\n' "$((SECONDS - START_SECONDS))"
}

cmd_bench() {
  deps
  configure_main
  build build
  shopt -s nullglob
  local benches=() f
  for f in build/bench/*_bench; do
    [[ -f $f && -x $f ]] && benches+=("$ROOT/$f")
  done
  shopt -u nullglob
  ((${#benches[@]} > 0)) || die "no benchmarks found in build/bench/"
  mapfile -t benches < <(printf '%s\n' "${benches[@]}" | LC_ALL=C sort)

  local failed=() dir rc
  for f in "${benches[@]}"; do
    phase "bench $(basename "$f")"
    dir=$(mktemp -d "${TMPDIR:-/tmp}/k3-bench.XXXXXX")
    rc=0
    (cd "$dir" && "$f" "$@") || rc=$?
    rm -rf "$dir"
    if ((rc != 0)); then
      echo "$(basename "$f") FAILED with exit code $rc" >&2
      failed+=("$(basename "$f")")
    fi
  done
  end_phase
  if ((${#failed[@]} > 0)); then
    die "benchmarks failed: ${failed[*]}"
  fi
  printf '\n==== [k3] bench: %d benchmarks ran in %ss\n' "${#benches[@]}" \
    "$((SECONDS - START_SECONDS))"
}

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-}
  (($# > 0)) && shift
  case $cmd in
    deps) deps ;;
    demo) cmd_demo "$@" ;;
    test) cmd_test ;;
    bench) cmd_bench "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
