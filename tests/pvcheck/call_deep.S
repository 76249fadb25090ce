; SPDX-License-Identifier: MIT
; call_deep.S: refused. The replacement calls with rax pushed, so the
; return address of that call points into the site with the stack 8 bytes
; deeper than the site's own. The stacks agree wherever both streams stop
; (offsets 0 and 8), but the unwinder looks a return address up without the
; site's own rows (docs/unwind.md): every call in a site must be at its
; depth.
;       original                replacement
; 0x00  call [table]            push rax
; 0x01                          call [table]
; 0x06  xchg ax, ax
; 0x07                          pop rax
; 0x08  <next>                  <next>
%include "fixture.inc"

PATCHLET repl_call_deep, PV_PATCHLET_ALT, 0
        push rax
        call [rel table]
        pop rax
ENDPATCHLET

PV_ALTERNATIVE PV_FEATURE_HYPERVISOR, 0, repl_call_deep
        call [rel table]
        xchg ax, ax
PV_ALTERNATIVE_END
        ret
