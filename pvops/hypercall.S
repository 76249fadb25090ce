; SPDX-License-Identifier: MIT
; hypercall.S: the hypercall backend. Each op is one port-I/O hypercall
; (include/minivmm_abi.h): eax = number, dx = port, rdi = argument, result
; in rax. The stubs save rdx, so they change only rax and serve callee-save
; sites directly. The port is not known when this is assembled: each stub's
; `mov edx, imm32` is a callback site, and pv_patch_hypercall_port() writes
; the port minivmm announced in CPUID into the immediate at boot.
%include "abi.inc"
%include "pv_site.inc"

bits 64
section .text

extern pv_patch_hypercall_port

; HYPERCALL_STUB name, number
%macro HYPERCALL_STUB 2
global %1
%1:
        push rdx
PV_CALLBACK_SITE pv_patch_hypercall_port
        mov edx, strict dword 0     ; the port, written at boot
PV_CALLBACK_SITE_END
        mov eax, %2
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
