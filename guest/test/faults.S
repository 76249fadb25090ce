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
