; SPDX-License-Identifier: MIT
; selftest.S: patchlets that exist to prove relocation by decoding: each
; is copied elsewhere and run there by the host tests (tests/test_patch.c;
; the guest's self-test runs the first). Relative branches and RIP-
; relative operands aimed outside must still reach their targets; those
; aimed inside must move along.
%include "pv_site.inc"

bits 64
extern pv_reloc_probe, pv_reloc_data

; rax = pv_reloc_probe() + 1: a rel32 call out. Clobbers what a C call does.
PATCHLET pv_test_reloc_call, PV_PATCHLET_TEST, PV_CLOBBERS_NORMAL
        call pv_reloc_probe
        inc rax
        ret
ENDPATCHLET

; rax = pv_reloc_data: a RIP-relative load from outside.
PATCHLET pv_test_rip_load, PV_PATCHLET_TEST, 1 << PV_REG_RAX
        mov rax, [rel pv_reloc_data]
        ret
ENDPATCHLET

; pv_reloc_data = rdi: a RIP-relative store to outside.
PATCHLET pv_test_rip_store, PV_PATCHLET_TEST, 0
        mov [rel pv_reloc_data], rdi
        ret
ENDPATCHLET

; rdi != 0: tail-jump (jnz rel32, out) to pv_reloc_probe; else rax = 0.
PATCHLET pv_test_jcc_out, PV_PATCHLET_TEST, PV_CLOBBERS_NORMAL
        test rdi, rdi
        jnz near pv_reloc_probe
        xor eax, eax
        ret
ENDPATCHLET

; Branches inside: a rel8 jmp over a ud2 and a rel32 jz; rax = rdi != 0,
; and rdx = the address of .here, wherever the bytes run (a RIP-relative
; lea aimed inside moves with them).
PATCHLET pv_test_inside, PV_PATCHLET_TEST, (1 << PV_REG_RAX) | (1 << PV_REG_RDX)
        jmp short .skip
        ud2
.skip:  lea rdx, [rel .here]
.here:  test rdi, rdi
        jz near .zero
        mov eax, 1
        ret
.zero:  xor eax, eax
        ret
ENDPATCHLET
