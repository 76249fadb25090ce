; SPDX-License-Identifier: MIT
; halt.S: halts with interrupts off, which nothing can end: minivmm must
; say so and stop (VMM_STATUS_HALTED, 87) rather than hang.
%include "tiny.inc"
start:
        cli
        hlt
