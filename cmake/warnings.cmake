# Warnings apply to our own targets only (never to third-party headers, which come in as SYSTEM).
function(cloudopt_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wcast-align -Woverloaded-virtual)
  if(CLOUDOPT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(CLOUDOPT_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
endfunction()
