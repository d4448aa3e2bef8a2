// Bad configuration files, one small YAML text each, and the exact report the user sees. The
// table is the specification of the loader's messages: when a message changes, this changes
// with it, in review. Grouped by what is wrong: keys, types, numbers, units, enums and booleans,
// addresses, listeners, cross-key rules, environment variables, YAML itself.
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/schema.hpp"
#include "load_helpers.hpp"

namespace gw::config {
namespace {

struct BadFile {
  const char* name;  // the test's name
  const char* yaml;
  const char* report;  // Diagnostics::format() for a file named t.yaml
};

void PrintTo(const BadFile& f, std::ostream* os) { *os << f.name; }

// clang-format off
const BadFile kBadFiles[] = {
    // --- unknown keys, at every level, with a suggestion when one is close -------------------
    {"UnknownTopLevelKey", "gateway: {id: a}\nbrokr:\n  max_inflight: 1\n",
     "t.yaml:2:1: error: brokr: unknown key; did you mean 'broker'?\n"},
    {"UnknownTopLevelKeyFarFromAny", "telemetry: []\n",
     "t.yaml:1:1: error: telemetry: unknown key\n"},
    {"UnknownGatewayKey", "gateway:\n  idd: x\n",
     "t.yaml:2:3: error: gateway.idd: unknown key; did you mean 'id'?\n"},
    {"UnknownBrokerKey", "broker:\n  max_packet_sise: 1MiB\n",
     "t.yaml:2:3: error: broker.max_packet_sise: unknown key; did you mean 'max_packet_size'?\n"},
    {"UnknownListenerKey", "broker:\n  listeners:\n    - bind: 127.0.0.1:1883\n      nmae: a\n",
     "t.yaml:4:7: error: broker.listeners[0].nmae: unknown key; did you mean 'name'?\n"},
    {"MergeKey", "gateway:\n  <<: {id: a}\n",
     "t.yaml:2:3: error: gateway.<<: merge keys ('<<') are not supported; write the keys out\n"},
    {"KeyThatIsAList", "? [a]\n: b\n",
     "t.yaml:1:3: error: keys must be plain words, got a list\n"},

    // --- duplicate keys ------------------------------------------------------------------------
    {"DuplicateSection", "gateway:\n  id: a\ngateway:\n  id: b\n",
     "t.yaml:3:1: error: gateway: duplicate key; first defined at 1:1\n"},
    {"DuplicateKeyInAListEntry", "broker:\n  listeners:\n    - bind: 127.0.0.1:1883\n      bind: 127.0.0.1:1884\n",
     "t.yaml:4:7: error: broker.listeners[0].bind: duplicate key; first defined at 3:7\n"},

    // --- wrong types: scalar vs mapping vs list -------------------------------------------------
    {"SectionIsAScalar", "gateway: plant-1\n",
     "t.yaml:1:10: error: gateway: expected a mapping, got 'plant-1'\n"},
    {"SectionIsAList", "gateway: [a, b]\n",
     "t.yaml:1:10: error: gateway: expected a mapping, got a list\n"},
    {"ListIsAMapping", "broker:\n  listeners:\n    bind: 127.0.0.1:1883\n",
     "t.yaml:3:5: error: broker.listeners: expected a list of listeners, got a mapping\n"},
    {"ListIsAScalar", "broker:\n  listeners: 127.0.0.1:1883\n",
     "t.yaml:2:14: error: broker.listeners: expected a list of listeners, got '127.0.0.1:1883'\n"},
    {"ListEntryIsAScalar", "broker:\n  listeners:\n    - 127.0.0.1:1883\n",
     "t.yaml:3:7: error: broker.listeners[0]: expected a mapping, got '127.0.0.1:1883'\n"},
    {"ScalarIsAList", "gateway:\n  log_level: [info]\n",
     "t.yaml:2:14: error: gateway.log_level: expected one of trace, debug, info, warn, error, "
     "critical, off, got a list\n"},
    {"ScalarIsAMapping", "gateway:\n  id: {a: 1}\n",
     "t.yaml:2:7: error: gateway.id: expected an identifier, got a mapping\n"},
    {"EmptyValue", "broker:\n  maximum_qos:\n",
     "t.yaml:2:3: error: broker.maximum_qos: expected an integer 0..2, got nothing\n"},
    {"WordForAnInteger", "broker:\n  receive_maximum: lots\n",
     "t.yaml:2:20: error: broker.receive_maximum: expected an integer 1..65535, got 'lots'\n"},
    {"FractionForAnInteger", "broker:\n  maximum_qos: 1.0\n",
     "t.yaml:2:16: error: broker.maximum_qos: expected an integer 0..2, got '1.0'\n"},

    // --- integers out of range -----------------------------------------------------------------
    {"IntegerBelowRange", "broker:\n  max_connections: 0\n",
     "t.yaml:2:20: error: broker.max_connections: 0 out of range 1..1000000\n"},
    {"IntegerAboveRange", "broker:\n  receive_maximum: 65536\n",
     "t.yaml:2:20: error: broker.receive_maximum: 65536 out of range 1..65535\n"},
    {"NegativeInteger", "broker:\n  topic_alias_maximum: -1\n",
     "t.yaml:2:24: error: broker.topic_alias_maximum: -1 out of range 0..65535\n"},
    {"IntegerBeyondInt64", "broker:\n  max_connections: 99999999999999999999999\n",
     "t.yaml:2:20: error: broker.max_connections: 99999999999999999999999 out of range "
     "1..1000000\n"},
    {"QosThree", "broker:\n  maximum_qos: 3\n",
     "t.yaml:2:16: error: broker.maximum_qos: 3 out of range 0..2\n"},

    // --- durations ----------------------------------------------------------------------------
    {"BareNumberForADuration", "broker:\n  connect_timeout: 10\n",
     "t.yaml:2:20: error: broker.connect_timeout: '10' has no unit; add one, like 250ms, 5s, "
     "10m, 1h or 1d\n"},
    {"DurationBelowRange", "broker:\n  connect_timeout: 50ms\n",
     "t.yaml:2:20: error: broker.connect_timeout: 50ms out of range 100ms..5m\n"},
    {"DurationAboveRange", "broker:\n  max_keep_alive: 1d\n",
     "t.yaml:2:19: error: broker.max_keep_alive: 1d out of range 0s..65535s\n"},
    {"FractionalDuration", "broker:\n  connect_timeout: 1.5s\n",
     "t.yaml:2:20: error: broker.connect_timeout: '1.5s': fractions are not supported; use a "
     "smaller unit\n"},
    {"NegativeDuration", "broker:\n  connect_timeout: -5s\n",
     "t.yaml:2:20: error: broker.connect_timeout: '-5s' is not a whole number with a unit, like "
     "250ms, 5s, 10m, 1h or 1d\n"},
    {"SubSecondDurationForASecondsKey", "broker:\n  max_keep_alive: 1500ms\n",
     "t.yaml:2:19: error: broker.max_keep_alive: '1500ms' is not a whole number of seconds\n"},
    {"SpelledOutDurationUnit", "broker:\n  max_keep_alive: 10mins\n",
     "t.yaml:2:19: error: broker.max_keep_alive: '10mins': unknown unit 'mins'; did you mean "
     "'m'? (units: ms, s, m, h or d)\n"},
    {"UpperCaseDurationUnit", "broker:\n  max_session_expiry: 10S\n",
     "t.yaml:2:23: error: broker.max_session_expiry: '10S': unknown unit 'S'; did you mean 's'? "
     "Units are case-sensitive (units: ms, s, m, h or d)\n"},
    {"HexDuration", "broker:\n  max_keep_alive: 0x10s\n",
     "t.yaml:2:19: error: broker.max_keep_alive: '0x10s' is not a whole number with a unit, like "
     "250ms, 5s, 10m, 1h or 1d\n"},

    // --- sizes --------------------------------------------------------------------------------
    {"BareNumberForASize", "broker:\n  max_packet_size: 256\n",
     "t.yaml:2:20: error: broker.max_packet_size: '256' has no unit; add one, like 512B, "
     "256KiB, 1MiB or 1GiB\n"},
    {"AmbiguousSizeUnit", "broker:\n  max_packet_size: 64K\n",
     "t.yaml:2:20: error: broker.max_packet_size: '64K': unit 'K' is ambiguous; use KiB/MiB/GiB "
     "(1024-based) or kB/MB/GB (1000-based)\n"},
    {"MisspelledSizeUnit", "broker:\n  max_packet_size: 64kib\n",
     "t.yaml:2:20: error: broker.max_packet_size: '64kib': unknown unit 'kib'; did you mean "
     "'KiB'? (units: B, kB, KiB, MB, MiB, GB or GiB)\n"},
    {"FractionalSize", "broker:\n  max_packet_size: 1.5MiB\n",
     "t.yaml:2:20: error: broker.max_packet_size: '1.5MiB': fractions are not supported; use a "
     "smaller unit\n"},
    {"SizeAboveRange", "broker:\n  max_packet_size: 512MiB\n",
     "t.yaml:2:20: error: broker.max_packet_size: 512MiB out of range 1KiB..256MiB\n"},
    {"SizeTooLargeToCount", "broker:\n  max_packet_size: 99999999999999999999999KiB\n",
     "t.yaml:2:20: error: broker.max_packet_size: '99999999999999999999999KiB' is too large\n"},

    // --- enums, booleans, identifiers, strings ------------------------------------------------
    {"UnknownEnumWordWithSuggestion", "gateway:\n  log_level: warning\n",
     "t.yaml:2:14: error: gateway.log_level: 'warning' is not one of trace, debug, info, warn, "
     "error, critical, off; did you mean 'warn'?\n"},
    {"NumberForAnEnum", "gateway:\n  log_level: 3\n",
     "t.yaml:2:14: error: gateway.log_level: '3' is not one of trace, debug, info, warn, error, "
     "critical, off\n"},
    {"YesForABoolean", "broker:\n  retain_available: yes\n",
     "t.yaml:2:21: error: broker.retain_available: expected true or false, got 'yes'\n"},
    {"CapitalisedBoolean", "broker:\n  retain_available: True\n",
     "t.yaml:2:21: error: broker.retain_available: expected true or false, got 'True'\n"},
    {"NumberForABoolean", "broker:\n  allow_anonymous: 1\n",
     "t.yaml:2:20: error: broker.allow_anonymous: expected true or false, got '1'\n"},
    {"IdentifierWithASlash", "gateway:\n  id: plant/1\n",
     "t.yaml:2:7: error: gateway.id: 'plant/1' is not a valid identifier: use 1..64 of A-Z a-z "
     "0-9 . _ -\n"},
    {"EmptyIdentifier", "gateway:\n  id: \"\"\n",
     "t.yaml:2:7: error: gateway.id: '' is not a valid identifier: use 1..64 of A-Z a-z 0-9 . _ "
     "-\n"},
    {"EmptyString", "gateway:\n  data_dir: ''\n",
     "t.yaml:2:13: error: gateway.data_dir: must not be empty\n"},

    // --- bind addresses -----------------------------------------------------------------------
    {"BindToAHostName", "broker:\n  listeners:\n    - bind: localhost:1883\n",
     "t.yaml:3:13: error: broker.listeners[0].bind: 'localhost' is not an IP address; listeners "
     "bind to an IPv4 or [IPv6] address (0.0.0.0 or [::] for all)\n"},
    {"BindToAnInvalidIpv4", "broker:\n  listeners:\n    - bind: 256.1.1.1:1883\n",
     "t.yaml:3:13: error: broker.listeners[0].bind: '256.1.1.1' is not an IP address; listeners "
     "bind to an IPv4 or [IPv6] address (0.0.0.0 or [::] for all)\n"},
    {"BindWithoutAPort", "broker:\n  listeners:\n    - bind: 127.0.0.1\n",
     "t.yaml:3:13: error: broker.listeners[0].bind: expected address:port (127.0.0.1:1883, "
     "[::1]:1883), got '127.0.0.1' (the port is missing)\n"},
    {"BindWithAnEmptyPort", "broker:\n  listeners:\n    - bind: \"[::1]:\"\n",
     "t.yaml:3:13: error: broker.listeners[0].bind: expected address:port (127.0.0.1:1883, "
     "[::1]:1883), got '[::1]:' (the port is missing)\n"},
    {"BindWithoutAnAddress", "broker:\n  listeners:\n    - bind: :1883\n",
     "t.yaml:3:13: error: broker.listeners[0].bind: expected address:port (127.0.0.1:1883, "
     "[::1]:1883), got ':1883' (the address is missing; 0.0.0.0 listens on all IPv4 "
     "interfaces)\n"},
    {"Ipv6WithoutBrackets", "broker:\n  listeners:\n    - bind: ::1:1883\n",
     "t.yaml:3:13: error: broker.listeners[0].bind: IPv6 addresses need brackets: [::1]:1883\n"},
    {"Ipv6WithoutTheClosingBracket", "broker:\n  listeners:\n    - bind: \"[::1:1883\"\n",
     "t.yaml:3:13: error: broker.listeners[0].bind: expected address:port (127.0.0.1:1883, "
     "[::1]:1883), got '[::1:1883' (the ']' after the IPv6 address is missing)\n"},
    {"Ipv6WithoutTheColon", "broker:\n  listeners:\n    - bind: \"[::1]1883\"\n",
     "t.yaml:3:13: error: broker.listeners[0].bind: expected address:port (127.0.0.1:1883, "
     "[::1]:1883), got '[::1]1883' (expected ':' and the port after ']')\n"},
    {"InvalidIpv6", "broker:\n  listeners:\n    - bind: \"[fe80::zz]:1883\"\n",
     "t.yaml:3:13: error: broker.listeners[0].bind: 'fe80::zz' is not an IPv6 address\n"},
    {"PortAboveRange", "broker:\n  listeners:\n    - bind: 127.0.0.1:70000\n",
     "t.yaml:3:13: error: broker.listeners[0].bind: port 70000 out of range 0..65535\n"},
    {"PortThatIsAName", "broker:\n  listeners:\n    - bind: 127.0.0.1:mqtt\n",
     "t.yaml:3:13: error: broker.listeners[0].bind: port 'mqtt' is not a number\n"},
    {"NegativePort", "broker:\n  listeners:\n    - bind: 127.0.0.1:-1\n",
     "t.yaml:3:13: error: broker.listeners[0].bind: port '-1' is not a number\n"},

    // --- listeners ----------------------------------------------------------------------------
    {"EmptyListenerList", "broker:\n  listeners: []\n",
     "t.yaml:2:14: error: broker.listeners: the list is empty; at least 1 listener is required\n"},
    {"ListenersWithNothing", "broker:\n  listeners:\n",
     "t.yaml:2:3: error: broker.listeners: expected a list of listeners, got nothing\n"},
    {"TooManyListeners",
     "broker:\n  listeners:\n"
     "    - {bind: 127.0.0.1:1}\n    - {bind: 127.0.0.1:2}\n    - {bind: 127.0.0.1:3}\n"
     "    - {bind: 127.0.0.1:4}\n    - {bind: 127.0.0.1:5}\n    - {bind: 127.0.0.1:6}\n"
     "    - {bind: 127.0.0.1:7}\n    - {bind: 127.0.0.1:8}\n    - {bind: 127.0.0.1:9}\n"
     "    - {bind: 127.0.0.1:10}\n    - {bind: 127.0.0.1:11}\n    - {bind: 127.0.0.1:12}\n"
     "    - {bind: 127.0.0.1:13}\n    - {bind: 127.0.0.1:14}\n    - {bind: 127.0.0.1:15}\n"
     "    - {bind: 127.0.0.1:16}\n    - {bind: 127.0.0.1:17}\n",
     "t.yaml:19:7: error: broker.listeners: 17 listeners; at most 16 are allowed\n"},
    {"ListenerWithoutABind", "broker:\n  listeners:\n    - name: x\n",
     "t.yaml:3:7: error: broker.listeners[0]: missing required key 'bind'\n"},
    {"DuplicateListenerBinds", "broker:\n  listeners:\n    - bind: 127.0.0.1:1883\n    - bind: 127.0.0.1:1883\n",
     "t.yaml:4:13: error: broker.listeners[1].bind: 127.0.0.1:1883 is already used by "
     "broker.listeners[0]\n"},
    {"DuplicateListenerBindsSpelledDifferently",
     "broker:\n  listeners:\n    - bind: \"[::1]:1883\"\n    - bind: \"[0:0::1]:1883\"\n",
     "t.yaml:4:13: error: broker.listeners[1].bind: [::1]:1883 is already used by "
     "broker.listeners[0]\n"},
    {"ListenerInsideAWildcardListener",
     "broker:\n  allow_anonymous: true\n  listeners:\n    - bind: 0.0.0.0:1883\n"
     "    - bind: 127.0.0.1:1883\n",
     "t.yaml:4:13: warning: broker.listeners[0].bind: 0.0.0.0:1883 accepts anonymous clients "
     "from the network (allow_anonymous is true)\n"
     "t.yaml:5:13: error: broker.listeners[1].bind: 127.0.0.1:1883 overlaps 0.0.0.0:1883 "
     "(broker.listeners[0]): 0.0.0.0 covers every IPv4 address on port 1883\n"},
    {"DuplicateListenerNames",
     "broker:\n  listeners:\n    - {bind: 127.0.0.1:1, name: a}\n    - {bind: 127.0.0.1:2, name: a}\n",
     "t.yaml:4:33: error: broker.listeners[1].name: 'a' is already the name of "
     "broker.listeners[0]\n"},

    // --- rules across keys --------------------------------------------------------------------
    {"QueueSmallerThanAPacket", "broker:\n  max_packet_size: 1MiB\n  max_queued_bytes: 512KiB\n",
     "t.yaml:3:21: error: broker.max_queued_bytes: 512KiB is smaller than max_packet_size "
     "(1MiB); one message of the largest size must fit\n"},
    {"QueueSmallerThanTheDefaultPacket", "broker:\n  max_queued_bytes: 128KiB\n",
     "t.yaml:2:21: error: broker.max_queued_bytes: 128KiB is smaller than max_packet_size "
     "(256KiB); one message of the largest size must fit\n"},

    // --- environment variables ----------------------------------------------------------------
    {"UnsetEnvironmentVariable", "gateway:\n  id: ${GW_BAD_FILES_UNSET}\n",
     "t.yaml:2:7: error: gateway.id: environment variable 'GW_BAD_FILES_UNSET' is not set (use "
     "${GW_BAD_FILES_UNSET:-default} for a fallback)\n"},
    {"UnterminatedSubstitution", "gateway:\n  id: ${GW_BAD_FILES_UNSET\n",
     "t.yaml:2:7: error: gateway.id: unterminated '${' in '${GW_BAD_FILES_UNSET' (write $${ for "
     "a literal ${)\n"},
    {"InvalidVariableName", "gateway:\n  id: ${1BAD}\n",
     "t.yaml:2:7: error: gateway.id: invalid environment variable name '1BAD' in '${1BAD}' "
     "(letters, digits and '_', not starting with a digit)\n"},
    {"FallbackOfTheWrongType", "broker:\n  maximum_qos: ${GW_BAD_FILES_UNSET:-high}\n",
     "t.yaml:2:16: error: broker.maximum_qos: expected an integer 0..2, got 'high'\n"},

    // --- YAML itself --------------------------------------------------------------------------
    {"BadIndentation", "gateway:\n  id: a\n log_level: info\n",
     "t.yaml:3:2: error: YAML syntax error: end of map not found (check the indentation of this "
     "line)\n"},
    {"DeeperIndentationUnderAValue", "gateway:\n  id: a\n   b: c\n",
     "t.yaml:3:5: error: YAML syntax error: illegal map value (check the indentation; a value "
     "containing ': ' needs quotes)\n"},
    {"TabIndentation", "gateway:\n\tid: a\n",
     "t.yaml:2:1: error: YAML syntax error: a tab in the indentation; YAML indents with spaces "
     "only\n"},
    {"UnclosedQuoteBeforeMoreKeys", "gateway:\n  data_dir: \"/srv\nbroker:\n  max_inflight: 5\n",
     "t.yaml:2:13: error: YAML syntax error: this quoted string is never closed (add the closing "
     "\")\n"},
    {"UnclosedSingleQuote", "gateway:\n  data_dir: '/srv\n",
     "t.yaml:2:13: error: YAML syntax error: this quoted string is never closed (add the closing "
     "')\n"},
    {"UnclosedQuoteAtTheEnd", "gateway:\n  id: \"a",
     "t.yaml:2:9: error: YAML syntax error: the file ends inside a quoted string (a closing quote "
     "is missing)\n"},
    // Found by fuzz_config: yaml-cpp read past the end and quoted its end-of-input marker.
    {"BackslashAtTheEndOfTheFile", "gateway:\n  id: \"a\\",
     "t.yaml:2:10: error: YAML syntax error: the file ends inside a quoted string (a closing "
     "quote is missing)\n"},
    {"UnclosedFlowMapping", "gateway: {id: a\n",
     "t.yaml:2:1: error: YAML syntax error: end of map flow not found (a '{' is not closed)\n"},
    {"ColonAtTheEndOfAValue", "broker:\n  listeners:\n    - bind: 127.0.0.1:\n",
     "t.yaml:3:22: error: YAML syntax error: illegal map value (check the indentation; a value "
     "containing ': ' needs quotes)\n"},
    {"UndefinedAlias", "gateway: *nowhere\n",
     "t.yaml:1:10: error: YAML syntax error: the referenced anchor is not defined\n"},
    {"TwoDocuments", "gateway: {id: a}\n---\nbroker: {}\n",
     "t.yaml:2:1: error: a second YAML document starts here; put everything in one\n"},
    {"DocumentEndMarkerThenMore", "gateway:\n  id: a\n...\nbroker: {}\n",
     "t.yaml:4:1: error: a second YAML document starts here; put everything in one\n"},
    {"TopLevelList", "- gateway\n",
     "t.yaml:1:1: error: the top level must be a mapping of sections (gateway:, broker:), got a "
     "list\n"},
    {"TopLevelScalar", "42\n",
     "t.yaml:1:1: error: the top level must be a mapping of sections (gateway:, broker:), got "
     "'42'\n"},
    {"NestingTooDeep", "gateway: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
     "t.yaml:1:73: error: nesting deeper than 64 levels; a configuration never needs that many\n"},
    {"NulByte", "gateway:\n  id: a\0b\n",
     "t.yaml:2:8: error: the file contains a NUL byte; a configuration file is UTF-8 text\n"},
    {"NotUtf8", "gateway:\n  id: caf\xe9\n",
     "t.yaml:2:10: error: the file is not valid UTF-8 (byte 0xE9 here); save it as UTF-8\n"},
    {"Utf16", "\xff\xfeg\0:\0",
     "t.yaml: error: the file is UTF-16 or UTF-32; save it as UTF-8\n"},

    // --- everything at once, in file order ----------------------------------------------------
    {"EveryErrorAtOnce",
     "gateway:\n  id: plant/1\n  log_level: loud\nbroker:\n  listeners:\n"
     "    - bind: 127.0.0.1:99999\n    - name: no-bind\n  max_keep_alive: 30\n"
     "  receive_maximum: 0\n  colour: blue\n",
     "t.yaml:2:7: error: gateway.id: 'plant/1' is not a valid identifier: use 1..64 of A-Z a-z "
     "0-9 . _ -\n"
     "t.yaml:3:14: error: gateway.log_level: 'loud' is not one of trace, debug, info, warn, "
     "error, critical, off\n"
     "t.yaml:6:13: error: broker.listeners[0].bind: port 99999 out of range 0..65535\n"
     "t.yaml:7:7: error: broker.listeners[1]: missing required key 'bind'\n"
     "t.yaml:8:19: error: broker.max_keep_alive: '30' has no unit; add one, like 250ms, 5s, 10m, "
     "1h or 1d\n"
     "t.yaml:9:20: error: broker.receive_maximum: 0 out of range 1..65535\n"
     "t.yaml:10:3: error: broker.colour: unknown key\n"},
};
// clang-format on

class BadFiles : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadFiles, AreRejectedWithExactlyThisReport) {
  test::ScopedEnv unset("GW_BAD_FILES_UNSET", nullptr);
  const BadFile& f = GetParam();
  // Sized by hand: some texts contain a NUL byte.
  std::string_view yaml(f.yaml);
  if (std::string_view(f.name) == "NulByte") yaml = std::string_view(f.yaml, 18);
  if (std::string_view(f.name) == "Utf16") yaml = std::string_view(f.yaml, 6);
  const auto r = test::load(yaml);
  EXPECT_FALSE(r.config);
  EXPECT_EQ(r.report, f.report) << "input:\n" << f.yaml;
}

INSTANTIATE_TEST_SUITE_P(Table, BadFiles, ::testing::ValuesIn(kBadFiles),
                         [](const ::testing::TestParamInfo<BadFile>& i) { return std::string(i.param.name); });

TEST(BadFilesTable, HasAtLeastFortyCases) { EXPECT_GE(std::size(kBadFiles), 40u); }

// No section of this release has a secret yet, so `x` together with `x_file` is checked on a
// schema made up for the test, through the same machinery every section uses.
struct WithSecret {
  std::string token;
};

const Schema<WithSecret>& secret_schema() {
  static const Schema<WithSecret> s{"auth", {secret("token", &WithSecret::token, "Token.", Need::Required)}};
  return s;
}

std::string parse_secret(const std::string& yaml) {
  Diagnostics diag("t.yaml");
  WithSecret out;
  secret_schema().parse(YAML::Load(yaml), out, Cursor(diag, "auth"));
  return diag.format();
}

TEST(BadFilesTable, RejectsASecretGivenInlineAndFromAFileInEitherOrder) {
  EXPECT_EQ(parse_secret("token: x\ntoken_file: /dev/null\n"),
            "t.yaml:2:1: error: auth.token_file: cannot be combined with 'token' at 1:1; use one "
            "of them\n");
  EXPECT_EQ(parse_secret("token_file: /dev/null\ntoken: x\n"),
            "t.yaml:2:1: error: auth.token: cannot be combined with 'token_file' at 1:1; use one of "
            "them\n");
  EXPECT_EQ(parse_secret("tokn: x\n"),
            "t.yaml:1:1: error: auth.tokn: unknown key; did you mean 'token'?\n"
            "t.yaml:1:1: error: auth: missing required key 'token'\n");
}

}  // namespace
}  // namespace gw::config
