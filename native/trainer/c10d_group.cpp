// The process group from LibTorch's c10d: a TCP or file store for the rendezvous, then Gloo (or NCCL where built in)
// with the run's timeout on every collective, so a dead or stalled rank ends the others with an error, not a hang.
#include <chrono>
#include <cstdlib>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "distributed.h"
#include "hmac.h"
#ifdef DAE_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace dae::trainer {
namespace {

#ifdef DAE_WITH_NCCL
constexpr bool kNcclBuilt = true;
#else
constexpr bool kNcclBuilt = false;
#endif

// The group's calls, whatever its c10d class (ProcessGroup in LibTorch 1.x, Backend in 2.x: same methods).
template <class Group>
class GroupCollectives : public Collectives {
 public:
  GroupCollectives(c10::intrusive_ptr<Group> group, const DistOptions& o, bool stage_on_host, std::string description)
      : group_(std::move(group)), stage_on_host_(stage_on_host), timeout_s_(o.timeout_s) {
    rank_ = o.rank;
    world_size_ = o.world_size;
    description_ = std::move(description);
  }

  void allreduce_sum(torch::Tensor& flat, const std::string& what) override {
    std::vector<at::Tensor> v{stage_on_host_ ? flat.cpu() : flat};
    run([&] { return group_->allreduce(v); }, "all-reduce", what);
    if (stage_on_host_) flat.copy_(v[0]);
  }

  void broadcast(torch::Tensor& tensor, int root, const std::string& what) override {
    std::vector<at::Tensor> v{stage_on_host_ ? tensor.cpu() : tensor};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    run([&] { return group_->broadcast(v, options); }, "broadcast", what);
    if (stage_on_host_) tensor.copy_(v[0]);
  }

  void barrier(const std::string& what) override {
    run([&] { return group_->barrier(); }, "barrier", what);
  }

 private:
  // Starts a collective and waits for it; any c10d or Gloo error becomes PeerLost naming the step.
  template <class Start>
  void run(Start start, const char* kind, const std::string& what) {
    try {
      start()->wait();
    } catch (const c10::Error& e) {
      fail(kind, what, e.what_without_backtrace());
    } catch (const std::exception& e) {
      fail(kind, what, e.what());
    }
  }

  [[noreturn]] void fail(const char* kind, const std::string& what, const std::string& detail) {
    throw PeerLost("rank " + std::to_string(rank_) + " of " + std::to_string(world_size_) + ": the " + kind + " for " +
                   what + " failed: another rank has died or stalled past --dist-timeout " +
                   std::to_string(static_cast<int>(timeout_s_)) + " s; stopping (" + first_line(detail) + ")");
  }

  static std::string first_line(const std::string& s) {
    const size_t end = s.find('\n');
    return end == std::string::npos ? s : s.substr(0, end);
  }

  c10::intrusive_ptr<Group> group_;
  bool stage_on_host_;
  double timeout_s_;
};

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// Bytes of the nonce rank 0 draws for the rendezvous proofs.
constexpr int kNonceBytes = 16;

// The network device Gloo listens on: loopback for ranks `launch` started or a loopback master (one machine);
// otherwise GLOO_SOCKET_IFNAME's interface (as in PyTorch), or the address this machine's hostname resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const DistOptions& o) {
  if (o.one_machine) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (o.store_file.empty() && is_loopback(o.master_addr))
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

std::string text_of(const std::vector<uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

std::vector<uint8_t> bytes_of(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

// The rank's proof that it knows the run's secret: an HMAC of this rendezvous' nonce and its rank number, so it
// shows nothing of the secret and is of no use in another run or as another rank.
std::string proof(const DistOptions& o, const std::string& nonce, int rank) {
  return hmac_sha256_hex(o.secret, "dae-train rendezvous " + nonce + " rank " + std::to_string(rank));
}

// Before the process group forms: rank 0 draws a nonce; every rank writes its proof; rank 0 checks them all and
// writes its verdict, and every other rank checks rank 0's. A rank whose proof is wrong is refused on every rank.
void check_members(c10d::Store& store, const DistOptions& o, const std::string& who) {
  if (o.rank == 0) store.set("auth/nonce", bytes_of(random_hex(kNonceBytes)));
  const std::string nonce = text_of(store.get("auth/nonce"));
  store.set("auth/proof/" + std::to_string(o.rank), bytes_of(proof(o, nonce, o.rank)));
  if (o.rank == 0) {
    std::string refused;
    int count = 0;
    for (int r = 1; r < o.world_size; ++r)
      if (!same_secret_text(text_of(store.get("auth/proof/" + std::to_string(r))), proof(o, nonce, r)))
        refused += (count++ ? ", " : "") + std::to_string(r);
    store.set("auth/verdict", bytes_of(count ? refused : "ok"));
    if (count)
      throw std::runtime_error(who + ": " + (count == 1 ? "rank " : "ranks ") + refused +
                               " did not present this run's secret (DAE_DIST_SECRET differs, or a process that is "
                               "not one of this run's ranks joined); refused, stopping");
    return;
  }
  if (!same_secret_text(text_of(store.get("auth/proof/0")), proof(o, nonce, 0)))
    throw std::runtime_error(who + ": rank 0 did not present this rank's secret (DAE_DIST_SECRET must be the same " +
                             "on every rank of a run); stopping");
  const std::string verdict = text_of(store.get("auth/verdict"));
  if (verdict != "ok")
    throw std::runtime_error(who + ": rank 0 refused rank(s) " + verdict +
                             ": they did not present this run's secret (DAE_DIST_SECRET); stopping");
}

}  // namespace

bool distributed_available() {
  return true;
}

std::unique_ptr<Collectives> join_group(const DistOptions& o, const torch::Device& device) {
  if (o.world_size < 1 || o.rank < 0 || o.rank >= o.world_size)
    throw std::runtime_error("rank " + std::to_string(o.rank) + " is not in a group of " +
                             std::to_string(o.world_size) + " (--rank must be 0 .. --world-size - 1)");
  if (!(o.timeout_s > 0)) throw std::runtime_error("--dist-timeout must be positive");
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
  const std::string who = "rank " + std::to_string(o.rank) + " of " + std::to_string(o.world_size);
  const bool use_nccl = o.backend == "nccl" || (o.backend == "auto" && device.is_cuda() && kNcclBuilt);
  if (use_nccl && !kNcclBuilt)
    throw std::runtime_error(
        "--backend nccl: this dae-train was built without NCCL (configure with "
        "-DDAE_WITH_NCCL=ON against a CUDA LibTorch); --backend gloo works everywhere");
  if (use_nccl && !device.is_cuda()) throw std::runtime_error("--backend nccl needs --device cuda");
  if (o.store_file.empty() && !is_loopback(o.master_addr) && o.secret.empty())
    throw std::runtime_error(who + ": --master-addr " + o.master_addr +
                             " is reached over the network: set DAE_DIST_SECRET to the same random text on every "
                             "rank (e.g. from `openssl rand -hex 32`) so that only this run's ranks can join; see "
                             "\"Trust model\" in native/trainer/README.md");

  c10::intrusive_ptr<c10d::Store> store;
  std::string where;
  try {
    if (!o.store_file.empty()) {
      where = "file store " + o.store_file;
      store = c10::make_intrusive<c10d::FileStore>(o.store_file, o.world_size);
      store->setTimeout(timeout);
    } else {
      if (o.master_port < 1 || o.master_port > 65535) throw std::runtime_error("--master port must be 1 .. 65535");
      c10d::TCPStoreOptions options;
      options.port = static_cast<uint16_t>(o.master_port);
      options.isServer = o.rank == 0;
      options.numWorkers = o.world_size;
      options.waitWorkers = true;
      options.timeout = timeout;
      where = "tcp store " + o.master_addr + ":" + std::to_string(o.master_port);
      store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, options);
    }
    // Keys of this trainer's group, apart from anything else that shares the store.
    store = c10::make_intrusive<c10d::PrefixStore>("dae-train", store);
    check_members(*store, o, who);
#ifdef DAE_WITH_NCCL
    if (use_nccl) {
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      auto group = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, o.rank, o.world_size, options);
      return std::make_unique<GroupCollectives<c10d::ProcessGroupNCCL>>(group, o, false, "nccl, " + where);
    }
#endif
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(gloo_device(o));
    auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, o.rank, o.world_size, options);
    return std::make_unique<GroupCollectives<c10d::ProcessGroupGloo>>(group, o, device.is_cuda(), "gloo, " + where);
  } catch (const c10::Error& e) {
    throw PeerLost(who + ": could not join the group through " + where + " within " +
                   std::to_string(static_cast<int>(o.timeout_s)) + " s (" + e.what_without_backtrace() + ")");
  }
}

}  // namespace dae::trainer
