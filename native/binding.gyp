{
  "targets": [
    {
      "target_name": "cfsboot",
      "sources": [
        "src/addon.cc",
        "src/args.cc",
        "src/constants.cc",
        "src/errors.cc",
        "src/fs_at.cc",
        "src/loop.cc",
        "src/mount.cc",
        "src/statx.cc",
        "src/verity.cc",
        "src/xattr.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "_GNU_SOURCE"
      ],
      "cflags!": ["-fno-exceptions", "-O3"],
      "cflags_cc!": ["-fno-exceptions", "-O3"],
      "cflags": ["-fexceptions", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc": ["-fexceptions", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
