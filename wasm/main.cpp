// The browser app's entry point: GLFW + WebGL2 + Dear ImGui set up as in ImGui's example_glfw_opengl3, then one
// frame per browser animation frame.
#include <GLFW/glfw3.h>
#include <stdio.h>

#include <algorithm>

#include "app_state.h"
#include "bindings.h"
#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"
#include <emscripten.h>
#include <emscripten/html5.h>

struct FrameContext {
  GLFWwindow* window = nullptr;
  AppState* state = nullptr;
  float font_scale = 0;  // device pixel ratio the font atlas was built for
  int frames = 0;
};

// Only built by Emscripten (the top-level CMakeLists.txt adds wasm/ for it alone), so there are no native branches.
// Tells the page the runtime is up, so it can hand over the model, manifest and samples it fetched meanwhile.
EM_JS(void, js_app_started, (), { window.daeHost.started(); });
EM_JS(void, js_first_frame, (), { window.daeHost.firstFrame(); });
// Wheel steps (positive = away from the user) accumulated by the page since the last call, normalised across
// pixel, line and page delta modes; emscripten's GLFW passes raw pixel deltas with the browser's sign.
EM_JS(double, js_take_wheel_steps, (), { return window.daeHost.takeWheelSteps(); });

static AppState* g_state_for_callbacks = nullptr;

static void on_key(GLFWwindow*, int key, int, int action, int mods) {
  if (action == GLFW_PRESS && g_state_for_callbacks) g_state_for_callbacks->pressed_keys.emplace_back(key, mods);
}

static void on_scroll(GLFWwindow* window, double, double) {
  ImGui_ImplGlfw_ScrollCallback(window, 0.0, js_take_wheel_steps());
}

static void glfw_error_callback(int error, const char* description) {
  fprintf(stderr, "GLFW error %d: %s\n", error, description);
}

// Everything is laid out in canvas pixels (that is what emscripten's GLFW reports the mouse in), so a high-DPI
// screen gets a font and style scaled by the device pixel ratio instead of a framebuffer scale.
static void fit_to_canvas(FrameContext& ctx) {
  ImGuiIO& io = ImGui::GetIO();
  int w = 1280, h = 720;
  emscripten_get_canvas_element_size("#canvas", &w, &h);
  const float dpr = static_cast<float>(emscripten_get_device_pixel_ratio());
  ctx.state->dpr = dpr;
  ctx.state->narrow = w / dpr < 720.0f;
  io.DisplaySize = ImVec2(static_cast<float>(w), static_cast<float>(h));
  io.DisplayFramebufferScale = ImVec2(1, 1);
  if (ctx.font_scale == dpr) return;
  ctx.font_scale = dpr;
  io.Fonts->Clear();
  ImFontConfig font;
  font.SizePixels = 13.0f * (dpr < 1.5f ? 1.0f : static_cast<float>(static_cast<int>(dpr + 0.5f)));
  io.Fonts->AddFontDefault(&font);
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  ImGui_ImplOpenGL3_CreateFontsTexture();
  ImGuiStyle style;
  ImGui::StyleColorsDark(&style);
  style.FrameRounding = 3.0f;
  style.WindowRounding = 4.0f;
  style.Colors[ImGuiCol_WindowBg].w = 1.0f;  // the help and model card windows float over the images
  style.ScaleAllSizes(dpr);
  ImGui::GetStyle() = style;
}

static void apply_pointer_input() {
  // Touch and pen strokes come from pointer events (see bindings.cpp); mouse input stays with GLFW.
  const PointerInput& p = pointer_input();
  if (!p.active) return;
  ImGuiIO& io = ImGui::GetIO();
  io.MousePos = ImVec2(p.x, p.y);
  io.MouseDown[0] = p.down;
}

static void layout(AppState& s) {
  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::Begin("##root", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoBringToFrontOnFocus |
                   ImGuiWindowFlags_NoSavedSettings);
  const float status_h = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().ItemSpacing.y;
  if (s.narrow) {
    // Phone width: images on top, controls scroll below them.
    // Just tall enough for three panes across and the metric lines under them.
    const float aspect = s.clean.empty() ? 1.0f : static_cast<float>(s.clean.h) / s.clean.w;
    const float across = uses_large_view(s) ? 1.0f : 3.0f;
    const float panes_h = (io.DisplaySize.x - 4 * ImGui::GetStyle().ItemSpacing.x) / across * aspect;
    const float images_h = std::min(io.DisplaySize.y * 0.6f, panes_h + 6 * ImGui::GetTextLineHeightWithSpacing());
    ImGui::BeginChild("images", ImVec2(0, images_h));
    panel_images(s);
    ImGui::EndChild();
    ImGui::BeginChild("controls", ImVec2(0, -status_h), true);
    panel_controls(s);
    ImGui::EndChild();
  } else {
    // A full-resolution image can have the whole window; the controls come back with F or the button over it.
    if (!(s.hide_controls && uses_large_view(s))) {
      ImGui::BeginChild("controls", ImVec2(340.0f * s.dpr, -status_h), true);
      panel_controls(s);
      ImGui::EndChild();
      ImGui::SameLine();
    }
    ImGui::BeginChild("images", ImVec2(0, -status_h));
    panel_images(s);
    ImGui::EndChild();
  }
  panel_status(s);
  ImGui::End();
  panel_model_card(s);
  panel_help(s);
  panel_layers(s);
  panel_walk(s);
  panel_training(s);
  panel_explain(s);
}

static void frame(void* arg) {
  FrameContext& ctx = *static_cast<FrameContext*>(arg);
  AppState& s = *ctx.state;
  glfwPollEvents();

  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  fit_to_canvas(ctx);
  apply_pointer_input();
  ImGuiIO& io = ImGui::GetIO();
  // A frozen or coarse clock can report zero elapsed time, which ImGui rejects.
  if (io.DeltaTime <= 0.0f) io.DeltaTime = 1.0f / 1000.0f;
  ImGui::NewFrame();

  update_pipeline(s);
  handle_shortcuts(s);
  s.fps = io.Framerate;
  layout(s);
  pointer_frame_done();

  ImGui::Render();
  glViewport(0, 0, static_cast<int>(io.DisplaySize.x), static_cast<int>(io.DisplaySize.y));
  glClearColor(0.08f, 0.09f, 0.10f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  glfwSwapBuffers(ctx.window);
  s.frames = ++ctx.frames;
  if (ctx.frames == 2) js_first_frame();
}

int main(int, char**) {
  glfwSetErrorCallback(glfw_error_callback);
  if (!glfwInit()) return 1;

  // WebGL2 is OpenGL ES 3.0 with GLSL ES 3.00.
  const char* glsl_version = "#version 300 es";
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);

  GLFWwindow* window = glfwCreateWindow(1280, 720, "Denoising autoencoder", nullptr, nullptr);
  if (window == nullptr) return 1;
  glfwMakeContextCurrent(window);
  glfwSwapInterval(1);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // the layout is computed each frame; nothing to persist
  ImGui::StyleColorsDark();
  // Installed before the backend, which chains to it: shortcuts see every press, however short.
  glfwSetKeyCallback(window, on_key);
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  glfwSetScrollCallback(window, on_scroll);  // replaces the backend's, which it then calls with normalised steps
  ImGui_ImplOpenGL3_Init(glsl_version);

  // Outlives main(): emscripten unwinds main's stack when the browser loop takes over.
  static AppState state;
  g_state_for_callbacks = &state;
  static FrameContext ctx;
  ctx.window = window;
  ctx.state = &state;
  bind_app_state(&state);
  state.denoiser.set_threads(host_engine_threads());
  clear_image(state, 28, 28);
  state.undo.clear();

  js_app_started();
  emscripten_set_main_loop_arg(frame, &ctx, 0, true);
  return 0;
}
