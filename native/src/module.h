// Per-concern registration functions, called from the module init.
#pragma once

#include <napi.h>

namespace cfs {

void InitConstants(Napi::Env env, Napi::Object exports);
void InitErrors(Napi::Env env, Napi::Object exports);
void InitFsAt(Napi::Env env, Napi::Object exports);
void InitStatx(Napi::Env env, Napi::Object exports);
void InitXattr(Napi::Env env, Napi::Object exports);
void InitVerity(Napi::Env env, Napi::Object exports);
void InitLoop(Napi::Env env, Napi::Object exports);
void InitMount(Napi::Env env, Napi::Object exports);

}  // namespace cfs
