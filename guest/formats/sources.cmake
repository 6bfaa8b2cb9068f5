# Guest format parser sources (included by guest/CMakeLists.txt into both builds).
list(APPEND INSTAR_GUEST_SOURCES)
