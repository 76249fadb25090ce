; SPDX-License-Identifier: MIT
; triple_fault.S: loads an empty IDT and raises #UD: the #UD cannot be
; delivered, nor the #DF after it, so the vCPU shuts down: the run must
; stop with VMM_STATUS_SHUTDOWN (82).
%include "tiny.inc"
start:
        lidt [empty_idt]
        ud2

section .data
empty_idt:
        dw 0                        ; limit 0: no vector is present
        dd 0
