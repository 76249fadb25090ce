; SPDX-License-Identifier: MIT
; push_ax.S: refused. push ax moves rsp by 2, not 8 (an operand-size
; prefix), so push ax; pop rax leaves rsp 6 bytes higher than it found
; it, and at +2 the streams disagree by 6.
;       original                replacement
; 0x00  push rax                push ax (66 50)
; 0x01  nop
; 0x02  pop rax                 pop rax
%include "fixture.inc"

PATCHLET repl_push_ax, PV_PATCHLET_ALT, 1 << PV_REG_RAX
        push ax
        pop rax
ENDPATCHLET

PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_push_ax
        push rax
        nop
        pop rax
PV_ALTERNATIVE_END
        ret
