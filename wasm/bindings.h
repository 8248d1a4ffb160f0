// Glue between main.cpp and the JavaScript boundary: the app state the exported functions act on, and pointer input.
#pragma once

struct AppState;

struct PointerInput {
  bool active = false, down = false;
  bool release_pending = false;
  int frames_down = 0;
  float x = 0, y = 0, pressure = 1;  // canvas pixels
};

void bind_app_state(AppState* s);
const PointerInput& pointer_input();
// Called once per frame after input was applied.
void pointer_frame_done();
