// json.h: a tiny JSON emitter for the sidecars (models, layouts, planted problems).
#pragma once

#include <stdint.h>

#include <string>
#include <utility>
#include <vector>

namespace instar::props {

// Returns `s` as a JSON string literal (control and non-ASCII bytes as \u00XX).
std::string json_quote(const std::string& s);

// Fields in insertion order; values are already-encoded JSON.
class JsonObject {
 public:
  JsonObject& raw(const std::string& key, std::string json);
  JsonObject& str(const std::string& key, const std::string& value) {
    return raw(key, json_quote(value));
  }
  JsonObject& num(const std::string& key, uint64_t value) {
    return raw(key, std::to_string(value));
  }
  JsonObject& boolean(const std::string& key, bool value) {
    return raw(key, value ? "true" : "false");
  }
  std::string dump() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Joins already-encoded JSON values into an array.
std::string json_array(const std::vector<std::string>& items);

}  // namespace instar::props
