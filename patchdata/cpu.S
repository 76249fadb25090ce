; SPDX-License-Identifier: MIT
; cpu.S: the native sequences of the cpu ops.
%include "pv_site.inc"

bits 64

; wbinvd: write back and invalidate the caches. Clobbers nothing.
PATCHLET pv_native_wbinvd, PV_OP_WBINVD, 0
        wbinvd
ENDPATCHLET

; Padded to an op site's exact length with CS prefixes (CS_PAD).
PATCHLET pv_fit_wbinvd, PV_OP_WBINVD, 0
        CS_PAD 4, wbinvd
ENDPATCHLET
