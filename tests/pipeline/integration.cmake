# The whole pipeline on the lab (needs root, network namespaces, Dovecot and Postfix):
# scan -> record files -> mailsweep-agg report, checked against the lab's ground truth.
set(_pipeline ${CMAKE_CURRENT_LIST_DIR})
set(_pipeline_bins $<TARGET_FILE:mailsweep> $<TARGET_FILE:mailsweep-agg> $<TARGET_FILE:mailsweep_lab>)
add_test(NAME "pipeline: scan equals ground truth"
         COMMAND bash ${_pipeline}/scan_truth.sh ${_pipeline_bins})
add_test(NAME "pipeline: 3 shards equal one run"
         COMMAND bash ${_pipeline}/scan_shards.sh ${_pipeline_bins})
add_test(NAME "pipeline: resume after SIGKILL"
         COMMAND bash ${_pipeline}/scan_resume.sh ${_pipeline_bins} KILL)
add_test(NAME "pipeline: resume after SIGINT"
         COMMAND bash ${_pipeline}/scan_resume.sh ${_pipeline_bins} INT)
add_test(NAME "pipeline: scan runs without privileges; resume completes"
         COMMAND bash ${_pipeline}/scan_privileges.sh ${_pipeline_bins})
add_test(NAME "pipeline: a normal user scans with file capabilities"
         COMMAND bash ${_pipeline}/scan_setcap.sh ${_pipeline_bins})
add_test(NAME "pipeline: throttled probers slow the sweep"
         COMMAND bash ${_pipeline}/scan_backpressure.sh ${_pipeline_bins})
add_test(NAME "pipeline: a full disk stops the scan; resume completes it"
         COMMAND bash ${_pipeline}/scan_disk_full.sh ${_pipeline_bins})
add_test(NAME "pipeline: SIGHUP opt-out gets no packet after the reload"
         COMMAND bash ${_pipeline}/sweep_optout.sh ${_pipeline_bins})
add_test(NAME "pipeline: resume with a grown blocklist; a shrunk one is refused"
         COMMAND bash ${_pipeline}/scan_optout_resume.sh ${_pipeline_bins})
set_tests_properties("pipeline: scan equals ground truth" "pipeline: 3 shards equal one run"
                     "pipeline: resume after SIGKILL" "pipeline: resume after SIGINT"
                     "pipeline: scan runs without privileges; resume completes"
                     "pipeline: a normal user scans with file capabilities"
                     "pipeline: throttled probers slow the sweep"
                     "pipeline: a full disk stops the scan; resume completes it"
                     "pipeline: SIGHUP opt-out gets no packet after the reload"
                     "pipeline: resume with a grown blocklist; a shrunk one is refused"
                     PROPERTIES LABELS "integration" TIMEOUT 600 RUN_SERIAL TRUE)
# Three scans of a lab under load with default flags (about 1 minute each).
add_test(NAME "pipeline: scans under load equal ground truth"
         COMMAND bash ${_pipeline}/scan_load.sh ${_pipeline_bins})
set_tests_properties("pipeline: scans under load equal ground truth" PROPERTIES
                     LABELS "integration" TIMEOUT 900 RUN_SERIAL TRUE)
# 1% random loss each way on the lab's link: a scan with default flags stays at least 99.9% right.
add_test(NAME "pipeline: scan under 1% loss stays 99.9% right"
         COMMAND bash ${_pipeline}/scan_loss.sh ${_pipeline_bins} 10 0.999)
set_tests_properties("pipeline: scan under 1% loss stays 99.9% right" PROPERTIES
                     LABELS "integration" TIMEOUT 600 RUN_SERIAL TRUE)
