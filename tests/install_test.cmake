# install_test.cmake - install spfcheck into a temporary prefix and build
# and run the examples against the installed tree only: once with
# pkg-config, once with find_package(spfcheck) (tests/install/).
#
# Run as: cmake -DBUILD=DIR -DPREFIX=DIR -DWORK=DIR -DCC=cc -DLIBDIR=lib
#   -DEXAMPLES=a.c:b.c -DRUN_EXAMPLE=run_example -DDNSD=spfc_dnsd
#   -DZONE=example.zone -DCONSUMER=tests/install -DGENERATOR=...
#   [-DSAN_FLAGS=-fsanitize=...] -P install_test.cmake
foreach(v BUILD PREFIX WORK CC LIBDIR EXAMPLES RUN_EXAMPLE DNSD ZONE CONSUMER GENERATOR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "install_test.cmake: -D${v}= is missing")
  endif()
endforeach()
string(REPLACE ":" ";" EXAMPLES "${EXAMPLES}")
separate_arguments(san UNIX_COMMAND "${SAN_FLAGS}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
    ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${PREFIX} ${WORK})
file(MAKE_DIRECTORY ${WORK})
run(${CMAKE_COMMAND} --install ${BUILD} --prefix ${PREFIX})

# Everything in its GNUInstallDirs place.
foreach(f bin/spfcheck ${LIBDIR}/libspfcheck.so ${LIBDIR}/libspfcheck.a
    include/spfcheck/spfcheck.h include/spfcheck/version.h
    ${LIBDIR}/pkgconfig/spfcheck.pc ${LIBDIR}/cmake/spfcheck/spfcheckConfig.cmake
    ${LIBDIR}/cmake/spfcheck/spfcheckConfigVersion.cmake
    share/man/man1/spfcheck.1)
  if(NOT EXISTS ${PREFIX}/${f})
    message(FATAL_ERROR "not installed: ${PREFIX}/${f}")
  endif()
endforeach()
file(GLOB sonames ${PREFIX}/${LIBDIR}/libspfcheck.so.*)
if(NOT sonames)
  message(FATAL_ERROR "no versioned libspfcheck.so.* in ${PREFIX}/${LIBDIR}")
endif()

set(ENV{LD_LIBRARY_PATH} ${PREFIX}/${LIBDIR})

# pkg-config: the .pc file finds its prefix from its own place.
set(ENV{PKG_CONFIG_PATH} ${PREFIX}/${LIBDIR}/pkgconfig)
run(pkg-config --cflags --libs spfcheck)
separate_arguments(pc_flags UNIX_COMMAND "${run_out}")
run(pkg-config --static --libs spfcheck)
if(NOT run_out MATCHES "-lcares")
  message(FATAL_ERROR "pkg-config --static --libs spfcheck lacks c-ares: ${run_out}")
endif()
separate_arguments(pc_static UNIX_COMMAND "${run_out}")
# The static library with what `pkg-config --static` names: its
# Requires.private and Libs.private must be enough to link (-l:NAME.a picks
# the archive where -lspfcheck would take the shared library beside it).
# libidn2's own Libs.private names -lunistring: the machine needs
# libunistring-dev (Debian's libidn2-dev does not pull it in).
list(TRANSFORM pc_static REPLACE "^-lspfcheck$" "-l:libspfcheck.a")
run(pkg-config --cflags spfcheck)
separate_arguments(pc_cflags UNIX_COMMAND "${run_out}")
foreach(src IN LISTS EXAMPLES)
  get_filename_component(name ${src} NAME_WE)
  run(${CC} -std=c11 -Wall -Werror ${san} ${src} ${pc_flags} -o ${WORK}/pc_${name})
  run(${RUN_EXAMPLE} ${DNSD} ${ZONE} ${WORK}/pc_${name})
  message(STATUS "pkg-config ${name}:\n${run_out}")
  run(${CC} -std=c11 -Wall -Werror ${san} ${src} ${pc_cflags} ${pc_static}
    -o ${WORK}/pc_static_${name})
  run(${RUN_EXAMPLE} ${DNSD} ${ZONE} ${WORK}/pc_static_${name})
  message(STATUS "pkg-config --static ${name}:\n${run_out}")
endforeach()

# find_package(spfcheck) in a project of its own.
string(REPLACE ";" ":" examples_arg "${EXAMPLES}")
run(${CMAKE_COMMAND} -S ${CONSUMER} -B ${WORK}/consumer -G ${GENERATOR}
  -DCMAKE_C_COMPILER=${CC} -DCMAKE_PREFIX_PATH=${PREFIX}
  "-DCMAKE_C_FLAGS=${SAN_FLAGS}" -DSPFC_EXAMPLES=${examples_arg})
run(${CMAKE_COMMAND} --build ${WORK}/consumer)
foreach(src IN LISTS EXAMPLES)
  get_filename_component(name ${src} NAME_WE)
  foreach(bin ${name} ${name}_static)
    run(${RUN_EXAMPLE} ${DNSD} ${ZONE} ${WORK}/consumer/${bin})
    message(STATUS "find_package ${bin}:\n${run_out}")
  endforeach()
endforeach()
