// Test support: a scratch directory removed with everything in it when the test ends.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace gw::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path()/name and returns the full path.
  std::string write(std::string_view name, std::string_view content) const;
  // The content of path()/name ("" when it cannot be read).
  [[nodiscard]] std::string read(std::string_view name) const;

 private:
  std::filesystem::path path_;
};

}  // namespace gw::test
