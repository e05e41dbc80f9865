# The C ABI test: tests/c/k3_c_test.c compiled as strict C99 against include/k3/k3.h and the
# library, run as the ctest `c_api` (label unit, so the sanitizer pass runs it too).
# Included by tests/CMakeLists.txt.
add_executable(k3_c_test ${CMAKE_CURRENT_LIST_DIR}/k3_c_test.c)
set_target_properties(k3_c_test PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_compile_options(k3_c_test PRIVATE -std=c99 -Wall -Wextra -Werror -pedantic)
target_link_libraries(k3_c_test PRIVATE k3::k3 Threads::Threads)
add_test(NAME c_api COMMAND k3_c_test)
set_tests_properties(c_api PROPERTIES LABELS unit TIMEOUT 300)
