; SPDX-License-Identifier: MIT
; ok_rip_relative.S: allowed. The replacement loads through a RIP-relative
; operand aimed outside itself: the engine decodes what it copies and
; aims the operand at the same place from the site.
%include "fixture.inc"

PATCHLET repl_rip, PV_PATCHLET_ALT, 1 << PV_REG_RAX
        mov rax, [rel table]
ENDPATCHLET

PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_rip
        call [rel table]
        nop
        nop
PV_ALTERNATIVE_END
        ret
