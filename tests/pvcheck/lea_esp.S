; SPDX-License-Identifier: MIT
; lea_esp.S: refused. lea esp, [rsp - 8] writes the stack pointer's low
; 32 bits (and zeroes the rest): not the lea rsp, [rsp + imm] that
; pvcheck follows.
%include "fixture.inc"

PATCHLET repl_lea_esp, PV_PATCHLET_ALT, 0
        lea esp, [rsp - 8]
        lea rsp, [rsp + 8]
ENDPATCHLET

PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_lea_esp
        call [rel table]
        nop dword [rax]
        nop
PV_ALTERNATIVE_END
        ret
