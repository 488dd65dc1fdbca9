# results: command-level tests of mailsweep-agg on synthetic record files (no network).
add_executable(msr_gen ${CMAKE_CURRENT_LIST_DIR}/msr_gen.cc)
target_link_libraries(msr_gen PRIVATE mailsweep_results_agg mailsweep_warnings)

add_test(NAME "results: mailsweep-agg cli"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/agg_cli.sh $<TARGET_FILE:mailsweep-agg>
                 $<TARGET_FILE:msr_gen> ${CMAKE_CURRENT_LIST_DIR}/data/shadowserver)
set_tests_properties("results: mailsweep-agg cli" PROPERTIES LABELS "cli" TIMEOUT 120)

# The real country database researchers use (fetched once into the build tree; skipped when
# the npm registry cannot be reached).
add_test(NAME "results: real ip-location-db database"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/real_geo.sh $<TARGET_FILE:results_test>
                 ${CMAKE_BINARY_DIR}/geo)
set_tests_properties("results: real ip-location-db database" PROPERTIES LABELS "geo" TIMEOUT 300
                     SKIP_RETURN_CODE 77)

# The reader's libFuzzer target (clang only): the results library is instrumented for coverage
# and sanitizers too. A bounded run is a ctest test labelled "fuzz".
if(MAILSWEEP_FUZZ)
  target_compile_options(mailsweep_results PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
  add_executable(record_reader_fuzz ${CMAKE_CURRENT_LIST_DIR}/format/record_reader_fuzz.cc)
  target_link_libraries(record_reader_fuzz PRIVATE mailsweep_results)
  target_compile_options(record_reader_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(record_reader_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
  add_test(NAME "results: record reader fuzz (30 s)"
           COMMAND record_reader_fuzz -max_total_time=30 -max_len=200000
                   ${CMAKE_CURRENT_LIST_DIR}/fuzz_corpus)
  set_tests_properties("results: record reader fuzz (30 s)" PROPERTIES LABELS "fuzz" TIMEOUT 300)
endif()

target_compile_definitions(results_test PRIVATE
                           MAILSWEEP_TEST_DATA_DIR="${CMAKE_CURRENT_LIST_DIR}/data")
