# Installs the library, public headers, exported targets, a package config and k3.pc.
include(CMakePackageConfigHelpers)
set(K3_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/k3)

install(TARGETS k3 EXPORT k3Targets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/k3 DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/include/k3/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/k3)
install(EXPORT k3Targets NAMESPACE k3:: DESTINATION ${K3_CMAKE_DIR})

configure_package_config_file(cmake/k3Config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/k3Config.cmake INSTALL_DESTINATION ${K3_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/k3ConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/k3Config.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/k3ConfigVersion.cmake DESTINATION ${K3_CMAKE_DIR})

file(RELATIVE_PATH K3_PC_RELATIVE_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
configure_file(cmake/k3.pc.in ${CMAKE_CURRENT_BINARY_DIR}/k3.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/k3.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
