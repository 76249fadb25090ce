; SPDX-License-Identifier: MIT
; contract.S: probes of the register contract. contract_OP(arg, out, arg2)
; fills every general register with a canary (rdi with arg, rsi with arg2:
; a SET2 op's second argument, else the canary), runs one real
; pv-op site of OP (recorded in .pv_patch and patched like every other
; site, and switched live like them), then stores all sixteen registers
; and rsp before the site in *out, a struct contract_out, for C to compare
; (guest/test/contract_check.c). Canary n is CANARY + n. Any CPU may run them at once:
; all state is in *out and on the stack.

%include "pv_site.inc"
%include "callee_saved.inc"

%define CANARY 0xc0dec0de00000000
%define OUT_RSP (16 * 8)            ; struct contract_out: regs[16], rsp

bits 64

section .text
extern pv_ops

%macro CONTRACT 3
global contract_%1
contract_%1:
        SAVE_CALLEE_SAVED
        mov [rsp], rsi              ; out, in SAVE_CALLEE_SAVED's spare slot
        mov [rsi + OUT_RSP], rsp
        mov rsi, rdx                ; arg2
        mov rax, CANARY + 0
        mov rcx, CANARY + 1
        mov rdx, CANARY + 2
        mov rbx, CANARY + 3
        mov rbp, CANARY + 5
        mov r8, CANARY + 8          ; rdi and rsi keep the arguments
        mov r9, CANARY + 9
        mov r10, CANARY + 10
        mov r11, CANARY + 11
        mov r12, CANARY + 12
        mov r13, CANARY + 13
        mov r14, CANARY + 14
        mov r15, CANARY + 15
        PV_OP_SITE pv_ops, %2, %3
        xchg rax, [rsp]             ; rax = out; the site's rax kept there
        mov [rax + 1 * 8], rcx
        mov [rax + 2 * 8], rdx
        mov [rax + 3 * 8], rbx
        mov [rax + 4 * 8], rsp
        mov [rax + 5 * 8], rbp
        mov [rax + 6 * 8], rsi
        mov [rax + 7 * 8], rdi
        mov [rax + 8 * 8], r8
        mov [rax + 9 * 8], r9
        mov [rax + 10 * 8], r10
        mov [rax + 11 * 8], r11
        mov [rax + 12 * 8], r12
        mov [rax + 13 * 8], r13
        mov [rax + 14 * 8], r14
        mov [rax + 15 * 8], r15
        mov rcx, [rsp]
        mov [rax + 0 * 8], rcx
        RESTORE_CALLEE_SAVED
        ret
%endmacro

; contract_NAME for every op of the list, under its own contract.
%macro OP_CONTRACT 6
CONTRACT %1, PV_OP_%2, PV_CLOBBERS_%3
%endmacro
PV_FOR_EACH_OP OP_CONTRACT

; A place to copy a patchlet to and run it: the relocation self-test.
global reloc_scratch
align 16
reloc_scratch:
        times 16 nop
        ret

; What text_test.c pokes and restores, and test=textwrite writes to.
global text_test_target
align 16
text_test_target:
        times 8 nop
        ret
