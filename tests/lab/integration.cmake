# The lab (tests/lab/): the helper binary lab.sh drives, and the sweeper's integration tests,
# which build a simulated Internet in network namespaces (needs root) and sweep it.
add_library(mailsweep_lab_model STATIC ${CMAKE_CURRENT_LIST_DIR}/lab_model.cc)
target_link_libraries(mailsweep_lab_model PUBLIC mailsweep_base PRIVATE mailsweep_warnings)
add_library(mailsweep_lab_edge STATIC ${CMAKE_CURRENT_LIST_DIR}/xdp_edge.cc)
target_link_libraries(mailsweep_lab_edge PUBLIC mailsweep_lab_model PRIVATE mailsweep_warnings)
add_executable(mailsweep_lab ${CMAKE_CURRENT_LIST_DIR}/lab_tool.cc)
target_link_libraries(mailsweep_lab PRIVATE mailsweep_lab_edge mailsweep_targets mailsweep_warnings)

# The XDP edge on frames built by the test (BPF_PROG_TEST_RUN; needs root, skipped otherwise).
add_executable(lab_edge_test ${CMAKE_CURRENT_LIST_DIR}/xdp_edge_test.cc)
target_link_libraries(lab_edge_test PRIVATE mailsweep_lab_edge mailsweep_catch_main mailsweep_warnings)
add_test(NAME "integration: lab XDP edge"
         COMMAND bash -c "[ \"$(id -u)\" = 0 ] || exit 77; exec \"$0\"" $<TARGET_FILE:lab_edge_test>)
set_tests_properties("integration: lab XDP edge" PROPERTIES LABELS "integration" TIMEOUT 60
                     SKIP_RETURN_CODE 77)

foreach(case full paths)
  add_test(NAME "integration: sweep lab ${case}"
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/sweep_test.sh $<TARGET_FILE:mailsweep>
                   $<TARGET_FILE:mailsweep_lab> ${case})
  set_tests_properties("integration: sweep lab ${case}" PROPERTIES LABELS "integration" TIMEOUT 240 SKIP_RETURN_CODE 77
                       RUN_SERIAL TRUE)
endforeach()

# The Sweeper class in-process (handler, throttle, stop, resume), as the pipeline uses it.
add_executable(sweeper_lab_test ${CMAKE_CURRENT_LIST_DIR}/sweeper_lab_test.cc)
target_link_libraries(sweeper_lab_test PRIVATE mailsweep_sweep mailsweep_run mailsweep_warnings)
add_test(NAME "integration: sweeper in-process stop and resume"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/sweeper_lab_test.sh $<TARGET_FILE:sweeper_lab_test>
                 $<TARGET_FILE:mailsweep_lab>)
set_tests_properties("integration: sweeper in-process stop and resume" PROPERTIES
                     LABELS "integration" TIMEOUT 240 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)

# lab.sh loss/lost: random loss at the netdev hooks of the internet side's veth, behind the XDP
# edge, counted packet by packet with hand-made SYNs.
add_test(NAME "integration: lab random loss"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/loss_test.sh $<TARGET_FILE:mailsweep_lab>)
set_tests_properties("integration: lab random loss" PROPERTIES LABELS "integration" TIMEOUT 120
                     SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
