; SPDX-License-Identifier: MIT
; ok_pushf_pop.S: allowed. The original is one 6-byte call; the
; replacement is pushfq; pop rax and NOPs. Offset 1 has rsp 8 lower in the
; replacement, but only that stream ever stops there: accepted.
%include "fixture.inc"

PATCHLET repl_pushf_pop, PV_PATCHLET_ALT, 1 << PV_REG_RAX
        pushfq
        pop rax
ENDPATCHLET

PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_pushf_pop
        call [rel table]
PV_ALTERNATIVE_END
        ret
