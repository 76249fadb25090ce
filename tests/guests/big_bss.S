; SPDX-License-Identifier: MIT
; big_bss.S: a guest whose BSS reaches past 5 MiB. With the default 64M it
; exits 0; with --mem 2M minivmm must refuse to load it.
%include "tiny.inc"
start:
        mov byte [bss_end - 1], 1   ; touch the last byte
        HYPERCALL MINIVMM_HC_EXIT, 0
        hlt

section .bss
        resb 4 << 20
bss_end:
