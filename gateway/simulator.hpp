// gateway::run_simulator: `edge-gateway simulate`, a simulated Modbus TCP device for the demo and
// for trying a configuration without hardware. A libmodbus server answering every unit id from
// one register image whose values change with time (a SIMULATION: the values are generated, no
// device is involved). Register map (0-based addresses), also printed by `simulate --help`:
//   holding 0-1   float32 ABCD  temperature, °C   (21 ± 4, period 60 s)
//   holding 2-3   float32 CDAB  pressure, bar     (1.2 ± 0.05, period 17 s)
//   holding 4     uint16        motor speed, rpm  (1450..1459)
//   holding 5     int16 ×0.1    setpoint, °C      (writable, starts at 21.5)
//   holding 6-7   uint32 ABCD   energy, Wh        (+1 per second)
//   holding 10-13 string        serial number "SIM-0001"
//   input   0     uint16        tank level, %     (50 ± 40, period 45 s)
//   coil    0     bool          pump running      (writable, starts on)
//   discrete 0    bool          high-temperature alarm (temperature > 24 °C)
//
// Runs until SIGINT or SIGTERM. Thread safety: owns the process while it runs.
#pragma once

#include <cstdint>
#include <string>

namespace gw::gateway {

// Serves on `address`:`port` (port 0 = any; the chosen port is printed as
// "simulator listening on ADDRESS:PORT"). Returns the process exit code.
int run_simulator(const std::string& address, std::uint16_t port);

}  // namespace gw::gateway
