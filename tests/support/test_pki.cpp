#include "tests/support/test_pki.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "tests/support/process.hpp"

namespace gw::test {

using namespace std::chrono_literals;

TestPki::TestPki() {
  config_ = dir_.write("req.cnf",
                       "[req]\n"
                       "distinguished_name = dn\n"
                       "[dn]\n"
                       "[ca_ext]\n"
                       "basicConstraints = critical,CA:TRUE\n"
                       "keyUsage = critical,keyCertSign,cRLSign\n"
                       "subjectKeyIdentifier = hash\n");
}

CertFiles TestPki::ca(const std::string& name) {
  CertFiles ca{path(name + ".pem"), path(name + ".key")};
  openssl({"req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-nodes", "-keyout", ca.key, "-out", ca.cert, "-days", "2", "-subj", "/CN=" + name,
           "-config", config_, "-extensions", "ca_ext"});
  return ca;
}

CertFiles TestPki::issue(const CertFiles& ca, const std::string& name, const std::string& san) {
  CertFiles leaf{path(name + ".pem"), path(name + ".key")};
  const std::string csr = path(name + ".csr");
  std::string ext =
      "basicConstraints = critical,CA:FALSE\n"
      "keyUsage = critical,digitalSignature,keyEncipherment\n"
      "extendedKeyUsage = serverAuth,clientAuth\n";
  if (!san.empty()) ext += "subjectAltName = " + san + "\n";
  const std::string ext_file = dir_.write(name + ".ext", ext);
  openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", leaf.key, "-out", csr, "-subj", "/CN=" + name, "-config", config_});
  openssl({"x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial",
           std::to_string(++serial_), "-days", "2", "-out", leaf.cert, "-extfile", ext_file});
  return leaf;
}

std::string TestPki::encrypt(const std::string& key, const std::string& password) {
  const std::string out = key + ".enc";
  openssl({"pkey", "-in", key, "-aes256", "-passout", "pass:" + password, "-out", out});
  return out;
}

std::string TestPki::combined(const CertFiles& files) {
  const std::string out = files.cert + ".with-key";
  return dir_.write(std::filesystem::path(out).filename().string(),
                    read(files.cert) + read(files.key));
}

std::string TestPki::path(const std::string& name) const { return (dir_.path() / name).string(); }

std::string TestPki::read(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void TestPki::openssl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  auto r = run(args, 20s);
  if (r.code != 0) throw std::runtime_error("openssl " + args[1] + " failed: " + r.output);
}

}  // namespace gw::test
