// Broker: MQTT 5 enhanced authentication with SCRAM-SHA-256 / SCRAM-SHA-512 (MQTT 5 §4.12,
// §4.12.1; the exchange is described in broker/enhanced_auth.hpp, the codes in
// docs/mqtt-conformance.md).
#include <string>
#include <utility>

#include "broker/broker.hpp"
#include "broker/enhanced_auth.hpp"

namespace gw::broker {

using namespace protocol;

namespace {

Auth auth_packet(AuthReason reason, const EnhancedAuth& state, std::string data) {
  Auth a{.reason = reason};
  // MQTT 5 §4.12 [MQTT-4.12.0-5]: every AUTH carries the CONNECT's Authentication Method.
  a.props.authentication_method = state.method;
  a.props.authentication_data = std::move(data);
  return a;
}

}  // namespace

void Broker::begin_enhanced_auth(Client& client, Connect&& connect) {
  auto owned = std::make_unique<EnhancedAuth>();
  EnhancedAuth& state = *owned;
  state.method = *connect.props.authentication_method;
  state.connect = std::move(connect);
  client.set_enhanced_auth(std::move(owned));
  // MQTT 5 §4.12 [MQTT-4.12.0-1]: a method the server does not support gets CONNACK 0x8C. SCRAM
  // with a hash is offered when the password file has SCRAM entries of that hash; not on a
  // listener that takes the user from the client certificate (the certificate is the credential).
  const auto hash = auth::scram_hash(state.method);
  if (!hash || !auth_ || !auth_->offers(*hash) || client.tls_identity()) {
    end_enhanced_auth(client, ConnackReason::BadAuthenticationMethod,
                      DisconnectReason::BadAuthenticationMethod,
                      "authentication method '" + state.method + "' not offered");
    return;
  }
  state.hash = *hash;
  start_scram(client, state.connect->props.authentication_data.value_or(std::string()));
}

void Broker::start_scram(Client& client, std::string_view client_first) {
  EnhancedAuth& state = *client.enhanced_auth();
  const bool connecting = state.phase == EnhancedAuth::Phase::Connecting;
  state.scram = std::make_unique<auth::ScramServer>(state.hash);
  auto user = state.scram->client_first(client_first);
  if (!user) {
    ++stats_.auth_failures;
    end_enhanced_auth(client, ConnackReason::NotAuthorized, DisconnectReason::NotAuthorized,
                      "SCRAM client-first-message: " + state.scram->problem());
    return;
  }
  if (connecting) {
    // A User Name in CONNECT must name the SCRAM user: a client that claims to be someone else
    // is refused rather than silently renamed (as with a certificate identity).
    if (state.connect->username && *state.connect->username != *user) {
      ++stats_.auth_failures;
      end_enhanced_auth(client, ConnackReason::BadUserNameOrPassword,
                        DisconnectReason::NotAuthorized,
                        "user name '" + *state.connect->username + "' is not the SCRAM user '" +
                            *user + "'");
      return;
    }
  } else {
    // The session belongs to the user who made it (finish_connect): re-authentication proves the
    // same user again, it does not switch the connection to another one.
    const Session* session = client.session();
    if (session == nullptr || session->user != *user) {
      ++stats_.auth_failures;
      end_enhanced_auth(client, ConnackReason::NotAuthorized, DisconnectReason::NotAuthorized,
                        "re-authentication as another user '" + *user + "'");
      return;
    }
  }
  // An address whose failures are being slowed down is refused when its delay is over, without
  // an exchange, exactly like a password login.
  if (auth_->throttled(client.peer_address())) {
    auto done = refuse_scram_later(client);
    auth_->refuse_if_throttled(client.peer_address(), done);
    return;
  }
  // Unknown users, and users without a SCRAM entry of this hash, get a fake credential: the
  // server-first-message is the same kind either way and the proof fails the same way.
  const std::string server_first =
      state.scram->server_first(auth_->scram_credential(*user, state.hash));
  send_auth(client, auth_packet(AuthReason::ContinueAuthentication, state, server_first));
}

auth::Authenticator::Done Broker::refuse_scram_later(Client& client) {
  const std::uint64_t ticket = next_auth_ticket_++;
  authenticating_.emplace(ticket, &client);
  client.hold_until_authenticated(ticket);
  client.enhanced_auth()->refusing = true;
  return [this, ticket](auth::Authenticator::Outcome) {
    const auto it = authenticating_.find(ticket);
    if (it == authenticating_.end()) return;  // the connection is gone
    Client& c = *it->second;
    authenticating_.erase(it);
    if (c.closing()) return;
    ++stats_.auth_failures;
    // MQTT 5 §3.2.2.2: 0x86 in CONNACK. DISCONNECT has no 0x86 (§3.14.2.1): a failed
    // re-authentication gets 0x87 Not authorized.
    end_enhanced_auth(c, ConnackReason::BadUserNameOrPassword, DisconnectReason::NotAuthorized,
                      "bad user name or password");
  };
}

void Broker::on_auth(Client& client, Auth&& packet) {
  EnhancedAuth& state = *client.enhanced_auth();
  if (state.refusing) return;  // its refusal is on the way
  // MQTT 5 §4.12 [MQTT-4.12.0-5], §4.12.1 [MQTT-4.12.1-1]: every AUTH names the method the
  // connection authenticated with. None is a Protocol Error; another one is 0x8C, "does not match
  // the authentication method currently in use" (§3.14.2.1).
  if (!packet.props.authentication_method) {
    on_auth_protocol_error(client, "AUTH without Authentication Method");
    return;
  }
  if (*packet.props.authentication_method != state.method) {
    end_enhanced_auth(client, ConnackReason::BadAuthenticationMethod,
                      DisconnectReason::BadAuthenticationMethod,
                      "AUTH with method '" + *packet.props.authentication_method + "', not '" +
                          state.method + "'");
    return;
  }
  const std::string data = packet.props.authentication_data.value_or(std::string());
  switch (state.phase) {
    case EnhancedAuth::Phase::Connecting:
    case EnhancedAuth::Phase::Reauthenticating:
      // MQTT 5 §4.12 [MQTT-4.12.0-3]: the client answers the server's AUTH with 0x18.
      if (packet.reason != AuthReason::ContinueAuthentication) {
        on_auth_protocol_error(client, "AUTH during an exchange must be 0x18 Continue");
        return;
      }
      finish_scram(client, data);
      return;
    case EnhancedAuth::Phase::Authenticated:
      // MQTT 5 §4.12.1: a client starts re-authentication with 0x19; nothing else is waited for.
      if (packet.reason != AuthReason::ReAuthenticate) {
        on_auth_protocol_error(client, "AUTH outside an exchange must be 0x19 Re-authenticate");
        return;
      }
      state.phase = EnhancedAuth::Phase::Reauthenticating;
      start_scram(client, data);
      return;
  }
}

void Broker::finish_scram(Client& client, std::string_view client_final) {
  EnhancedAuth& state = *client.enhanced_auth();
  auto server_final = state.scram->client_final(client_final);
  if (!server_final) {
    if (server_final.error() == std::errc::permission_denied) {
      // A wrong proof (wrong password, unknown user, no SCRAM entry): one failed login.
      auth_->scram_refused(client.peer_address(), refuse_scram_later(client));
      return;
    }
    ++stats_.auth_failures;
    end_enhanced_auth(client, ConnackReason::NotAuthorized, DisconnectReason::NotAuthorized,
                      "SCRAM client-final-message: " + state.scram->problem());
    return;
  }
  auth_->scram_accepted();
  std::string user = state.scram->user();
  state.scram.reset();
  if (state.phase == EnhancedAuth::Phase::Connecting) {
    Connect connect = std::move(*state.connect);
    state.connect.reset();
    state.phase = EnhancedAuth::Phase::Authenticated;
    connect.username = std::move(user);
    // MQTT 5 §4.12 [MQTT-4.12.0-5]: the CONNACK repeats the method; its data is server-final.
    connect.props.authentication_data = std::move(*server_final);
    finish_connect(client, std::move(connect), /*verified=*/true);
    return;
  }
  state.phase = EnhancedAuth::Phase::Authenticated;
  log_->debug("client {}: re-authenticated as '{}' ({})", client.peer(), user, state.method);
  send_auth(client, auth_packet(AuthReason::Success, state, std::move(*server_final)));
}

void Broker::send_auth(Client& client, const Auth& packet) {
  if (const auto size = encoded_size(packet, ProtocolVersion::V5); size > client.maximum_packet_size()) {
    end_enhanced_auth(client, ConnackReason::PacketTooLarge, DisconnectReason::PacketTooLarge,
                      fmt::format("its AUTH of {} bytes exceeds the client's Maximum Packet Size {}",
                                  size, client.maximum_packet_size()));
    return;
  }
  client.send(packet);
}

void Broker::on_auth_protocol_error(Client& client, std::string_view why) {
  const EnhancedAuth* state = client.enhanced_auth();
  if (state != nullptr && state->refusing) return;  // its refusal is on the way
  if (state != nullptr && state->phase == EnhancedAuth::Phase::Connecting) {
    count_protocol_error();
    end_enhanced_auth(client, ConnackReason::ProtocolError, DisconnectReason::ProtocolError, why);
    return;
  }
  log_->info("client {}: {}", client.peer(), why);
  client.disconnect(DisconnectReason::ProtocolError, std::string(why));
}

void Broker::end_enhanced_auth(Client& client, ConnackReason connack, DisconnectReason disconnect,
                               std::string_view why) {
  const EnhancedAuth& state = *client.enhanced_auth();
  const std::string user = state.scram ? state.scram->user() : std::string();
  if (state.phase == EnhancedAuth::Phase::Connecting) {
    // MQTT 5 §4.12 [MQTT-4.12.0-4]: a refusing CONNACK, then the connection closes.
    ++stats_.connections_refused;
    log_->info("client {} '{}': CONNECT refused: {} (user '{}', {})", client.peer(),
               state.connect ? state.connect->client_id : std::string(), why, user, state.method);
    client.send(Connack{.reason = connack});
    client.close();
    return;
  }
  // MQTT 5 §4.12.1 [MQTT-4.12.1-2]: a failed re-authentication ends the connection.
  log_->info("client {}: re-authentication refused: {} (user '{}', {})", client.peer(), why, user,
             state.method);
  client.disconnect(disconnect, std::string(why));
}

}  // namespace gw::broker
