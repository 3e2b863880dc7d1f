# Writes the OpenAPI JSON file into a C++ source as a raw string, so the binary serves it without the repo.
file(READ ${IN} CONTENT)
file(WRITE ${OUT} "#include \"api/routes.hpp\"\nnamespace cloudopt::api {\nconst std::string& OpenApiDocument() {\n  static const std::string kDocument = R\"cloudopt_openapi(${CONTENT})cloudopt_openapi\";\n  return kDocument;\n}\n}  // namespace cloudopt::api\n")
