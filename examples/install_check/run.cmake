# The install_package_check test:
#   1. cmake --install <BUILD_DIR> --prefix <WORK_DIR>/prefix
#   2. configure examples/install_check against that prefix only
#   3. build it (the Quick Start's and the embedded actor's sources, linked
#      to presence::presence, from the installed headers alone, and a cluster
#      consumer linked to presence::cluster)
#   4. run all three; the single-node programs must not need CAF's io
#      module or OpenSSL (checked with readelf where it exists)
# Any failing step fails the test.
#
# cmake -DBUILD_DIR=... -DCHECK_SOURCE_DIR=... -DWORK_DIR=...
#       [-DCXX_COMPILER=...] [-DGENERATOR=...] -P run.cmake

foreach(var BUILD_DIR CHECK_SOURCE_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "run.cmake: ${var} is not set")
  endif()
endforeach()

set(prefix "${WORK_DIR}/prefix")
set(check_build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${prefix}" "${check_build}")

function(run_step name)
  message(STATUS "install_check: ${name}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install_check: ${name} failed (${rc})")
  endif()
endfunction()

run_step("install into ${prefix}"
  "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")

foreach(f include/presence/presence.hpp
          lib/cmake/presence/presenceConfig.cmake
          lib/cmake/presence/presenceConfigVersion.cmake
          lib/cmake/presence/presenceTargets.cmake
          lib/cmake/presence/presenceClusterTargets.cmake
          include/presence/cluster.hpp
          lib/cmake/presence/FindCAF.cmake)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "install_check: ${f} was not installed")
  endif()
endforeach()

# The installed headers are the documented API only: no internal headers.
if(EXISTS "${prefix}/include/presence/detail")
  message(FATAL_ERROR "install_check: internal headers were installed "
                      "(include/presence/detail)")
endif()

set(configure_args -S "${CHECK_SOURCE_DIR}" -B "${check_build}"
  "-DCMAKE_PREFIX_PATH=${prefix}"
  "-DPRESENCE_EXPECTED_PREFIX=${prefix}"
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(GENERATOR)
  list(APPEND configure_args -G "${GENERATOR}")
endif()
if(CXX_COMPILER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
run_step("configure against the installed package"
  "${CMAKE_COMMAND}" ${configure_args})

run_step("build" "${CMAKE_COMMAND}" --build "${check_build}")

message(STATUS "install_check: run")
execute_process(COMMAND "${check_build}/quick_start"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install_check: quick_start exited with ${rc}")
endif()
if(NOT out MATCHES "User is online")
  message(FATAL_ERROR "install_check: quick_start did not print 'User is online'")
endif()
execute_process(COMMAND "${check_build}/embedded_actor"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install_check: embedded_actor exited with ${rc}")
endif()
execute_process(COMMAND "${check_build}/cluster_check"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "Cluster node solo started")
  message(FATAL_ERROR "install_check: cluster_check failed (${rc})")
endif()

# Single-node programs link neither CAF's io module nor OpenSSL.
find_program(READELF readelf)
if(READELF)
  foreach(prog quick_start embedded_actor)
    execute_process(COMMAND "${READELF}" -d "${check_build}/${prog}"
      OUTPUT_VARIABLE dyn RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "install_check: readelf ${prog} failed")
    endif()
    if(dyn MATCHES "libcaf_io|libcaf_openssl|libssl|libcrypto")
      message(FATAL_ERROR "install_check: ${prog} links CAF io or OpenSSL")
    endif()
  endforeach()
  execute_process(COMMAND "${READELF}" -d "${check_build}/cluster_check"
    OUTPUT_VARIABLE dyn)
  if(NOT dyn MATCHES "libcaf_io" OR NOT dyn MATCHES "libcaf_openssl")
    message(FATAL_ERROR "install_check: cluster_check does not link CAF's "
                        "io and OpenSSL modules (readelf cannot see them?)")
  endif()
else()
  message(STATUS "install_check: no readelf, link check skipped")
endif()
message(STATUS "install_check: passed")
