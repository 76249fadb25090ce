; SPDX-License-Identifier: MIT
; selftest.S: a patchlet that exists to prove relocation: it calls
; pv_reloc_probe with a relative call, so its rel32 is only right once the
; engine has adjusted it for the address the bytes were copied to. Used by
; the host tests and by the guest's self-test.
%include "pv_site.inc"

bits 64
extern pv_reloc_probe

; A whole function: rax = pv_reloc_probe() + 1. Clobbers what a C call
; clobbers.
PATCHLET pv_test_reloc_call, PV_PATCHLET_TEST, PV_CLOBBERS_NORMAL
        PATCHLET_CALL pv_reloc_probe
        inc rax
        ret
ENDPATCHLET
