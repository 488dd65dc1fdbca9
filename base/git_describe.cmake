# Writes OUT (a header defining MAILSWEEP_GIT_DESCRIBE) from `git describe` of SOURCE_DIR, run at
# every build (base/CMakeLists.txt), and touches OUT only when the text changes, so that a new
# commit recompiles base/build_info.cc alone and an unchanged tree recompiles nothing.
#   cmake -DGIT=... -DSOURCE_DIR=... -DOUT=... -P git_describe.cmake
set(describe "unknown")
if(GIT)
  execute_process(COMMAND ${GIT} describe --tags --always --dirty
                  WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE out RESULT_VARIABLE rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(rc EQUAL 0 AND out)
    set(describe "${out}")
  endif()
endif()
set(text "#define MAILSWEEP_GIT_DESCRIBE \"${describe}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE "${OUT}" "${text}")
endif()
