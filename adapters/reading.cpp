#include "adapters/reading.hpp"

namespace gw::adapters {

std::string_view to_string(Quality q) {
  switch (q) {
    case Quality::Good: return "good";
    case Quality::BadTimeout: return "bad_timeout";
    case Quality::BadException: return "bad_exception";
    case Quality::BadCrc: return "bad_crc";
    case Quality::BadConnection: return "bad_connection";
    case Quality::BadDecode: return "bad_decode";
    case Quality::BadConfig: return "bad_config";
  }
  return "bad";
}

}  // namespace gw::adapters
