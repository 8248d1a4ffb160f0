// Image decoding with stb_image (size checked from the header before decoding), PNG writing and conversions.
#include "image.h"

#include <algorithm>
#include <cmath>

#include "dae/channels.h"
#include "dae/file.h"

// Only the formats people upload. PNM stays off: Debian's stb_image over-reads the heap on 16-bit PNM files
// converted to fewer channels (CVE-2021-42716), and nobody needs it here.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
#define STBI_ONLY_GIF
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace dae::image {
namespace {

constexpr size_t kTgaHeaderBytes = 18;

// What stb_image takes for a JPEG: 0xFF, any number of 0xFF fill bytes, then the start-of-image marker.
bool is_jpeg(const uint8_t* b, size_t size) {
  size_t i = 1;
  while (i < size && b[i] == 0xFF) ++i;
  return size >= 2 && b[0] == 0xFF && i < size && b[i] == 0xD8;
}

// stb_image reads only these five formats and tries TGA last; a file it accepts with none of the other four's
// signatures is a TGA (TGA has no signature of its own).
bool is_tga(const uint8_t* b, size_t size) {
  const auto starts = [&](std::initializer_list<uint8_t> sig) {
    return size >= sig.size() && std::equal(sig.begin(), sig.end(), b);
  };
  return !starts({0x89, 'P', 'N', 'G'}) && !is_jpeg(b, size) && !starts({'B', 'M'}) && !starts({'G', 'I', 'F'});
}

// stb_image 2.27 builds a JPEG Huffman table from a DHT segment's 16 code counts without checking that they add up to
// at most 256 codes, and writes past the table when they do not (found by fuzz_image). Every place stb_image can meet
// a DHT segment is checked first: markers are found as it finds them (0xFF, fill bytes, a marker byte; stuffed zeros,
// restarts, SOI and EOI carry nothing), segments are skipped by their length, and entropy-coded data after a scan
// header is searched byte by byte, so every DHT it could reach is seen (and some it could not: never fewer).
Status check_jpeg_huffman(const uint8_t* b, size_t size, const std::string& name) {
  const auto byte = [&](size_t at) -> unsigned { return at < size ? b[at] : 0; };  // stb reads zeros past the end
  for (size_t i = 0; i < size;) {
    if (b[i++] != 0xFF) continue;
    while (i < size && b[i] == 0xFF) ++i;
    if (i >= size) break;
    const unsigned marker = b[i++];
    if (marker == 0x00 || (marker >= 0xD0 && marker <= 0xD9)) continue;
    const size_t length = byte(i) << 8 | byte(i + 1);
    if (marker == 0xC4) {
      // The segment's tables, read as stb_image reads them: class and id, 16 counts, then that many symbols.
      size_t at = i + 2;
      for (long left = long(length) - 2; left > 0;) {
        const unsigned q = byte(at++);
        if (q >> 4 > 1 || (q & 15) > 3) break;  // stb_image refuses the segment here
        unsigned codes = 0;
        for (int k = 0; k < 16; ++k) codes += byte(at++);
        if (codes > 256)
          return Status::Error("'" + name + "' is a corrupt JPEG: a Huffman table defines " + std::to_string(codes) +
                               " codes, more than 256");
        at += codes;
        left -= 17 + long(codes);
      }
    }
    i += length;
  }
  return Status::Ok();
}

// stb_image 2.27 decodes a truncated TGA from memory it never wrote (CVE-2023-45663: its short reads of the palette
// and of uncompressed rows are not checked), so the bytes the header promises are counted first: the id field, the
// palette, then the pixels, walked packet by packet for run-length files.
Status check_tga_length(const uint8_t* b, size_t size, const std::string& name) {
  const auto truncated = [&](uint64_t needed) {
    return Status::Error("'" + name + "' is a truncated TGA: its header promises at least " + std::to_string(needed) +
                         " bytes, the file has " + std::to_string(size));
  };
  if (size < kTgaHeaderBytes) return truncated(kTgaHeaderBytes);
  const auto le16 = [&](size_t at) { return uint64_t(b[at]) | uint64_t(b[at + 1]) << 8; };
  const int type = b[2];
  const uint64_t palette_bytes = b[1] ? le16(5) * ((uint64_t(b[7]) + 7) / 8) : 0;
  const uint64_t pixels = le16(12) * le16(14), pixel_bytes = (uint64_t(b[16]) + 7) / 8;
  uint64_t at = kTgaHeaderBytes + b[0] + palette_bytes;
  if (at > size) return truncated(at);
  if (type < 8) {
    const uint64_t needed = at + pixels * pixel_bytes;
    return needed > size ? truncated(needed) : Status::Ok();
  }
  // Run-length packets: a count byte, then one pixel (a run) or count pixels (literal).
  for (uint64_t done = 0; done < pixels;) {
    if (at >= size) return truncated(at + 1);
    const uint8_t packet = b[at++];
    const uint64_t count = (packet & 0x7F) + 1;
    at += (packet & 0x80 ? 1 : count) * pixel_bytes;
    done += count;
  }
  return at > size ? truncated(at) : Status::Ok();
}

}  // namespace

Result<Image> decode(const uint8_t* bytes, size_t size, const std::string& name, int channels) {
  if (channels != 0 && channels != 1 && channels != 3)
    return Status::Error("decode '" + name + "': channels must be 0, 1 or 3");
  if (size == 0) return Status::Error("'" + name + "' is empty");
  if (size > kMaxFileBytes) return Status::Error("'" + name + "' is too large");
  const int len = static_cast<int>(size);
  if (is_jpeg(bytes, size))
    if (Status jpeg = check_jpeg_huffman(bytes, size, name); !jpeg.ok()) return jpeg;
  int w = 0, h = 0, comp = 0;
  // Check the header's size before decoding, so a tiny file claiming a huge image allocates nothing.
  if (!stbi_info_from_memory(bytes, len, &w, &h, &comp)) {
    // stb_image refuses PNG headers over 2^30 bytes as an unknown type; name the size instead.
    static const uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (size >= 24 && std::equal(kPngSignature, kPngSignature + 8, bytes)) {
      auto be32 = [&](size_t at) {
        return uint64_t(bytes[at]) << 24 | uint64_t(bytes[at + 1]) << 16 | uint64_t(bytes[at + 2]) << 8 | bytes[at + 3];
      };
      const uint64_t pw = be32(16), ph = be32(20);
      if (pw * ph > kMaxPixels)
        return Status::Error("'" + name + "' is " + std::to_string(pw) + "x" + std::to_string(ph) + ", more than the " +
                             std::to_string(kMaxPixels >> 20) + " Mpx limit");
    }
    return Status::Error("'" + name +
                         "' is not an image this tool reads (PNG, JPEG, BMP, TGA, GIF): " + stbi_failure_reason());
  }
  if (w < 1 || h < 1 || static_cast<uint64_t>(w) * h > kMaxPixels)
    return Status::Error("'" + name + "' is " + std::to_string(w) + "x" + std::to_string(h) + ", more than the " +
                         std::to_string(kMaxPixels >> 20) + " Mpx limit");
  if (is_tga(bytes, size))
    if (Status tga = check_tga_length(bytes, size, name); !tga.ok()) return tga;
  // Decoding in the stored layout (no stb conversion) keeps 16-bit inputs on stb's checked 8-bit path.
  int stored = 0;
  stbi_uc* pixels = stbi_load_from_memory(bytes, len, &w, &h, &stored, 0);
  if (!pixels) return Status::Error("cannot decode '" + name + "': " + stbi_failure_reason());
  if (stored < 1 || stored > 4) {
    stbi_image_free(pixels);
    return Status::Error("cannot decode '" + name + "': unexpected channel count");
  }
  Image img;
  img.w = w, img.h = h, img.channels = stored >= 3 ? 3 : 1;
  img.data.resize(img.plane() * img.channels);
  const size_t n = img.plane();
  for (int c = 0; c < img.channels; ++c) {
    float* dst = img.channel(c);
    for (size_t i = 0; i < n; ++i) dst[i] = pixels[i * stored + c] / 255.0f;
  }
  stbi_image_free(pixels);
  return channels == 0 ? img : to_channels(img, channels);
}

Result<Image> load(const std::string& path, int channels) {
  Result<std::vector<uint8_t>> bytes = read_file_capped(path, kMaxFileBytes);
  if (!bytes.ok()) return bytes.status();
  return decode(bytes->data(), bytes->size(), path, channels);
}

namespace {

bool writable(const Image& image) {
  return (image.channels == 1 || image.channels == 3) && image.w >= 1 && image.h >= 1 &&
         image.data.size() == image.plane() * image.channels;
}

// 8-bit interleaved samples, as the encoders take them: clamped to [0, 1] and rounded.
std::vector<uint8_t> interleave_8bit(const Image& image) {
  const size_t n = image.plane();
  std::vector<uint8_t> pixels(n * image.channels);
  for (int c = 0; c < image.channels; ++c) {
    const float* src = image.channel(c);
    for (size_t i = 0; i < n; ++i)
      pixels[i * image.channels + c] = static_cast<uint8_t>(std::lround(std::clamp(src[i], 0.0f, 1.0f) * 255.0f));
  }
  return pixels;
}

}  // namespace

Status save_png(const std::string& path, const Image& image) {
  if (!writable(image)) return Status::Error("cannot write '" + path + "': not a 1- or 3-channel image");
  const std::vector<uint8_t> pixels = interleave_8bit(image);
  if (!stbi_write_png(path.c_str(), image.w, image.h, image.channels, pixels.data(), image.w * image.channels))
    return Status::Error("cannot write '" + path + "'");
  return Status::Ok();
}

Result<std::vector<uint8_t>> encode_jpeg(const Image& image, int quality) {
  if (!writable(image)) return Status::Error("cannot encode a JPEG: not a 1- or 3-channel image");
  if (quality < 1 || quality > 100) return Status::Error("JPEG quality " + std::to_string(quality) + " is not in 1..100");
  const std::vector<uint8_t> pixels = interleave_8bit(image);
  std::vector<uint8_t> bytes;
  const auto append = [](void* context, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(context);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  if (!stbi_write_jpg_to_func(append, &bytes, image.w, image.h, image.channels, pixels.data(), quality))
    return Status::Error("cannot encode a JPEG of " + std::to_string(image.w) + "x" + std::to_string(image.h));
  return bytes;
}

Image to_channels(const Image& image, int channels) {
  if (image.channels == channels) return image;
  Image out;
  out.w = image.w, out.h = image.h, out.channels = channels;
  out.data.resize(out.plane() * channels);
  const size_t n = image.plane();
  if (channels == 3) {
    for (int c = 0; c < 3; ++c) std::copy_n(image.channel(0), n, out.channel(c));
  } else {
    const float *r = image.channel(0), *g = image.channel(1), *b = image.channel(2);
    for (size_t i = 0; i < n; ++i) out.data[i] = dae::luma(r[i], g[i], b[i]);
  }
  return out;
}

Image downscale_area(const Image& image, int factor) {
  if (factor <= 1) return image;
  Image out;
  out.w = image.w / factor, out.h = image.h / factor, out.channels = image.channels;
  out.data.assign(out.plane() * out.channels, 0.0f);
  const float scale = 1.0f / float(factor * factor);
  for (int c = 0; c < image.channels; ++c) {
    const float* src = image.channel(c);
    float* dst = out.channel(c);
    for (int y = 0; y < out.h; ++y)
      for (int x = 0; x < out.w; ++x) {
        float sum = 0;
        for (int dy = 0; dy < factor; ++dy) {
          const float* row = src + static_cast<size_t>(y * factor + dy) * image.w + x * factor;
          for (int dx = 0; dx < factor; ++dx) sum += row[dx];
        }
        dst[static_cast<size_t>(y) * out.w + x] = sum * scale;
      }
  }
  return out;
}

Tensor to_tensor(const Image& image) {
  Tensor t(1, image.channels, image.h, image.w);
  std::copy(image.data.begin(), image.data.end(), t.data.begin());
  return t;
}

Image from_tensor(const Tensor& t, int index) {
  Image img;
  img.w = t.w, img.h = t.h, img.channels = t.c;
  const size_t count = static_cast<size_t>(t.c) * t.h * t.w;
  img.data.assign(t.data.begin() + index * count, t.data.begin() + (index + 1) * count);
  return img;
}

}  // namespace dae::image
