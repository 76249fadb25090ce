; SPDX-License-Identifier: MIT
; irq.S: the native sequences of the irq ops. All are callee-save safe:
; they change at most rax (and RFLAGS, which is their purpose).
%include "pv_site.inc"

bits 64

; save_fl: rax = RFLAGS. Clobbers rax.
PATCHLET pv_native_save_fl, PV_OP_SAVE_FL, PV_CLOBBERS_CALLEE_SAVE
        pushfq
        pop rax
ENDPATCHLET

; restore_fl(rdi): RFLAGS = rdi. Clobbers nothing but flags.
PATCHLET pv_native_restore_fl, PV_OP_RESTORE_FL, 0
        push rdi
        popfq
ENDPATCHLET

; irq_disable. Clobbers nothing.
PATCHLET pv_native_irq_disable, PV_OP_IRQ_DISABLE, 0
        cli
ENDPATCHLET

; irq_enable. Clobbers nothing.
PATCHLET pv_native_irq_enable, PV_OP_IRQ_ENABLE, 0
        sti
ENDPATCHLET

; safe_halt: the sti shadow covers hlt, so a pending interrupt wakes the
; hlt instead of slipping in between. Clobbers nothing.
PATCHLET pv_native_safe_halt, PV_OP_SAFE_HALT, 0
        sti
        hlt
ENDPATCHLET

; The same sequences padded to an op site's exact length with CS prefixes
; on their first instruction (CS_PAD): no NOP is left to execute.
PATCHLET pv_fit_save_fl, PV_OP_SAVE_FL, PV_CLOBBERS_CALLEE_SAVE
        CS_PAD 4, pushfq
        pop rax
ENDPATCHLET

PATCHLET pv_fit_restore_fl, PV_OP_RESTORE_FL, 0
        CS_PAD 4, push rdi
        popfq
ENDPATCHLET

PATCHLET pv_fit_irq_disable, PV_OP_IRQ_DISABLE, 0
        CS_PAD 5, cli
ENDPATCHLET

PATCHLET pv_fit_irq_enable, PV_OP_IRQ_ENABLE, 0
        CS_PAD 5, sti
ENDPATCHLET

PATCHLET pv_fit_safe_halt, PV_OP_SAFE_HALT, 0
        CS_PAD 4, sti
        hlt
ENDPATCHLET
