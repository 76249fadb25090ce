; SPDX-License-Identifier: MIT
; oversize.S: refused. The replacement (8 bytes) is longer than its site
; (6 bytes): the engine refuses it, even where it would not apply it.
%include "fixture.inc"

PATCHLET repl_oversize, PV_PATCHLET_ALT, 1 << PV_REG_RAX
        pushfq
        pop rax
        nop word [byte rax + rax * 1 + 0]  ; 6 bytes
ENDPATCHLET

PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_oversize
        call [rel table]
PV_ALTERNATIVE_END
        ret
