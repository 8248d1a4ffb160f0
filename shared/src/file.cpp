#include "dae/file.h"

#include <fstream>

namespace dae {

Result<std::vector<uint8_t>> read_file_capped(const std::string& path, uint64_t max_bytes) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return Status::Error("cannot open '" + path + "'");
  const std::streamoff size = file.tellg();
  if (size < 0) return Status::Error("cannot read '" + path + "' (is it a directory?)");
  if (static_cast<uint64_t>(size) > max_bytes)
    return Status::Error("'" + path + "' is larger than " + std::to_string(max_bytes >> 20) + " MiB");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  file.seekg(0);
  if (size > 0 && !file.read(reinterpret_cast<char*>(bytes.data()), size))
    return Status::Error("cannot read '" + path + "'");
  return bytes;
}

}  // namespace dae
