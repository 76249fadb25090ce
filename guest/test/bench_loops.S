; SPDX-License-Identifier: MIT
; bench_loops.S: the benchmark loops. Each function
;     uint64_t bench_PATH_OP(uint64_t iters, uint64_t arg)
; runs its body iters times between tsc_start and tsc_end and returns the
; cycles. The bodies are the same for every path of an op (argument in rdi
; where the op takes one), only the way the op is reached differs:
;   inline            the op's native sequence (patchdata/native_ops.inc)
;   native_patched    a site through bench_ops_np: patched to the patchlet
;   native_direct     a site through bench_ops_nd: patched to call the
;                     native function (the sequence and ret)
;   native_indirect   a site through bench_ops_ni: stays an indirect call
;   hypercall_patched a site through bench_ops_hp: patched to call the stub
;   hypercall_indirect a site through bench_ops_hi: stays indirect
; Their records go to .pv_patch_bench (guest/test/bench.c gives each table its
; backend), so they never count among the kernel's own sites.

%define PV_PATCH_SECTION .pv_patch_bench
%include "pv_site.inc"
%include "callee_saved.inc"
%include "abi.inc"
%include "native_ops.inc"

bits 64
section .text

extern tsc_start, tsc_end
extern bench_ops_np, bench_ops_nd, bench_ops_ni, bench_ops_hp, bench_ops_hi

; BENCH_FN name, body (a single-line macro taking no arguments)
%macro BENCH_FN 2
global %1
%1:
        SAVE_CALLEE_SAVED
        mov r12, rdi                ; iterations
        mov rbx, rsi                ; the op's argument
        call tsc_start
        mov r13, rax
        align 16
%%loop:
        %2
        dec r12
        jnz %%loop
        call tsc_end
        sub rax, r13
        RESTORE_CALLEE_SAVED
        ret
%endmacro

; The bodies. SITE table, op: the call site, with the op's contract.
%define CS PV_CLOBBERS_CALLEE_SAVE
%define C PV_CLOBBERS_NORMAL

%macro BODY_NONE 0
%endmacro

; The argument, for the ops that take one (shape SET): in rbx, to rdi.
%macro BENCH_ARG_SET 0
        mov rdi, rbx
%endmacro
%macro BENCH_ARG_GET 0
%endmacro
%macro BENCH_ARG_DO 0
%endmacro

; BENCH_INLINE name, shape: the op's native sequence, written inline.
%macro BENCH_INLINE 2
        BENCH_ARG_%2
        NATIVE_SEQ_%1
%endmacro

; BENCH_SITE NAME, contract, shape, table: a site of the op through
; table (BENCH_OP appends the table to the body it is given).
%macro BENCH_SITE 4
        BENCH_ARG_%3
        PV_OP_SITE %4, PV_OP_%1, PV_CLOBBERS_%2
%endmacro

; irq_disable and irq_enable, measured as one pair (interrupts stay on).
%macro INLINE_IRQ_PAIR 0
        NATIVE_SEQ_irq_disable
        NATIVE_SEQ_irq_enable
%endmacro
%macro SITE_IRQ_PAIR 1
        PV_OP_SITE %1, PV_OP_IRQ_DISABLE, CS
        PV_OP_SITE %1, PV_OP_IRQ_ENABLE, CS
%endmacro

; The loop alone, and one bare hypercall exit (port in rbx = arg).
%macro BODY_EXIT_NULL 0
        mov edx, ebx
        mov eax, MINIVMM_HC_NULL
        out dx, eax
%endmacro

BENCH_FN bench_loop, BODY_NONE
BENCH_FN bench_exit_null, BODY_EXIT_NULL

; BENCH_OP op, INLINE_BODY, SITE_BODY: the six paths of one op.
%macro BENCH_OP 3
BENCH_FN bench_inline_%1, {%2}
BENCH_FN bench_native_patched_%1, {%3 bench_ops_np}
BENCH_FN bench_native_direct_%1, {%3 bench_ops_nd}
BENCH_FN bench_native_indirect_%1, {%3 bench_ops_ni}
BENCH_FN bench_hypercall_patched_%1, {%3 bench_ops_hp}
BENCH_FN bench_hypercall_indirect_%1, {%3 bench_ops_hi}
%endmacro

; Every op of the list the benchmark takes (bench column), and the pair.
%macro BENCH_OP_ROW 6
%ifnidn %5, NOBENCH
BENCH_OP %1, {BENCH_INLINE %1, %4}, {BENCH_SITE %2, %3, %4,}
%endif
%endmacro
PV_FOR_EACH_OP BENCH_OP_ROW
BENCH_OP irq_pair, INLINE_IRQ_PAIR, SITE_IRQ_PAIR

; Single-stepping, to count the instructions of one call: step_on sets
; RFLAGS.TF, so every instruction after it raises #DB (counted by
; traps.c) until step_off clears it.
global step_on, step_off
step_on:
        pushfq
        or qword [rsp], 0x100
        popfq
        ret
step_off:
        pushfq
        and qword [rsp], ~0x100
        popfq
        ret
