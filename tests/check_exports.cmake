# check_exports.cmake - the shared library exports exactly the functions
# spfcheck.h declares with SPFC_API: nothing exported that the header does
# not declare (an internal leaking into the ABI), nothing declared that is
# not exported (a caller would fail to link or load).
#
# Run as: cmake -DCC=cc -DNM=nm -DLIB=libspfcheck.so [-DSTATIC=libspfcheck.a]
#               -DHEADER=spfcheck.h -DINCLUDES=DIR:DIR -P check_exports.cmake
#
# The header is read through the C preprocessor, not with a regex over its
# text: comments vanish, declarations spread over several lines become
# token runs, and function-like macros (spfc_x(...) -> spfc_x_sized(...))
# are only definitions, so what remains after SPFC_API is exactly the
# declared symbol.  SPFC_API expands to the visibility attribute; its
# marker in the output is that attribute.
foreach(v CC NM LIB HEADER)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check_exports.cmake: -D${v}= is missing")
  endif()
endforeach()

set(iflags "")
string(REPLACE ":" ";" INCLUDES "${INCLUDES}")
foreach(d IN LISTS INCLUDES)
  list(APPEND iflags "-I${d}")
endforeach()
execute_process(COMMAND ${CC} -E -P -std=c11 ${iflags} ${HEADER}
  OUTPUT_VARIABLE pp RESULT_VARIABLE rc ERROR_VARIABLE pp_err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${CC} -E ${HEADER} failed: ${pp_err}")
endif()
# [ and ] would confuse CMake's list handling of the matches.
string(REPLACE "[" "(" pp "${pp}")
string(REPLACE "]" ")" pp "${pp}")
string(REGEX MATCHALL
  "visibility *\\( *\"default\" *\\) *\\) *\\)[^;{(]*\\("
  decls "${pp}")
set(declared "")
foreach(d IN LISTS decls)
  if(NOT d MATCHES "([A-Za-z_][A-Za-z0-9_]*)[ \t\r\n]*\\($")
    message(FATAL_ERROR "cannot find the name in: ${d}")
  endif()
  list(APPEND declared "${CMAKE_MATCH_1}")
endforeach()
list(REMOVE_DUPLICATES declared)

execute_process(COMMAND ${NM} -D --defined-only ${LIB}
  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} -D failed on ${LIB}")
endif()
string(REPLACE "\n" ";" lines "${out}")
set(exported "")
foreach(line IN LISTS lines)
  # "ADDRESS TYPE NAME[@VERSION]".  Names starting with '_' are reserved
  # for the implementation (C11 7.1.3): the linker's _init, _fini,
  # __bss_start, _edata, _end and sanitizer hooks, never ours.
  if(line MATCHES "^[0-9a-fA-F]* *[A-Za-z] ([^@ ]+)")
    set(name "${CMAKE_MATCH_1}")
    if(NOT name MATCHES "^_")
      list(APPEND exported "${name}")
    endif()
  endif()
endforeach()

list(LENGTH declared n_declared)
list(LENGTH exported n_exported)
if(n_declared EQUAL 0 OR n_exported EQUAL 0)
  message(FATAL_ERROR
    "found ${n_declared} declarations in ${HEADER} and ${n_exported} exports in ${LIB}")
endif()
set(extra ${exported})
list(REMOVE_ITEM extra ${declared})
set(missing ${declared})
list(REMOVE_ITEM missing ${exported})
if(extra OR missing)
  # One line per name, unwrapped, so a reader (and the self-tests) can
  # find each.
  foreach(name IN LISTS extra)
    message(NOTICE "exported but not declared with SPFC_API: ${name}")
  endforeach()
  foreach(name IN LISTS missing)
    message(NOTICE "declared with SPFC_API but not exported: ${name}")
  endforeach()
  message(FATAL_ERROR "the exports of ${LIB} differ from ${HEADER}")
endif()
message(STATUS
  "exports: ${n_exported} dynamic symbols = ${n_declared} SPFC_API declarations")

# With -DSTATIC=libspfcheck.a: every global symbol of the archive, hidden
# internals included, starts with spfc_ (STYLE.md rule 2), since a static
# link puts them all into the caller's program next to its own names.
if(DEFINED STATIC)
  execute_process(COMMAND ${NM} -g --defined-only ${STATIC}
    OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${STATIC}")
  endif()
  string(REPLACE "\n" ";" lines "${out}")
  set(count 0)
  set(bad "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^[0-9a-fA-F]+ [A-Za-z] (.+)$")
      set(name "${CMAKE_MATCH_1}")
      math(EXPR count "${count} + 1")
      if(NOT name MATCHES "^spfc_")
        list(APPEND bad "${name}")
      endif()
    endif()
  endforeach()
  if(count EQUAL 0 OR bad)
    message(FATAL_ERROR "${STATIC}: ${count} globals; without the spfc_ prefix: ${bad}")
  endif()
  message(STATUS "static: ${count}/${count} global symbols start with spfc_")
endif()
