# check_dlopen_soname.cmake - a library spfcheck loads when it needs it
# (dlopen by SONAME, src/lib/spfc_private.h) has the SONAME the header
# names: the library the build found is the one that will be loaded.
# Run as: cmake -DOBJDUMP=objdump -DLIB=/usr/lib/.../libpsl.so
#   -DHEADER=spfc_private.h -DMACRO=SPFC_LIBPSL_SONAME -P check_dlopen_soname.cmake
file(STRINGS ${HEADER} lines REGEX "^#define ${MACRO} \"")
if(NOT lines MATCHES "^#define ${MACRO} \"([^\"]+)\"")
  message(FATAL_ERROR "${MACRO} not defined in ${HEADER}")
endif()
set(WANT "${CMAKE_MATCH_1}")
include(${CMAKE_CURRENT_LIST_DIR}/check_soname.cmake)
