; SPDX-License-Identifier: MIT
; conflict.S: refused. Offset 7 is an instruction boundary in both
; streams: after the original's call and first nop (rsp as at the start)
; and before the replacement's pop rax (rsp 8 lower).
;       original                replacement
; 0x00  call [table]            pushfq
; 0x01                          nop6
; 0x06  nop
; 0x07  nop                     pop rax
%include "fixture.inc"

PATCHLET repl_conflict, PV_PATCHLET_ALT, 1 << PV_REG_RAX
        pushfq
        nop word [byte rax + rax * 1 + 0]  ; 6 bytes
        pop rax
ENDPATCHLET

PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_conflict
        call [rel table]
        nop
        nop
PV_ALTERNATIVE_END
        ret
