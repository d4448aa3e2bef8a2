// broker::EnhancedAuth: the state of MQTT 5 enhanced authentication (§4.12) on one connection
// that named an Authentication Method in CONNECT. The Broker runs the exchange
// (broker_enhanced_auth.cpp); the Client owns this state and routes AUTH packets to it.
//
//   CONNECT  method, data = client-first     ->
//            <-  AUTH 0x18  method, data = server-first
//   AUTH 0x18  method, data = client-final   ->
//            <-  CONNACK 0x00  method, data = server-final        (the CONNECT is applied only now)
//
// and later, for re-authentication (§4.12.1), the same with AUTH 0x19 instead of CONNECT and
// AUTH 0x00 instead of CONNACK, while the connection's other traffic keeps flowing.
//
// Ownership: owned by its Client (one per connection); holds the CONNECT until the exchange
// succeeds. Thread safety: core thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "broker/auth/scram.hpp"
#include "broker/protocol/connect.hpp"

namespace gw::broker {

struct EnhancedAuth {
  enum class Phase : std::uint8_t {
    Connecting,        // CONNECT held, waiting for client-final
    Authenticated,     // CONNACK sent; AUTH 0x19 may start a re-authentication
    Reauthenticating,  // AUTH 0x19 answered, waiting for client-final
  };

  std::string method;  // the CONNECT's Authentication Method; every AUTH must repeat it
  auth::Hash hash = auth::Hash::Sha256;
  Phase phase = Phase::Connecting;
  std::unique_ptr<auth::ScramServer> scram;  // the exchange in progress; null when none
  std::optional<protocol::Connect> connect;  // held while Connecting
  // The exchange failed and its refusal is delayed (the failure slow-down): AUTH packets that
  // arrive meanwhile are ignored.
  bool refusing = false;
};

}  // namespace gw::broker
