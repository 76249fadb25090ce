; SPDX-License-Identifier: MIT
; ok_rbp_saved.S: allowed. In a frame whose CFA is rsp, a replacement may
; push rbp and use it as a frame pointer: inside the site the unwind rows
; say where the caller's rbp now is (rbp=[cfa-16] from +1 to +4).
%include "fixture.inc"

PATCHLET repl_rbp_saved, PV_PATCHLET_ALT, 0
        push rbp
        mov rbp, rsp
        pop rbp
ENDPATCHLET

global probe
probe:
PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_rbp_saved
        call [rel table]
PV_ALTERNATIVE_END
        ret
