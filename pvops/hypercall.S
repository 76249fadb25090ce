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

HYPERCALL_STUB pv_hc_save_fl, MINIVMM_HC_SAVE_FL
HYPERCALL_STUB pv_hc_restore_fl, MINIVMM_HC_RESTORE_FL
HYPERCALL_STUB pv_hc_irq_disable, MINIVMM_HC_IRQ_DISABLE
HYPERCALL_STUB pv_hc_irq_enable, MINIVMM_HC_IRQ_ENABLE
HYPERCALL_STUB pv_hc_safe_halt, MINIVMM_HC_SAFE_HALT
HYPERCALL_STUB pv_hc_read_cr2, MINIVMM_HC_READ_CR2
HYPERCALL_STUB pv_hc_read_cr3, MINIVMM_HC_READ_CR3
HYPERCALL_STUB pv_hc_write_cr3, MINIVMM_HC_WRITE_CR3
HYPERCALL_STUB pv_hc_flush_tlb_one, MINIVMM_HC_FLUSH_TLB_ONE
HYPERCALL_STUB pv_hc_wbinvd, MINIVMM_HC_WBINVD
HYPERCALL_STUB pv_hc_null, MINIVMM_HC_NULL
