# Warnings-as-errors for instar's own code (never applied to Debian's libraries or generated code).
add_library(instar_warnings INTERFACE)
target_compile_options(instar_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor> -Wcast-align -Wnull-dereference
  -Wimplicit-fallthrough -Werror)
