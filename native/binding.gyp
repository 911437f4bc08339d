{
  "targets": [
    {
      "target_name": "peercred",
      "sources": ["peercred.c"],
      "defines": ["NAPI_VERSION=4"],
      "cflags_c": ["-std=c99", "-Wall", "-Wextra"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=c99", "-Wall", "-Wextra"]
      }
    }
  ]
}
