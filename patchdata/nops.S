; SPDX-License-Identifier: MIT
; nops.S: the multi-byte NOPs the engine pads sites with, one patchlet per
; length from 1 to 8: the forms the Intel and AMD manuals recommend (one
; instruction each, so a site never holds a partial instruction). The
; size keywords stop NASM from shortening the displacements.
%include "pv_site.inc"

bits 64

PATCHLET pv_nop1, PV_PATCHLET_NOP, 0
        nop
ENDPATCHLET

PATCHLET pv_nop2, PV_PATCHLET_NOP, 0
        o16 nop
ENDPATCHLET

PATCHLET pv_nop3, PV_PATCHLET_NOP, 0
        nop dword [rax]
ENDPATCHLET

PATCHLET pv_nop4, PV_PATCHLET_NOP, 0
        nop dword [byte rax + 0]
ENDPATCHLET

PATCHLET pv_nop5, PV_PATCHLET_NOP, 0
        nop dword [byte rax + rax * 1 + 0]
ENDPATCHLET

PATCHLET pv_nop6, PV_PATCHLET_NOP, 0
        nop word [byte rax + rax * 1 + 0]
ENDPATCHLET

PATCHLET pv_nop7, PV_PATCHLET_NOP, 0
        nop dword [dword rax + 0]
ENDPATCHLET

PATCHLET pv_nop8, PV_PATCHLET_NOP, 0
        nop dword [dword rax + rax * 1 + 0]
ENDPATCHLET
