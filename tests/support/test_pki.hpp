// Test support: a throwaway PKI made with the openssl command line, for TLS tests of the broker
// and the bridge. Everything is on the command line or in files of its own scratch directory:
// the machine's openssl.cnf plays no part.
//
//   TestPki pki;
//   const CertFiles ca = pki.ca("test-ca");
//   const CertFiles server = pki.issue(ca, "server", kLoopbackSan);
//
// Thread safety: one test thread. Throws std::runtime_error when openssl fails.
#pragma once

#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace gw::test {

// A certificate and its private key, as PEM files.
struct CertFiles {
  std::string cert;
  std::string key;
};

// 127.0.0.1 and localhost: what a server certificate for loopback tests must name.
inline constexpr const char* kLoopbackSan = "IP:127.0.0.1,DNS:localhost";

class TestPki {
 public:
  TestPki();

  // A self-signed CA.
  CertFiles ca(const std::string& name);

  // A leaf certificate with subject CN=`name`, signed by `ca`, usable by a server and a client;
  // `san` is a subjectAltName value ("IP:127.0.0.1,DNS:localhost") or empty for none. Each
  // certificate gets the next serial number.
  CertFiles issue(const CertFiles& ca, const std::string& name, const std::string& san);

  // `key` encrypted with `password` (AES-256).
  std::string encrypt(const std::string& key, const std::string& password);

  // The certificate followed by its key, in one file.
  std::string combined(const CertFiles& files);

  [[nodiscard]] const TempDir& dir() const { return dir_; }

 private:
  [[nodiscard]] std::string path(const std::string& name) const;
  static std::string read(const std::string& file);
  static void openssl(std::vector<std::string> args);

  TempDir dir_;
  std::string config_;
  int serial_ = 1000;
};

}  // namespace gw::test
