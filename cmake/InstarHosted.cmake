# Flags for hosted (Linux user-space) targets: sanitizers and coverage per preset.
add_library(instar_hosted INTERFACE)
if(INSTAR_SANITIZE)
  # -fno-sanitize=vptr: the guest core is built without RTTI (it is also freestanding code), so
  # UBSan's dynamic-type checks have no typeinfo to consult for its classes.
  target_compile_options(instar_hosted INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                 -fno-sanitize-recover=undefined -fno-sanitize=vptr)
  target_link_options(instar_hosted INTERFACE -fsanitize=address,undefined)
endif()
if(INSTAR_FUZZ AND NOT INSTAR_FUZZ_ENGINE)
  # Coverage feedback for libFuzzer in every hosted library; fuzz targets add -fsanitize=fuzzer.
  # -fno-sanitize=vptr for the same reason as INSTAR_SANITIZE: the guest core has no RTTI.
  target_compile_options(instar_hosted INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                                                 -fno-omit-frame-pointer -fno-sanitize=vptr)
  target_link_options(instar_hosted INTERFACE -fsanitize=address,undefined)
endif()
if(INSTAR_COVERAGE)
  target_compile_options(instar_hosted INTERFACE --coverage -O0)
  target_link_options(instar_hosted INTERFACE --coverage)
endif()

# instar_add_gtest(NAME SOURCES... LIBS ... [LABELS ...]): one gtest binary registered with ctest.
function(instar_add_gtest name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main instar_warnings
                                        instar_hosted)
  include(GoogleTest)
  if(T_LABELS)
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${T_LABELS}")
  else()
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
  endif()
endfunction()
