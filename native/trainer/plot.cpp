// Raster drawing for the report images: everything is drawn into a pixel buffer and written with stb_image_write.
#include "plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_easy_font.h>
#include <stb/stb_image_write.h>

namespace dae::trainer {

Canvas::Canvas(int width, int height, Rgb bg) : w_(width), h_(height), rgb_(size_t(width) * height * 3) {
  fill_rect(0, 0, width, height, bg);
}

void Canvas::put(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
  uint8_t* p = &rgb_[(size_t(y) * w_ + x) * 3];
  p[0] = c.r, p[1] = c.g, p[2] = c.b;
}

void Canvas::fill_rect(int x, int y, int w, int h, Rgb c) {
  for (int yy = y; yy < y + h; ++yy)
    for (int xx = x; xx < x + w; ++xx) put(xx, yy, c);
}

void Canvas::line(double x0, double y0, double x1, double y1, Rgb c, int thickness) {
  const int steps = static_cast<int>(std::max(std::abs(x1 - x0), std::abs(y1 - y0))) + 1;
  for (int i = 0; i <= steps; ++i) {
    const double t = double(i) / steps;
    const int x = static_cast<int>(std::lround(x0 + (x1 - x0) * t)) - thickness / 2;
    const int y = static_cast<int>(std::lround(y0 + (y1 - y0) * t)) - thickness / 2;
    fill_rect(x, y, thickness, thickness, c);
  }
}

void Canvas::text(int x, int y, const std::string& s, Rgb c, int scale) {
  // stb_easy_font emits quads of 4 vertices, 16 bytes each (x, y, z floats and a colour).
  static char buffer[99999];
  std::vector<char> str(s.begin(), s.end());
  str.push_back('\0');
  const int quads = stb_easy_font_print(0, 0, str.data(), nullptr, buffer, sizeof buffer);
  for (int q = 0; q < quads; ++q) {
    const float* v = reinterpret_cast<const float*>(buffer + q * 64);
    const float x0 = v[0], y0 = v[1], x1 = v[8], y1 = v[9];
    fill_rect(x + int(x0 * scale), y + int(y0 * scale), int((x1 - x0) * scale), int((y1 - y0) * scale), c);
  }
}

void Canvas::gray_image(int x, int y, const float* pixels, int h, int w, int zoom) {
  for (int r = 0; r < h; ++r)
    for (int col = 0; col < w; ++col) {
      const uint8_t g = static_cast<uint8_t>(std::lround(std::clamp(pixels[r * w + col], 0.0f, 1.0f) * 255.0f));
      fill_rect(x + col * zoom, y + r * zoom, zoom, zoom, {g, g, g});
    }
}

void Canvas::rgb_image(int x, int y, const float* planes, int h, int w, int zoom) {
  const size_t plane = size_t(h) * w;
  auto byte = [](float v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
  for (int r = 0; r < h; ++r)
    for (int col = 0; col < w; ++col) {
      const size_t i = size_t(r) * w + col;
      fill_rect(x + col * zoom, y + r * zoom, zoom, zoom,
                {byte(planes[i]), byte(planes[plane + i]), byte(planes[2 * plane + i])});
    }
}

void Canvas::save_png(const std::string& path) const {
  if (!stbi_write_png(path.c_str(), w_, h_, 3, rgb_.data(), w_ * 3))
    throw std::runtime_error("cannot write '" + path + "'");
}

void draw_chart(Canvas& cv, int x, int y, int w, int h, const std::string& title, const std::vector<Series>& series,
                bool log_y, const std::vector<double>& xs, const std::string& x_label) {
  const Rgb axis{60, 60, 60}, grid{225, 225, 225};
  const int left = 56, right = 12, top = 28, bottom = 34;
  const int px = x + left, py = y + top, pw = w - left - right, ph = h - top - bottom;
  auto tf = [&](double v) { return log_y ? std::log10(std::max(v, 1e-12)) : v; };
  double lo = 1e300, hi = -1e300;
  size_t max_len = 1;
  for (const Series& s : series) {
    max_len = std::max(max_len, s.values.size());
    for (double v : s.values)
      if (std::isfinite(tf(v))) lo = std::min(lo, tf(v)), hi = std::max(hi, tf(v));
  }
  if (lo > hi) lo = 0, hi = 1;
  if (hi - lo < 1e-9) lo -= 0.5, hi += 0.5;
  const double pad = 0.05 * (hi - lo);
  lo -= pad, hi += pad;
  cv.text(px, y + 6, title, axis, 2);
  constexpr int kTicks = 5;
  for (int i = 0; i <= kTicks; ++i) {
    const double v = lo + (hi - lo) * i / kTicks;
    const int yy = py + ph - int(ph * double(i) / kTicks);
    cv.line(px, yy, px + pw, yy, grid);
    char label[32];
    std::snprintf(label, sizeof label, log_y ? "%.4f" : "%.2f", log_y ? std::pow(10.0, v) : v);
    cv.text(x + 2, yy - 4, label, axis);
  }
  const size_t xt = std::max<size_t>(1, max_len);
  const bool placed = xs.size() >= 2 && xs.size() >= max_len && xs.back() > xs.front();
  // Where value k goes across: by its x when given, else evenly by index.
  auto x_at = [&](size_t k) {
    if (placed) return px + pw * (xs[k] - xs.front()) / (xs.back() - xs.front());
    return px + (xt == 1 ? pw / 2.0 : pw * double(k) / double(xt - 1));
  };
  for (size_t e = 1; e <= xt; e += placed ? 1 : std::max<size_t>(1, xt / 10)) {
    const double xx = x_at(e - 1);
    cv.line(xx, py + ph, xx, py + ph + 4, axis);
    char label[32];
    std::snprintf(label, sizeof label, "%g", placed ? xs[e - 1] : double(e));
    cv.text(int(xx) - 3, py + ph + 8, label, axis);
  }
  cv.text(px + pw / 2 - 20, py + ph + 20, x_label, axis);
  cv.line(px, py, px, py + ph, axis);
  cv.line(px, py + ph, px + pw, py + ph, axis);
  int legend_y = py + 4;
  for (const Series& s : series) {
    for (size_t i = 0; i < s.values.size(); ++i) {
      auto pt = [&](size_t k) {
        const double xx = x_at(k);
        const double yy = py + ph - ph * (tf(s.values[k]) - lo) / (hi - lo);
        return std::pair{xx, yy};
      };
      // A NaN epoch (a diverged run; JSON null) or an overflow has no place on the chart: a gap, not a point.
      if (!std::isfinite(tf(s.values[i]))) continue;
      auto [x1, y1] = pt(i);
      cv.fill_rect(int(x1) - 2, int(y1) - 2, 5, 5, s.color);
      if (i > 0 && std::isfinite(tf(s.values[i - 1])) && (!s.dashed || i % 2 == 1)) {
        auto [x0, y0] = pt(i - 1);
        cv.line(x0, y0, x1, y1, s.color, 2);
      }
    }
    cv.fill_rect(px + pw - 150, legend_y + 2, 14, 4, s.color);
    cv.text(px + pw - 130, legend_y, s.label, axis);
    legend_y += 12;
  }
}

}  // namespace dae::trainer
