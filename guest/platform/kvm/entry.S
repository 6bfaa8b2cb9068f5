// entry.S: _start of the KVM guest: CPU state compiled code relies on, .bss, the stack-protector
// canary, constructors, then guest_main and the exit hypercall.
//
// Contract with the monitor (engine/vmm): 64-bit long mode, identity-mapped paging, CPL 0,
// interrupts disabled (no IDT: any exception ends the VM as a triple fault), and
//   rip = ELF entry (_start, == abi::kGuestLoadBase)
//   rdi = abi::kBootInfoGpa
//   rsp = inside the top abi::kGuestStackSize bytes of guest memory (any alignment; realigned here)
// The monitor is expected to enable SSE (CR0.MP, CR4.OSFXSR|OSXMMEXCPT); _start sets those bits
// again itself so a monitor that forgets cannot turn the first SSE instruction into a #UD.

#define CR0_EM (1 << 2)
#define CR0_MP (1 << 1)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_FS_BASE 0xc0000100
#define CPUID1_ECX_RDRAND 30
#define TCB_SIZE 64
#define TCB_CANARY 0x28  // where GCC's -fstack-protector reads the guard: %fs:0x28

        .section .text.entry, "ax", @progbits
        .globl _start
        .type _start, @function
_start:
        cld
        mov     %rdi, %r12              // BootInfo GPA; r12 survives the calls below

        // SSE on: compiler output (and zlib/zstd) use XMM registers for copies and constants.
        mov     %cr0, %rax
        and     $~CR0_EM, %rax
        or      $CR0_MP, %rax
        mov     %rax, %cr0
        mov     %cr4, %rax
        or      $(CR4_OSFXSR | CR4_OSXMMEXCPT), %rax
        mov     %rax, %cr4

        // The guest zeroes its own .bss: it does not trust the monitor to have done so (fresh
        // anonymous memory is zero, but a reused or pre-filled buffer would not be).
        lea     __instar_bss_start(%rip), %rdi
        lea     __instar_bss_end(%rip), %rcx
        sub     %rdi, %rcx
        xor     %eax, %eax
        rep stosb

        // FS base -> a bare TCB in .bss. Debian's libz.a/libzstd.a are built with
        // -fstack-protector-strong and read the canary at %fs:0x28; %fs:0 is the TCB's self
        // pointer, as the x86-64 TLS ABI lays it out.
        lea     instar_tcb(%rip), %rax
        mov     %rax, (%rax)
        mov     %rax, %rdx
        shr     $32, %rdx
        mov     $MSR_FS_BASE, %ecx
        wrmsr

        // Canary: RDRAND when CPUID offers it (retried, as the SDM advises), else the TSC.
        // The low byte is zero so a string overflow cannot reproduce it.
        mov     $1, %eax
        cpuid
        bt      $CPUID1_ECX_RDRAND, %ecx
        jnc     .Ltsc
        mov     $10, %ecx
.Lrdrand:
        rdrand  %rax
        jc      .Lcanary
        dec     %ecx
        jnz     .Lrdrand
.Ltsc:
        rdtsc
        shl     $32, %rdx
        or      %rdx, %rax
        movabs  $0x9e3779b97f4a7c15, %rdx  // spread the TSC's low-entropy high bits
        imul    %rdx, %rax
.Lcanary:
        xor     %al, %al
        mov     %rax, %fs:TCB_CANARY

        // SysV ABI: %rsp is 16-byte aligned at each call; %rbp = 0 ends frame-pointer walks.
        and     $-16, %rsp
        xor     %ebp, %ebp

        // Static constructors (none today; kept so a future global with a constructor works).
        lea     __instar_init_array_start(%rip), %rbx
        lea     __instar_init_array_end(%rip), %r13
.Linit:
        cmp     %r13, %rbx
        jae     .Lmain
        call    *(%rbx)
        add     $8, %rbx
        jmp     .Linit

.Lmain:
        mov     %r12, %rdi
        call    guest_main
        mov     %eax, %edi
        call    instar_guest_exit       // the exit hypercall; does not return
.Lhalt:
        hlt                             // only reached if the monitor resumed us after exit
        jmp     .Lhalt
        .size _start, . - _start

        .section .bss
        .balign TCB_SIZE
        .type instar_tcb, @object
instar_tcb:
        .skip TCB_SIZE
        .size instar_tcb, TCB_SIZE

        .section .note.GNU-stack, "", @progbits
