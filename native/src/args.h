// Argument conversion helpers. All throw a JS TypeError on bad input.
#pragma once

#include <napi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cfs {

// Integer in [INT32_MIN, INT32_MAX]; undefined yields `def` when given.
int32_t ArgInt(const Napi::CallbackInfo &info, size_t i, const char *name,
               std::optional<int32_t> def = std::nullopt);

// Integer in [0, UINT32_MAX]; undefined yields `def` when given.
uint32_t ArgUint(const Napi::CallbackInfo &info, size_t i, const char *name,
                 std::optional<uint32_t> def = std::nullopt);

// Non-negative safe integer (number) or bigint.
uint64_t ArgU64(const Napi::CallbackInfo &info, size_t i, const char *name,
                std::optional<uint64_t> def = std::nullopt);
uint64_t ValueU64(Napi::Env env, Napi::Value v, const char *name,
                  std::optional<uint64_t> def = std::nullopt);

// String (UTF-8) or Uint8Array/Buffer; must not contain NUL bytes.
std::string ArgPath(const Napi::CallbackInfo &info, size_t i,
                    const char *name);

// As ArgPath, but null/undefined yield nullopt.
std::optional<std::string> ArgOptPath(const Napi::CallbackInfo &info,
                                      size_t i, const char *name);

// Raw bytes of a Uint8Array/Buffer or UTF-8 string (NUL bytes allowed).
std::vector<char> ArgBytes(const Napi::CallbackInfo &info, size_t i,
                           const char *name);

// Object argument; undefined/null yield an empty object.
Napi::Object ArgOptObject(const Napi::CallbackInfo &info, size_t i,
                          const char *name);

// Property of an options object as a boolean (undefined -> false).
bool PropBool(Napi::Object obj, const char *key);

}  // namespace cfs
