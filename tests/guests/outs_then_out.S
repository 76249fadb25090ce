; SPDX-License-Identifier: MIT
; outs_then_out.S: a single `outsd` to the hypercall port, followed at
; once by a plain `out` to the same port. Where KVM emulates the outsd
; (AMD), the exit comes with rip already on the `out`, so the instruction
; at rip alone would pass it as a plain hypercall: the memory operand
; (exit) against the accumulator (null) tells. minivmm must refuse it
; (status 80), not exit with 9.
%include "tiny.inc"
start:
        mov esi, number
        mov edi, 9                  ; the exit status, were it obeyed
        mov eax, MINIVMM_HC_NULL
        mov dx, MINIVMM_HYPERCALL_PORT
        outsd                       ; sends MINIVMM_HC_EXIT from memory
        out dx, eax                 ; sends MINIVMM_HC_NULL
        HYPERCALL MINIVMM_HC_EXIT, 3
        hlt
number:
        dd MINIVMM_HC_EXIT
