// json_schema(): config/schema.json, rendered from the same field tables the loader parses with
// (Schema::json_keys and each kind's json()), so the published schema cannot drift from the
// parser. tests/unit/config/json_schema_test.cpp fails when the committed file is stale.
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "config/json_spec.hpp"

namespace gw::config {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kEnvRef = "#/$defs/env";

bool has_required(const std::vector<JsonKey>& keys) {
  for (const auto& k : keys) {
    if (k.required) return true;
  }
  return false;
}

Json object_schema(const std::vector<JsonKey>& keys);

// The constraints of a scalar kind, without description or default.
Json scalar_schema(const JsonSpec& spec) {
  Json j = Json::object();
  switch (spec.type) {
    case JsonSpec::Type::Integer:
      j["type"] = "integer";
      if (spec.minimum) j["minimum"] = *spec.minimum;
      if (spec.maximum) j["maximum"] = *spec.maximum;
      break;
    case JsonSpec::Type::Number:
      j["type"] = "number";
      if (spec.minimum) j["minimum"] = *spec.minimum;
      if (spec.maximum) j["maximum"] = *spec.maximum;
      break;
    case JsonSpec::Type::Boolean:
      j["type"] = "boolean";
      break;
    default:
      j["type"] = "string";
      if (!spec.choices.empty()) j["enum"] = spec.choices;
      if (spec.min_length) j["minLength"] = *spec.min_length;
      if (spec.max_length) j["maxLength"] = *spec.max_length;
      if (!spec.pattern.empty()) j["pattern"] = spec.pattern;
      break;
  }
  return j;
}

Json value_schema(const JsonSpec& spec) {
  switch (spec.type) {
    case JsonSpec::Type::Object:
      return object_schema(spec.keys);
    case JsonSpec::Type::Array: {
      Json j = {{"type", "array"}};
      if (spec.min_length) j["minItems"] = *spec.min_length;
      if (spec.max_length) j["maxItems"] = *spec.max_length;
      j["items"] = spec.item.empty() ? object_schema(spec.keys) : value_schema(spec.item.front());
      return j;
    }
    case JsonSpec::Type::String:
      // Any string may hold ${VAR}; only constrained strings need the alternative.
      if (spec.choices.empty() && spec.pattern.empty()) return scalar_schema(spec);
      [[fallthrough]];
    default:
      if (spec.or_zero) {
        return {{"anyOf", Json::array({scalar_schema(spec),
                                       {{"type", "integer"}, {"enum", Json::array({0})}},
                                       {{"$ref", kEnvRef}}})}};
      }
      // Every scalar value may be ${VAR}, substituted before it is checked.
      return {{"anyOf", Json::array({scalar_schema(spec), {{"$ref", kEnvRef}}})}};
  }
}

Json key_schema(const JsonKey& k) {
  Json j = Json::object();
  std::string description = k.doc;
  if (!k.value.range.empty()) description += " Range: " + k.value.range + ".";
  j["description"] = description;
  if (!k.default_json.empty()) j["default"] = Json::parse(k.default_json);
  const Json value = value_schema(k.value);
  for (const auto& [name, v] : value.items()) j[name] = v;
  return j;
}

// A mapping: its keys and nothing else. A mapping written with nothing under it (`broker:`) means
// all defaults, so null is accepted unless a key is required.
Json object_schema(const std::vector<JsonKey>& keys) {
  Json j = Json::object();
  if (has_required(keys)) {
    j["type"] = "object";
  } else {
    j["type"] = Json::array({"object", "null"});
  }
  Json properties = Json::object();
  Json required = Json::array();
  Json rules = Json::array();
  for (const auto& k : keys) {
    properties[k.key] = key_schema(k);
    if (!k.secret) {
      if (k.required) required.push_back(k.key);
      continue;
    }
    const std::string file_key = k.key + "_file";
    properties[file_key] = {
        {"description", "Reads " + k.key + " from this file (its content without trailing newlines)."},
        {"type", "string"},
        {"minLength", 1}};
    rules.push_back({{"not", {{"required", Json::array({k.key, file_key})}}}});
    if (k.required) {
      rules.push_back({{"anyOf", Json::array({{{"required", Json::array({k.key})}},
                                              {{"required", Json::array({file_key})}}})}});
    }
  }
  j["additionalProperties"] = false;
  j["properties"] = std::move(properties);
  if (!required.empty()) j["required"] = std::move(required);
  if (!rules.empty()) j["allOf"] = std::move(rules);
  return j;
}

}  // namespace

std::string json_schema() {
  Json root = {
      {"$schema", "https://json-schema.org/draft/2020-12/schema"},
      {"title", "edge-gateway configuration"},
      {"description",
       "The YAML configuration file of edge-gateway. Generated from the loader's field tables "
       "(config/*_section.cpp) by gw::config::json_schema(); do not edit: regenerate with "
       "GW_WRITE_SCHEMA=1 unit_config --gtest_filter='JsonSchema.*'. The loader (edge-gateway "
       "check-config) also checks what a schema cannot: ranges of durations, sizes and ports, "
       "addresses, and rules across keys. Reference: docs/configuration.md."},
  };
  const Json top = object_schema(config_schema().json_keys());
  for (const auto& [name, v] : top.items()) root[name] = v;
  root["$defs"] = {
      {"env",
       {{"description",
         "A value written with ${VAR} or ${VAR:-fallback}: checked by the loader once the "
         "environment variable is substituted."},
        {"type", "string"},
        {"pattern", "\\$\\{"}}},
  };
  return root.dump(2) + "\n";
}

}  // namespace gw::config
