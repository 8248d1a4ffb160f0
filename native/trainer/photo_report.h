// PHOTOS.md as a view of photos.json: the photo quality tables in Markdown, written by evaluate-photos.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace dae::trainer {

// The Markdown report for a photos.json document (see evaluate_photos.cpp for its fields).
std::string photos_markdown(const nlohmann::json& report);

}  // namespace dae::trainer
