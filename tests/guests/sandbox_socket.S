; SPDX-License-Identifier: MIT
; sandbox_socket.S: asks minivmm to create a socket (the sandbox probe), a
; syscall the sandbox treats as a violation: minivmm must stop with
; VMM_STATUS_SANDBOX (88) and name the syscall. Without the sandbox the
; probe works and the guest exits 0.
%include "tiny.inc"
start:
        HYPERCALL MINIVMM_HC_SANDBOX_PROBE, MINIVMM_PROBE_SOCKET
        test eax, eax
        jnz .odd
        HYPERCALL MINIVMM_HC_EXIT, 0
.odd:   HYPERCALL MINIVMM_HC_EXIT, 2
        hlt
