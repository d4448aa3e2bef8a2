#include "gateway/bridge/uplink_client.hpp"

#include <utility>

#include "gateway/bridge/native_uplink.hpp"
#include "gateway/bridge/uplink.hpp"

namespace gw::bridge {

Result<std::unique_ptr<UplinkClient>> make_uplink_client(const BridgeOptions& options,
                                                         std::string client_id,
                                                         std::uint64_t generation,
                                                         std::shared_ptr<LinkSink> sink) {
  if (options.client == ClientKind::Native) {
    GW_TRY(link, NativeUplink::create(options, std::move(client_id), generation, std::move(sink),
                                      NativeUplink::Threading::Owner));
    return std::unique_ptr<UplinkClient>(std::move(link));
  }
  GW_TRY(link, Uplink::create(options, std::move(client_id), generation, std::move(sink)));
  return std::unique_ptr<UplinkClient>(std::move(link));
}

}  // namespace gw::bridge
