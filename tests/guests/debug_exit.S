; SPDX-License-Identifier: MIT
; debug_exit.S: leaves through the isa-debug-exit port with value 5;
; QEMU's rule, which minivmm follows, makes that exit status (5<<1)|1 = 11.
%include "tiny.inc"
start:
        mov al, 5
        out MINIVMM_DEBUG_EXIT_PORT, al
        hlt
