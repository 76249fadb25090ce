; SPDX-License-Identifier: MIT
; sandbox_open.S: asks minivmm to open a file (the sandbox probe). Exit 0 if
; that was refused with EPERM (the sandbox is on), 1 if it worked (it is
; off), 2 for anything else.
%include "tiny.inc"
%define EPERM_RESULT -1
start:
        mov esi, 0
        HYPERCALL MINIVMM_HC_SANDBOX_PROBE, MINIVMM_PROBE_OPEN
        cmp eax, EPERM_RESULT
        je .refused
        test eax, eax
        jz .allowed
        HYPERCALL MINIVMM_HC_EXIT, 2
.refused:
        HYPERCALL MINIVMM_HC_EXIT, 0
.allowed:
        HYPERCALL MINIVMM_HC_EXIT, 1
        hlt
