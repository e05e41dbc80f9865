# Runs the quickstart (DEMO) twice on DATA_DIR (removed first) with the corpus CORPUS. Each run
# must exit 0 and print the corpus put, the events table loaded, the answer of every
# cheat-sheet query, the vector search, and what the two pipelines produced (a text search
# whose best hit is the refunds answer, a SQL query over the CSV table).
file(REMOVE_RECURSE "${DATA_DIR}")
foreach(run first second)
  execute_process(COMMAND "${DEMO}" "${DATA_DIR}" "${CORPUS}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "quickstart (${run} run) exited with ${rc}: ${err}")
  endif()
  foreach(expected
      "put 10 objects"
      "table kb-demo/events: 150 rows"
      "page.view +48"
      "2026-01-12 08:00:00 +4"
      "evj_0125 +cart.add +1"
      "free +99"
      "p95_ms *\n +[0-9]"
      "upserted 200 vectors into collection faq"
      "filter topic = refunds AND year >= 2023:\n +faq-"
      "pipeline embed-docs: 8 documents -> [1-9][0-9]* chunks in collection docs"
      "pipeline load-events: events.csv -> 200 rows in table events_csv"
      "text search \"how many days do I have to return a kettle\\?\":\n +0\\.[0-9]+ +docs/(faq|refunds-policy)\\.md"
      "page.view +66 ")
    if(NOT out MATCHES "${expected}")
      message(FATAL_ERROR "quickstart (${run} run): output lacks \"${expected}\"")
    endif()
  endforeach()
endforeach()
