# The debug preset turns this on: undefined behaviour aborts the test instead of printing and going on.
if(CLOUDOPT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
