// Scratch folders for the trainer tests, under the build tree and fresh for every test.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace dae::test {

// <build>/test-scratch/trainer/<suite>.<test>, emptied first.
inline std::string scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::path(DAE_BINARY_DIR) / "test-scratch" / "trainer" /
                                    (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace dae::test
