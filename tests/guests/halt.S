; SPDX-License-Identifier: MIT
; halt.S: halts with interrupts off, which nothing can end. The in-kernel
; irqchip keeps hlt inside KVM, so only --timeout stops it: minivmm must
; then say the guest can never wake.
%include "tiny.inc"
start:
        cli
        hlt
