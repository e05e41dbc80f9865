#!/usr/bin/env bash
# The install consumer test (ctest install_consumer, see tests.cmake):
#   run.sh BUILD_DIR PROJECT_DIR WORK_DIR [EXPECTED_VERSION]
# 1. `cmake --install BUILD_DIR --prefix WORK_DIR/prefix`
# 2. checks the installed k3.pc: `pkg-config --modversion k3` (equal to EXPECTED_VERSION when
#    given), and that its include and lib directories are the prefix's
# 3. configures and builds PROJECT_DIR (find_package(k3 CONFIG) + k3::k3) with
#    -DCMAKE_PREFIX_PATH=WORK_DIR/prefix and checks that k3 was found in the prefix
# 4. runs the program on a fresh data directory with LD_LIBRARY_PATH at the prefix's lib dir
# 5. for a shared k3: compiles the same main.cpp with `pkg-config --cflags --libs k3` and runs it
# Environment (set by tests.cmake): K3_CONSUMER_CXX (compiler), K3_CONSUMER_SANITIZE (the
# library's K3_SANITIZE), K3_CONSUMER_CONFIG (build configuration).
set -euo pipefail

if (($# < 3 || $# > 4)); then
  echo "usage: $0 BUILD_DIR PROJECT_DIR WORK_DIR [EXPECTED_VERSION]" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
project_dir=$(cd "$2" && pwd)
work_dir=$3
expected_version=${4:-}

cxx=${K3_CONSUMER_CXX:-c++}
sanitize=${K3_CONSUMER_SANITIZE:-}
config=${K3_CONSUMER_CONFIG:-}

step() { printf '\n-- install_consumer: %s\n' "$*"; }
fail() {
  printf 'install_consumer: FAILED: %s\n' "$*" >&2
  exit 1
}

rm -rf "$work_dir"
mkdir -p "$work_dir"
work_dir=$(cd "$work_dir" && pwd)
prefix=$work_dir/prefix

step "cmake --install $build_dir --prefix $prefix"
install_args=(--install "$build_dir" --prefix "$prefix")
[[ -n $config ]] && install_args+=(--config "$config")
cmake "${install_args[@]}"

# Where the install put things (lib, lib64 or lib/<multiarch>, per GNUInstallDirs).
k3_config=$(find "$prefix" -name k3Config.cmake -print -quit)
pc_file=$(find "$prefix" -name k3.pc -print -quit)
lib_file=$(find "$prefix" \( -name 'libk3.so' -o -name 'libk3.a' \) -print -quit)
[[ -n $k3_config ]] || fail "no k3Config.cmake installed under $prefix"
[[ -n $pc_file ]] || fail "no k3.pc installed under $prefix"
[[ -n $lib_file ]] || fail "no libk3.so or libk3.a installed under $prefix"
[[ -f $prefix/include/k3/k3.hpp ]] || fail "no include/k3/k3.hpp installed under $prefix"
[[ -f $prefix/include/k3/version.h ]] || fail "no include/k3/version.h installed under $prefix"
lib_dir=$(dirname "$lib_file")
echo "k3Config.cmake: $k3_config"
echo "k3.pc:          $pc_file"
echo "library:        $lib_file"

step "pkg-config --modversion k3"
PKG_CONFIG_PATH=$(dirname "$pc_file")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
pc_version=$(pkg-config --modversion k3) || fail "pkg-config --modversion k3 failed"
echo "$pc_version"
if [[ -n $expected_version && $pc_version != "$expected_version" ]]; then
  fail "pkg-config reports version $pc_version, the project is $expected_version"
fi
pkg-config --exists "k3 >= $pc_version" || fail "pkg-config --exists 'k3 >= $pc_version' failed"

step "k3.pc points into the prefix"
same_dir() { [[ -d $1 && -d $2 && $(cd "$1" && pwd -P) == "$(cd "$2" && pwd -P)" ]]; }
pc_includedir=$(pkg-config --variable=includedir k3)
pc_libdir=$(pkg-config --variable=libdir k3)
echo "includedir=$pc_includedir libdir=$pc_libdir"
same_dir "$pc_includedir" "$prefix/include" ||
  fail "k3.pc's includedir ($pc_includedir) is not the install prefix's ($prefix/include)"
same_dir "$pc_libdir" "$lib_dir" ||
  fail "k3.pc's libdir ($pc_libdir) is not where the library was installed ($lib_dir)"

sanitize_flags=()
[[ -n $sanitize ]] && sanitize_flags=("-fsanitize=$sanitize")

step "configure and build $project_dir against $prefix"
cmake_args=(
  -S "$project_dir" -B "$work_dir/build"
  -DCMAKE_PREFIX_PATH="$prefix"
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_CXX_COMPILER="$cxx"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
)
if ((${#sanitize_flags[@]} > 0)); then
  cmake_args+=(-DCMAKE_CXX_FLAGS="${sanitize_flags[*]}"
    -DCMAKE_EXE_LINKER_FLAGS="${sanitize_flags[*]}")
fi
cmake "${cmake_args[@]}"
cmake --build "$work_dir/build" -j2

found_dir=$(sed -n 's/^k3_DIR:PATH=//p' "$work_dir/build/CMakeCache.txt")
same_dir "$found_dir" "$(dirname "$k3_config")" ||
  fail "find_package(k3) found $found_dir, not the installed $(dirname "$k3_config")"

step "run the CMake-built consumer"
LD_LIBRARY_PATH=$lib_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
  "$work_dir/build/k3_consumer" "$work_dir/data-cmake" | tee "$work_dir/cmake.out"
grep -q '^OK' "$work_dir/cmake.out" || fail "the CMake-built consumer did not print OK"

if [[ $lib_file == *.so ]]; then
  step "compile with \`pkg-config --cflags --libs k3\` and run"
  read -r -a pc_flags <<<"$(pkg-config --cflags --libs k3)"
  "$cxx" -std=c++20 "${sanitize_flags[@]}" -o "$work_dir/k3_consumer_pc" \
    "$project_dir/main.cpp" "${pc_flags[@]}"
  LD_LIBRARY_PATH=$lib_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
    "$work_dir/k3_consumer_pc" "$work_dir/data-pc" | tee "$work_dir/pc.out"
  grep -q '^OK' "$work_dir/pc.out" || fail "the pkg-config-built consumer did not print OK"
else
  echo "(static k3: k3.pc carries no private dependencies, skipping the pkg-config build)"
fi

step "passed"
