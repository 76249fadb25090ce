; SPDX-License-Identifier: MIT
; rep_outs_debug_exit.S: writes a byte to the isa-debug-exit port with
; `outsb`. minivmm refuses string I/O there (status 80) rather than exit
; with (5<<1)|1.
%include "tiny.inc"
start:
        mov esi, value
        mov dx, MINIVMM_DEBUG_EXIT_PORT
        outsb
        HYPERCALL MINIVMM_HC_EXIT, 3
        hlt
value:
        db 5
