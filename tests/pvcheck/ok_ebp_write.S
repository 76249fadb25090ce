; SPDX-License-Identifier: MIT
; ok_ebp_write.S: allowed, with no rule where there is none. An assembly
; function keeps rbp as its frame pointer, then writes ebp (which
; zero-extends into rbp): from there on its CFA cannot come from rbp, and
; the unwind rows must say "undefined" instead of reading a CFA from a
; register that no longer holds the frame.
%include "fixture.inc"

global framed_ebp
framed_ebp:
        push rbp
        mov rbp, rsp
        nop
        mov ebp, 1
        nop
        mov rsp, rbp
        ret
