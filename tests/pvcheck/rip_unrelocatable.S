; SPDX-License-Identifier: MIT
; rip_unrelocatable.S: refused. The replacement loads through a
; RIP-relative operand in a VEX-encoded (AVX) instruction, which the
; engine's decoder does not take: it could not relocate the operand.
%include "fixture.inc"

PATCHLET repl_vex, PV_PATCHLET_ALT, 0
        vmovdqu ymm0, [rel table]
ENDPATCHLET

PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_vex
        call [rel table]
        nop
        nop
PV_ALTERNATIVE_END
        ret
