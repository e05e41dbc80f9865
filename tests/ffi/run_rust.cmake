# Compiles examples/rust/k3_ffi.rs (SRC) with RUSTC against the libk3.so in LIB_DIR into OUT,
# then runs it twice on DATA_DIR (removed first; the second run reuses what the first made).
# Each run must exit 0 and print the object read back, the filtered search's single hit and
# the NOT_FOUND error with its code.
execute_process(COMMAND "${RUSTC}" --edition 2021 -O "${SRC}" -L "${LIB_DIR}" -l k3 -o "${OUT}"
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "rustc failed (${rc}): ${err}")
endif()
file(REMOVE_RECURSE "${DATA_DIR}")
foreach(run first second)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env "LD_LIBRARY_PATH=${LIB_DIR}" "${OUT}" "${DATA_DIR}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "k3_ffi.rs (${run} run) exited with ${rc}: ${err}")
  endif()
  foreach(expected
      "read back \"Hello from Rust!\""
      "upserted 2 vectors; search with lang = de: \\[\\(\"b\", 0\\.9[0-9]*\\)\\]\n"
      "NOT_FOUND: bucket \"no-such-bucket\" does not exist \\(code 5\\)")
    if(NOT out MATCHES "${expected}")
      message(FATAL_ERROR "k3_ffi.rs (${run} run): output lacks \"${expected}\"")
    endif()
  endforeach()
endforeach()
