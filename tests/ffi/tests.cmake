# The FFI test: tests/ffi/test_k3_ffi.py drives the built libk3.so from Python through ctypes
# (examples/python/k3.py), as the ctest `ffi_python` (label ffi). Included by
# tests/CMakeLists.txt. It needs the shared library and python3, and is not registered in a
# sanitizer build (a Python process cannot load an ASan-built library without preloading the
# sanitizer runtime); the C test covers the same ABI under ASan.
find_package(Python3 COMPONENTS Interpreter)
if(K3_BUILD_SHARED AND Python3_Interpreter_FOUND AND NOT K3_SANITIZE)
  add_test(NAME ffi_python
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_k3_ffi.py)
  set_tests_properties(ffi_python PROPERTIES
    LABELS ffi
    TIMEOUT 300
    ENVIRONMENT "K3_LIB=$<TARGET_FILE:k3>")
endif()
