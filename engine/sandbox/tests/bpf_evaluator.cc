// bpf_evaluator.cc: the subset of classic BPF that the kernel's seccomp checker accepts.
#include "engine/sandbox/tests/bpf_evaluator.h"

#include <gtest/gtest.h>

#include <cstring>

namespace instar::sandbox::testing {

std::optional<uint32_t> evaluate_bpf(const sock_filter* program, uint32_t count,
                                     const seccomp_data& data) {
  uint32_t a = 0;
  uint32_t x = 0;
  uint32_t mem[BPF_MEMWORDS] = {};
  for (uint32_t pc = 0; pc < count; ++pc) {
    const sock_filter& insn = program[pc];
    const uint32_t k = insn.k;
    switch (BPF_CLASS(insn.code)) {
      case BPF_LD:
        if (insn.code == (BPF_LD | BPF_W | BPF_ABS)) {
          // seccomp only allows aligned 32-bit loads inside struct seccomp_data.
          if (k % 4 != 0 || k + 4 > sizeof data) return std::nullopt;
          std::memcpy(&a, reinterpret_cast<const uint8_t*>(&data) + k, 4);
        } else if (insn.code == (BPF_LD | BPF_W | BPF_LEN)) {
          a = sizeof data;
        } else if (insn.code == (BPF_LD | BPF_IMM)) {
          a = k;
        } else if (insn.code == (BPF_LD | BPF_MEM)) {
          if (k >= BPF_MEMWORDS) return std::nullopt;
          a = mem[k];
        } else {
          return std::nullopt;
        }
        break;
      case BPF_LDX:
        if (insn.code == (BPF_LDX | BPF_W | BPF_LEN)) {
          x = sizeof data;
        } else if (insn.code == (BPF_LDX | BPF_IMM)) {
          x = k;
        } else if (insn.code == (BPF_LDX | BPF_MEM)) {
          if (k >= BPF_MEMWORDS) return std::nullopt;
          x = mem[k];
        } else {
          return std::nullopt;
        }
        break;
      case BPF_ST:
        if (k >= BPF_MEMWORDS) return std::nullopt;
        mem[k] = a;
        break;
      case BPF_STX:
        if (k >= BPF_MEMWORDS) return std::nullopt;
        mem[k] = x;
        break;
      case BPF_ALU: {
        const uint32_t operand = BPF_SRC(insn.code) == BPF_X ? x : k;
        switch (BPF_OP(insn.code)) {
          case BPF_ADD:
            a += operand;
            break;
          case BPF_SUB:
            a -= operand;
            break;
          case BPF_MUL:
            a *= operand;
            break;
          case BPF_DIV:
            if (operand == 0) return std::nullopt;
            a /= operand;
            break;
          case BPF_MOD:
            if (operand == 0) return std::nullopt;
            a %= operand;
            break;
          case BPF_AND:
            a &= operand;
            break;
          case BPF_OR:
            a |= operand;
            break;
          case BPF_XOR:
            a ^= operand;
            break;
          case BPF_LSH:
            a = operand >= 32 ? 0 : a << operand;
            break;
          case BPF_RSH:
            a = operand >= 32 ? 0 : a >> operand;
            break;
          case BPF_NEG:
            a = 0u - a;
            break;
          default:
            return std::nullopt;
        }
        break;
      }
      case BPF_JMP: {
        uint32_t target = pc;
        if (BPF_OP(insn.code) == BPF_JA) {
          target = pc + k;
        } else {
          const uint32_t operand = BPF_SRC(insn.code) == BPF_X ? x : k;
          bool taken = false;
          switch (BPF_OP(insn.code)) {
            case BPF_JEQ:
              taken = a == operand;
              break;
            case BPF_JGT:
              taken = a > operand;
              break;
            case BPF_JGE:
              taken = a >= operand;
              break;
            case BPF_JSET:
              taken = (a & operand) != 0;
              break;
            default:
              return std::nullopt;
          }
          target = pc + (taken ? insn.jt : insn.jf);
        }
        if (target + 1 >= count) return std::nullopt;  // jumps must land inside the program
        pc = target;
        break;
      }
      case BPF_RET:
        if (BPF_RVAL(insn.code) == BPF_K) return k;
        if (BPF_RVAL(insn.code) == BPF_A) return a;
        return std::nullopt;
      case BPF_MISC:
        if (BPF_MISCOP(insn.code) == BPF_TAX) {
          x = a;
        } else if (BPF_MISCOP(insn.code) == BPF_TXA) {
          a = x;
        } else {
          return std::nullopt;
        }
        break;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;  // fell off the end: the kernel's checker forbids this
}

uint32_t syscall_action(const sock_filter* program, uint32_t count, int nr,
                        std::initializer_list<uint64_t> args, uint32_t arch) {
  seccomp_data data{};
  data.nr = nr;
  data.arch = arch;
  int i = 0;
  for (uint64_t v : args) data.args[i++] = v;
  const auto result = evaluate_bpf(program, count, data);
  EXPECT_TRUE(result.has_value()) << "filter misbehaved for nr " << nr;
  return result.value_or(0xdeadbeef) & SECCOMP_RET_ACTION_FULL;
}

}  // namespace instar::sandbox::testing
