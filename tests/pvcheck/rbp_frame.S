; SPDX-License-Identifier: MIT
; rbp_frame.S: refused. The site sits in a frame whose CFA is rbp (the
; code around it keeps a frame pointer), and the replacement makes rbp a
; frame pointer of its own: an unwinder stopped at +4 would take its CFA
; from the wrong rbp. The two streams agree on rsp everywhere.
;       original                replacement
; 0x00  push rbp                push rbp
; 0x01  nop3                    mov rbp, rsp
; 0x04  pop rbp                 pop rbp
%include "fixture.inc"

PATCHLET repl_rbp_frame, PV_PATCHLET_ALT, 0
        push rbp
        mov rbp, rsp
        pop rbp
ENDPATCHLET

global framed
framed:
        push rbp
        mov rbp, rsp
PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_rbp_frame
        push rbp
        nop dword [rax]
        pop rbp
PV_ALTERNATIVE_END
        leave
        ret
