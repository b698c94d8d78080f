# check_needed_libs.cmake - the spfcheck binary starts without a TLS
# library: master files go through libzscanner, which needs only libc,
# linked normally (NEEDED), not loaded later.  A TLS library costs every
# start its relocation time, although spfcheck speaks no TLS.
# Run as: cmake -DREADELF=readelf -DBIN=spfcheck -P check_needed_libs.cmake
set(forbidden "ssl|crypto|gnutls|nettle|hogweed|gcrypt|mbedtls|wolfssl|ldns|libknot")

execute_process(COMMAND ${READELF} -d ${BIN}
  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${READELF} -d failed on ${BIN}")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*\\[([^]\n]+)\\]" needed_lines "${out}")
set(needed "")
foreach(line IN LISTS needed_lines)
  string(REGEX REPLACE ".*\\[([^]]+)\\]" "\\1" lib "${line}")
  list(APPEND needed "${lib}")
endforeach()
if(NOT needed MATCHES "libc\\.so")
  message(FATAL_ERROR "no libc among the NEEDED entries of ${BIN} (${needed}): is this the binary?")
endif()
if(NOT needed MATCHES "libzscanner\\.so")
  message(FATAL_ERROR "libzscanner is not linked into ${BIN}: ${needed}")
endif()

# What the dynamic loader maps at start: the NEEDED entries and theirs.
set(loaded "${needed}")
find_program(LDD ldd)
if(LDD)
  execute_process(COMMAND ${LDD} ${BIN} OUTPUT_VARIABLE ldd_out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ldd failed on ${BIN}")
  endif()
  string(REGEX MATCHALL "[^ \t\n/]+\\.so[^ \t\n]*" ldd_libs "${ldd_out}")
  list(APPEND loaded ${ldd_libs})
endif()
foreach(lib IN LISTS loaded)
  if(lib MATCHES "${forbidden}")
    message(FATAL_ERROR "${BIN} loads ${lib} at start (${loaded})")
  endif()
endforeach()
list(REMOVE_DUPLICATES loaded)
message(STATUS "${BIN} loads: ${loaded}")
