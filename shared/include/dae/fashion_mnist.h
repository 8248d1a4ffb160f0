// Fashion-MNIST facts shared by the trainer, its reports and the app.
#pragma once

namespace dae::fashion_mnist {

inline constexpr int kSide = 28;  // every image is 28×28, one byte per pixel
inline constexpr int kPixels = kSide * kSide;
// Class names, indexed by label.
inline constexpr const char* kClassNames[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

}  // namespace dae::fashion_mnist
