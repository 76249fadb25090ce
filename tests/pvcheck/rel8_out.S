; SPDX-License-Identifier: MIT
; rel8_out.S: refused. The replacement ends in a short jmp to a label
; outside it: a rel8 relocates only within 127 bytes of its target.
%include "fixture.inc"

PATCHLET repl_short, PV_PATCHLET_ALT, 0
        jmp short after_repl
ENDPATCHLET
section .pv_patchdata
after_repl:
        ret
section .text

PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_short
        call [rel table]
PV_ALTERNATIVE_END
        ret
