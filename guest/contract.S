; SPDX-License-Identifier: MIT
; contract.S: probes of the register contract. contract_OP(arg) fills
; every general register with a canary (rdi with arg), runs one real pv-op
; site of OP (recorded in .pv_patch and patched like every other site),
; then stores all sixteen registers in contract_regs[] and contract_rsp
; for C to compare (guest/pvops_test.c). Canary n is CANARY + n.

%include "pv_site.inc"
%include "callee_saved.inc"

%define CANARY 0xc0dec0de00000000

bits 64

section .bss
align 8
global contract_regs, contract_rsp
contract_regs:  resq 16             ; by register number (pv_abi.h)
contract_rsp:   resq 1              ; rsp just before the site

section .text
extern pv_ops

; CONTRACT name, op, clobbers-the-site-allows
%macro CONTRACT 3
global contract_%1
contract_%1:
        SAVE_CALLEE_SAVED
        mov [rel contract_rsp], rsp
        mov rax, CANARY + 0
        mov rcx, CANARY + 1
        mov rdx, CANARY + 2
        mov rbx, CANARY + 3
        mov rbp, CANARY + 5
        mov rsi, CANARY + 6
        mov r8, CANARY + 8          ; rdi keeps the argument
        mov r9, CANARY + 9
        mov r10, CANARY + 10
        mov r11, CANARY + 11
        mov r12, CANARY + 12
        mov r13, CANARY + 13
        mov r14, CANARY + 14
        mov r15, CANARY + 15
        PV_OP_SITE pv_ops, %2, %3
        mov [rel contract_regs + 0 * 8], rax
        mov [rel contract_regs + 1 * 8], rcx
        mov [rel contract_regs + 2 * 8], rdx
        mov [rel contract_regs + 3 * 8], rbx
        mov [rel contract_regs + 4 * 8], rsp
        mov [rel contract_regs + 5 * 8], rbp
        mov [rel contract_regs + 6 * 8], rsi
        mov [rel contract_regs + 7 * 8], rdi
        mov [rel contract_regs + 8 * 8], r8
        mov [rel contract_regs + 9 * 8], r9
        mov [rel contract_regs + 10 * 8], r10
        mov [rel contract_regs + 11 * 8], r11
        mov [rel contract_regs + 12 * 8], r12
        mov [rel contract_regs + 13 * 8], r13
        mov [rel contract_regs + 14 * 8], r14
        mov [rel contract_regs + 15 * 8], r15
        RESTORE_CALLEE_SAVED
        ret
%endmacro

; contract_NAME for every op of the list, under its own contract.
%macro OP_CONTRACT 5
CONTRACT %1, PV_OP_%2, PV_CLOBBERS_%3
%endmacro
PV_FOR_EACH_OP OP_CONTRACT

; A place to copy a patchlet to and run it: the relocation self-test.
global reloc_scratch
align 16
reloc_scratch:
        times 16 nop
        ret
