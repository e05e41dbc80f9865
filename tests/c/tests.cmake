# The C ABI tests, included by tests/CMakeLists.txt:
# - `c_api`: tests/c/k3_c_test.c, every function of include/k3/k3.h with its error paths;
# - `c_api_stress`: tests/c/k3_c_stress_test.c, the C ABI from 4 threads on one k3_db;
# - `c_api_bad_input`: tests/c/k3_c_bad_input_test.c, hostile input (huge, unterminated,
#   deeply nested, invalid UTF-8, wrong-typed) on every entry point, with nothing lost;
# - `c_api_coverage`: tests/c/check_coverage.sh, every function of k3.h is called by k3_c_test.c;
# - `c_api_exports` (shared library only): tests/c/check_exports.sh, libk3.so exports only the
#   k3_* functions of k3.h and the k3:: C++ API.
# The programs are strict C99 against k3.h and the library; every test is labelled unit, so the
# sanitizer pass runs them too.
foreach(name k3_c_test k3_c_stress_test k3_c_bad_input_test)
  add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/${name}.c)
  set_target_properties(${name} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_compile_options(${name} PRIVATE -std=c99 -Wall -Wextra -Werror -pedantic)
  target_link_libraries(${name} PRIVATE k3::k3 Threads::Threads)
endforeach()
add_test(NAME c_api COMMAND k3_c_test)
set_tests_properties(c_api PROPERTIES LABELS unit TIMEOUT 300)
add_test(NAME c_api_bad_input COMMAND k3_c_bad_input_test)
set_tests_properties(c_api_bad_input PROPERTIES LABELS unit TIMEOUT 600)
add_test(NAME c_api_stress COMMAND k3_c_stress_test)
set_tests_properties(c_api_stress PROPERTIES LABELS unit TIMEOUT 600)
add_test(NAME c_api_coverage
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_coverage.sh ${PROJECT_SOURCE_DIR}/include/k3/k3.h
    ${CMAKE_CURRENT_LIST_DIR}/k3_c_test.c)
set_tests_properties(c_api_coverage PROPERTIES LABELS unit TIMEOUT 60)
if(K3_BUILD_SHARED)
  add_test(NAME c_api_exports
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_exports.sh $<TARGET_FILE:k3>
      ${PROJECT_SOURCE_DIR}/include/k3/k3.h ${CMAKE_NM})
  set_tests_properties(c_api_exports PROPERTIES LABELS unit TIMEOUT 120)
endif()
