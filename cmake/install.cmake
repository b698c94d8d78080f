# install.cmake - what `cmake --install` puts where (GNUInstallDirs):
# the program, libspfcheck.so and libspfcheck.a, the headers, spfcheck.pc,
# the CMake package (find_package(spfcheck) -> spfcheck::spfcheck, the
# shared library, and spfcheck::spfcheck_static) and the man page.
include(CMakePackageConfigHelpers)

install(TARGETS spfcheck_bin spfcheck_shared spfcheck
  EXPORT spfcheckTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES
  ${PROJECT_SOURCE_DIR}/include/spfcheck/spfcheck.h
  ${PROJECT_BINARY_DIR}/include/spfcheck/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/spfcheck)
install(FILES ${PROJECT_SOURCE_DIR}/docs/spfcheck.1
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
# Completions, written by the program from its options table at build
# time (src/cli/CMakeLists.txt), where bash-completion and zsh look.
install(FILES ${PROJECT_BINARY_DIR}/completions/spfcheck
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${PROJECT_BINARY_DIR}/completions/_spfcheck
  DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)

# pkg-config.  The prefix is found from the .pc file's own place, so the
# tree works wherever it is installed (cmake --install --prefix DIR).
# Requires.private and Libs.private, for `pkg-config --static`, come from
# the lists in the top CMakeLists.txt.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(SPFC_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _spfc_up "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" _spfc_up "${_spfc_up}")
  set(SPFC_PC_PREFIX "\${pcfiledir}/${_spfc_up}")
endif()
set(SPFC_PC_REQUIRES_PRIVATE "")
foreach(spec IN LISTS SPFC_LIB_PKG_MODULES)
  # pkg-config wants "name >= version", with spaces.
  string(REGEX REPLACE "^([^<>= ]+) *([<>=]+) *(.+)$" "\\1 \\2 \\3" spec "${spec}")
  list(APPEND SPFC_PC_REQUIRES_PRIVATE "${spec}")
endforeach()
string(REPLACE ";" ", " SPFC_PC_REQUIRES_PRIVATE "${SPFC_PC_REQUIRES_PRIVATE}")
set(SPFC_PC_LIBS_PRIVATE "")
foreach(lib IN LISTS SPFC_LIB_SYS_LIBS)
  string(APPEND SPFC_PC_LIBS_PRIVATE " -l${lib}")
endforeach()
string(STRIP "${SPFC_PC_LIBS_PRIVATE}" SPFC_PC_LIBS_PRIVATE)
configure_file(${CMAKE_CURRENT_LIST_DIR}/spfcheck.pc.in
  ${PROJECT_BINARY_DIR}/spfcheck.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/spfcheck.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The CMake package.  spfcheckConfig.cmake finds the same pkg-config
# modules under the same prefixes, because the exported static target
# names them (PkgConfig::SPFC_DEP_...).
set(SPFC_CONFIG_DEPS "")
foreach(spec IN LISTS SPFC_LIB_PKG_MODULES)
  spfc_pkg_dep_prefix("${spec}" prefix)
  string(APPEND SPFC_CONFIG_DEPS "spfc_config_pkg_dep(${prefix} \"${spec}\")\n")
endforeach()
set(SPFC_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/spfcheck)
install(EXPORT spfcheckTargets NAMESPACE spfcheck::
  DESTINATION ${SPFC_CMAKEDIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/spfcheckConfig.cmake.in
  ${PROJECT_BINARY_DIR}/spfcheckConfig.cmake
  INSTALL_DESTINATION ${SPFC_CMAKEDIR})
# Same major version, as the SONAME says.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/spfcheckConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/spfcheckConfig.cmake
  ${PROJECT_BINARY_DIR}/spfcheckConfigVersion.cmake
  DESTINATION ${SPFC_CMAKEDIR})
