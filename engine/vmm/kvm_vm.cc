// kvm_vm.cc: the KVM ioctl sequence: system fd, VM, memory slot, vCPU, CPUID, registers, KVM_RUN.
#include "engine/vmm/kvm_vm.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "engine/vmm/cpu_state.h"
#include "engine/vmm/cpuid_filter.h"
#include "engine/vmm/kvm_probe.h"

namespace instar::vmm {
namespace {

constexpr int kKvmApiVersion = 12;
// Three pages KVM needs on Intel for real-mode emulation (we never leave long mode, but older
// hosts refuse to run without it). Outside the memory slot, below 4 GiB, where QEMU puts it.
constexpr uint64_t kTssAddress = 0xfffbd000;

// <linux/kvm.h>'s kvm_cpuid2 ends in __DECLARE_FLEX_ARRAY, which C++ compiles with an empty struct
// (1 byte) before `entries`: 12 bytes with entries at offset 12, not the kernel's 8. So the CPUID
// table and the two ioctl numbers (which encode the size) are spelled out with the kernel layout.
struct CpuidHeader {
  uint32_t nent;
  uint32_t padding;
};
static_assert(sizeof(CpuidHeader) == 8 && sizeof(kvm_cpuid_entry2) == 40);
constexpr unsigned long kGetSupportedCpuid = _IOWR(KVMIO, 0x05, CpuidHeader);
constexpr unsigned long kSetCpuid2 = _IOW(KVMIO, 0x90, CpuidHeader);
constexpr uint32_t kMaxCpuidEntries = 256;  // KVM_MAX_CPUID_ENTRIES

struct CpuidTable {
  CpuidHeader header;
  kvm_cpuid_entry2 entries[kMaxCpuidEntries];
};

Error kvm_error(const char* what) {
  return Error{std::string(what) + ": " + strerror(errno)};
}

UniqueFd open_kvm() {
  return UniqueFd(open("/dev/kvm", O_RDWR | O_CLOEXEC));
}

}  // namespace

bool kvm_available() {
  const UniqueFd kvm = open_kvm();
  return kvm.valid() && ioctl(kvm.get(), KVM_GET_API_VERSION, 0) == kKvmApiVersion;
}

bool kvm_usable() {
  static const bool usable = kvm_available() && probe_kvm().empty();
  return usable;
}

Result<std::unique_ptr<KvmVm>> KvmVm::create(const GuestMemory& memory) {
  std::unique_ptr<KvmVm> vm(new KvmVm());
  vm->kvm_ = open_kvm();
  if (!vm->kvm_.valid()) return kvm_error("cannot open /dev/kvm");
  const int version = ioctl(vm->kvm_.get(), KVM_GET_API_VERSION, 0);
  if (version != kKvmApiVersion) {
    return Error{"/dev/kvm has API version " + std::to_string(version) + ", need " +
                 std::to_string(kKvmApiVersion)};
  }
  vm->vm_ = UniqueFd(ioctl(vm->kvm_.get(), KVM_CREATE_VM, 0));
  if (!vm->vm_.valid()) return kvm_error("KVM_CREATE_VM");
  if (ioctl(vm->kvm_.get(), KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
      ioctl(vm->vm_.get(), KVM_SET_TSS_ADDR, kTssAddress) != 0) {
    return kvm_error("KVM_SET_TSS_ADDR");
  }

  const kvm_userspace_memory_region region = {
      .slot = 0,
      .flags = 0,
      .guest_phys_addr = 0,
      .memory_size = memory.size(),
      .userspace_addr = reinterpret_cast<uint64_t>(memory.host_base_for_kvm()),
  };
  if (ioctl(vm->vm_.get(), KVM_SET_USER_MEMORY_REGION, &region) != 0) {
    return kvm_error("KVM_SET_USER_MEMORY_REGION");
  }

  vm->vcpu_ = UniqueFd(ioctl(vm->vm_.get(), KVM_CREATE_VCPU, 0));
  if (!vm->vcpu_.valid()) return kvm_error("KVM_CREATE_VCPU");
  const int run_size = ioctl(vm->kvm_.get(), KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size < static_cast<int>(sizeof(kvm_run))) return kvm_error("KVM_GET_VCPU_MMAP_SIZE");
  void* run = mmap(nullptr, static_cast<size_t>(run_size), PROT_READ | PROT_WRITE, MAP_SHARED,
                   vm->vcpu_.get(), 0);
  if (run == MAP_FAILED) return kvm_error("cannot map kvm_run");
  vm->run_ = static_cast<kvm_run*>(run);
  vm->run_size_ = static_cast<uint64_t>(run_size);

  if (Status s = vm->set_filtered_cpuid(); !s.ok()) return Error{s.message()};
  return vm;
}

KvmVm::~KvmVm() {
  if (run_ != nullptr) munmap(run_, run_size_);
}

Status KvmVm::set_filtered_cpuid() {
  auto table = std::make_unique<CpuidTable>();
  table->header.nent = kMaxCpuidEntries;
  if (ioctl(kvm_.get(), kGetSupportedCpuid, table.get()) != 0) {
    return kvm_error("KVM_GET_SUPPORTED_CPUID");
  }
  const uint32_t supported = std::min(table->header.nent, kMaxCpuidEntries);
  const std::vector<kvm_cpuid_entry2> kept =
      filter_cpuid(std::span<const kvm_cpuid_entry2>(table->entries, supported));
  std::copy(kept.begin(), kept.end(), table->entries);
  table->header.nent = static_cast<uint32_t>(kept.size());
  if (ioctl(vcpu_.get(), kSetCpuid2, table.get()) != 0) return kvm_error("KVM_SET_CPUID2");
  return Status::Ok();
}

Status KvmVm::set_initial_state(uint64_t entry, uint64_t stack_top) {
  kvm_sregs sregs{};
  if (ioctl(vcpu_.get(), KVM_GET_SREGS, &sregs) != 0) return kvm_error("KVM_GET_SREGS");
  // FS base 0: the guest points FS at its own TCB (wrmsr) before any canary is read.
  set_long_mode_sregs(sregs, 0);
  if (ioctl(vcpu_.get(), KVM_SET_SREGS, &sregs) != 0) return kvm_error("KVM_SET_SREGS");
  const kvm_regs regs = initial_regs(entry, stack_top);
  if (ioctl(vcpu_.get(), KVM_SET_REGS, &regs) != 0) return kvm_error("KVM_SET_REGS");
  const kvm_fpu fpu = initial_fpu();
  if (ioctl(vcpu_.get(), KVM_SET_FPU, &fpu) != 0) return kvm_error("KVM_SET_FPU");
  return Status::Ok();
}

int KvmVm::run_once() {
  return ioctl(vcpu_.get(), KVM_RUN, 0) == 0 ? 0 : errno;
}

uint64_t KvmVm::rip() const {
  kvm_regs regs{};
  return ioctl(vcpu_.get(), KVM_GET_REGS, &regs) == 0 ? regs.rip : 0;
}

}  // namespace instar::vmm
