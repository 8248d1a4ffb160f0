// The native tools' image files: PNG round trips in gray and color, channel conversion, area downscaling and
// clear errors for files that are not images, are empty or claim huge sizes.
#include "image.h"

#include <gtest/gtest.h>
#include <stb/stb_image_write.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "corpus_list.h"
#include "dae/metrics.h"
#include "dae/noise.h"

namespace dae::image {
namespace {

std::string scratch(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(DAE_BINARY_DIR) / "test-scratch" / "image";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

Image gradient(int w, int h, int channels) {
  Image img;
  img.w = w, img.h = h, img.channels = channels;
  img.data.resize(img.plane() * channels);
  for (int c = 0; c < channels; ++c)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) img.channel(c)[y * w + x] = float((x * 7 + y * 3 + c * 50) % 256) / 255.0f;
  return img;
}

TEST(Image, PngRoundTripKeepsChannelsAndValues) {
  for (int channels : {1, 3}) {
    const Image img = gradient(13, 7, channels);
    const std::string path = scratch("round" + std::to_string(channels) + ".png");
    ASSERT_TRUE(save_png(path, img).ok());
    Result<Image> back = load(path);
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(back->channels, channels);
    EXPECT_EQ(back->w, 13);
    EXPECT_EQ(back->h, 7);
    for (size_t i = 0; i < img.data.size(); ++i) ASSERT_NEAR(back->data[i], img.data[i], 1e-6) << i;
  }
}

TEST(Image, LoadConvertsChannelsOnRequest) {
  const std::string path = scratch("color.png");
  Image img = gradient(4, 3, 3);
  img.channel(0)[0] = 1.0f, img.channel(1)[0] = 0.0f, img.channel(2)[0] = 0.0f;  // pure red pixel
  ASSERT_TRUE(save_png(path, img).ok());
  Result<Image> gray = load(path, 1);
  ASSERT_TRUE(gray.ok());
  EXPECT_EQ(gray->channels, 1);
  EXPECT_NEAR(gray->data[0], 0.299f, 1e-6);
  Result<Image> rgb = load(scratch("round1.png"), 3);
  ASSERT_TRUE(rgb.ok());
  EXPECT_EQ(rgb->channels, 3);
  for (size_t i = 0; i < rgb->plane(); ++i) {
    EXPECT_EQ(rgb->channel(0)[i], rgb->channel(1)[i]);
    EXPECT_EQ(rgb->channel(0)[i], rgb->channel(2)[i]);
  }
}

TEST(Image, DownscaleAveragesBlocksAndDropsTheRemainder) {
  Image img = gradient(9, 5, 3);
  const Image half = downscale_area(img, 2);
  ASSERT_EQ(half.w, 4);
  ASSERT_EQ(half.h, 2);
  for (int c = 0; c < 3; ++c) {
    const float* s = img.channel(c);
    const float want = (s[2 * 9 + 6] + s[2 * 9 + 7] + s[3 * 9 + 6] + s[3 * 9 + 7]) / 4;
    EXPECT_NEAR(half.channel(c)[1 * 4 + 3], want, 1e-6);
  }
  EXPECT_EQ(downscale_area(img, 1).data, img.data);
}

// dae::jpeg_round_trip models a JPEG's loss without encoding bytes (the trainer applies it to every camera-jpeg
// patch): it should give what a real encoder and decoder give, up to their integer DCTs and rounding.
TEST(Image, JpegRoundTripMatchesARealEncoderAndDecoder) {
  Image img = gradient(83, 61, 3);
  dae::Rng rng(12);
  dae::add_noise(img.data.data(), img.data.data(), img.data.size(), {dae::NoiseKind::Gaussian, 0.08f}, rng);
  for (float& v : img.data) v = std::round(v * 255) / 255;
  for (int channels : {1, 3})
    for (int quality : {30, 75, 90}) {
      const Image source = to_channels(img, channels);
      Result<std::vector<uint8_t>> bytes = encode_jpeg(source, quality);
      ASSERT_TRUE(bytes.ok()) << bytes.error();
      Result<Image> real = decode(bytes->data(), bytes->size(), "round trip", channels);
      ASSERT_TRUE(real.ok()) << real.error();
      Image modelled = source;
      dae::jpeg_round_trip(modelled.data.data(), channels, source.h, source.w, quality);
      const size_t n = source.data.size();
      const double loss = dae::psnr_db(real->data.data(), source.data.data(), n);
      const double agreement = dae::psnr_db(modelled.data.data(), real->data.data(), n);
      // The model is far closer to the real round trip than either is to the source.
      EXPECT_GT(agreement, loss + 10.0) << channels << " channels, quality " << quality;
      EXPECT_NEAR(dae::psnr_db(modelled.data.data(), source.data.data(), n), loss, 0.3)
          << channels << " channels, quality " << quality;
    }
  EXPECT_FALSE(encode_jpeg(img, 0).ok());
}

TEST(Image, TensorRoundTrip) {
  const Image img = gradient(6, 4, 3);
  const Tensor t = to_tensor(img);
  EXPECT_EQ(t.c, 3);
  EXPECT_EQ(t.h, 4);
  EXPECT_EQ(from_tensor(t).data, img.data);
}

TEST(Image, BadFilesGiveMessagesNamingThem) {
  const std::string text = scratch("notes.png");
  std::ofstream(text) << "not an image at all";
  Result<Image> r = load(text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("notes.png"), std::string::npos) << r.error();

  const std::string empty = scratch("empty.png");
  std::ofstream(empty).close();
  r = load(empty);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("empty"), std::string::npos) << r.error();

  EXPECT_FALSE(load(scratch("missing.png")).ok());

  // A valid PNG header claiming 30000x30000 is refused before anything is decoded.
  const Image small = gradient(2, 2, 1);
  const std::string big = scratch("huge.png");
  ASSERT_TRUE(save_png(big, small).ok());
  std::fstream f(big, std::ios::in | std::ios::out | std::ios::binary);
  const unsigned char dims[8] = {0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30};
  f.seekp(16);
  f.write(reinterpret_cast<const char*>(dims), 8);
  f.close();
  r = load(big);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("30000x30000"), std::string::npos) << r.error();
}

// An 18-byte TGA header: `type` (2 uncompressed true color, 10 run-length), w x h, 24 bits per pixel.
std::vector<uint8_t> tga_header(int type, int w, int h) {
  std::vector<uint8_t> b(18, 0);
  b[2] = static_cast<uint8_t>(type);
  b[12] = static_cast<uint8_t>(w), b[13] = static_cast<uint8_t>(w >> 8);
  b[14] = static_cast<uint8_t>(h), b[15] = static_cast<uint8_t>(h >> 8);
  b[16] = 24;
  return b;
}

TEST(Image, TruncatedTgaIsRefusedNotDecodedFromUninitialisedMemory) {
  // stb_image 2.27 (CVE-2023-45663) took this 18-byte file for a 64x64 image and returned uninitialised heap.
  const std::vector<uint8_t> bare = tga_header(2, 64, 64);
  Result<Image> r = decode(bare.data(), bare.size(), "bare.tga");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("'bare.tga' is a truncated TGA"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("12306 bytes"), std::string::npos) << r.error();  // 18 + 64 * 64 * 3

  // Complete files still load: uncompressed 2x2, and run-length 2x2 (a run of 3 red pixels, one literal blue).
  std::vector<uint8_t> plain = tga_header(2, 2, 2);
  for (int i = 0; i < 4; ++i) plain.insert(plain.end(), {0, 0, 255});  // BGR: red
  r = decode(plain.data(), plain.size(), "plain.tga");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->w, 2);
  EXPECT_EQ(r->channel(0)[3], 1.0f);
  std::vector<uint8_t> rle = tga_header(10, 2, 2);
  rle.insert(rle.end(), {0x82, 0, 0, 255, 0x00, 255, 0, 0});
  r = decode(rle.data(), rle.size(), "rle.tga");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->channels, 3);
  // Cut short anywhere, they are refused.
  for (const std::vector<uint8_t>* whole : {&plain, &rle})
    for (size_t cut = 18; cut < whole->size(); ++cut) {
      r = decode(whole->data(), cut, "cut.tga");
      EXPECT_FALSE(r.ok()) << cut;
    }
  // A palette the file does not hold.
  std::vector<uint8_t> mapped = tga_header(1, 2, 2);
  mapped[1] = 1, mapped[5] = 255, mapped[7] = 24, mapped[16] = 8;
  mapped.insert(mapped.end(), 8, 0);
  EXPECT_FALSE(decode(mapped.data(), mapped.size(), "mapped.tga").ok());
}

// stb_image 2.27 wrote past a Huffman table when a DHT segment defined more than 256 codes (found by fuzz_image, kept
// as jpeg-dht-300-codes.jpg in the corpus); the check before decoding must not refuse real JPEGs, also with fill bytes
// before the first marker and a comment holding FF C4.
TEST(Image, JpegsLoadAndHuffmanTablesOverflowingAreRefused) {
  for (int quality : {20, 90, 100})
    for (int side : {1, 8, 33, 200}) {
      const Image img = gradient(side, side + 3, 3);
      std::vector<uint8_t> rgb(img.plane() * 3);
      for (size_t i = 0; i < img.plane(); ++i)
        for (int c = 0; c < 3; ++c) rgb[i * 3 + c] = static_cast<uint8_t>(img.channel(c)[i] * 255.0f + 0.5f);
      const std::string path = scratch("q" + std::to_string(quality) + "-" + std::to_string(side) + ".jpg");
      ASSERT_NE(stbi_write_jpg(path.c_str(), img.w, img.h, 3, rgb.data(), quality), 0);
      Result<Image> r = load(path);
      ASSERT_TRUE(r.ok()) << path << ": " << r.error();
      EXPECT_EQ(r->w, side);
      // The same file with fill bytes before its first marker and a comment holding FF C4 and nonsense after SOI.
      std::ifstream in(path, std::ios::binary);
      std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const std::vector<uint8_t> comment = {0xFF, 0xFE, 0x00, 0x16, 0xFF, 0xC4, 0x00, 0x13, 0x00, 0xFF, 0xFF, 0xFF,
                                            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
      bytes.insert(bytes.begin() + 2, comment.begin(), comment.end());
      bytes.insert(bytes.begin(), {0xFF, 0xFF});
      r = decode(bytes.data(), bytes.size(), "padded.jpg");
      ASSERT_TRUE(r.ok()) << r.error();
    }
  // A DHT segment claiming 16 x 255 codes.
  std::vector<uint8_t> bad = {0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x13, 0x00};
  bad.insert(bad.end(), 16, 0xFF);
  bad.insert(bad.end(), {0xFF, 0xD9});
  Result<Image> r = decode(bad.data(), bad.size(), "dht.jpg");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("'dht.jpg' is a corrupt JPEG: a Huffman table defines 4080 codes"), std::string::npos)
      << r.error();
}

// The committed bad-image corpus (tests/data/bad-images, also make fuzz's seed corpus): each file refused with its
// message, or loaded.
TEST(Image, BadImageCorpusGivesItsMessages) {
  const std::string dir = std::string(DAE_SOURCE_DIR) + "/tests/data/bad-images/";
  const std::vector<dae::testing::CorpusCase> cases = dae::testing::corpus_cases(dir);
  EXPECT_GE(cases.size(), 10u);
  for (const dae::testing::CorpusCase& c : cases) {
    Result<Image> r = load(dir + c.file);
    if (c.expected == "OK") {
      EXPECT_TRUE(r.ok()) << c.file << ": " << r.error();
    } else {
      ASSERT_FALSE(r.ok()) << c.file;
      EXPECT_NE(r.error().find(c.expected), std::string::npos) << c.file << ": " << r.error();
    }
  }
}

TEST(Image, SixteenBitPnmIsRefusedNotDecoded) {
  // The stb_image heap over-read (CVE-2021-42716) needs a 16-bit PNM; the loader does not read PNM at all.
  const std::string path = scratch("deep.ppm");
  std::ofstream f(path, std::ios::binary);
  f << "P6\n2 2\n65535\n";
  for (int i = 0; i < 2 * 2 * 3 * 2; ++i) f.put(static_cast<char>(0x7f));
  f.close();
  Result<Image> r = load(path, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("not an image this tool reads"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace dae::image
