// Bucketed collectives over a process group, and the local launcher that starts one process per rank.
#include "distributed.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "hmac.h"

namespace dae::trainer {
namespace {

// Groups consecutive tensors into buckets of at most `bucket_bytes` (a larger tensor gets a bucket of its own).
std::vector<std::vector<torch::Tensor>> buckets(const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes) {
  std::vector<std::vector<torch::Tensor>> out;
  int64_t bytes = 0;
  for (const torch::Tensor& t : tensors) {
    const int64_t size = t.numel() * static_cast<int64_t>(t.element_size());
    if (out.empty() || (bytes + size > bucket_bytes && !out.back().empty())) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(t);
    bytes += size;
  }
  return out;
}

// Packs `bucket` into one flat tensor, runs `collective` on it and unpacks the result into the tensors.
template <class Collective>
void through_flat(const std::vector<torch::Tensor>& bucket, Collective collective) {
  std::vector<torch::Tensor> views;
  for (const torch::Tensor& t : bucket) views.push_back(t.reshape({-1}));
  torch::Tensor flat = torch::cat(views);
  collective(flat);
  int64_t offset = 0;
  for (const torch::Tensor& t : bucket) {
    torch::NoGradGuard no_grad;
    t.copy_(flat.narrow(0, offset, t.numel()).view_as(t));
    offset += t.numel();
  }
}

// Bytes of the per-run secret `launch` draws.
constexpr int kSecretBytes = 32;

// A new folder only this user can open, for the ranks' rendezvous file (mkdtemp makes it 0700).
std::string private_folder() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/dae-launch-XXXXXX";
  if (!mkdtemp(pattern.data()))
    throw std::runtime_error("launch: cannot make a private folder from '" + pattern + "': " + std::strerror(errno));
  return pattern;
}

}  // namespace

void allreduce_sum_bucketed(Collectives& group, const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes,
                            const std::string& what) {
  for (const auto& bucket : buckets(tensors, bucket_bytes))
    through_flat(bucket, [&](torch::Tensor& flat) { group.allreduce_sum(flat, what); });
}

void broadcast_bucketed(Collectives& group, const std::vector<torch::Tensor>& tensors, int root,
                        const std::string& what) {
  for (const auto& bucket : buckets(tensors, kBucketBytes))
    through_flat(bucket, [&](torch::Tensor& flat) { group.broadcast(flat, root, what); });
}

void broadcast_bytes(Collectives& group, std::string& bytes, int root, const std::string& what) {
  torch::Tensor size = torch::tensor({static_cast<int64_t>(bytes.size())}, torch::kInt64);
  group.broadcast(size, root, what);
  torch::Tensor data = torch::empty({size.item<int64_t>()}, torch::kUInt8);
  if (group.rank() == root) std::memcpy(data.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  group.broadcast(data, root, what);
  bytes.assign(reinterpret_cast<const char*>(data.data_ptr<uint8_t>()), static_cast<size_t>(data.numel()));
}

int launch_local(int nproc, const std::vector<std::string>& args) {
  if (nproc < 1) throw std::runtime_error("launch: --nproc must be at least 1");
  if (args.empty()) throw std::runtime_error("launch: give the dae-train arguments after --, e.g. -- train ...");
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) throw std::runtime_error(std::string("launch: cannot find this program: ") + std::strerror(errno));
  self[n] = '\0';
  std::vector<char*> argv{self};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // The rendezvous: a file store no other user can open, and a secret the ranks prove they share, in place of a
  // TCP store (LibTorch's binds every interface, whatever address it is given).
  const std::string folder = private_folder();
  const std::string store_file = folder + "/store", secret = random_hex(kSecretBytes);
  // Ctrl-C reaches every rank from the terminal; the ranks agree on a step to stop at and save a checkpoint, so the
  // launcher only waits for them.
  signal(SIGINT, SIG_IGN);
  std::vector<pid_t> pids;
  for (int rank = 0; rank < nproc; ++rank) {
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("launch: fork: ") + std::strerror(errno));
    if (pid == 0) {
      signal(SIGINT, SIG_DFL);
      setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("RANK", std::to_string(rank).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      setenv(kStoreFileEnv, store_file.c_str(), 1);
      setenv(kSecretEnv, secret.c_str(), 1);
      setenv(kOneMachineEnv, "1", 1);
      execv(self, argv.data());
      std::fprintf(stderr, "launch: cannot start %s: %s\n", self, std::strerror(errno));
      _exit(127);
    }
    pids.push_back(pid);
  }
  std::fprintf(stderr, "launch: %d ranks on this machine, rendezvous through the private folder %s\n", nproc,
               folder.c_str());
  int result = 0;
  for (size_t done = 0; done < pids.size();) {
    int status = 0;
    const pid_t pid = wait(&status);
    if (pid < 0) {
      if (errno == EINTR) continue;
      std::error_code ignored;
      std::filesystem::remove_all(folder, ignored);
      throw std::runtime_error(std::string("launch: wait: ") + std::strerror(errno));
    }
    size_t rank = 0;
    while (rank < pids.size() && pids[rank] != pid) ++rank;
    if (rank == pids.size()) continue;
    ++done;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0) {
      if (WIFSIGNALED(status))
        std::fprintf(stderr, "launch: rank %zu was killed by signal %d\n", rank, WTERMSIG(status));
      else
        std::fprintf(stderr, "launch: rank %zu exited with status %d\n", rank, code);
      if (result == 0) result = code;
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);
  return result;
}

}  // namespace dae::trainer
