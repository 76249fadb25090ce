; SPDX-License-Identifier: MIT
; mmu.S: the native sequences of the mmu ops.
%include "pv_site.inc"

bits 64

; read_cr2: rax = CR2. Clobbers rax.
PATCHLET pv_native_read_cr2, PV_OP_READ_CR2, PV_CLOBBERS_CALLEE_SAVE
        mov rax, cr2
ENDPATCHLET

; read_cr3: rax = CR3. Clobbers rax.
PATCHLET pv_native_read_cr3, PV_OP_READ_CR3, PV_CLOBBERS_CALLEE_SAVE
        mov rax, cr3
ENDPATCHLET

; write_cr3(rdi). Clobbers nothing (flushes the non-global TLB).
PATCHLET pv_native_write_cr3, PV_OP_WRITE_CR3, 0
        mov cr3, rdi
ENDPATCHLET

; flush_tlb_one(rdi): drop the translation of the page holding rdi.
PATCHLET pv_native_flush_tlb_one, PV_OP_FLUSH_TLB_ONE, 0
        invlpg [rdi]
ENDPATCHLET

; Padded to an op site's exact length with CS prefixes (CS_PAD).
PATCHLET pv_fit_read_cr2, PV_OP_READ_CR2, PV_CLOBBERS_CALLEE_SAVE
        CS_PAD 3, mov rax, cr2
ENDPATCHLET

PATCHLET pv_fit_read_cr3, PV_OP_READ_CR3, PV_CLOBBERS_CALLEE_SAVE
        CS_PAD 3, mov rax, cr3
ENDPATCHLET

PATCHLET pv_fit_write_cr3, PV_OP_WRITE_CR3, 0
        CS_PAD 3, mov cr3, rdi
ENDPATCHLET

PATCHLET pv_fit_flush_tlb_one, PV_OP_FLUSH_TLB_ONE, 0
        CS_PAD 3, invlpg [rdi]
ENDPATCHLET
