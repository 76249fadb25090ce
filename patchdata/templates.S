; SPDX-License-Identifier: MIT
; templates.S: instruction templates whose bytes the engine copies and
; whose rel32 or imm32 (always the last four bytes) C fills in: a direct
; call, an indirect call through a RIP-relative slot (what every pv-op
; site starts as), and `mov edx, imm32` (the hypercall port callback).
%include "pv_site.inc"

bits 64

; call rel32, with rel32 = 0 (the target is the next instruction).
PATCHLET pv_tmpl_call, PV_PATCHLET_CALL, 0
        call pv_tmpl_call_end
ENDPATCHLET

; The same call padded to an op site's length with one CS prefix: a
; direct call then leaves no NOP behind it.
PATCHLET pv_tmpl_call_fit, PV_PATCHLET_CALL, 0
        CS_PAD 1, call pv_tmpl_call_fit_end
ENDPATCHLET

; call [rip + disp32], with disp32 = 0.
PATCHLET pv_tmpl_indirect, PV_PATCHLET_INDIRECT, 0
        call [rel pv_tmpl_indirect_end]
ENDPATCHLET

; mov edx, imm32 (never the sign-extended or 16-bit forms).
PATCHLET pv_tmpl_mov_edx, PV_PATCHLET_TEST, 1 << PV_REG_RDX
        mov edx, strict dword 0
ENDPATCHLET
