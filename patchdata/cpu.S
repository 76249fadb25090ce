; SPDX-License-Identifier: MIT
; cpu.S: the native sequences of the cpu ops.
%include "pv_site.inc"

bits 64

; wbinvd: write back and invalidate the caches. Clobbers nothing.
PATCHLET pv_native_wbinvd, PV_OP_WBINVD, 0
        wbinvd
ENDPATCHLET
