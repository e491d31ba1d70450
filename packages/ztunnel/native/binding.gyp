{
  "targets": [
    {
      "target_name": "ztunnel_sockopt",
      "sources": ["sockopt.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}
