; SPDX-License-Identifier: MIT
; ok_saved_restored.S: allowed. The replacement changes rcx, but saved it
; first and restores it from the same slot, so it declares no clobber;
; enter and leave build and drop a frame of their own, rbp saved and
; restored the same way. The stack model follows both.
%include "fixture.inc"

PATCHLET repl_saved_restored, PV_PATCHLET_ALT, 0
        push rcx
        xor ecx, ecx
        pop rcx
        enter 16, 0
        leave
ENDPATCHLET

global probe
probe:
PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_saved_restored
        call [rel table]
        nop dword [rax + rax * 1 + 0]
        nop
PV_ALTERNATIVE_END
        ret
