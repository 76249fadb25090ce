; SPDX-License-Identifier: MIT
; trap_entry.S: the 32 exception entry stubs and the interrupt stubs. Each
; pushes a zero error code if the CPU did not push one, then its vector,
; saves every general register into a struct trap_frame (guest.h) and
; calls trap_handler(frame). If the handler returns (an expected
; exception), registers are restored and iretq resumes at the frame's rip,
; which the handler may have moved.
; The UNWIND_HINTs tell pvcheck what it cannot see: a stub's frame is the
; CPU's, not a call's (IRET: the interrupted rip and rsp are in it, from
; the stub's first instruction on); around the call, rbp points at the
; trap frame, so a backtrace from the handler goes on into the
; interrupted code.

%include "unwind_hint.inc"
%include "smp.inc"

bits 64
section .text

extern trap_handler

; Vectors for which the CPU pushes an error code.
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
                      (v) == 21 || (v) == 29 || (v) == 30)

%macro TRAP_STUB 1
trap_stub_%1:
%if !HAS_ERROR(%1)
        push 0                      ; keep one frame layout for all vectors
%endif
        push %1
        jmp trap_common
%endmacro

%assign v 0
%rep 32
        align 16
%if HAS_ERROR(v)
        UNWIND_HINT_IRET 8          ; the CPU's frame, past its error code
%else
        UNWIND_HINT_IRET 0          ; the CPU's frame, not a call's
%endif
        TRAP_STUB v
%assign v v + 1
%endrep

; Interrupt vectors the guest uses (guest.h: APIC_*_VECTOR, SMP_*_VECTOR).
global irq_stub_timer, irq_stub_spurious, irq_stub_ipi, irq_stub_kick
global irq_stub_ping
        align 16
irq_stub_timer:
        UNWIND_HINT_IRET 0
        push 0
        push 0x40
        jmp trap_common
        align 16
irq_stub_spurious:
        UNWIND_HINT_IRET 0
        push 0
        push 0xff
        jmp trap_common
        align 16
irq_stub_ipi:
        UNWIND_HINT_IRET 0
        push 0
        push SMP_IPI_VECTOR
        jmp trap_common
        align 16
irq_stub_kick:
        UNWIND_HINT_IRET 0
        push 0
        push SMP_KICK_VECTOR
        jmp trap_common
        align 16
irq_stub_ping:
        UNWIND_HINT_IRET 0
        push 0
        push SMP_PING_VECTOR
        jmp trap_common

trap_common:
        UNWIND_HINT_IRET 16         ; past the vector and the error code
        push rax                    ; order matches struct trap_frame,
        push rbx                    ; last pushed = lowest address = r15
        push rcx
        push rdx
        push rsi
        push rdi
        push rbp
        push r8
        push r9
        push r10
        push r11
        push r12
        push r13
        push r14
        push r15
        mov rdi, rsp                ; trap_handler(frame)
        mov rbp, rsp
        UNWIND_HINT_REGS_RBP        ; unwinding goes on from the frame
        and rsp, -16                ; the C ABI wants a 16-byte aligned call
        cld
        call trap_handler
        mov rsp, rbp
        pop r15
        pop r14
        pop r13
        pop r12
        pop r11
        pop r10
        pop r9
        pop r8
        pop rbp
        pop rdi
        pop rsi
        pop rdx
        pop rcx
        pop rbx
        pop rax
        add rsp, 16                 ; drop vector and error code
        iretq

; The stub addresses, for traps_init() to put in the IDT.
section .rodata
align 8
global trap_stubs
trap_stubs:
%assign v 0
%rep 32
        dq trap_stub_ %+ v
%assign v v + 1
%endrep
