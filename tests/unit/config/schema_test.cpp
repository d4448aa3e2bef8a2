// The Schema machinery on a section made up for the test, including a secret and a required key
// that no real section has yet.
#include "config/schema.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace gw::config {
namespace {

struct Item {
  std::string name;
  int weight = 1;
};

struct Options {
  std::string password;
  std::uint16_t port = 1883;
  std::vector<Item> items;
};

const Schema<Item>& item_schema() {
  static const Schema<Item> s{"item",
                              {
                                  field("name", &Item::name, Identifier{}, "Name.", Need::Required),
                                  field("weight", &Item::weight, Integer<int>{1, 10}, "Weight."),
                              }};
  return s;
}

const Schema<Options>& options_schema() {
  static const Schema<Options> s{
      "options",
      {
          secret("password", &Options::password, "Password."),
          field("port", &Options::port, Integer<std::uint16_t>{1, 65535}, "Port."),
          field("items", &Options::items, List<Item>{&item_schema(), 0, 2, "none"}, "Items."),
      }};
  return s;
}

struct Parsed {
  Options options;
  std::string report;
};

Parsed parse(const std::string& yaml) {
  Diagnostics diag("s.yaml");
  Parsed p;
  options_schema().parse(YAML::Load(yaml), p.options, Cursor(diag, "opts"));
  p.report = diag.format();
  return p;
}

TEST(Schema, KeepsDefaultsForAbsentKeys) {
  auto p = parse("port: 8883\n");
  EXPECT_EQ(p.report, "");
  EXPECT_EQ(p.options.port, 8883);
  EXPECT_EQ(p.options.password, "");
}

TEST(Schema, TreatsAnEmptySectionAsAllDefaults) {
  Diagnostics diag("s.yaml");
  Options o;
  options_schema().parse(YAML::Load("~"), o, Cursor(diag, "opts"));
  EXPECT_EQ(diag.format(), "");
}

TEST(Schema, ReportsAnUnknownKeyWithASuggestion) {
  EXPECT_EQ(parse("prot: 1\n").report, "s.yaml:1:1: error: opts.prot: unknown key; did you mean 'port'?\n");
}

TEST(Schema, ReportsADuplicateKeyWithTheFirstPosition) {
  EXPECT_EQ(parse("port: 1\n\nport: 2\n").report,
            "s.yaml:3:1: error: opts.port: duplicate key; first defined at 1:1\n");
}

TEST(Schema, ReportsAMissingRequiredKeyAtTheMapping) {
  EXPECT_EQ(parse("items:\n  - weight: 2\n").report,
            "s.yaml:2:5: error: opts.items[0]: missing required key 'name'\n");
}

TEST(Schema, ReportsANonMappingWithWhatWasFound) {
  EXPECT_EQ(parse("items:\n  - just-a-name\n").report,
            "s.yaml:2:5: error: opts.items[0]: expected a mapping, got 'just-a-name'\n");
  EXPECT_EQ(parse("items: 3\n").report,
            "s.yaml:1:8: error: opts.items: expected a list of items, got '3'\n");
}

TEST(Schema, ReportsAListWithTooManyEntries) {
  EXPECT_EQ(parse("items: [{name: a}, {name: b}, {name: c}]\n").report,
            "s.yaml:1:31: error: opts.items: 3 items; at most 2 are allowed\n");
}

TEST(Schema, ReportsAnEmptyValueAtItsKey) {
  EXPECT_EQ(parse("port:\nitems: []\n").report,
            "s.yaml:1:1: error: opts.port: expected an integer 1..65535, got nothing\n");
}

TEST(Schema, ReportsNonScalarKeys) {
  EXPECT_EQ(parse("[a, b]: 1\n").report, "s.yaml:1:1: error: opts: keys must be plain words, got a list\n");
}

TEST(Schema, ReadsASecretFromAFileWithoutTheTrailingNewline) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("gw-secret-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path) << "s3cret\n";
  auto p = parse("password_file: " + path.string() + "\n");
  std::filesystem::remove(path);
  EXPECT_EQ(p.report, "");
  EXPECT_EQ(p.options.password, "s3cret");
}

TEST(Schema, ReportsAnUnreadableSecretFileAtItsValue) {
  EXPECT_EQ(parse("password_file: /nonexistent/secret\n").report,
            "s.yaml:1:16: error: opts.password_file: cannot read secret file "
            "'/nonexistent/secret': No such file or directory\n");
}

TEST(Schema, RejectsASecretGivenBothInlineAndFromAFile) {
  EXPECT_EQ(parse("password: x\npassword_file: /x\n").report,
            "s.yaml:2:1: error: opts.password_file: cannot be combined with 'password' at 1:1; "
            "use one of them\n");
}

TEST(Schema, SuggestsTheFileVariantOfASecret) {
  EXPECT_EQ(parse("password_fil: /x\n").report,
            "s.yaml:1:1: error: opts.password_fil: unknown key; did you mean 'password_file'?\n");
}

TEST(Schema, DescribesEveryKeyWithItsDefault) {
  const auto rows = options_schema().describe("opts");
  std::vector<std::string> paths;
  for (const auto& r : rows) paths.push_back(r.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"opts.password", "opts.password_file", "opts.port",
                                             "opts.items", "opts.items[].name",
                                             "opts.items[].weight"}));
  EXPECT_EQ(rows[0].default_value, "");  // secrets are never shown
  EXPECT_EQ(rows[2].default_value, "1883");
  EXPECT_EQ(rows[2].range, "1..65535");
  EXPECT_TRUE(rows[4].required);
}

}  // namespace
}  // namespace gw::config
