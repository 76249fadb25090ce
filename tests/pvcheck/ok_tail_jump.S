; SPDX-License-Identifier: MIT
; ok_tail_jump.S: branch_only.S done right: the slow path is a label of
; its own, reached by a tail jump with the stack as the call left it, so
; the follower starts there as at any function entry.
%include "fixture.inc"

global stub, stub_slow
stub:
        test edi, edi
        jne stub_slow
        xor eax, eax
        ret
stub_slow:
        mov eax, 1
        ret
