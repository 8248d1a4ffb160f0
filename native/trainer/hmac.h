// HMAC-SHA256 and random tokens for the rendezvous check of a multi-process run (distributed.h): a rank proves it
// knows the run's secret without sending it.
#pragma once

#include <string>

namespace dae::trainer {

// HMAC-SHA256 (RFC 2104, FIPS 180-4) of `message` under `key`, as 64 lower-case hex digits.
std::string hmac_sha256_hex(const std::string& key, const std::string& message);

// `bytes` bytes from the kernel's random generator, as hex digits. Throws when the generator fails.
std::string random_hex(int bytes);

// True when `a` and `b` are equal, in a time that does not depend on where they first differ.
bool same_secret_text(const std::string& a, const std::string& b);

}  // namespace dae::trainer
