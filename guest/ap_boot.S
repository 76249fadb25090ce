; SPDX-License-Identifier: MIT
; ap_boot.S: how an application processor gets from the SIPI to C. The
; trampoline (ap_tramp_start..ap_tramp_end) is data here: smp.c copies it
; to SMP_TRAMPOLINE, below 1 MiB, fills in its GDT pointer, CR3 and entry,
; and sends SIPI with that page. The AP starts it in real mode at
; CS = page << 8, IP = 0: it loads the kernel's GDT, enters protected
; mode, turns on PAE, long mode and paging with the BSP's page tables, and
; far-returns into ap_start64, which takes the stack and CPU number smp.c
; left for it and calls ap_main(cpu). One AP starts at a time. The far
; returns push: the stack is the top of the trampoline's own page (an AP
; starts with SP = 0, which in 32-bit mode would push at 0xfffffffc,
; below 4 GiB where a VMM need not have RAM).
%include "abi.inc"
%include "smp.inc"
%include "unwind_hint.inc"

%include "long_mode.inc"

; Offsets of the fields smp.c fills in (guest.h: struct ap_tramp_params).
%define TR(x) ((x) - ap_tramp_start)

section .rodata
align 16
global ap_tramp_start, ap_tramp_end
ap_tramp_start:
bits 16
        cli
        cld
        mov ax, cs
        mov ds, ax
        mov ss, ax
        mov sp, SMP_TRAMPOLINE_SIZE ; the top of this page
        xor ebx, ebx
        mov bx, ax
        shl ebx, 4                  ; ebx = the trampoline's address
        o32 lgdt [TR(tr_gdt)]
        mov eax, cr0
        or eax, CR0_PE
        mov cr0, eax
        lea eax, [ebx + TR(tr_pm32)]
        push dword SEL_CODE32       ; far return into 32-bit code
        push eax
        o32 retf
bits 32
tr_pm32:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov ss, ax
        lea esp, [ebx + SMP_TRAMPOLINE_SIZE] ; the same stack, flat
        ENTER_LONG_MODE [ebx + TR(tr_cr3)]
        push SEL_CODE64             ; far return into 64-bit code
        push dword [ebx + TR(tr_entry)]
        retf
align 8
global ap_tramp_params
ap_tramp_params:
tr_gdt:   dw 0                      ; the kernel's GDT: limit,
          dd 0                      ; and base
          dw 0
tr_cr3:   dd 0
tr_entry: dd 0                      ; ap_start64
ap_tramp_end:

section .text
bits 64
extern ap_main
global ap_start64, ap_boot_stack, ap_boot_cpu
ap_start64:
        UNWIND_HINT_UNDEF           ; no stack yet
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov ss, ax
        xor eax, eax
        mov fs, ax
        mov gs, ax
        mov rsp, [rel ap_boot_stack]
        UNWIND_HINT_END             ; a backtrace ends at ap_main's caller
        mov edi, [rel ap_boot_cpu]
        call ap_main
.halt:  cli                         ; ap_main does not return
        hlt
        jmp .halt

section .data
align 8
ap_boot_stack: dq 0                 ; set by smp.c before each SIPI
ap_boot_cpu:   dd 0

; The APs' stacks, in the section that holds the boot stack (entry.S), so
; the unwinder finds every CPU's frames on "the stack" (unwind.c).
section .stack nobits alloc noexec write align=16
global ap_stacks
ap_stacks:
        resb SMP_STACK_SIZE * (SMP_MAX_CPUS - 1)
