# check_exports.cmake - every global symbol libspfcheck defines starts with
# spfc_ (STYLE.md rule 2), so the library can sit in any program.
# Run as: cmake -DNM=nm -DLIB=libspfcheck.a -P check_exports.cmake
execute_process(COMMAND ${NM} -g --defined-only ${LIB}
  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} failed on ${LIB}")
endif()
string(REPLACE "\n" ";" lines "${out}")
set(count 0)
set(bad "")
foreach(line IN LISTS lines)
  # "ADDRESS TYPE NAME" lines; object-file headers and blanks are skipped.
  if(line MATCHES "^[0-9a-fA-F]+ [A-Za-z] (.+)$")
    math(EXPR count "${count} + 1")
    if(NOT CMAKE_MATCH_1 MATCHES "^spfc_")
      list(APPEND bad "${CMAKE_MATCH_1}")
    endif()
  endif()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "no global symbols found in ${LIB}: is this the library?")
endif()
if(bad)
  message(FATAL_ERROR "exported without the spfc_ prefix: ${bad}")
endif()
message(STATUS "exports: ${count}/${count} symbols start with spfc_")
