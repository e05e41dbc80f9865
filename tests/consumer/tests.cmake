# The install consumer test: installs the built library into a scratch prefix, then builds
# and runs tests/consumer/project/ against it the way a user would: with CMake's
# find_package(k3 CONFIG) and k3::k3, and with pkg-config's k3.pc. Included by
# tests/CMakeLists.txt; it needs the install rules (K3_INSTALL) and the built library.
if(K3_INSTALL)
  add_test(NAME install_consumer
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run.sh
      ${PROJECT_BINARY_DIR}
      ${CMAKE_CURRENT_LIST_DIR}/project
      ${CMAKE_CURRENT_BINARY_DIR}/consumer-work
      ${PROJECT_VERSION})
  set_tests_properties(install_consumer PROPERTIES
    LABELS install
    TIMEOUT 600
    # The consumer is built with the same compiler, and with the same sanitizers when the
    # library has them (a sanitized libk3.so needs the sanitizer runtime in the program).
    ENVIRONMENT "K3_CONSUMER_CXX=${CMAKE_CXX_COMPILER};K3_CONSUMER_SANITIZE=${K3_SANITIZE};K3_CONSUMER_CONFIG=$<CONFIG>")
endif()
