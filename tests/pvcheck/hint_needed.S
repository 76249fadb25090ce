; SPDX-License-Identifier: MIT
; hint_needed.S: accepted as a patch image, but its unwind table cannot be
; built (pvcheck --list-unwind, --unwind-out): the global label `inside` is
; reached from above with rbx pushed, so it is no function entry, and
; pvcheck cannot tell what the stack is there without an UNWIND_HINT.
%include "fixture.inc"

global outer, inside
outer:
        push rbx
inside:
        pop rbx
        ret
