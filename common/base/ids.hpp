// Identifiers and small helpers shared by every daemon.
#pragma once

#include <string>

namespace agora {

// A random 128-bit id as 32 hex characters, from the kernel's random source.
std::string newUuid();

// Raw 16 random bytes (status update uuids on the wire).
std::string newUuidBytes();

// Lower-case hex of arbitrary bytes (for logs and JSON).
std::string toHex(const std::string& bytes);

// Seconds since the epoch, from the system clock (for timestamps in statuses).
double wallSeconds();

}  // namespace agora
