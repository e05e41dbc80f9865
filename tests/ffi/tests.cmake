# The FFI tests, included by tests/CMakeLists.txt. Neither is registered in a sanitizer build
# (another language's process cannot load an ASan-built library without preloading the
# sanitizer runtime); the C tests cover the same ABI under ASan.
# - `ffi_python`: tests/ffi/test_k3_ffi.py drives the built libk3.so from Python through ctypes
#   (examples/python/k3.py). Needs python3 (a Debian package build.sh installs).
# - `ffi_rust`: examples/rust/k3_ffi.rs, compiled with rustc against libk3.so and run twice
#   (tests/ffi/run_rust.cmake). Registered only where rustc is found: it is not one of the
#   project's Debian packages.
find_package(Python3 COMPONENTS Interpreter)
if(K3_BUILD_SHARED AND Python3_Interpreter_FOUND AND NOT K3_SANITIZE)
  add_test(NAME ffi_python
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_k3_ffi.py)
  set_tests_properties(ffi_python PROPERTIES
    LABELS ffi
    TIMEOUT 300
    ENVIRONMENT "K3_LIB=$<TARGET_FILE:k3>")
endif()

find_program(K3_RUSTC rustc PATHS $ENV{HOME}/.cargo/bin)
if(K3_BUILD_SHARED AND K3_RUSTC AND NOT K3_SANITIZE)
  add_test(NAME ffi_rust
    COMMAND ${CMAKE_COMMAND}
      -DRUSTC=${K3_RUSTC}
      -DSRC=${PROJECT_SOURCE_DIR}/examples/rust/k3_ffi.rs
      -DLIB_DIR=$<TARGET_FILE_DIR:k3>
      -DOUT=${CMAKE_CURRENT_BINARY_DIR}/k3_ffi_rs
      -DDATA_DIR=${CMAKE_CURRENT_BINARY_DIR}/ffi-rust-data
      -P ${CMAKE_CURRENT_LIST_DIR}/run_rust.cmake)
  set_tests_properties(ffi_rust PROPERTIES LABELS ffi TIMEOUT 300)
elseif(NOT K3_RUSTC)
  message(STATUS "rustc not found: the Rust FFI example (ffi_rust) is not tested")
endif()
