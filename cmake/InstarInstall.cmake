# InstarInstall.cmake: `cmake --install` layout (docs/install.md): bin/instar, the guest binaries
# under libexec/instar/, the instar(1) man page, and optionally a qemu-img symlink.
option(INSTAR_INSTALL_QEMU_IMG_LINK "Install bin/qemu-img as a symlink to instar" OFF)

install(TARGETS instar RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS instar-guest-process RUNTIME DESTINATION ${INSTAR_INSTALL_LIBEXEC_SUBDIR})
if(TARGET instar_guest_elf)
  # `cmake --install --strip` strips it too: only symbols and non-loaded sections go; the program
  # headers and every loaded byte stay as check_elf verified them (oracle/tests/test_install.py).
  install(TARGETS instar_guest_elf RUNTIME DESTINATION ${INSTAR_INSTALL_LIBEXEC_SUBDIR})
endif()
install(FILES ${CMAKE_SOURCE_DIR}/docs/man/instar.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

if(INSTAR_INSTALL_QEMU_IMG_LINK)
  # Relative, so the link still works in a DESTDIR or an unpacked package. instar prints
  # qemu-img's usage texts when it is invoked under that name.
  install(CODE "
    set(link \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/qemu-img\")
    message(STATUS \"Installing: \${link} -> instar\")
    file(CREATE_LINK instar \"\${link}\" SYMBOLIC)")
endif()
