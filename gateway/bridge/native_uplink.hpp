// bridge::NativeUplink: the UplinkClient of `bridge.client: native`: one MQTT 5 connection over
// Asio, spoken with the project's own codec (broker/protocol), without Paho's command queue and
// thread hops. It sends what the Paho Uplink sends (CONNECT with the same properties and will,
// PUBLISH QoS 0/1/2, SUBSCRIBE with No Local, PINGREQ, DISCONNECT) and reports the same
// LinkEvents, so BridgeLoop cannot tell them apart.
//
// Batching is the point: publish() encodes the PUBLISH into a shared output buffer under a mutex.
// Between hold_sends() and release_sends() (the bridge's round of PUBLISHes; the answers to the
// packets of one read) the buffer only fills; then, when no write is pending, it leaves in one
// non-blocking send() from the calling thread (plain TCP), and otherwise (TLS, a write in
// progress, what a send() left) by one asynchronous write on the I/O thread. Every
// acknowledgement decoded from one read is reported together. TCP_NODELAY is on.
//
// mqtts:// servers: TCP connect, the TLS client handshake (asio::ssl over OpenSSL, with the
// TlsOptions mapped as the Paho Uplink maps them, see uplink_tls.hpp), then CONNECT, all within
// the server's connect_timeout; a TLS failure fails that server like a TCP one and the next is
// tried. An mqtt:// server's reads and writes go to the socket directly, as without TLS.
//
// Topic aliases: the first topics up to the server's Topic Alias Maximum get one each; a topic is
// then sent in full once per connection.
//
// Not yet: MQTT 5 enhanced authentication.
//
// Threads: with Threading::OwnThread, one I/O thread per NativeUplink runs its own
// asio::io_context from create() to the destructor, and every LinkEvent and remote message is
// reported from it. With Threading::Owner (the BridgeLoop's choice) there is no such thread: the
// owner runs the io_context through LinkDriver while it waits, and the events are reported on
// its thread; "the I/O thread" below then means the owner while it runs the handlers. The owner
// then reads, keeps the connection alive (PINGREQ) and answers the server only while it waits in
// BridgeInbox::wait_and_take(): work that blocks it for longer than 1.5 times the keep alive
// makes the server close the connection.
// Ownership: owns the I/O thread, the socket, the TLS context and streams, and the buffers;
// borrows the options, which must outlive it (the BridgeLoop's). The destructor stops and joins the I/O thread, so no event
// follows it.
// Thread safety: one owner thread calls the public members; never destroy it from the sink.
#pragma once

// Standard headers before Asio (see bridge.hpp).
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>

#include "broker/protocol/codec.hpp"
#include "broker/protocol/stream_decoder.hpp"
#include "gateway/bridge/uplink_client.hpp"

namespace gw::bridge {

class NativeUplink final : public UplinkClient, public LinkDriver {
  struct Key {
    explicit Key() = default;
  };

 public:
  // Where the connection's I/O runs: on an I/O thread of its own, or on the owner's thread,
  // which then runs it through LinkDriver (driver() returns this) whenever it waits.
  enum class Threading : std::uint8_t { OwnThread, Owner };

  // Starts the I/O thread (Threading::OwnThread); connects only on connect(). Errors:
  // std::errc::invalid_argument when there are no servers, std::errc::protocol_not_supported for
  // a server that is neither mqtt:// nor mqtts://. TLS files are read on connect(): a file that
  // does not load fails each mqtts:// server of the attempt.
  static Result<std::unique_ptr<NativeUplink>> create(const BridgeOptions& options,
                                                      std::string client_id,
                                                      std::uint64_t generation,
                                                      std::shared_ptr<LinkSink> sink,
                                                      Threading threading = Threading::OwnThread);
  ~NativeUplink() override;
  NativeUplink(const NativeUplink&) = delete;
  NativeUplink& operator=(const NativeUplink&) = delete;

  // Tries the servers in order, each bounded by connect_timeout (TCP + TLS + CONNACK); reports
  // Connected, or ConnectFailed (`reason` = the CONNACK's reason code when a server refused,
  // which ends the attempt; otherwise `text` says why the last server failed).
  // Errors: std::errc::operation_in_progress when called twice.
  Result<void> connect(QoS will_qos, bool will_retain) override;
  // Errors: std::errc::not_connected (before Connected, after ConnectionLost or disconnect()),
  // std::errc::resource_unavailable_try_again when all 65,535 packet identifiers are in flight.
  Result<int> publish(const Message& message) override;
  Result<int> publish_with_id(const Message& message, std::uint16_t packet_id, Attempt attempt) override;
  [[nodiscard]] bool can_resume() const override { return true; }
  // Errors: as publish(); std::errc::invalid_argument for an invalid filter.
  Result<void> subscribe(const std::string& filter, QoS qos) override;
  void hold_sends() override;
  void release_sends() override;
  // Errors: std::errc::not_connected.
  Result<void> disconnect(std::chrono::milliseconds timeout) override;

  [[nodiscard]] LinkDriver* driver() override { return thread_.joinable() ? nullptr : this; }
  // LinkDriver (Threading::Owner).
  void run_one_until(std::chrono::steady_clock::time_point deadline) override;
  void poll() override;
  void wake() override;

  [[nodiscard]] std::uint64_t generation() const override { return context_->generation; }
  [[nodiscard]] std::shared_ptr<const void> callback_context() const override { return context_; }

  // Public for make_unique only (Key is private).
  NativeUplink(Key, const BridgeOptions& options, std::string client_id, std::uint64_t generation,
               std::shared_ptr<LinkSink> sink);

 private:
  struct Context {
    std::shared_ptr<LinkSink> sink;
    std::uint64_t generation;
  };
  // What a packet identifier of ours is waiting for.
  enum class Slot : std::uint8_t { Free, Puback, Pubrec, Pubcomp, Suback };
  // I/O thread's view of the connection.
  enum class Phase : std::uint8_t { Idle, Connecting, Connected, Closing, Closed };

  // I/O thread.
  void try_server(std::size_t index);
  void on_tcp_connected(std::uint64_t attempt);
  void on_tls_handshake(std::uint64_t attempt, std::error_code ec);
  void send_connect(std::uint64_t attempt);
  // The read and write of the current server's stream: the TLS stream for mqtts://, else the
  // socket itself (no extra layer for mqtt://).
  template <class Handler>
  void async_read_some(Handler&& handler);
  template <class Handler>
  void async_write_all(const std::vector<std::byte>& bytes, Handler&& handler);
  void server_failed(std::uint64_t attempt, const std::string& why);
  void start_read();
  void on_packet(broker::protocol::Packet&& packet, std::vector<LinkEvent>& events);
  void on_connack(const broker::protocol::Connack& connack, std::vector<LinkEvent>& events);
  void on_remote_publish(broker::protocol::Publish&& publish);
  // Frees `id` if it waits for `expected`; false for an identifier we are not waiting on.
  bool release(std::uint16_t id, Slot expected);
  void write_queued();
  void arm_ping();
  void lose(const std::string& why);
  void finish_disconnect();
  void close_socket();
  void report(std::vector<LinkEvent>& events);
  [[nodiscard]] LinkEvent event(LinkEvent::Kind kind) const;

  // Any thread, with mu_ held: appends `packet` and sends it (see wake_writer_locked()).
  template <class P>
  void queue_locked(const P& packet);
  // Any thread, with mu_ held, unless sends are held or a write is pending: what out_ holds
  // leaves at once, from the calling thread (send_now_locked()), or else the I/O thread is woken.
  void wake_writer_locked();
  // With mu_ held: one non-blocking send() of out_ on the plain TCP socket while connected and no
  // write is pending. True when out_ was sent in full; false leaves the rest in out_ (would
  // block, TLS, not connected, or an error, which the I/O thread's write then reports).
  bool send_now_locked();
  void queue_publish_locked(const Message& message, broker::protocol::PacketId id, Attempt attempt);
  Result<std::uint16_t> take_id_locked(Slot slot);

  const BridgeOptions& options_;
  std::string client_id_;
  std::shared_ptr<Context> context_;

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer connect_timer_;
  asio::steady_timer ping_timer_;
  asio::steady_timer disconnect_timer_;
  std::thread thread_;

  // TLS, I/O thread only. The context is built at the first mqtts:// server of the attempt (or
  // why it could not be, tls_problem_). Each mqtts:// server gets a new stream over socket_;
  // the streams of servers that failed are kept until the destructor, because their aborted
  // operations still run their handlers (which use the stream) after the next server started.
  // At most one per server.
  using TlsStream = asio::ssl::stream<asio::ip::tcp::socket&>;
  bool tls_context_built_ = false;
  std::unique_ptr<asio::ssl::context> tls_context_;
  std::string tls_problem_;
  std::vector<std::unique_ptr<TlsStream>> tls_streams_;
  TlsStream* tls_ = nullptr;  // the current server's; null for mqtt://
  bool tls_handshaking_ = false;
  std::string host_;          // of the current server, for SNI and the host name check

  // I/O thread only (or before the I/O thread sees them: set by connect() before it posts).
  QoS will_qos_ = QoS::AtLeastOnce;
  bool will_retain_ = true;
  bool connect_called_ = false;  // owner thread
  Phase phase_ = Phase::Idle;
  std::uint64_t attempt_ = 0;  // current server attempt; stale handlers compare theirs
  std::size_t server_ = 0;
  std::string server_uri_;
  std::string last_failure_;  // why the last server failed, for ConnectFailed
  std::vector<std::byte> connect_bytes_;
  broker::protocol::StreamDecoder decoder_;
  std::array<std::byte, 64 * 1024> in_{};
  std::vector<std::byte> writing_;
  std::size_t writing_qos0_ = 0;
  bool ping_outstanding_ = false;
  std::chrono::seconds keep_alive_{0};
  std::unordered_set<std::uint16_t> qos2_in_;  // remote QoS 2 PUBLISHes waiting for PUBREL
  bool disconnect_reported_ = false;
  std::vector<LinkEvent> read_events_;  // what one read brought, reported together

  // guards: out_, out_qos0_, write_pending_, connected_, direct_fd_, holds_, slots_, next_id_,
  // used_, sub_filters_, alias_max_, max_packet_, aliases_
  std::mutex mu_;
  std::vector<std::byte> out_;
  std::size_t out_qos0_ = 0;     // QoS 0 PUBLISHes in out_
  bool write_pending_ = false;  // a write is in progress or posted
  bool connected_ = false;      // publish() allowed
  // The socket's descriptor for send_now_locked(): set at CONNACK on a plain TCP connection, -1
  // before the socket is closed (under mu_, so no other thread sends on a closed or reused one).
  int direct_fd_ = -1;
  int holds_ = 0;  // hold_sends() not yet released (the owner's round, a read's answers)
  std::vector<Slot> slots_;     // by packet identifier
  std::uint16_t next_id_ = 0;
  std::size_t used_ = 0;
  std::unordered_map<std::uint16_t, std::string> sub_filters_;  // SUBSCRIBE id → filter
  std::uint16_t alias_max_ = 0;                 // the server's Topic Alias Maximum
  std::optional<std::uint32_t> max_packet_;     // the server's Maximum Packet Size
  std::unordered_map<std::string, std::uint16_t> aliases_;  // topic → alias, this connection
};

}  // namespace gw::bridge
