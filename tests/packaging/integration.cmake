# packaging/: the man pages against --help, the install rules and the build dependencies
# (label cli), and issue 20's acceptance (label package): build the .deb, lintian, dpkg -i, the
# lab's scan with the installed binaries, dpkg -r / --purge. Needs root; RUN_SERIAL: it installs
# into this machine and runs the lab.
if(MAILSWEEP_MAN_PAGES)
  add_test(NAME "cli: man pages match --help"
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/man_pages.sh $<TARGET_FILE:mailsweep>
                   $<TARGET_FILE:mailsweep-agg> ${PROJECT_BINARY_DIR}/packaging/man1)
  set_tests_properties("cli: man pages match --help" PROPERTIES LABELS "cli" TIMEOUT 120)
endif()
add_test(NAME "package: build, lintian, install, lab scan, remove"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/package_test.sh ${PROJECT_SOURCE_DIR}
                 ${PROJECT_BINARY_DIR} $<TARGET_FILE:mailsweep_lab>)
set_tests_properties("package: build, lintian, install, lab scan, remove" PROPERTIES
                     LABELS "package" TIMEOUT 1200 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
# cmake --install never overwrites the blocklist file (a DESTDIR install of this build tree).
add_test(NAME "cli: install keeps an edited blocklist.conf"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/install_keeps_blocklist.sh ${PROJECT_BINARY_DIR}
                 ${CMAKE_INSTALL_FULL_SYSCONFDIR}/mailsweep/blocklist.conf
                 ${CMAKE_INSTALL_FULL_BINDIR} ${PROJECT_SOURCE_DIR}/packaging/blocklist.conf)
set_tests_properties("cli: install keeps an edited blocklist.conf" PROPERTIES LABELS "cli"
                     TIMEOUT 120)
# scripts/deps.sh --build-only: enough to build the package, nothing of the lab.
add_test(NAME "cli: deps.sh --build-only builds and installs no lab"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/build_deps.sh ${PROJECT_SOURCE_DIR})
set_tests_properties("cli: deps.sh --build-only builds and installs no lab" PROPERTIES
                     LABELS "cli" TIMEOUT 60)
# One date in the changelog and the man pages; man_page.sh honours SOURCE_DATE_EPOCH.
if(MAILSWEEP_MAN_PAGES)
  add_test(NAME "cli: package dates come from SOURCE_DATE_EPOCH"
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/reproducible_dates.sh $<TARGET_FILE:mailsweep>
                   ${PROJECT_BINARY_DIR}/packaging ${PROJECT_SOURCE_DIR}/packaging/man_page.sh)
  set_tests_properties("cli: package dates come from SOURCE_DATE_EPOCH" PROPERTIES
                       LABELS "cli" TIMEOUT 120)
endif()
