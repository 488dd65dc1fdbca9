# packaging/: the man pages against --help (label cli), and issue 20's acceptance (label
# package): build the .deb, lintian, dpkg -i, the lab's scan with the installed binaries,
# dpkg -r / --purge. Needs root; RUN_SERIAL: it installs into this machine and runs the lab.
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
