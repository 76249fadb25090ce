; SPDX-License-Identifier: MIT
; rel8_patchlet.S: a patchlet the guest must not hold (pvcheck refuses it
; there), linked into the host tests only: a rel8 jmp out of the
; patchlet, relocatable only within 127 bytes (tests/test_patch.c).
%include "pv_site.inc"

bits 64

PATCHLET pv_test_rel8_out, PV_PATCHLET_TEST, 0
        jmp short pv_test_rel8_target
ENDPATCHLET
section .pv_patchdata
pv_test_rel8_target:                ; right after it, never run in place
        ret
