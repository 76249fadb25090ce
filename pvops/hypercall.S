; SPDX-License-Identifier: MIT
; hypercall.S: the hypercall backend. Each op is one port-I/O hypercall
; (include/minivmm_abi.h): eax = number, dx = port, rdi and rsi =
; arguments, result in rax. The stubs save rdx, so they change only rax
; and serve callee-save sites directly. The port is not known when this
; is assembled: each stub's `mov edx, imm32` is a callback site, and
; pv_patch_hypercall_port() writes the port minivmm announced in CPUID
; into the immediate at boot.
;
; Lazy mode (pvops/lazy.h): while any CPU is in a lazy section
; (pv_lazy_cpus != 0), a stub takes the slow path instead: pv_hc_lazy
; saves every register the C convention lets a callee change and asks
; pv_lazy_hypercall() to queue the op or to flush and make the call. With
; no CPU lazy, the one extra instruction pair is a load and a branch.
%include "abi.inc"
%include "pv_site.inc"

bits 64
section .text

extern pv_patch_hypercall_port
extern pv_lazy_cpus
extern pv_lazy_hypercall

; HYPERCALL_STUB name, number. The slow path is a tail jump to a label
; of its own, with the stack as the call left it: code after the ret that
; only the branch reaches would have no unwind rule (pvcheck refuses it).
%macro HYPERCALL_STUB 2
global %1
%1:
        mov eax, %2
        cmp dword [rel pv_lazy_cpus], 0
        jne pv_hc_lazy
        push rdx
PV_CALLBACK_SITE pv_patch_hypercall_port
        mov edx, strict dword 0     ; the port, written at boot
PV_CALLBACK_SITE_END
        out dx, eax
        pop rdx
        ret
%endmacro

; One stub per op of the list (pv_hc_NAME), and the null call.
%macro OP_STUB 6
HYPERCALL_STUB pv_hc_%1, MINIVMM_HC_%2
%endmacro
PV_FOR_EACH_OP OP_STUB
HYPERCALL_STUB pv_hc_null, MINIVMM_HC_NULL

; The slow path, jumped to with eax = the number and the caller's return
; address on top: rax = pv_lazy_hypercall(eax, rdi, rsi), and nothing
; else changed. Nine slots keep the C call 16-byte aligned.
global pv_hc_lazy
pv_hc_lazy:
        push rcx
        push rdx
        push rsi
        push rdi
        push r8
        push r9
        push r10
        push r11
        sub rsp, 8
        mov rdx, rsi
        mov rsi, rdi
        mov edi, eax
        call pv_lazy_hypercall
        add rsp, 8
        pop r11
        pop r10
        pop r9
        pop r8
        pop rdi
        pop rsi
        pop rdx
        pop rcx
        ret
