; SPDX-License-Identifier: MIT
; hc_unknown.S: makes a hypercall with an unknown number. The ABI says the
; result is MINIVMM_ENOSYS (-38) in eax and no other register changes; the
; guest checks both and exits 0 if they hold, 1 if not.
%include "tiny.inc"
%define ENOSYS -38
start:
        mov ebx, 0x11111111         ; canaries in every register the
        mov ecx, 0x22222222         ; hypercall must leave alone
        mov esi, 0x33333333
        mov edi, 0x44444444
        mov ebp, 0x55555555
        mov esp, 0x66666666
        mov eax, 0x7fff
        mov dx, MINIVMM_HYPERCALL_PORT
        out dx, eax
        cmp eax, ENOSYS
        jne .fail
        cmp dx, MINIVMM_HYPERCALL_PORT
        jne .fail
        cmp ebx, 0x11111111
        jne .fail
        cmp ecx, 0x22222222
        jne .fail
        cmp esi, 0x33333333
        jne .fail
        cmp edi, 0x44444444
        jne .fail
        cmp ebp, 0x55555555
        jne .fail
        cmp esp, 0x66666666
        jne .fail
        HYPERCALL MINIVMM_HC_EXIT, 0
.fail:  HYPERCALL MINIVMM_HC_EXIT, 1
        hlt
