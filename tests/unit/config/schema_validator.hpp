// A JSON Schema validator for exactly the keywords config/schema.json uses, plus the YAML → JSON
// conversion a schema-aware editor makes, so that the tests can validate the example files
// against the published schema. A keyword it does not know fails the validation: when the
// generator learns a new keyword, this must learn it too.
#pragma once

#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace gw::config::test {

using Json = nlohmann::ordered_json;

// YAML 1.2 core schema, as editors read it: plain true/false are booleans, plain integers are
// integers, ~ / null / empty are null; quoted scalars are always strings.
inline Json to_json(const YAML::Node& node) {
  if (node.IsMap()) {
    Json j = Json::object();
    for (const auto& e : node) j[e.first.Scalar()] = to_json(e.second);
    return j;
  }
  if (node.IsSequence()) {
    Json j = Json::array();
    for (const auto& e : node) j.push_back(to_json(e));
    return j;
  }
  if (!node.IsDefined() || node.IsNull()) return nullptr;
  const std::string& s = node.Scalar();
  if (node.Tag() == "?") {
    if (s == "true") return true;
    if (s == "false") return false;
    if (std::regex_match(s, std::regex("-?[0-9]{1,18}"))) return std::stoll(s);
    if (std::regex_match(s, std::regex("-?[0-9]+\\.[0-9]*"))) return std::stod(s);
  }
  return s;
}

class SchemaValidator {
 public:
  explicit SchemaValidator(Json root) : root_(std::move(root)) {}

  // Every violation, as "<path>: <what>"; empty when `value` is valid.
  [[nodiscard]] std::vector<std::string> validate(const Json& value) const {
    return validate(root_, value);
  }
  // Against a part of the root schema (whose $refs resolve in the root).
  [[nodiscard]] std::vector<std::string> validate(const Json& schema, const Json& value) const {
    std::vector<std::string> errors;
    check(schema, value, "$", errors);
    return errors;
  }

 private:
  static bool has_type(const Json& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "integer") return v.is_number_integer();
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_boolean();
    if (type == "null") return v.is_null();
    return false;
  }

  void check(const Json& s, const Json& v, const std::string& path,
             std::vector<std::string>& errors) const {
    for (const auto& [kw, arg] : s.items()) {
      if (kw == "$schema" || kw == "title" || kw == "description" || kw == "default" ||
          kw == "$defs") {
        continue;
      } else if (kw == "type") {
        bool ok = false;
        if (arg.is_string()) {
          ok = has_type(v, arg.get<std::string>());
        } else {
          for (const auto& t : arg) ok = ok || has_type(v, t.get<std::string>());
        }
        if (!ok) errors.push_back(path + ": not of type " + arg.dump());
      } else if (kw == "properties") {
        if (!v.is_object()) continue;
        for (const auto& [k, sub] : arg.items()) {
          if (v.contains(k)) check(sub, v.at(k), path + "." + k, errors);
        }
      } else if (kw == "additionalProperties") {
        if (!v.is_object() || arg != false) continue;
        for (const auto& [k, unused] : v.items()) {
          if (!s.contains("properties") || !s["properties"].contains(k)) {
            errors.push_back(path + "." + k + ": not allowed here");
          }
        }
      } else if (kw == "required") {
        if (!v.is_object()) continue;
        for (const auto& k : arg) {
          if (!v.contains(k.get<std::string>())) errors.push_back(path + ": missing " + k.dump());
        }
      } else if (kw == "items") {
        if (!v.is_array()) continue;
        for (std::size_t i = 0; i < v.size(); ++i) {
          check(arg, v[i], path + "[" + std::to_string(i) + "]", errors);
        }
      } else if (kw == "minItems" || kw == "maxItems") {
        if (!v.is_array()) continue;
        const bool bad = kw == "minItems" ? v.size() < arg.get<std::size_t>() : v.size() > arg.get<std::size_t>();
        if (bad) errors.push_back(path + ": " + std::to_string(v.size()) + " entries, " + kw + " " + arg.dump());
      } else if (kw == "minimum" || kw == "maximum") {
        if (!v.is_number()) continue;
        const bool bad = v.is_number_integer()
                             ? (kw == "minimum" ? v.get<std::int64_t>() < arg.get<std::int64_t>()
                                                : v.get<std::int64_t>() > arg.get<std::int64_t>())
                             : (kw == "minimum" ? v.get<double>() < arg.get<double>()
                                                : v.get<double>() > arg.get<double>());
        if (bad) errors.push_back(path + ": " + v.dump() + " violates " + kw + " " + arg.dump());
      } else if (kw == "minLength" || kw == "maxLength") {
        if (!v.is_string()) continue;
        const auto n = v.get<std::string>().size();  // bytes: our tests use ASCII
        const bool bad = kw == "minLength" ? n < arg.get<std::size_t>() : n > arg.get<std::size_t>();
        if (bad) errors.push_back(path + ": length " + std::to_string(n) + " violates " + kw);
      } else if (kw == "pattern") {
        if (!v.is_string()) continue;
        if (!std::regex_search(v.get<std::string>(), std::regex(arg.get<std::string>(), std::regex::ECMAScript))) {
          errors.push_back(path + ": " + v.dump() + " does not match " + arg.dump());
        }
      } else if (kw == "enum") {
        bool found = false;
        for (const auto& e : arg) found = found || e == v;
        if (!found) errors.push_back(path + ": " + v.dump() + " is not one of " + arg.dump());
      } else if (kw == "anyOf") {
        bool any = false;
        for (const auto& alt : arg) {
          std::vector<std::string> sub;
          check(alt, v, path, sub);
          any = any || sub.empty();
        }
        if (!any) errors.push_back(path + ": " + v.dump() + " matches none of anyOf");
      } else if (kw == "allOf") {
        for (const auto& alt : arg) check(alt, v, path, errors);
      } else if (kw == "not") {
        std::vector<std::string> sub;
        check(arg, v, path, sub);
        if (sub.empty()) errors.push_back(path + ": matches a 'not' schema " + arg.dump());
      } else if (kw == "$ref") {
        const std::string ref = arg.get<std::string>();
        const std::string prefix = "#/$defs/";
        if (ref.rfind(prefix, 0) != 0 || !root_["$defs"].contains(ref.substr(prefix.size()))) {
          errors.push_back(path + ": unresolvable $ref " + ref);
          continue;
        }
        check(root_["$defs"][ref.substr(prefix.size())], v, path, errors);
      } else {
        errors.push_back(path + ": the test validator does not know keyword '" + kw + "'");
      }
    }
  }

  Json root_;
};

}  // namespace gw::config::test
