; SPDX-License-Identifier: MIT
; native.S: for every op of the list, from its sequence in native_ops.inc:
;   pv_native_NAME       the patchlet (global _start/_end labels, _desc)
;   pv_fit_NAME          the same padded to an op site's length with CS
;                        prefixes before its first instruction: a patched
;                        site runs the native instructions and no NOP
;                        (in 64-bit mode the CS override is ignored: Intel
;                        SDM vol. 2, 2.1.1; AMD APM vol. 3, 1.2.4)
;   pv_native_NAME_fn    a function: the sequence and ret, the native
;                        backend's direct-call target (no C, no thunk)
%include "pv_site.inc"
%include "native_ops.inc"

bits 64

; NATIVE_OP name, NAME, contract, shape, bench, batch (a PV_FOR_EACH_OP row)
%macro NATIVE_OP 6
PATCHLET pv_native_%1, PV_OP_%2, NATIVE_CLOBBERS_%1
        NATIVE_SEQ_%1
ENDPATCHLET

; A sequence longer than a site makes this count negative: NASM stops.
PATCHLET pv_fit_%1, PV_OP_%2, NATIVE_CLOBBERS_%1
        times PV_OP_SITE_LEN - (pv_native_%1_end - pv_native_%1_start) \
                db 0x2e
        NATIVE_SEQ_%1
ENDPATCHLET

section .text
global pv_native_%1_fn
pv_native_%1_fn:
        NATIVE_SEQ_%1
        ret
%endmacro

PV_FOR_EACH_OP NATIVE_OP
