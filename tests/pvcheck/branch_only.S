; SPDX-License-Identifier: MIT
; branch_only.S: accepted as a patch image, but its unwind table cannot be
; built (pvcheck --list-unwind): the code after `ret` is reached only by
; the `jne`, so a follower that goes straight on gives it no rule, and a
; CPU stopped there would have a backtrace that stops at once. pvcheck
; refuses the jump by name. (The hypercall stubs had this shape once.)
%include "fixture.inc"

global stub
stub:
        test edi, edi
        jne .slow
        xor eax, eax
        ret
.slow:
        mov eax, 1
        ret
