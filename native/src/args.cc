#include "args.h"

#include <cmath>
#include <cstring>

namespace cfs {

[[noreturn]] static void TypeFail(Napi::Env env, const char *name,
                                  const char *expected) {
  throw Napi::TypeError::New(
      env, std::string("argument '") + name + "' must be " + expected);
}

static double IntegerValue(Napi::Env env, Napi::Value v, const char *name,
                           double lo, double hi, const char *expected) {
  if (!v.IsNumber()) TypeFail(env, name, expected);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || d < lo || d > hi) {
    TypeFail(env, name, expected);
  }
  return d;
}

int32_t ArgInt(const Napi::CallbackInfo &info, size_t i, const char *name,
               std::optional<int32_t> def) {
  Napi::Value v = info[i];
  if (v.IsUndefined() && def) return *def;
  return static_cast<int32_t>(IntegerValue(info.Env(), v, name, INT32_MIN,
                                           INT32_MAX, "a 32-bit integer"));
}

uint32_t ArgUint(const Napi::CallbackInfo &info, size_t i, const char *name,
                 std::optional<uint32_t> def) {
  Napi::Value v = info[i];
  if (v.IsUndefined() && def) return *def;
  return static_cast<uint32_t>(IntegerValue(
      info.Env(), v, name, 0, UINT32_MAX, "an unsigned 32-bit integer"));
}

uint64_t ValueU64(Napi::Env env, Napi::Value v, const char *name,
                  std::optional<uint64_t> def) {
  if (v.IsUndefined() && def) return *def;
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t out = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) TypeFail(env, name, "an unsigned 64-bit integer");
    return out;
  }
  return static_cast<uint64_t>(IntegerValue(env, v, name, 0, 9007199254740991.0,
                                            "a non-negative integer"));
}

uint64_t ArgU64(const Napi::CallbackInfo &info, size_t i, const char *name,
                std::optional<uint64_t> def) {
  return ValueU64(info.Env(), info[i], name, def);
}

static bool BytesOf(Napi::Value v, std::vector<char> &out) {
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    out.assign(s.begin(), s.end());
    return true;
  }
  if (v.IsTypedArray()) {
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    if (ta.TypedArrayType() != napi_uint8_array) return false;
    Napi::Uint8Array u8 = v.As<Napi::Uint8Array>();
    const char *p = reinterpret_cast<const char *>(u8.Data());
    out.assign(p, p + u8.ElementLength());
    return true;
  }
  return false;
}

std::string ArgPath(const Napi::CallbackInfo &info, size_t i,
                    const char *name) {
  std::vector<char> bytes;
  if (!BytesOf(info[i], bytes)) {
    TypeFail(info.Env(), name, "a string or Buffer");
  }
  if (std::memchr(bytes.data(), 0, bytes.size()) != nullptr) {
    TypeFail(info.Env(), name, "free of NUL bytes");
  }
  return std::string(bytes.begin(), bytes.end());
}

std::optional<std::string> ArgOptPath(const Napi::CallbackInfo &info,
                                      size_t i, const char *name) {
  Napi::Value v = info[i];
  if (v.IsNull() || v.IsUndefined()) return std::nullopt;
  return ArgPath(info, i, name);
}

std::vector<char> ArgBytes(const Napi::CallbackInfo &info, size_t i,
                           const char *name) {
  std::vector<char> bytes;
  if (!BytesOf(info[i], bytes)) {
    TypeFail(info.Env(), name, "a Buffer, Uint8Array or string");
  }
  return bytes;
}

Napi::Object ArgOptObject(const Napi::CallbackInfo &info, size_t i,
                          const char *name) {
  Napi::Value v = info[i];
  if (v.IsNull() || v.IsUndefined()) return Napi::Object::New(info.Env());
  if (!v.IsObject()) TypeFail(info.Env(), name, "an object");
  return v.As<Napi::Object>();
}

bool PropBool(Napi::Object obj, const char *key) {
  return obj.Get(key).ToBoolean().Value();
}

}  // namespace cfs
