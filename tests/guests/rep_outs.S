; SPDX-License-Identifier: MIT
; rep_outs.S: sends two hypercall numbers with one `rep outsd` to the
; hypercall port. minivmm must refuse the string instruction (status 80)
; on every KVM, whether it reports one exit or one per element; were the
; elements run as hypercalls, the second (exit 9) would end the run.
%include "tiny.inc"
start:
        mov esi, numbers
        mov ecx, 2
        mov dx, MINIVMM_HYPERCALL_PORT
        mov edi, 9                  ; the exit status, were it obeyed
        rep outsd
        HYPERCALL MINIVMM_HC_EXIT, 3
        hlt
numbers:
        dd MINIVMM_HC_NULL, MINIVMM_HC_EXIT
