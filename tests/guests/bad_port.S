; SPDX-License-Identifier: MIT
; bad_port.S: writes 0x12 to port 0x80, which minivmm does not handle: the
; run must stop with VMM_STATUS_GUEST_IO (80), naming the port and value.
%include "tiny.inc"
start:
        mov al, 0x12
        out 0x80, al
        hlt
