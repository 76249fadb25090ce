; SPDX-License-Identifier: MIT
; tsc.S: timestamps for measuring short intervals. tsc_start orders the
; read after earlier instructions (lfence; rdtsc); tsc_end also keeps later
; instructions from starting before the read. tsc_end is a feature
; alternative: `lfence; rdtsc; lfence` everywhere, replaced at boot by
; `rdtscp; lfence` (patchdata/tsc.S) where CPUID says RDTSCP exists.
%include "pv_site.inc"
%include "pv_feature.inc"

bits 64
section .text

extern pv_alt_rdtscp_desc

; uint64_t tsc_start(void). Clobbers rax, rdx.
global tsc_start
tsc_start:
        lfence
        rdtsc
        shl rdx, 32
        or rax, rdx
        ret

; uint64_t tsc_end(void). Clobbers rax, rdx, rcx.
global tsc_end, tsc_end_site
tsc_end:
tsc_end_site:
PV_ALTERNATIVE PV_FEATURE_RDTSCP, 0, pv_alt_rdtscp
        lfence
        rdtsc
        lfence
PV_ALTERNATIVE_END
        shl rdx, 32
        or rax, rdx
        ret
