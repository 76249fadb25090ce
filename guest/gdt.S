; SPDX-License-Identifier: MIT
; gdt.S: the one GDT every CPU loads: the boot CPU in entry.S, the APs
; through the trampoline (ap_boot.S, whose page smp.c fills with gdt_ptr).
; Apart from both so that neither boot path depends on the other.

%include "long_mode.inc"            ; the selectors, in this order

section .data
align 16
; Flat GDT: null, 64-bit code, data, 32-bit code. Access byte 0x9a =
; present, ring 0, code, readable; flags 0xa = 4K granularity, long mode,
; 0xc = 4K granularity, 32-bit. 0x92 = data, writable. The 32-bit code
; segment is for the APs' way from real mode to long mode (ap_boot.S).
global gdt_ptr
gdt:
        dq 0
        dq 0x00af9a000000ffff       ; SEL_CODE64
        dq 0x00cf92000000ffff       ; SEL_DATA
        dq 0x00cf9a000000ffff       ; SEL_CODE32
gdt_end:
gdt_ptr:
        dw gdt_end - gdt - 1
        dd gdt
