; SPDX-License-Identifier: MIT
; hello32.S: a PVH kernel built as ELF32 (nasm -f elf32, ld -m elf_i386),
; like GRUB's i386-xen_pvh image. It checks the start_info magic in ebx,
; finds the debug console (a read of port 0xe9 gives 0xe9), prints one
; line there and leaves through isa-debug-exit with MINIVMM_DEBUG_EXIT_BASE
; (QEMU, and so run-qemu.sh, status 0; minivmm (0x20<<1)|1 = 65) or with
; BASE|1 when the console is missing, BASE|2 when the magic is wrong.
%include "abi.inc"

section .note.Xen note alloc noexec nowrite align=4
        dd 4                        ; namesz
        dd 4                        ; descsz
        dd XEN_ELFNOTE_PHYS32_ENTRY
        db "Xen", 0
        dd start

section .text
bits 32
global start
start:                              ; 32-bit protected mode, paging off
        mov edi, MINIVMM_DEBUG_EXIT_BASE | 2 ; ebx is the start_info
        cmp dword [ebx], XEN_HVM_START_MAGIC_VALUE
        jne .leave
        mov edi, MINIVMM_DEBUG_EXIT_BASE | 1
        in al, MINIVMM_DEBUGCON_PORT
        cmp al, MINIVMM_DEBUGCON_PORT
        jne .leave
        mov esi, message
        mov ecx, message_len
        mov dx, MINIVMM_DEBUGCON_PORT
        rep outsb                   ; one byte a time to the console
        mov edi, MINIVMM_DEBUG_EXIT_BASE
.leave:
        mov eax, edi
        out MINIVMM_DEBUG_EXIT_PORT, al
        hlt
        jmp .leave

section .rodata
message:
        db "hello from a 32-bit PVH guest on port 0xe9", 10
message_len equ $ - message
