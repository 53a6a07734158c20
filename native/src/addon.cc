// Module entry point: registers every concern's functions on one object.
#include <napi.h>

#include "module.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  cfs::InitConstants(env, exports);
  cfs::InitErrors(env, exports);
  cfs::InitFsAt(env, exports);
  cfs::InitStatx(env, exports);
  cfs::InitXattr(env, exports);
  cfs::InitVerity(env, exports);
  cfs::InitLoop(env, exports);
  cfs::InitMount(env, exports);
  return exports;
}

NODE_API_MODULE(cfsboot, Init)
