// Data-parallel training across processes: the rendezvous, LibTorch's c10d process group (Gloo, or NCCL where
// built in) and the three collectives the training loop needs, with every failure turned into one clear error.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dae::trainer {

// Where and how the ranks of one run meet.
struct DistOptions {
  int world_size = 1;                     // processes training together
  int rank = 0;                           // this process, 0 .. world_size - 1; rank 0 writes every file
  std::string master_addr = "127.0.0.1";  // TCP store host (rank 0 serves it)
  int master_port = 29500;
  std::string store_file;        // a file on a filesystem every rank sees, instead of the TCP store
  double timeout_s = 300;        // a rendezvous or collective that waits longer than this fails
  std::string backend = "auto";  // "gloo", "nccl" or "auto" (NCCL when built with it and the device is CUDA)
  // Every rank must prove it knows this text when it joins (DAE_DIST_SECRET; `launch` draws one per run). Needed
  // when the TCP store's host is another machine.
  std::string secret;
  bool one_machine = false;  // every rank on this machine (`launch`): Gloo listens on 127.0.0.1 only
};

// A collective failed: a peer died, stalled past the timeout, or never joined.
struct PeerLost : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The collectives of one process group. Every rank must call them in the same order.
class Collectives {
 public:
  virtual ~Collectives() = default;
  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  const std::string& description() const { return description_; }
  // Sums `flat` (one contiguous tensor) over the ranks, in place. `what` names the step in an error.
  virtual void allreduce_sum(torch::Tensor& flat, const std::string& what) = 0;
  // Copies rank `root`'s `tensor` (contiguous) to every rank, in place.
  virtual void broadcast(torch::Tensor& tensor, int root, const std::string& what) = 0;
  // Returns once every rank has called it.
  virtual void barrier(const std::string& what) = 0;

 protected:
  int rank_ = 0, world_size_ = 1;
  std::string description_;  // e.g. "gloo, tcp store 127.0.0.1:29500"
};

// True where this build has c10d with Gloo (see native/trainer/CMakeLists.txt).
bool distributed_available();

// Joins the group described by `options` (blocks until every rank has joined, at most the timeout). `device` is
// where the gradients live; NCCL needs CUDA, Gloo stages CUDA tensors through host memory. Before the process group
// forms, every rank proves through the store that it knows `options.secret` (an HMAC of a nonce rank 0 draws), and
// rank 0 proves it to them: a rank that does not is refused with a std::runtime_error naming it.
std::unique_ptr<Collectives> join_group(const DistOptions& options, const torch::Device& device);

// The most bytes one collective carries: DDP's default bucket size, far above these models' few hundred KB of
// parameters or gradients (so each fits in one bucket).
inline constexpr int64_t kBucketBytes = 25 << 20;

// Sums the tensors over the ranks through flat buckets of at most `bucket_bytes` each (one collective per bucket,
// not per tensor). Tensors must share one dtype and device.
void allreduce_sum_bucketed(Collectives& group, const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes,
                            const std::string& what);

// Copies rank `root`'s tensors to every rank through flat buckets (parameters at the start of a run).
void broadcast_bucketed(Collectives& group, const std::vector<torch::Tensor>& tensors, int root,
                        const std::string& what);

// Copies rank `root`'s bytes to every rank (the size first, then the bytes).
void broadcast_bytes(Collectives& group, std::string& bytes, int root, const std::string& what);

// The environment variables through which `launch` hands each rank its private rendezvous: the store file, the
// run's secret, and that every rank is on this machine.
inline constexpr const char* kStoreFileEnv = "DAE_STORE_FILE";
inline constexpr const char* kSecretEnv = "DAE_DIST_SECRET";
inline constexpr const char* kOneMachineEnv = "DAE_ONE_MACHINE";

// Starts `nproc` copies of this program on this machine as ranks 0 .. nproc-1 of one group, with `args` as their
// arguments, and waits for all of them. The ranks meet through a file store in a new folder only this user can
// open (mode 0700, under $TMPDIR or /tmp, removed at the end) and present a secret drawn for this run; nothing
// listens beyond 127.0.0.1. Each rank gets WORLD_SIZE, RANK, LOCAL_RANK and the three variables above. Returns 0
// when every rank exits with 0, else the first failing rank's status (128 + signal for a rank killed by a signal).
int launch_local(int nproc, const std::vector<std::string>& args);

}  // namespace dae::trainer
