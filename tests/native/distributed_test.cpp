// Data-parallel training as real dae-train processes: two ranks with batch B reach the weights of one process with
// batch 2B, an interrupted group resumes to the uninterrupted weights, a killed rank stops the other with an error,
// `launch` listens on loopback only, and a rank with another secret or other options is refused.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "export_safetensors.h"
#include "hmac.h"
#include "test_dirs.h"

extern char** environ;

namespace {

using namespace dae::trainer;

// A tiny run: 216 images make 6 full global batches of 32 and a short one of 24 (rank 0 gets 16 rows, rank 1 8).
const std::vector<std::string> kTiny = {"--threads", "1",        "train", "--model", "conv", "--limit", "216", "--val",
                                        "64",        "--epochs", "2",     "--seed",  "3",    "--lr",    "2e-3"};
// A run long enough to be killed in the middle.
const std::vector<std::string> kLong = {"--threads", "1",  "train",    "--model", "conv",    "--limit", "12000",
                                        "--val",     "64", "--epochs", "4",       "--batch", "16"};
// Upper bound on how long a rank may take to notice a dead peer before the test calls it a hang: far above the
// --dist-timeout the test gives, so only a hang reaches it.
constexpr int kHangSeconds = 180;

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Starts dae-train with `args`, stdout and stderr into `log`, and `env` ("NAME=value") added to the environment.
pid_t start(const std::vector<std::string>& args, const std::string& log, const std::vector<std::string>& env = {}) {
  std::vector<std::string> all = {DAE_TRAIN_BIN};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> vars = env;
  for (char** e = environ; *e; ++e) vars.push_back(*e);
  std::vector<char*> envp;
  for (std::string& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int err = posix_spawn(&pid, DAE_TRAIN_BIN, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(err, 0) << "cannot start " << DAE_TRAIN_BIN;
  return pid;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The exit status (128 + signal when killed), or -1 after kHangSeconds (the process is then killed).
int wait_exit(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kHangSeconds);
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int run(const std::vector<std::string>& args, const std::string& log) {
  const int code = wait_exit(start(args, log));
  if (code != 0) ADD_FAILURE() << "dae-train exited with " << code << ":\n" << read_text(log);
  return code;
}

// The largest absolute difference between two model files' weights (same names and shapes).
double max_difference(const std::string& a, const std::string& b) {
  auto wa = load_model_file(a)->named_weights(), wb = load_model_file(b)->named_weights();
  EXPECT_EQ(wa.size(), wb.size());
  double d = 0;
  for (size_t i = 0; i < wa.size() && i < wb.size(); ++i) {
    EXPECT_EQ(wa[i].first, wb[i].first);
    d = std::max(d, (wa[i].second - wb[i].second).abs().max().item<double>());
  }
  return d;
}

TEST(Distributed, TwoRanksWithBatchBMatchOneRankWithBatch2B) {
  const std::string dir = dae::test::scratch_dir();
  ASSERT_EQ(run(with({"launch", "--nproc", "2", "--"}, with(kTiny, {"--batch", "16", "--out", dir + "/two"})),
                dir + "/two.log"),
            0);
  ASSERT_EQ(run(with(kTiny, {"--batch", "32", "--out", dir + "/one"}), dir + "/one.log"), 0);
  // A run that differs only in its batch, to show the comparison can tell runs apart.
  ASSERT_EQ(run(with(kTiny, {"--batch", "16", "--out", dir + "/other"}), dir + "/other.log"), 0);
  const double same = max_difference(dir + "/two/conv.safetensors", dir + "/one/conv.safetensors");
  const double other = max_difference(dir + "/other/conv.safetensors", dir + "/one/conv.safetensors");
  std::printf("max |w(2 ranks x 16) - w(1 x 32)| = %.3g; max |w(1 x 16) - w(1 x 32)| = %.3g\n", same, other);
  // Float rounding only: on this machine one process with 2 threads instead of 1 differs from itself by 2.7e-5.
  EXPECT_LT(same, 1e-4);
  EXPECT_GT(other, 1e-3);
  // Only rank 0 wrote files, and said it was one of two.
  EXPECT_NE(read_text(dir + "/two.log").find("training as 2 processes"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir + "/two/conv.ckpt"));
}

TEST(Distributed, StoppedGroupResumesToTheUninterruptedWeights) {
  const std::string dir = dae::test::scratch_dir();
  const std::vector<std::string> two = {"launch", "--nproc", "2", "--"};
  ASSERT_EQ(run(with(two, with(kTiny, {"--batch", "16", "--out", dir + "/full"})), dir + "/full.log"), 0);
  // Stopped after 4 of the first epoch's 7 steps (as Ctrl-C would), then resumed by a new group.
  EXPECT_EQ(wait_exit(start(with(two, with(kTiny, {"--batch", "16", "--stop-after-steps", "4", "--out", dir + "/cut"})),
                            dir + "/cut1.log")),
            130);
  ASSERT_TRUE(std::filesystem::exists(dir + "/cut/conv.ckpt")) << read_text(dir + "/cut1.log");
  EXPECT_FALSE(std::filesystem::exists(dir + "/cut/conv.safetensors"));
  ASSERT_EQ(run(with(two, with(kTiny, {"--batch", "16", "--resume", "--out", dir + "/cut"})), dir + "/cut2.log"), 0);
  EXPECT_NE(read_text(dir + "/cut2.log").find("resuming from"), std::string::npos);
  EXPECT_EQ(max_difference(dir + "/full/conv.safetensors", dir + "/cut/conv.safetensors"), 0.0);
}

// Starts two ranks meeting through a file store, kills rank `victim` once rank 0 reports progress, and checks that
// the other rank ends with the peer-lost status and a message naming itself and the cause.
void kill_one_rank(int victim) {
  const std::string dir = dae::test::scratch_dir();
  const std::vector<std::string> group = {"--world-size",   "2",  "--store-file", dir + "/store",
                                          "--dist-timeout", "20", "--out",        dir + "/out"};
  const pid_t rank0 = start(with(with(kLong, group), {"--rank", "0"}), dir + "/rank0.log");
  const pid_t rank1 = start(with(with(kLong, group), {"--rank", "1"}), dir + "/rank1.log");
  // Rank 0 prints a progress line after a few seconds of training: the kill lands in the middle of an epoch.
  const std::string progress = "epoch 1/4  batch ";
  for (int i = 0; i < kHangSeconds * 10 && read_text(dir + "/rank0.log").find(progress) == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_NE(read_text(dir + "/rank0.log").find(progress), std::string::npos) << read_text(dir + "/rank0.log");
  const pid_t killed = victim == 0 ? rank0 : rank1, survivor = victim == 0 ? rank1 : rank0;
  kill(killed, SIGKILL);
  EXPECT_EQ(wait_exit(killed), 128 + SIGKILL);
  const int code = wait_exit(survivor);
  const std::string log = read_text(dir + "/rank" + std::to_string(1 - victim) + ".log");
  EXPECT_EQ(code, 4) << log;  // kExitPeerLost; -1 would be a hang
  EXPECT_NE(log.find("rank " + std::to_string(1 - victim) + " of 2"), std::string::npos) << log;
  EXPECT_NE(log.find("another rank has died or stalled"), std::string::npos) << log;
}

TEST(Distributed, KilledRankOneStopsRankZeroWithAMessage) {
  kill_one_rank(1);
}

TEST(Distributed, KilledRankZeroStopsRankOneWithAMessage) {
  kill_one_rank(0);
}

// The processes whose parent is `parent`.
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    // /proc/PID/stat: "PID (COMM) STATE PPID ..."; COMM may hold spaces, so read after the last ')'.
    const std::string stat = read_text(e.path().string() + "/stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t ppid = -1;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

// The TCP sockets of `pid`: their state (0A listening, 01 connected, ...) and local address ("ADDRESS:PORT" in
// /proc/net/tcp's hex).
std::vector<std::pair<std::string, std::string>> tcp_sockets(pid_t pid) {
  std::set<std::string> inodes;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    const std::string target = std::filesystem::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::istringstream lines(read_text(table));
    std::string line;
    std::getline(lines, line);  // the header
    while (std::getline(lines, line)) {
      std::istringstream f(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      f >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
      if (inodes.count(inode)) out.emplace_back(state, local);
    }
  }
  return out;
}

// 127.0.0.0/8, ::1 or ::ffff:127.x.y.z, as /proc/net/tcp{,6} write them (32-bit words in host order).
bool is_loopback(const std::string& hex_address) {
  const std::string a = hex_address.substr(0, hex_address.find(':'));
  if (a.size() == 8) return a.substr(6) == "7F";
  return a == "00000000000000000000000001000000" ||
         (a.rfind("0000000000000000FFFF0000", 0) == 0 && a.substr(30) == "7F");
}

TEST(Distributed, LaunchListensOnLoopbackOnlyAndMeetsInAPrivateFolder) {
  const std::string dir = dae::test::scratch_dir();
  const pid_t launcher =
      start(with({"launch", "--nproc", "2", "--"}, with(kLong, {"--out", dir + "/out"})), dir + "/launch.log");
  const std::string progress = "epoch 1/4  batch ";
  for (int i = 0; i < kHangSeconds * 10 && read_text(dir + "/launch.log").find(progress) == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::string log = read_text(dir + "/launch.log");
  ASSERT_NE(log.find(progress), std::string::npos) << log;
  const std::vector<pid_t> ranks = children_of(launcher);
  EXPECT_EQ(ranks.size(), 2u);
  // Every socket, listening (the TCP store used to listen on 0.0.0.0) or connected (Gloo's pairs), is on loopback.
  size_t sockets = 0;
  for (pid_t rank : ranks)
    for (const auto& [state, address] : tcp_sockets(rank)) {
      ++sockets;
      EXPECT_TRUE(is_loopback(address)) << "rank process " << rank << " has a socket in state " << state << " on "
                                        << address << "\n"
                                        << log;
    }
  EXPECT_GT(sockets, 0u);  // Gloo's connections: the check above saw real sockets
  // The rendezvous folder the launcher names is private to this user.
  const std::string marker = "rendezvous through the private folder ";
  const size_t at = log.find(marker);
  ASSERT_NE(at, std::string::npos) << log;
  const std::string folder =
      log.substr(at + marker.size(), log.find_first_of(" \n", at + marker.size()) - at - marker.size());
  struct stat st {};
  ASSERT_EQ(stat(folder.c_str(), &st), 0) << folder;
  EXPECT_EQ(st.st_mode & 0777, 0700u) << folder;
  EXPECT_EQ(st.st_uid, getuid());
  for (pid_t rank : ranks) kill(rank, SIGINT);  // the ranks agree on a step, save a checkpoint and stop
  EXPECT_EQ(wait_exit(launcher), 130) << read_text(dir + "/launch.log");
  EXPECT_FALSE(std::filesystem::exists(folder)) << "the launcher leaves its private folder behind";
}

// Two ranks meeting through a file store, rank r with `rank_args[r]` and `rank_env[r]`; returns their exit statuses
// and puts their logs in `logs`.
std::vector<int> run_pair(const std::string& dir, const std::vector<std::vector<std::string>>& rank_args,
                          const std::vector<std::vector<std::string>>& rank_env, std::vector<std::string>& logs) {
  const std::vector<std::string> group = {"--world-size",   "2",  "--store-file", dir + "/store",
                                          "--dist-timeout", "30", "--batch",      "16"};
  std::vector<pid_t> pids;
  for (int r = 0; r < 2; ++r)
    pids.push_back(
        start(with(with(with(kTiny, group), {"--rank", std::to_string(r), "--out", dir + "/out" + std::to_string(r)}),
                   rank_args[r]),
              dir + "/rank" + std::to_string(r) + ".log", rank_env[r]));
  std::vector<int> codes;
  logs.clear();
  for (int r = 0; r < 2; ++r) {
    codes.push_back(wait_exit(pids[r]));
    logs.push_back(read_text(dir + "/rank" + std::to_string(r) + ".log"));
  }
  return codes;
}

TEST(Distributed, ARankWithAnotherSecretIsRefused) {
  const std::string dir = dae::test::scratch_dir();
  std::vector<std::string> logs;
  const std::vector<int> codes =
      run_pair(dir, {{}, {}}, {{"DAE_DIST_SECRET=the-run-secret"}, {"DAE_DIST_SECRET=a-guess"}}, logs);
  EXPECT_EQ(codes[0], 1) << logs[0];
  EXPECT_EQ(codes[1], 1) << logs[1];
  EXPECT_NE(logs[0].find("rank 1 did not present this run's secret"), std::string::npos) << logs[0];
  EXPECT_NE(logs[1].find("DAE_DIST_SECRET"), std::string::npos) << logs[1];
  EXPECT_FALSE(std::filesystem::exists(dir + "/out0/conv.ckpt"));
}

TEST(Distributed, ARankWithOtherTrainingOptionsIsRefused) {
  const std::string dir = dae::test::scratch_dir();
  std::vector<std::string> logs;
  const std::vector<int> codes =
      run_pair(dir, {{}, {"--sigma", "0.2"}}, {{"DAE_DIST_SECRET=s"}, {"DAE_DIST_SECRET=s"}}, logs);
  EXPECT_EQ(codes[0], 1) << logs[0];
  EXPECT_EQ(codes[1], 1) << logs[1];
  EXPECT_NE(logs[1].find("sigma=0.2 here, sigma=0.3 on rank 0"), std::string::npos) << logs[1];
  EXPECT_NE(logs[0].find("rank 1 was started with other training options"), std::string::npos) << logs[0];
  EXPECT_FALSE(std::filesystem::exists(dir + "/out0/conv.ckpt"));
}

TEST(Distributed, ANonFiniteGradientOnOneRankStopsEveryRank) {
  const std::string dir = dae::test::scratch_dir();
  // kTiny with batch 16 x 2 ranks: 7 steps an epoch; rank 1's gradient of step 9 (epoch 2, batch 2) turns NaN.
  const int code = wait_exit(start(with({"launch", "--nproc", "2", "--"}, with(kTiny, {"--batch", "16", "--out", dir})),
                                   dir + "/launch.log", {"DAE_TEST_NONFINITE_GRADIENT=9:1"}));
  const std::string log = read_text(dir + "/launch.log");
  EXPECT_EQ(code, 3) << log;  // kExitNonFinite from both ranks, not a hang or a lost peer
  EXPECT_NE(log.find("rank 0 exited with status 3"), std::string::npos) << log;
  EXPECT_NE(log.find("rank 1 exited with status 3"), std::string::npos) << log;
  EXPECT_NE(log.find("the gradients became NaN or infinite at epoch 2, batch 2 (on 1 of 2 ranks)"), std::string::npos)
      << log;
  // Epoch 1's files stay, finite.
  EXPECT_NO_THROW(load_model_file(dir + "/conv.safetensors"));
}

TEST(Distributed, RendezvousProofIsHmacSha256) {
  // RFC 4231, test cases 1 and 2, and a key longer than SHA-256's block (hashed first).
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(random_hex(16).size(), 32u);
  EXPECT_NE(random_hex(16), random_hex(16));
}

TEST(Distributed, AMasterOnAnotherMachineNeedsASecret) {
  const std::string dir = dae::test::scratch_dir();
  // 192.0.2.1 is TEST-NET-1: nothing answers there, and the rank must refuse before it tries.
  const int code = wait_exit(start(with(kTiny, {"--world-size", "2", "--rank", "1", "--master-addr", "192.0.2.1",
                                                "--dist-timeout", "5", "--out", dir + "/out"}),
                                   dir + "/rank1.log", {"DAE_DIST_SECRET="}));
  const std::string log = read_text(dir + "/rank1.log");
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find("DAE_DIST_SECRET"), std::string::npos) << log;
}

}  // namespace
