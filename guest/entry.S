; SPDX-License-Identifier: MIT
; entry.S: the guest's first instructions. The PVH loader (minivmm or QEMU)
; jumps to pvh_start32 in 32-bit protected mode with paging off and %ebx =
; the guest-physical address of hvm_start_info. We check its magic, load
; our own GDT and page tables, enter long mode, set up a stack, zero the
; BSS and call guest_main(start_info) in C. Trusts only the PVH protocol.

%include "abi.inc"                  ; include/pvh.h, include/minivmm_abi.h
%include "unwind_hint.inc"
%include "smp.inc"                  ; guest/smp.h
%define DEBUG_EXIT_FAIL (MINIVMM_DEBUG_EXIT_BASE | 1)

%include "long_mode.inc"            ; control bits, selectors (gdt.S)
extern gdt_ptr

; Page-table entry bits.
%define PTE_P           (1 << 0)
%define PTE_W           (1 << 1)
%define PTE_PWT         (1 << 3)
%define PTE_PCD         (1 << 4)
%define PTE_PS          (1 << 7)    ; 2 MiB page in a page directory

; The PVH entry note: name "Xen", type 18, a 32-bit entry address.
section .note.Xen note alloc noexec nowrite align=4
        dd 4                        ; namesz, "Xen" and its NUL
        dd 4                        ; descsz
        dd XEN_ELFNOTE_PHYS32_ENTRY ; type
        db "Xen", 0
        dd pvh_start32

section .text.boot progbits alloc exec nowrite align=16
bits 32
global pvh_start32
pvh_start32:
        UNWIND_HINT_UNDEF           ; 32-bit code: nothing to unwind
        cmp dword [ebx], XEN_HVM_START_MAGIC_VALUE
        jne bad_magic
        mov esi, ebx                ; keep start_info; becomes guest_main's arg

        lgdt [gdt_ptr]

        ; Long mode: PAE on, CR3 = our identity map, EFER.LME, then paging.
        ENTER_LONG_MODE pml4
        jmp SEL_CODE64:start64      ; far jump loads the 64-bit CS

; No console, no IDT: say one word on the serial port, then ask QEMU's
; isa-debug-exit (minivmm has one too) to end the run with a failure.
bad_magic:
        mov dx, MINIVMM_SERIAL_PORT ; THR
        mov esi, bad_magic_msg
.next:  lodsb
        test al, al
        jz .exit
        out dx, al
        jmp .next
.exit:  mov dx, MINIVMM_DEBUG_EXIT_PORT
        mov al, DEBUG_EXIT_FAIL
        out dx, al
.halt:  hlt
        jmp .halt

bits 64
start64:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov ss, ax
        xor eax, eax                ; fs/gs unused: null selectors
        mov fs, ax
        mov gs, ax
        mov rsp, stack_top
        UNWIND_HINT_END             ; a backtrace ends at guest_main's caller

        ; BSS is small and 8-byte aligned (guest.ld): clear it in qwords.
        extern __bss_start, __bss_end
        mov rdi, __bss_start
        mov rcx, __bss_end
        sub rcx, rdi
        shr rcx, 3
        rep stosq                   ; rax = 0 from above

        mov edi, esi                ; guest_main(start_info)
        extern guest_main
        call guest_main
.halt:  cli                         ; guest_main does not return
        hlt
        jmp .halt

section .rodata
bad_magic_msg: db "PVH: bad hvm_start_info magic", 10, 0

; Identity map of the low 4 GiB with 2 MiB pages: one PML4 entry, four
; PDPT entries, four page directories built at assembly time (no loop at
; boot). The top 32 MiB (LAPIC, IOAPIC) are uncached.
section .data.pagetables progbits alloc noexec write align=4096
global pml4
pml4:
        dq pdpt + PTE_P + PTE_W
        times 511 dq 0
pdpt:
        dq pd + 0 * 4096 + PTE_P + PTE_W
        dq pd + 1 * 4096 + PTE_P + PTE_W
        dq pd + 2 * 4096 + PTE_P + PTE_W
        dq pd + 3 * 4096 + PTE_P + PTE_W
        times 508 dq 0
pd:
%assign i 0
%rep 2048
%if i >= 2048 - 16
        dq (i << 21) | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT
%else
        dq (i << 21) | PTE_P | PTE_W | PTE_PS
%endif
%assign i i + 1
%endrep

; The boot stack lives outside the BSS so it is not cleared at boot; the
; APs' stacks (ap_boot.S) in the same section, so the unwinder finds every
; CPU's frames on "the stack" (unwind.c).
section .stack nobits alloc noexec write align=16
        resb SMP_STACK_SIZE
stack_top:
