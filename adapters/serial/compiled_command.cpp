#include "adapters/serial/compiled_command.hpp"

#include "core/check.hpp"

namespace gw::adapters::serial {

CompiledCommand compile_command(const CommandOptions& c,
                                const std::vector<PatternOptions>& patterns) {
  auto send = CommandTemplate::parse(c.send);
  GW_CHECK(send.has_value());
  auto probe = Regex::compile(c.reply);
  GW_CHECK(probe.has_value());
  PatternOptions reply{.name = c.point, .regex = c.reply, .points = {}};
  if (probe->group_number("value")) {
    PointOptions value;
    value.name = c.point;
    value.capture = "value";
    value.type = c.type;
    value.scale = c.scale;
    value.offset = c.offset;
    reply.points.push_back(std::move(value));
  }
  auto parser = LineParser::compile(std::move(reply));
  GW_CHECK(parser.has_value());
  std::optional<Regex> error;
  if (!c.reply_error.empty()) {
    auto re = Regex::compile(c.reply_error);
    GW_CHECK(re.has_value());
    error.emplace(std::move(*re));
  }
  std::optional<std::pair<std::size_t, std::size_t>> read_point;
  for (std::size_t p = 0; p < patterns.size() && !read_point; ++p) {
    const auto& pts = patterns[p].points;
    for (std::size_t q = 0; q < pts.size(); ++q) {
      if (pts[q].name == c.point) read_point.emplace(p, q);
    }
  }
  return CompiledCommand{std::move(*send), std::move(*parser), std::move(error), read_point};
}

}  // namespace gw::adapters::serial
