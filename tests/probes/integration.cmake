# probes: integration tests against real Dovecot/Postfix and hostile fixture servers, each in a
# network namespace it creates (needs root, dovecot, postfix, nft, python3).
add_test(NAME "probes: real servers"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/real_servers_test.sh $<TARGET_FILE:mailsweep>)
set_tests_properties("probes: real servers" PROPERTIES LABELS "integration" TIMEOUT 180)
add_test(NAME "probes: hostile fixtures"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/hostile_fixtures_test.sh $<TARGET_FILE:mailsweep>)
set_tests_properties("probes: hostile fixtures" PROPERTIES LABELS "integration" TIMEOUT 180)
add_test(NAME "probes: SIGINT stops probe cleanly"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/probe_signal_test.sh $<TARGET_FILE:mailsweep>
                 $<TARGET_FILE:mailsweep-agg>)
set_tests_properties("probes: SIGINT stops probe cleanly" PROPERTIES LABELS "integration"
                     TIMEOUT 120)
# The prober pool's own tests open sockets: run them inside a fresh namespace.
add_test(NAME "engine: prober pool in a namespace"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../lab/in_netns.sh $<TARGET_FILE:engine_test> "[netns]")
set_tests_properties("engine: prober pool in a namespace" PROPERTIES LABELS "integration" TIMEOUT 120)
# `probe` under load: every target waited for, each ends as a record or is counted.
add_test(NAME "probes: probe -c 5000 on 10,000 lab targets equals ground truth"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/probe_load_test.sh $<TARGET_FILE:mailsweep>
                 $<TARGET_FILE:mailsweep-agg> $<TARGET_FILE:mailsweep_lab>)
set_tests_properties("probes: probe -c 5000 on 10,000 lab targets equals ground truth" PROPERTIES
                     LABELS "integration" TIMEOUT 600 RUN_SERIAL TRUE)
add_test(NAME "probes: probe -c 1 waits for slow targets; --drain-timeout counts the cut-off"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/probe_slow_targets_test.sh $<TARGET_FILE:mailsweep>)
set_tests_properties("probes: probe -c 1 waits for slow targets; --drain-timeout counts the cut-off"
                     PROPERTIES LABELS "integration" TIMEOUT 120)
# The unit tests' helpers (the module glob in tests/CMakeLists.txt takes every *_test.cc, the
# per-protocol ones in pop3/, imap/ and smtp/ too) and the transcripts they read
# (transcripts/README.md).
target_sources(probes_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/session_harness.cc
                                   ${CMAKE_CURRENT_LIST_DIR}/transcript.cc
                                   ${CMAKE_CURRENT_LIST_DIR}/test_certificates.cc)
target_compile_definitions(probes_test PRIVATE
                           MAILSWEEP_PROBES_TRANSCRIPTS_DIR="${CMAKE_CURRENT_LIST_DIR}/transcripts")
