; SPDX-License-Identifier: MIT
; faults.S: instructions that fault on purpose, for the self-tests. Global
; labels mark the faulting instruction and the one after it, so C knows
; where the exception must come from and where to resume without counting
; instruction bytes.

bits 64
section .text

; uint64_t fault_read(uint64_t addr): rax = [addr], or a #PF.
global fault_read, fault_read_insn, fault_read_resume
fault_read:
        xor eax, eax
fault_read_insn:
        mov rax, [rdi]
fault_read_resume:
        ret

; void fault_ud2(void): raise #UD.
global fault_ud2, fault_ud2_insn, fault_ud2_resume
fault_ud2:
fault_ud2_insn:
        ud2
fault_ud2_resume:
        ret

; void fault_write(uint64_t addr, uint8_t v): [addr] = v, or a #PF.
global fault_write, fault_write_insn, fault_write_resume
fault_write:
fault_write_insn:
        mov [rdi], sil
fault_write_resume:
        ret

; Where a call into memory that may not be executed resumes after its
; #PF: the fault's rip is the callee's first byte, and the return address
; the call pushed is on top of the stack, so a ret goes back to the caller.
global fault_exec_resume
fault_exec_resume:
        ret
