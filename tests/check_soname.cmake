# check_soname.cmake - the shared library's SONAME is libspfcheck.so.MAJOR,
# so a program is bound to the major version it was built against.
# Run as: cmake -DOBJDUMP=objdump -DLIB=libspfcheck.so -DWANT=libspfcheck.so.0 -P check_soname.cmake
execute_process(COMMAND ${OBJDUMP} -p ${LIB} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${OBJDUMP} -p ${LIB} failed")
endif()
if(NOT out MATCHES "SONAME +([^ \n]+)")
  message(FATAL_ERROR "${LIB} has no SONAME")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL WANT)
  message(FATAL_ERROR "SONAME of ${LIB} is ${CMAKE_MATCH_1}, want ${WANT}")
endif()
message(STATUS "SONAME ${CMAKE_MATCH_1}")
