; SPDX-License-Identifier: MIT
; esp_write.S: refused. The replacement moves the stack pointer through
; esp, a 32-bit write (which also zeroes rsp's upper half): at +3, an
; instruction boundary of both streams, the original has rsp+0 and the
; replacement rsp-8, but pvcheck must not even get that far: a write to
; esp, sp or spl is one it does not model.
;       original                replacement
; 0x00  nop3                    sub esp, 8
; 0x03  nop3                    add esp, 8
%include "fixture.inc"

PATCHLET repl_esp_write, PV_PATCHLET_ALT, 0
        sub esp, 8
        add esp, 8
ENDPATCHLET

PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_esp_write
        nop dword [rax]
        nop dword [rax]
PV_ALTERNATIVE_END
        ret
