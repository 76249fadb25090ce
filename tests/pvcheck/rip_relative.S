; SPDX-License-Identifier: MIT
; rip_relative.S: refused. The replacement loads through a RIP-relative
; operand aimed outside itself; the engine copies it unrelocated, so at
; the site it would read the wrong place.
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
