; SPDX-License-Identifier: MIT
; hc_exit_range.S: asks the exit hypercall for status 64, one past
; MINIVMM_EXIT_MAX: minivmm must refuse it (VMM_STATUS_HYPERCALL, 86).
%include "tiny.inc"
start:
        HYPERCALL MINIVMM_HC_EXIT, MINIVMM_EXIT_MAX + 1
        hlt
