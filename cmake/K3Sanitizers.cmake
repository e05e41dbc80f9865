# K3_SANITIZE=address,undefined builds everything with those sanitizers and makes any report fatal.
if(K3_SANITIZE)
  add_compile_options(-fsanitize=${K3_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${K3_SANITIZE})
endif()
