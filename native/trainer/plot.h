// Minimal raster drawing for the report: an RGB canvas with rectangles, lines, text and grey images, saved as PNG.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dae::trainer {

struct Rgb {
  uint8_t r, g, b;
};

class Canvas {
 public:
  Canvas(int width, int height, Rgb background);
  int width() const { return w_; }
  int height() const { return h_; }
  void fill_rect(int x, int y, int w, int h, Rgb c);
  // A line `thickness` pixels wide (square brush).
  void line(double x0, double y0, double x1, double y1, Rgb c, int thickness = 1);
  // Text with stb_easy_font's built-in glyphs, `scale` pixels per font unit.
  void text(int x, int y, const std::string& s, Rgb c, int scale = 1);
  // An h×w image with values in [0, 1], each pixel drawn as a zoom×zoom block.
  void gray_image(int x, int y, const float* pixels, int h, int w, int zoom);
  // A planar RGB image (three h×w planes, values in [0, 1]), each pixel drawn as a zoom×zoom block.
  void rgb_image(int x, int y, const float* planes, int h, int w, int zoom);
  void save_png(const std::string& path) const;

 private:
  void put(int x, int y, Rgb c);
  int w_, h_;
  std::vector<uint8_t> rgb_;
};

struct Series {
  std::string label;
  std::vector<double> values;  // one per epoch
  Rgb color;
  bool dashed = false;
};

// A line chart with axes, ticks and a legend; log_y plots log10 of the values. The values are at x = 1, 2, 3, ...
// (epochs) unless `x` gives each one's position (then labelled `x_label`, a tick at each).
void draw_chart(Canvas& canvas, int x, int y, int w, int h, const std::string& title, const std::vector<Series>& series,
                bool log_y, const std::vector<double>& xs = {}, const std::string& x_label = "epoch");

}  // namespace dae::trainer
