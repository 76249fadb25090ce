; SPDX-License-Identifier: MIT
; thunks.S: callee-save thunks. A C function may change every caller-saved
; register; a callee-save site allows only rax. NAME_thunk saves the other
; caller-saved registers around a call to NAME, so the C native backend
; can sit behind callee-save sites (irq ops, CR reads). Clobbers rax.

bits 64
section .text

%macro CALLEE_SAVE_THUNK 1
extern %1
global %1_thunk
%1_thunk:
        push rcx
        push rdx
        push rsi
        push rdi                    ; also the argument: still in rdi
        push r8
        push r9
        push r10
        push r11
        sub rsp, 8                  ; 8 pushes + return address: realign
        call %1
        add rsp, 8
        pop r11
        pop r10
        pop r9
        pop r8
        pop rdi
        pop rsi
        pop rdx
        pop rcx
        ret
%endmacro

CALLEE_SAVE_THUNK native_save_fl
CALLEE_SAVE_THUNK native_restore_fl
CALLEE_SAVE_THUNK native_irq_disable
CALLEE_SAVE_THUNK native_irq_enable
CALLEE_SAVE_THUNK native_safe_halt
CALLEE_SAVE_THUNK native_read_cr2
CALLEE_SAVE_THUNK native_read_cr3
