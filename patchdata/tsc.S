; SPDX-License-Identifier: MIT
; tsc.S: the replacement for the end-of-interval timestamp where RDTSCP
; exists: `rdtscp; lfence` waits for earlier instructions and stops later
; ones from starting early, in 6 bytes instead of `lfence; rdtsc; lfence`.
; Clobbers rax, rdx, rcx (TSC_AUX).
%include "pv_site.inc"

bits 64

PATCHLET pv_alt_rdtscp, PV_PATCHLET_ALT, (1 << PV_REG_RAX) | (1 << PV_REG_RCX) | (1 << PV_REG_RDX)
        rdtscp
        lfence
ENDPATCHLET
